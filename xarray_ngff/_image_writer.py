"""One image's write, the part the image and labels writers share: plan it (checked before the
store is touched), create its arrays and fill them, then write its OME metadata last.

:func:`prepare_image` checks a request and gives an :class:`ImagePlan`; :func:`image_stored`
creates the level arrays (with ``scale-groups``' coordinate arrays) and returns the Delayed
that fills them, staged or fused; :func:`image_finalize` is the Delayed that writes the
metadata once they are complete (and swaps a staged store into place).
:func:`~xarray_ngff._writer.to_ngff_zarr` and :mod:`xarray_ngff._labels_writer` call these in
that order; the layouts and the order of writes are described in :mod:`xarray_ngff._writer`.
"""

from __future__ import annotations

import dataclasses
import pathlib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dask
import dask.array as da
import numpy as np
import xarray as xr
import zarr

from ._axes import stored_axis_names
from ._bridge import as_native
from ._chunkwrite import writable
from ._codecs import resolve_compressors
from ._compute import barrier
from ._image import image_channel_names
from ._metadata.emit import image_attrs
from ._metadata.model import Multiscale
from ._metadata.versions import VERSIONS, writable_version
from ._omero import check_omero, choose_level, compute_omero, read_sample
from ._plan import Level, image_multiscale, note_where, prepare_levels
from ._pyramid import to_multiscales, tree_levels
from ._staged import forget, staged_plan, staged_store
from ._targets import put_in_place
from .errors import NgffError, WriteError

__all__ = ["ImagePlan", "image_finalize", "image_stored", "prepare_image"]


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
        dims = list(order or multiscale.axis_names)
        z_size = shapes[k][dims.index("z")] if "z" in dims else None
        # a bounded sample: a one-level image is not read back whole
        sample = read_sample(root[paths[k]], dims)
        omero = compute_omero(sample, ("c", "x"), labels, z_size=z_size)
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
        stored, token = staged_store(
            stored, arrays[j], targets[k], prepared[k], rel, plan.multiscale.type, dtype, token
        )
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
