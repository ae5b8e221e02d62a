"""Write a multiscale pyramid (or a single image) as OME-Zarr 0.4 (Zarr v2), 0.5 or 0.6 (Zarr v3).

This module plans, creates and finalises an image; its parts live in private modules:
:mod:`xarray_ngff._codecs` (codecs), :mod:`xarray_ngff._targets` (write targets),
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

import dataclasses
import pathlib
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dask
import dask.array as da
import numpy as np
import xarray as xr
import zarr

from . import _ozx
from ._axes import stored_axis_names
from ._bridge import as_native
from ._chunkwrite import writable
from ._codecs import default_compressors, resolve_compressors
from ._compute import barrier, run
from ._image import image_channel_names
from ._metadata.emit import image_attrs
from ._metadata.model import Multiscale
from ._metadata.versions import VERSIONS, writable_version
from ._omero import check_omero, choose_level, compute_omero
from ._plan import LAYOUTS, Level, image_multiscale, level_path, note_where, prepare_levels
from ._pyramid import to_multiscales, tree_levels
from ._sources import find_sources
from ._staged import forget, from_written, staged_plan
from ._targets import abandon, check_sources, clear, open_target, put_in_place
from .errors import NgffError, StoreExistsError, WriteError

__all__ = ["to_ngff_zarr", "default_compressors", "level_path", "LAYOUTS"]


# -- writing ----------------------------------------------------------------------------------


def _create_arrays(
    store: Any,
    levels: list[Level],
    version: str,
    compressors: list[Any],
    dtype,
    prefix: str = "",
    axis_names: Mapping[str, str] | None = None,
) -> list[zarr.Array]:
    zarr_format = VERSIONS[version].zarr_format
    root = zarr.create_group(store, path=prefix or None, zarr_format=zarr_format, overwrite=True)
    names = dict(axis_names or {})
    arrays = []
    for lvl in levels:
        parent, leaf = posixpath.split(lvl.path)
        group = root.require_group(parent) if parent else root
        kwargs: dict[str, Any] = {}
        on_disk = [names.get(d, d) for d in lvl.dims]
        if zarr_format == 3:
            kwargs["dimension_names"] = on_disk
            fill: Any = 0
        else:
            kwargs["attributes"] = {"_ARRAY_DIMENSIONS": on_disk}
            # v2 readers (xarray) would mask pixels equal to a fill value as missing
            fill = None
        arrays.append(
            group.create_array(
                leaf,
                shape=lvl.data.shape,
                dtype=dtype,
                chunks=lvl.chunks,
                shards=lvl.shards,
                compressors=compressors,
                fill_value=fill,
                **kwargs,
            )
        )
        for dim, var in lvl.coords.items():
            attrs = {k: v for k, v in var.attrs.items() if isinstance(v, str | int | float)}
            ckw: dict[str, Any] = {}
            dim = names.get(dim, dim)
            if zarr_format == 3:
                ckw["dimension_names"] = [dim]
            else:
                attrs["_ARRAY_DIMENSIONS"] = [dim]
            coord = group.create_array(
                dim,
                shape=var.shape,
                dtype="float64",
                chunks=var.shape or (1,),
                compressors=None,
                fill_value=None if zarr_format == 2 else 0.0,
                attributes=attrs,
                **ckw,
            )
            coord[...] = np.asarray(var.values, dtype=np.float64)
    return arrays


def _finalize(
    _stored: Any,
    store: Any,
    version: str,
    multiscale: Multiscale,
    omero: dict[str, Any] | None,
    omero_auto: tuple[list[str], list[str]] | None,
    prefix: str = "",
    extra: Mapping[str, Any] | None = None,
    order: tuple[str, ...] | None = None,
    ms_extra: Mapping[str, Any] | None = None,
    swap: tuple[pathlib.Path, pathlib.Path, str | None] | None = None,
) -> None:
    """Write the OME metadata on the image group: the last write of the image (``extra``
    adds body keys such as ``image-label``, inside the version's envelope); then put a staged
    store in place (``swap``: staged sibling, final path, archive version or None)."""
    zarr_format = VERSIONS[version].zarr_format
    root = zarr.open_group(store, path=prefix or None, mode="r+", zarr_format=zarr_format)
    if omero_auto is not None:
        paths, labels = omero_auto
        shapes = [root[p].shape for p in paths]
        k = choose_level(shapes)
        omero = compute_omero(root[paths[k]][...], order or multiscale.axis_names, labels)
    attrs = image_attrs([multiscale], version, omero)
    if ms_extra:  # keys of the source's multiscales entry kept by layout="as-read"
        body = attrs["ome"] if "ome" in attrs else attrs
        body["multiscales"][0] = {**body["multiscales"][0], **ms_extra}
    if extra:
        (attrs["ome"] if "ome" in attrs else attrs).update(extra)
    root.attrs.update(attrs)
    if swap is not None:
        put_in_place(*swap)


@dataclass
class ImagePlan:
    """Everything needed to write one multiscale image, checked before the store is touched."""

    tree: xr.DataTree
    levels: list[xr.DataArray]
    prepared: list[Level]
    order: tuple[str, ...]
    dtype: np.dtype
    codecs: list[Any]
    multiscale: Multiscale
    version: str
    layout: str
    axis_names: dict[str, str]
    omero_given: dict[str, Any] | None = None
    omero_auto: tuple[list[str], list[str]] | None = None
    prefix: str = ""
    extra: dict[str, Any] | None = None
    ms_extra: dict[str, Any] | None = None
    chunks_per_shard: Any = None


def _as_tree(multiscales: Any, label: str) -> xr.DataTree:
    multiscales = as_native(multiscales)  # xarray_ngff.compat objects give their xarray
    if isinstance(multiscales, xr.DataArray):
        try:
            return to_multiscales(multiscales)
        except NgffError as err:
            note_where(err, label)
            raise
    if isinstance(multiscales, xr.DataTree):
        return multiscales
    raise WriteError(
        f"multiscales must be an xarray DataTree pyramid or an NGFF DataArray, got "
        f"{type(multiscales).__name__}",
        store=label,
        field="multiscales",
    )


def _source_paths(tree: xr.DataTree, n: int) -> list[str] | None:
    """The dataset paths of the store a tree was read from (its root attrs), when they name
    one array per level; ``None`` otherwise (then the flat layout is used)."""
    from ._metadata.parse import parse_multiscales

    try:
        paths = [ds.path for ds in parse_multiscales(tree.attrs)[1][0].datasets]
    except NgffError:
        return None
    names = [p.split("/") for p in paths]
    if len(paths) != n or len(set(paths)) != n or any("" in p or ".." in p for p in names):
        return None
    # a path may not be the parent group of another one
    if any(a != b and b.startswith(a + "/") for a in paths for b in paths):
        return None
    return paths


def _source_extra(tree: xr.DataTree) -> dict[str, Any] | None:
    """Unknown keys of the source's first multiscales entry (``@type`` of ngff-zarr)."""
    from ._metadata.parse import parse_multiscales

    try:
        return dict(parse_multiscales(tree.attrs)[1][0].extra) or None
    except NgffError:
        return None


def prepare_image(
    multiscales: xr.DataTree | xr.DataArray,
    version: str,
    label: str,
    *,
    chunks_per_shard: Any = None,
    compressors: Any = None,
    omero: Mapping[str, Any] | bool | None = None,
    layout: str = "flat",
    prefix: str = "",
    drop_transforms: bool = False,
) -> ImagePlan:
    """Check a write request and plan it (raises before anything is written)."""
    writable_version(version, store=label)
    tree = _as_tree(multiscales, label)
    try:
        levels = tree_levels(tree)
        names = stored_axis_names(levels[0])
    except NgffError as err:
        note_where(err, label, prefix or None)
        raise
    name = str(levels[0].name) if levels[0].name is not None else "image"
    paths = _source_paths(tree, len(levels)) if layout == "as-read" else None
    prepared, order = prepare_levels(levels, chunks_per_shard, version, name, label, layout, paths)
    dtypes = {lvl.data.dtype for lvl in prepared}
    if len(dtypes) != 1:
        raise WriteError(
            f"levels have different dtypes {sorted(map(str, dtypes))}", store=label, field="dtype"
        )
    codecs = resolve_compressors(compressors, version, label)
    multiscale = image_multiscale(
        tree, [lvl.transpose(*order) for lvl in levels], order, name, version, drop_transforms
    )
    multiscale = dataclasses.replace(
        multiscale,
        axes=tuple(dataclasses.replace(a, name=names.get(a.name, a.name)) for a in multiscale.axes),
        datasets=tuple(
            dataclasses.replace(ds, path=lvl.path)
            for ds, lvl in zip(multiscale.datasets, prepared, strict=True)
        ),
    )
    plan = ImagePlan(
        tree, levels, prepared, order, dtypes.pop(), codecs, multiscale, version, layout, names
    )
    plan.prefix = prefix
    plan.chunks_per_shard = chunks_per_shard
    if layout == "as-read":
        plan.ms_extra = _source_extra(tree)
    sizes = dict(zip(order, prepared[0].data.shape, strict=True))
    n_channels = sizes.get("c", 1)
    channel_names = image_channel_names(levels[0])
    if isinstance(omero, Mapping):
        plan.omero_given = check_omero(omero, n_channels, store=label)
    elif omero is None:
        if VERSIONS[version].envelope or channel_names is not None:
            labels = channel_names or (
                [name] if n_channels == 1 else [f"c{i}" for i in range(n_channels)]
            )
            plan.omero_auto = ([lvl.path for lvl in prepared], labels)
    elif omero is not False:
        raise WriteError(
            f"omero={omero!r} must be None, False or a mapping", store=label, field="omero"
        )
    return plan


def image_stored(store: Any, plan: ImagePlan, local: pathlib.Path | None = None) -> Any:
    """Create the arrays of ``plan`` now and return a Delayed that fills them (staged or
    fused, see the module docstring); ``local``: write the chunks with tensorstore."""
    prepared, dtype = plan.prepared, plan.dtype
    arrays = _create_arrays(
        store, prepared, plan.version, plan.codecs, dtype, plan.prefix, plan.axis_names
    )
    if local is not None:
        from ._tensorstore import TensorStoreTarget

        zarr_format = VERSIONS[plan.version].zarr_format
        targets: list[Any] = [
            TensorStoreTarget(
                local, posixpath.join(plan.prefix, lvl.path), zarr_format, lvl.data.shape, dtype
            )
            for lvl in prepared
        ]
    else:
        # whole chunks and shards encoded on dask's threads, one store call each
        targets = [writable(a) for a in arrays]
    steps = staged_plan(plan.tree, plan.levels, plan.multiscale.type)
    if steps is None:
        # one fused graph: each block computed once, feeding its write and the next level
        return barrier(da.store([lvl.data for lvl in prepared], targets, lock=False, compute=False))
    # staged: level 0 from its graph, then each level from the one just written; the
    # blocks of level k+1 depend on the completed store of level k
    stored = barrier(da.store(prepared[0].data, targets[0], lock=False, compute=False))
    token = None  # chunk borders shared by a level's tasks, dropped after the next level
    for k in range(1, len(prepared)):
        j, rel = steps[k - 1]  # level k from level j (< k), already stored
        data, token = from_written(
            stored, arrays[j], prepared[k], rel, plan.multiscale.type, dtype, token
        )
        stored = barrier(da.store(data, targets[k], lock=False, compute=False))
    return forget(stored, token)


def image_finalize(after: Any, store: Any, plan: ImagePlan, swap: Any = None) -> Any:
    """A Delayed writing the image's OME metadata once ``after`` has completed (then swapping
    a staged store into place, see :func:`_finalize`)."""
    return dask.delayed(_finalize, pure=False)(
        after,
        store,
        plan.version,
        plan.multiscale,
        plan.omero_given,
        plan.omero_auto,
        plan.prefix,
        plan.extra,
        plan.order,
        plan.ms_extra,
        swap,
    )


def to_ngff_zarr(
    store: Any,
    multiscales: xr.DataTree | xr.DataArray,
    version: str = "0.5",
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
    from ._labels_writer import label_tasks, prepare_labels

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
