"""The checked plan of one image's levels, before anything is written: dims in NGFF order,
regular grids, chunk and shard shapes (``chunks_per_shard``), store paths by layout, and the
``multiscales`` model the writer emits. Every problem raises here, naming store, path, field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from ._image import NGFF_DIMS, check_regular_grid, ngff_order, validate_dims
from ._metadata.emit_v06 import check_expressible
from ._metadata.model import Multiscale
from ._metadata.versions import DEFAULT_WRITE_VERSION, VERSIONS
from ._pyramid import level_name, multiscale_from_levels, multiscale_from_tree
from ._transforms import with_systems
from .errors import (
    InvalidChunksError,
    InvalidDimsError,
    InvalidGeometryError,
    NgffError,
    WriteError,
)

__all__ = [
    "LAYOUTS",
    "WRITE_BYTES",
    "Level",
    "image_multiscale",
    "level_path",
    "note_where",
    "prepare_levels",
    "write_block",
]

#: on-disk layouts: level arrays ``0 … N`` under the image group, or ngff-zarr's
#: ``scale{k}/{name}`` groups with coordinate arrays (see docs/decisions.md)
LAYOUTS = ("flat", "scale-groups", "as-read")


def note_where(err: NgffError, store: str, path: str | None = None) -> None:
    """Tell ``err`` where it happened, for a bare ``raise`` after: the store (and path) fill
    what it left unset and a note names them. Rebuilding it instead would fail for classes
    with other constructors (``ValidationError``) and lose the traceback."""
    if err.store is None:
        err.store = store
    if err.path is None and path is not None:
        err.path = path
    where = f"store={store!r}" + (f", path={path!r}" if path is not None else "")
    err.add_note(f"while writing ({where})")


def _normalize_cps(
    chunks_per_shard: Any, dims: Sequence[str], version: str, label: str
) -> dict[str, int] | None:
    if chunks_per_shard is None:
        return None
    if VERSIONS[version].zarr_format != 3:
        raise InvalidChunksError(
            f"chunks_per_shard needs OME-NGFF 0.5 or later (Zarr v3 sharding); version={version!r} "
            "is Zarr v2, which has no shards",
            store=label,
            field="chunks_per_shard",
        )
    if isinstance(chunks_per_shard, bool):
        raise InvalidChunksError(
            "chunks_per_shard=True is not a count", store=label, field="chunks_per_shard"
        )
    if isinstance(chunks_per_shard, int | np.integer):
        out = dict.fromkeys(dims, int(chunks_per_shard))
    elif isinstance(chunks_per_shard, Mapping):
        unknown = [k for k in chunks_per_shard if k not in dims]
        if unknown:
            raise InvalidChunksError(
                f"chunks_per_shard={dict(chunks_per_shard)!r} names {unknown}, which are not "
                f"dims of the image {tuple(dims)}",
                store=label,
                field="chunks_per_shard",
            )
        out = {d: chunks_per_shard.get(d, 1) for d in dims}
    elif isinstance(chunks_per_shard, Sequence) and not isinstance(chunks_per_shard, str):
        if len(chunks_per_shard) != len(dims):
            raise InvalidChunksError(
                f"chunks_per_shard={tuple(chunks_per_shard)!r} has {len(chunks_per_shard)} "
                f"counts for the {len(dims)} dims {tuple(dims)} (NGFF order)",
                store=label,
                field="chunks_per_shard",
            )
        out = dict(zip(dims, chunks_per_shard, strict=True))
    else:
        raise InvalidChunksError(
            f"chunks_per_shard={chunks_per_shard!r} must be an int, a tuple or a dict",
            store=label,
            field="chunks_per_shard",
        )
    for d, n in out.items():
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise InvalidChunksError(
                f"chunks_per_shard[{d!r}]={n!r} must be a positive integer",
                store=label,
                field="chunks_per_shard",
            )
    return {d: int(n) for d, n in out.items()}


#: the least bytes of a level-0 write block: small source chunks are merged up to it, since
#: dask's cost per task (about 0.2 ms) is large against encoding 256 KiB
WRITE_BYTES = 8 * 2**20


def write_block(
    block: Sequence[int], shape: Sequence[int], itemsize: int, budget: int = WRITE_BYTES
) -> tuple[int, ...]:
    """``block`` (a chunk or shard) doubled along dims, last first, while it stays within
    ``budget`` bytes and the array: a dask block of whole chunks or shards.

    Examples
    --------
    >>> write_block((512, 512), (16384, 16384), 1)
    (2048, 4096)
    >>> write_block((256, 256, 256), (256, 1024, 1024), 2)  # already over the budget
    (256, 256, 256)
    """
    out = list(block)
    grown = True
    while grown:
        grown = False
        for d in reversed(range(len(out))):
            if out[d] < shape[d] and 2 * math.prod(out) * itemsize <= budget:
                out[d] *= 2
                grown = True
    return tuple(out)


def _regular_chunks(data: da.Array) -> tuple[int, ...]:
    """The zarr chunk shape for a dask array: its leading chunk size when the chunks are
    regular (all equal but a smaller last one), otherwise the largest chunk."""
    out = []
    for sizes in data.chunks:
        first = sizes[0] if sizes else 1
        regular = all(s == first for s in sizes[:-1]) and (not sizes or sizes[-1] <= first)
        out.append(max(1, first if regular else max(sizes)))
    return tuple(out)


@dataclass
class Level:
    path: str
    data: da.Array
    dims: tuple[str, ...]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    coords: dict[str, xr.Variable]


def level_path(k: int, name: str, layout: str) -> str:
    """The store path of level ``k`` relative to the image group.

    Examples
    --------
    >>> level_path(1, "cells", "flat"), level_path(1, "cells", "scale-groups")
    ('1', 'scale1/cells')
    """
    return str(k) if layout == "flat" else f"{level_name(k)}/{name}"


def prepare_levels(
    levels: list[xr.DataArray],
    cps: Any,
    version: str,
    name: str,
    label: str,
    layout: str = "flat",
    paths: Sequence[str] | None = None,
) -> tuple[list[Level], tuple[str, ...]]:
    try:
        dims0 = validate_dims([str(d) for d in levels[0].dims], levels[0].ndim)
    except NgffError as err:
        note_where(err, label, level_name(0))
        raise
    order = ngff_order(dims0)
    cps_dims = _normalize_cps(cps, order, version, label)
    if layout not in LAYOUTS:
        raise WriteError(
            f"layout={layout!r} is unknown; choose one of {LAYOUTS}", store=label, field="layout"
        )
    if layout == "scale-groups" and (
        name in NGFF_DIMS or not name or "/" in name or name.startswith("__")
    ):
        raise InvalidDimsError(
            f"image name {name!r} cannot be a Zarr array name next to the coordinate arrays "
            f"{NGFF_DIMS} (no '/', not empty, not a dim name)",
            store=label,
            field="name",
        )
    out = []
    for k, level in enumerate(levels):
        path = level_name(k)
        try:
            dims = validate_dims([str(d) for d in level.dims], level.ndim)
            check_regular_grid(level, where=path)
        except NgffError as err:
            note_where(err, label, path)
            raise
        if set(dims) != set(dims0):
            raise InvalidDimsError(
                f"level {k} has dims {dims}, level 0 has {dims0}", store=label, path=path
            )
        for d in dims:
            # without a coordinate the scale would silently default to 1
            if d != "c" and d not in level.coords and level.sizes[d] != levels[0].sizes[d]:
                raise InvalidGeometryError(
                    f"level {k} has no coordinate for {d!r} (size {level.sizes[d]} vs "
                    f"{levels[0].sizes[d]} at level 0), so its scale is unknown",
                    store=label,
                    path=path,
                    field=d,
                )
        level = level.transpose(*order)  # lazy: dask transposes blockwise
        data = level.data if isinstance(level.data, da.Array) else da.asarray(level.data)
        if data.dtype.kind not in "biuf":
            raise WriteError(
                f"dtype {data.dtype} of level {k} cannot be written as an NGFF image",
                store=label,
                path=path,
                field="dtype",
            )
        chunks = _regular_chunks(data)
        shards = None
        if cps_dims is not None:
            # shard = chunk x count, but never more whole chunks than the array spans
            shards = tuple(
                min(c * cps_dims[d], math.ceil(n / c) * c)
                for d, c, n in zip(order, chunks, data.shape, strict=True)
            )
        # each dask block must cover whole chunks (whole shards when sharded) so that no two
        # tasks write into the same chunk or shard
        block = shards or chunks
        if k == 0 and math.prod(block) * data.dtype.itemsize < WRITE_BYTES:
            # level 0 is written from its source: fewer, larger store tasks (levels below
            # are read back in tasks of their own size, see _staged)
            block = write_block(block, data.shape, data.dtype.itemsize)
        target_chunks = da.core.normalize_chunks(block, data.shape)
        if data.chunks != target_chunks:
            data = data.rechunk(block)
        # the flat layout keeps only level arrays under the image group (what iohub needs)
        coords = {
            d: level.coords[d].variable
            for d in order
            if layout == "scale-groups"
            and d != "c"
            and d in level.coords
            and level.coords[d].ndim == 1
        }
        where = paths[k] if paths else level_path(k, name, layout)
        out.append(Level(where, data, order, chunks, shards, coords))
    return out, order


def image_multiscale(
    tree: xr.DataTree | None,
    levels: list[xr.DataArray],
    order,
    name: str,
    version: str = DEFAULT_WRITE_VERSION,
    drop_transforms: bool = False,
) -> Multiscale:
    method = meta = None
    if tree is not None:
        parsed = multiscale_from_tree(tree)
        method, meta = parsed.type, parsed.metadata
    ms = multiscale_from_levels(levels, name, method, metadata=meta, order=order)
    # 0.6 systems and transforms the image carries; refused below 0.6 unless dropped
    return check_expressible(with_systems(ms, levels[0]), version, drop_transforms)
