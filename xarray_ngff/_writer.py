"""Write a multiscale pyramid (or a single image) as OME-Zarr 0.4 (Zarr v2), 0.5 or 0.6 (Zarr v3).

This module is :func:`to_ngff_zarr`: one image's plan, arrays and metadata are
:mod:`xarray_ngff._image_writer` (shared with the labels writer), and the parts live in
private modules: :mod:`xarray_ngff._codecs` (codecs), :mod:`xarray_ngff._targets` (write targets),
:mod:`xarray_ngff._plan` (checked level plans), :mod:`xarray_ngff._compute` (barriers,
clients, fork safety) and :mod:`xarray_ngff._staged` (the staged pyramid).

Layout
------
By default (``layout="flat"``, like ome-zarr-py, bioformats2raw and iohub) level ``k`` is the
array ``k`` directly under the image group, which holds the image metadata::

    image.ome.zarr/
        zarr.json            (0.5: {"ome": {"version": "0.5", "multiscales": [...], "omero": ...}})
        0                    the level-0 array (dimension_names / _ARRAY_DIMENSIONS)
        1, 2, ...
        labels/<name>/0 ...  label images (:mod:`xarray_ngff._labels_writer`)

Every reader measured opens it (docs/interop.md has the table); iohub needs the level arrays
directly under the image group and ome-zarr-models' label check needs paths without ``/``.
``layout="scale-groups"`` writes ngff-zarr's ``scale{k}/{name}`` with coordinate arrays (below)
so that ``xr.open_dataset(store, engine="zarr", group="scale0")`` gives the image with its
physical coordinates; ``layout="as-read"`` keeps the paths of the store a tree was read from.

Coordinate arrays (``scale-groups`` only)
-----------------------------------------
Every level group also holds one small 1-D float64 array per time/space dim
(``translation + scale * arange(n)``, with ``units``, ``axis`` and ``spacing`` attributes),
so plain xarray sees physical coordinates. They were checked not to confuse other readers:
ngff-zarr's ``from_ngff_zarr`` and ome-zarr-py's ``Reader`` only open the paths listed in
``datasets``, and ome-zarr-models validates the image with them present. Channel names are
*not* written as a coordinate array: Zarr v3 has no portable string dtype, so they go to
``omero`` labels only. Axis names kept from the source (``attrs["ngff_axis_names"]``, see
:mod:`xarray_ngff._axes`) name the arrays' dimensions and the ``multiscales`` axes.

Order of writes (safety)
------------------------
1. Everything is validated (version, dims, regular grid, shards, codecs, omero, the target)
   before the store is touched, including where the image is read from
   (:mod:`xarray_ngff._sources`): a target equal to or inside a source array is refused,
   and so is overwriting a non-renamable store (``s3://``, ``memory://``) that holds a source.
2. An existing target is replaced only if it is a Zarr hierarchy or an empty directory; a
   non-empty directory that is not Zarr is refused (:class:`StoreExistsError`), never deleted.
3. A local target is written into a temporary sibling (``<name>.xarray-ngff-new-...``) and
   swapped in at the end (:mod:`xarray_ngff._staging`): the old store stays readable, and
   is removed only after the new one is complete, so writing back onto the source works and
   a crash leaves the complete old or the complete new store. It needs room for both.
4. The root group is created *without* OME metadata, then the level arrays are created and
   filled. Only after every array is complete is the OME metadata (``multiscales``,
   ``omero``) written to the root; on stores that cannot rename, an interrupted write thus
   leaves a plain Zarr group that no reader takes for an image.

Staged writes
-------------
Lower levels are never recomputed from level 0. When the writer can prove that level ``k+1``
of the tree is exactly ``to_multiscales(level k)`` and the method is window-centred, each
block of level ``k+1`` is one task reading level ``k`` back from the array just written
(:mod:`xarray_ngff._staged`); otherwise (edited trees, ``nearest``, pyramids read from a store)
all levels are one fused :func:`dask.array.store`. Both are one dask graph, so
``compute=False`` and distributed clients get the same plan. The measurements behind this and
behind the default codec are in ``docs/decisions.md`` ("The writer in parts").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from . import _ozx
from ._codecs import default_compressors
from ._compute import run
from ._image_writer import image_finalize, image_stored, prepare_image
from ._labels_writer import label_tasks, prepare_labels
from ._metadata.versions import DEFAULT_WRITE_VERSION
from ._plan import LAYOUTS, level_path
from ._sources import find_sources
from ._targets import abandon, check_sources, clear, open_target
from .errors import StoreExistsError, WriteError

__all__ = ["to_ngff_zarr", "default_compressors", "level_path", "LAYOUTS"]


def to_ngff_zarr(
    store: Any,
    multiscales: xr.DataTree | xr.DataArray,
    version: str = DEFAULT_WRITE_VERSION,
    chunks_per_shard: int | Sequence[int] | Mapping[str, int] | None = None,
    use_tensorstore: bool = False,
    overwrite: bool = True,
    compressors: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    compute: bool = True,
    progress: bool = False,
    omero: Mapping[str, Any] | bool | None = None,
    layout: str = "flat",
    labels: Mapping[str, Any] | bool | None = None,
    drop_transforms: bool = False,
) -> Any:
    """Write a multiscale pyramid as OME-Zarr, out of core.

    Parameters
    ----------
    store
        A local path, an fsspec URL (``s3://``, ``memory://``, ``file://``) or a zarr Store.
        A local path ending in ``.ozx`` or ``.zip`` (not a directory) is written as an RFC-9
        archive. Local targets are written beside the path and swapped in when complete.
    multiscales
        A pyramid (:func:`~xarray_ngff.to_multiscales`) or a single NGFF image, which gets
        the default pyramid.
    version
        ``"0.5"`` (Zarr v3, default), ``"0.6"`` (Zarr v3, coordinate systems) or ``"0.4"``
        (Zarr v2).
    chunks_per_shard
        Chunks per shard: an int for every dim, a tuple in NGFF dim order (t, c, z, y, x) or
        a dict per dim (missing dims: 1). The shard shape is chunk shape x count, capped at
        the chunks the array spans. Needs version 0.5.
    use_tensorstore
        Encode and write the chunks with tensorstore (local paths only); the metadata and
        layout are the same as without it.
    overwrite
        Replace an existing Zarr hierarchy (never a non-Zarr directory). ``False`` refuses any
        non-empty target. A local overwrite needs room for the old and the new store.
    compressors
        zarr codecs (``zarr.codecs.BloscCodec``, ``ZstdCodec``, ``GzipCodec`` or their
        numcodecs equivalents, translated for the version), ``[]`` for none. Default:
        :func:`default_compressors` (blosc zstd-1 bit-shuffle).
    storage_options
        fsspec options for URLs (credentials, endpoint).
    compute
        ``False``: create the arrays now and return a :class:`dask.delayed.Delayed` that
        writes the pixels and then the OME metadata.
    progress
        Show a progress bar (dask's, or ``distributed.progress`` under a Client).
    omero
        ``None``: write ``omero`` (labels, colours, windows from quantiles of a low-resolution
        level) for 0.5 always and for 0.4 when the image has channel names; a mapping: write
        it as given; ``False``: write none.
    layout
        ``"flat"`` (default): level ``k`` is the array ``k`` directly under the image group,
        as ome-zarr-py, bioformats2raw and iohub write it (every reader measured opens it);
        ``"scale-groups"``: ngff-zarr's ``scale{k}/{name}`` with 1-D coordinate arrays beside
        each level, so ``xr.open_dataset(store, engine="zarr", group="scale0")`` shows
        physical coordinates; ``"as-read"``: the level paths of the store the tree was read
        from (``s0``, ``scale0/image``; flat when unknown), for round trips. See
        docs/decisions.md for the reader-by-layout table.
    labels
        Label images written under ``labels/<name>``: a mapping ``{name: DataArray or
        DataTree}`` (a DataArray gets the image's pyramid ladder with ``method="mode"``; an
        ``attrs["image-label"]`` block gives colours, properties and source). ``None``
        (default): the ``labels`` node of ``multiscales`` if it has one (a tree read from a
        store round-trips); ``False``: none. See :func:`xarray_ngff.add_label`.
    drop_transforms
        Writing 0.4/0.5 an image that carries 0.6 coordinate systems or transforms beyond its
        intrinsic one (``attrs["ngff_transforms"]``) raises ``UnsupportedVersionError``;
        ``True`` writes the intrinsic geometry only and drops the rest.

    Returns
    -------
    None, or a Delayed when ``compute=False``.

    Raises
    ------
    NgffError
        Subclasses naming the store, path and field, before anything is written:
        ``UnsupportedVersionError``, ``InvalidChunksError`` (shards on 0.4, bad counts),
        ``InvalidGeometryError`` (irregular coordinates), ``InvalidDimsError``,
        ``StoreExistsError`` (target exists and may not or must not be replaced),
        ``WriteError`` (bad codecs, omero, store).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, xarray as xr
    >>> import xarray_ngff as xn
    >>> img = xn.to_ngff_image(np.arange(64 * 64, dtype="uint16").reshape(64, 64),
    ...                        scale={"y": 0.5, "x": 0.5}, axes_units={"y": "um", "x": "um"})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "img.ome.zarr"
    >>> xn.to_ngff_zarr(path, xn.to_multiscales(img, scale_factors=[2]), version="0.4")
    >>> import json; attrs = json.loads((path / ".zattrs").read_text())
    >>> [d["path"] for d in attrs["multiscales"][0]["datasets"]]
    ['0', '1']
    >>> lvl = xr.open_dataset(path, engine="ngff", level=1)
    >>> lvl["image"].shape, float(lvl.x[1] - lvl.x[0])
    ((32, 32), 1.0)
    """
    label = str(store)
    plan = prepare_image(
        multiscales,
        version,
        label,
        chunks_per_shard=chunks_per_shard,
        compressors=compressors,
        omero=omero,
        layout=layout,
        drop_transforms=drop_transforms,
    )
    label_plans = prepare_labels(labels, plan, label)
    if use_tensorstore:
        try:
            import tensorstore  # noqa: F401
        except ImportError as err:
            raise WriteError(
                "use_tensorstore=True needs the 'tensorstore' extra",
                store=label,
                field="use_tensorstore",
            ) from err

    target = open_target(store, storage_options)
    if target.archive and target.final is not None:
        _ozx.check_archive_version(target.final, version, label)
    if use_tensorstore and target.local is None:
        raise WriteError(
            "use_tensorstore=True writes to local paths only", store=label, field="use_tensorstore"
        )
    if target.state == "zarr":
        if not overwrite:
            raise StoreExistsError(
                "the target already holds a Zarr hierarchy; pass overwrite=True (mode='w') "
                "to replace it",
                store=label,
                field="store",
            )
    sources = [lvl.data for p_ in [plan, *label_plans.values()] for lvl in p_.prepared]
    check_sources(find_sources(plan.tree, *sources), target)

    # -- nothing has been written up to here --
    clear(target)
    try:  # a failed write leaves the old store as it was, and no staged sibling
        local = target.local if use_tensorstore else None
        stored = image_stored(target.store, plan, local=local)
        # every label is complete, then the labels listing, then the image metadata (last),
        # then a staged store is swapped into place
        after = label_tasks(target.store, plan, label_plans, stored, local=local)
        swap = None
        if target.final is not None:
            swap = (target.local, target.final, version if target.archive else None)
        task = image_finalize(after, target.store, plan, swap=swap)
        if not compute:
            return task
        run(task, progress)
        return None
    except BaseException:
        abandon(target)
        raise
