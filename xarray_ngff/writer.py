"""Write a multiscale pyramid (or a single image) as OME-Zarr 0.4 (Zarr v2) or 0.5 (Zarr v3).

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

Staged writes: each level from the level just written (measured)
------------------------------------------------------------------
Lower levels are never recomputed from level 0. Two ways were measured:

* **fused**: all levels in one :func:`dask.array.store`; each level-0 block is computed once
  and feeds both its write and the next level's Gaussian (the pyramid's own overlap graph);
* **staged**: level 0 is written from its graph, then every block of level ``k+1`` is one task
  that reads its window plus the Gaussian halo straight from the level-``k`` array just
  written and reduces it with the pyramid's own :func:`~xarray_ngff.methods.reduce_block`
  (a whole shard is computed chunk by chunk). No overlap graph, so nothing waits in memory
  for its neighbours.

4-level Gaussian pyramid (factors 2, 4, 8; chunks 128) of the benchmark's synthetic uint16
volume, OME-Zarr 0.5, blosc-zstd-1, this 2-core machine (``benchmarks/write.py``)::

                       256x1024x1024          512x2048x2048 (8x)
    fused              11.2 s   955 MiB       67.8 s  2941 MiB
    staged              8.5 s   713 MiB       86.5 s   757 MiB
    staged (2nd run)   11.3 s   700 MiB       83.9 s   757 MiB
    staged (3rd run)    6.5 s   695 MiB       54.8 s   804 MiB
    (pyramid alone, computed without writing: 1000 MiB at 1x, 2673 MiB at 8x)

Other jobs shared the 2 cores during the first two runs, so wall times vary between runs
(the zarr-python level-0 floor took 11.6 s, 7.7 s and 4.7 s); the peaks are stable.

A level-``k+1`` task's halo (3 pixels for factor 2) touches the neighbouring chunks of level
``k``, which zarr decodes whole: about 3.4x the decoding of level ``k`` in 3D. An LRU cache of
decoded chunks shared by the tasks was tried: 128 MiB saved 3 % of the time for 135 MiB more
peak, 384 MiB saved 15 % for 440 MiB more, so it was left out.

The fused graph's peak grows with the image (the overlap graph keeps a wavefront of
neighbour blocks whose area grows with the cross-section); the staged one does not, and is
faster at the standard size. So the writer stages whenever it can prove that level ``k+1``
of the tree is exactly ``to_multiscales(level k)`` (rebuilding it gives the same dask name,
so the pixels are bit-identical; tests compare them) and the method is window-centred. Both
are one dask graph (in the staged one, the blocks of level ``k+1`` depend on the finished
store of level ``k``), so ``compute=False`` and distributed clients get the same plan.
Otherwise (edited trees, ``nearest``, pyramids read from a store) it falls back to the fused
graph, which writes exactly the given levels.

Default codec (measured)
------------------------
``blosc`` with ``zstd`` level 1 and bit-shuffle, for both versions (``numcodecs.Blosc`` for
Zarr v2, :class:`zarr.codecs.BloscCodec` for v3). On one core, for 128^3 uint16 blocks of the
benchmark's synthetic volume: zstd-3 (zarr-python's default) 106 MB/s at ratio 1.58;
blosc-zstd-1 bit-shuffle 503 MB/s at 1.91; blosc-lz4 byte-shuffle 1.6 GB/s at 1.71;
blosc-lz4 bit-shuffle 1.1 GB/s at 1.76. Blosc-zstd-1 gives the smallest output at a speed
that keeps compression well below the cost of building the pyramid.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
import os
import pathlib
import posixpath
import shutil
import sys
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import dask
import dask.array as da
import numcodecs
import numpy as np
import xarray as xr
import zarr
import zarr.codecs
import zarr.storage

from . import _ozx, _staging
from ._axes import stored_axis_names
from ._bridge import as_native
from ._chunkread import readable
from ._chunkwrite import writable
from ._sources import Location, find_sources, local_location, location_of_store, relation
from ._staged import staged_blocks, staged_piece
from .errors import (
    InvalidChunksError,
    InvalidDimsError,
    InvalidGeometryError,
    NgffError,
    StoreExistsError,
    UnsupportedVersionError,
    WriteError,
)
from .image import (
    NGFF_DIMS,
    SPATIAL_DIMS,
    check_regular_grid,
    image_channel_names,
    ngff_order,
    validate_dims,
)
from .metadata.emit import image_attrs
from .metadata.emit_v06 import check_expressible
from .metadata.model import SUPPORTED_WRITE, Multiscale
from .metadata.versions import VERSIONS
from .methods import WINDOW_CENTRED, gaussian_radius, reduce_block
from .omero import check_omero, choose_level, compute_omero
from .pyramid import (
    REDUCED_FROM,
    level_name,
    multiscale_from_levels,
    multiscale_from_tree,
    reduced_from,
    reduced_from_level,
    to_multiscales,
    tree_levels,
)
from .transforms import with_systems

__all__ = ["to_ngff_zarr", "default_compressors", "level_path", "LAYOUTS"]

#: on-disk layouts: level arrays ``0 … N`` under the image group, or ngff-zarr's
#: ``scale{k}/{name}`` groups with coordinate arrays (see docs/decisions.md)
LAYOUTS = ("flat", "scale-groups", "as-read")

_ZARR_MARKERS = ("zarr.json", ".zgroup", ".zarray", ".zattrs", ".zmetadata")


def default_compressors(version: str = "0.5") -> list[Any]:
    """The default codec: blosc zstd level 1 with bit-shuffle (see the module docstring).

    Examples
    --------
    >>> default_compressors("0.5")[0].cname.value, default_compressors("0.4")[0].cname
    ('zstd', 'zstd')
    """
    if version == "0.4":
        return [numcodecs.Blosc(cname="zstd", clevel=1, shuffle=numcodecs.Blosc.BITSHUFFLE)]
    return [zarr.codecs.BloscCodec(cname="zstd", clevel=1, shuffle="bitshuffle")]


# -- codecs -----------------------------------------------------------------------------------

_SHUFFLE_V2 = {
    "noshuffle": numcodecs.Blosc.NOSHUFFLE,
    "shuffle": numcodecs.Blosc.SHUFFLE,
    "bitshuffle": numcodecs.Blosc.BITSHUFFLE,
}
_SHUFFLE_V3 = {v: k for k, v in _SHUFFLE_V2.items()}


def _codec_for(codec: Any, zarr_format: int) -> Any:
    """Translate the common compressors between the v2 (numcodecs) and v3 (zarr.codecs)
    spellings, so one ``compressors=`` argument works for both versions."""
    if zarr_format == 2:
        if isinstance(codec, zarr.codecs.BloscCodec):
            shuffle = codec.shuffle.value if codec.shuffle is not None else "noshuffle"
            return numcodecs.Blosc(
                cname=codec.cname.value,
                clevel=codec.clevel,
                shuffle=_SHUFFLE_V2[shuffle],
                blocksize=codec.blocksize,
            )
        if isinstance(codec, zarr.codecs.ZstdCodec):
            return numcodecs.Zstd(level=codec.level, checksum=codec.checksum)
        if isinstance(codec, zarr.codecs.GzipCodec):
            return numcodecs.GZip(level=codec.level)
        return codec
    if isinstance(codec, numcodecs.Blosc):
        return zarr.codecs.BloscCodec(
            cname=codec.cname, clevel=codec.clevel, shuffle=_SHUFFLE_V3.get(codec.shuffle)
        )
    if isinstance(codec, numcodecs.Zstd):
        return zarr.codecs.ZstdCodec(level=codec.level, checksum=bool(codec.checksum))
    if isinstance(codec, numcodecs.GZip):
        return zarr.codecs.GzipCodec(level=codec.level)
    return codec


def _compressors(compressors: Any, version: str, store_label: str) -> list[Any]:
    zarr_format = 2 if version == "0.4" else 3
    if compressors is None:
        return default_compressors(version)
    if isinstance(compressors, str | bytes | Mapping) or not isinstance(compressors, Sequence):
        compressors = [compressors]
    out = [_codec_for(c, zarr_format) for c in compressors]
    # create the metadata of a tiny array in memory: zarr rejects bad codecs before the
    # target store is touched
    try:
        zarr.create_array(
            zarr.storage.MemoryStore(),
            shape=(2,),
            chunks=(2,),
            dtype="uint16",
            compressors=out,
            zarr_format=zarr_format,
        )
    except Exception as err:
        raise WriteError(
            f"compressors={compressors!r} cannot be used for Zarr v{zarr_format} "
            f"(OME-NGFF {version}): {err}",
            store=store_label,
            field="compressors",
        ) from err
    return out


# -- the target store -------------------------------------------------------------------------


@dataclass
class _Target:
    """Where to write: a zarr Store plus what the safety checks need."""

    store: Any
    label: str
    local: pathlib.Path | None = None  # where the arrays are written (the staged sibling)
    state: str = "absent"  # absent | empty | zarr
    final: pathlib.Path | None = None  # a local target's own path, swapped in at the end
    location: Location | None = None
    archive: bool = False  # a .zip/.ozx file: written as a directory, packed at the end


def _archive_state(path: pathlib.Path, label: str) -> str:
    if not path.exists():
        return "absent"
    if path.is_file() and zipfile.is_zipfile(path):
        return "zarr"
    raise StoreExistsError(
        "the target exists and is not a zip archive; refusing to replace it",
        store=label,
        field="store",
    )


def _local_target(path: pathlib.Path, label: str) -> _Target:
    _staging.clean_leftovers(path, label)  # puts back a store an interrupted swap left aside
    archive = _ozx.is_archive(path) and not path.is_dir()
    state = _archive_state(path, label) if archive else _local_state(path, label)
    location = local_location(path)
    return _Target(
        None, label, local=path, state=state, final=path, location=location, archive=archive
    )


def put_in_place(
    staged: pathlib.Path, final: pathlib.Path, archive_version: str | None = None
) -> None:
    """Swap a complete staged store in at ``final``; packed into an archive first when
    ``archive_version`` is given (the target is a ``.zip``/``.ozx`` file)."""
    if archive_version is not None:
        packed = _staging.staging_path(final)
        _ozx.pack(staged, packed, archive_version)
        staged = packed
    _staging.swap_in(staged, final)


def _sync(coro):
    from zarr.core.sync import sync

    return sync(coro)


async def _alist(agen) -> list[str]:
    return [k async for k in agen]


def _local_state(path: pathlib.Path, label: str) -> str:
    if not path.exists():
        return "absent"
    if not path.is_dir():
        raise StoreExistsError(
            "the target exists and is a file, not a Zarr hierarchy; refusing to replace it",
            store=label,
            field="store",
        )
    names = {p.name for p in path.iterdir()}
    if not names:
        return "empty"
    if names & set(_ZARR_MARKERS):
        return "zarr"
    raise StoreExistsError(
        f"the target is a non-empty directory that is not a Zarr hierarchy (it holds "
        f"{sorted(names)[:5]}); refusing to delete it",
        store=label,
        field="store",
    )


def _store_state(store: Any, label: str) -> str:
    keys = _sync(_alist(store.list_dir("")))
    if not keys:
        return "empty"
    if set(k.rstrip("/") for k in keys) & set(_ZARR_MARKERS):
        return "zarr"
    raise StoreExistsError(
        f"the target holds keys {sorted(keys)[:5]} but no Zarr metadata at its root; "
        "refusing to delete them",
        store=label,
        field="store",
    )


def open_target(store: Any, storage_options: Mapping[str, Any] | None) -> _Target:
    """Resolve ``store`` without writing anything, and classify what is already there."""
    if isinstance(store, os.PathLike):
        store = os.fspath(store)
    if isinstance(store, str):
        if store.startswith("file://"):
            store = store[len("file://") :]
        if "://" not in store:
            if storage_options:
                raise WriteError(
                    "storage_options are only for fsspec URLs, not local paths",
                    store=store,
                    field="storage_options",
                )
            return _local_target(pathlib.Path(store).expanduser().absolute(), store)
        try:
            zstore = zarr.storage.FsspecStore.from_url(
                store, storage_options=dict(storage_options or {}), read_only=False
            )
        except Exception as err:
            raise WriteError(
                f"cannot open {store!r} for writing: {err}", store=store, field="store"
            ) from err
        return _Target(
            zstore, store, state=_store_state(zstore, store), location=location_of_store(zstore)
        )
    if isinstance(store, zarr.abc.store.Store):
        if storage_options:
            raise WriteError(
                "storage_options are only for fsspec URLs, not Store objects",
                store=store,
                field="storage_options",
            )
        if store.read_only:
            raise WriteError("the store is read-only", store=store, field="store")
        if isinstance(store, zarr.storage.LocalStore):  # a directory: staged like a path
            return _local_target(pathlib.Path(store.root).absolute(), str(store))
        return _Target(
            store,
            str(store),
            state=_store_state(store, str(store)),
            location=location_of_store(store),
        )
    raise WriteError(
        f"store must be a path, an fsspec URL or a zarr Store, got {type(store).__name__}",
        store=store,
        field="store",
    )


def _clear(target: _Target) -> None:
    """Make the target writable (only called after the safety checks passed).

    A local target is never emptied: the new store goes to a fresh sibling that
    :func:`_staging.swap_in` puts in place once it is complete (the old one is removed last).
    Other stores cannot rename, so they are emptied as before (metadata comes last).
    """
    if target.final is not None:
        staged = _staging.staging_path(target.final)
        staged.mkdir(parents=True)
        target.local = staged
        target.store = zarr.storage.LocalStore(staged)
    elif target.state == "zarr":
        _sync(target.store.delete_dir(""))


def _abandon(target: _Target) -> None:
    """Remove the staged sibling of a write that failed; the old store was never touched."""
    if target.final is not None and target.local not in (None, target.final):
        with contextlib.suppress(OSError):
            shutil.rmtree(target.local)


def check_sources(sources: Sequence[Location], target: _Target) -> None:
    """Refuse writes that would change or destroy what the image is read from.

    A local target that contains a source is fine: it is staged, and the old store is read
    until the new one is complete. A target equal to or inside a source array would change
    the source store itself; a store that cannot be renamed (``s3://``, ``memory://``, zarr
    Store objects) would be emptied before its pixels are read.
    """
    if target.location is None:
        return
    found = relation(target.location, sources)
    if found is None:
        return
    kind, source = found
    if kind != "contains":
        raise WriteError(
            f"the image is read from the array {source}, and the target is "
            f"{'that array' if kind == 'equal' else 'inside it'}: writing there would change "
            "the source store; write to a path outside it",
            store=target.label,
            field="store",
        )
    if target.final is None:
        raise WriteError(
            f"the image is read lazily from {source}, inside the store it would overwrite, "
            "and this kind of store cannot be replaced atomically: overwriting would destroy "
            "the source. Write to a new location, then move or delete the old one",
            store=target.label,
            field="store",
        )


# -- validation of the request ----------------------------------------------------------------


def _note_where(err: NgffError, store: str, path: str | None = None) -> None:
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
class _Level:
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


def _prepare_levels(
    levels: list[xr.DataArray],
    cps: Any,
    version: str,
    name: str,
    label: str,
    layout: str = "flat",
    paths: Sequence[str] | None = None,
) -> tuple[list[_Level], tuple[str, ...]]:
    try:
        dims0 = validate_dims([str(d) for d in levels[0].dims], levels[0].ndim)
    except NgffError as err:
        _note_where(err, label, level_name(0))
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
            _note_where(err, label, path)
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
        out.append(_Level(where, data, order, chunks, shards, coords))
    return out, order


def _metadata(
    tree: xr.DataTree | None,
    levels: list[xr.DataArray],
    order,
    name: str,
    version: str = "0.5",
    drop_transforms: bool = False,
) -> Multiscale:
    method = meta = None
    if tree is not None:
        parsed = multiscale_from_tree(tree)
        method, meta = parsed.type, parsed.metadata
    ms = multiscale_from_levels(levels, name, method, metadata=meta, order=order)
    # 0.6 systems and transforms the image carries; refused below 0.6 unless dropped
    return check_expressible(with_systems(ms, levels[0]), version, drop_transforms)


# -- staged pyramids: level k+1 computed from level k as written ------------------------------


def _staged_plan(
    tree: xr.DataTree, levels: list[xr.DataArray], method: str | None
) -> list[tuple[int, dict[str, int]]] | None:
    """Per level ``k >= 1``: the earlier level ``j`` it is exactly the pyramid reduction of and
    the relative factors (provenance recorded by ``to_multiscales`` and checked against the
    dask names), when every level has one, else ``None``."""
    if method not in WINDOW_CENTRED or len(levels) < 2:
        return None
    plan = []
    for k in range(1, len(levels)):
        cur = levels[k]
        j = reduced_from_level(cur, k)
        prev = levels[j]
        rel = reduced_from(prev, cur)
        if rel is None or cur.encoding[REDUCED_FROM].get("method") != method:
            return None
        plan.append((j, {d: rel.get(d, 1) for d in prev.dims if d in SPATIAL_DIMS}))
    return plan


def _reduce_one(source, crop, factors, depths, method, dtype, loc) -> np.ndarray:
    slices, pads = [], []
    for (a, b), f, d, n in zip(loc, factors, depths, crop, strict=True):
        lo, hi = a * f - d, b * f + d
        slices.append(slice(max(lo, 0), min(hi, n)))
        pads.append((max(lo, 0) - lo, hi - min(hi, n)))
    block = np.asarray(source[tuple(slices)])
    if any(p != (0, 0) for p in pads):
        block = np.pad(block, pads, mode="edge")
    return np.asarray(reduce_block(block, factors, method, depths)).astype(dtype, copy=False)


def _reduce_region(
    _after: Any,
    source: Any,
    crop: tuple[int, ...],
    factors: tuple[int, ...],
    depths: tuple[int, ...],
    method: str,
    dtype: np.dtype,
    sub: tuple[int, ...],
    block_info: dict | None = None,
) -> np.ndarray:
    """One output block of level k+1, read (with its halo) straight from level k's array.

    Same arithmetic as the pyramid's blockwise reducer: the source is cropped to whole windows,
    its edges replicated ("nearest") for the halo, then :func:`reduce_block` is applied. A
    block (a whole shard) is computed in pieces of ``sub`` (one chunk), so a task holds one
    chunk's input at a time.
    """
    loc = block_info[None]["array-location"]
    out = np.empty(tuple(b - a for a, b in loc), dtype)
    ranges = [range(a, b, s) for (a, b), s in zip(loc, sub, strict=True)]
    for starts in itertools.product(*ranges):
        piece = tuple((st, min(st + s, b)) for st, s, (_, b) in zip(starts, sub, loc, strict=True))
        where = tuple(slice(a - o, b - o) for (a, b), (o, _) in zip(piece, loc, strict=True))
        out[where] = _reduce_one(source, crop, factors, depths, method, dtype, piece)
    return out


def _from_written(
    after: Any, source: Any, lvl: _Level, rel: Mapping[str, int], method: str, dtype: np.dtype
) -> da.Array:
    """Level ``lvl`` as a dask array whose every block reads its input from ``source`` (the
    previous level, already written): no overlap graph, so memory does not grow with size."""
    factors = tuple(rel.get(d, 1) for d in lvl.dims)
    depths = tuple(gaussian_radius(f) if method == "gaussian" else 0 for f in factors)
    crop = tuple(n // f * f for n, f in zip(source.shape, factors, strict=True))
    # several chunks per task where their window is small: neighbours' halos decoded once
    blocks = staged_blocks(lvl.data.chunks, factors, depths, dtype.itemsize)
    sub = staged_piece([c[0] for c in blocks], lvl.chunks, factors, depths, dtype.itemsize)
    return da.map_blocks(
        _reduce_region,
        after,  # a Delayed: the store of the previous level, which must finish first
        readable(source),  # zarr-python's per-call cost dominates small halo reads
        crop,
        factors,
        depths,
        method,
        dtype,
        sub,
        chunks=blocks,
        dtype=dtype,
        meta=np.empty((0,) * len(lvl.dims), dtype),
    )


# -- writing ----------------------------------------------------------------------------------


def _create_arrays(
    store: Any,
    levels: list[_Level],
    version: str,
    compressors: list[Any],
    dtype,
    prefix: str = "",
    axis_names: Mapping[str, str] | None = None,
) -> list[zarr.Array]:
    zarr_format = 2 if version == "0.4" else 3
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
    zarr_format = 2 if version == "0.4" else 3
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


def _done(*_: Any) -> None:
    return None


def _barrier(stored: Any) -> Any:
    """A Delayed that completes once every store task has run.

    ``da.store(..., compute=False)`` returns a Delayed in older dask and lazy arrays of
    ``None`` blocks in newer dask; depending on the blocks (never concatenating them) works
    for both. The graphs are not optimised one by one, so that levels keep sharing the keys
    of the blocks they have in common (each block is still computed once).
    """
    parts = stored if isinstance(stored, list | tuple) else [stored]
    deps: list[Any] = []
    for part in parts:
        if isinstance(part, da.Array):
            deps.extend(part.to_delayed(optimize_graph=False).ravel().tolist())
        else:
            deps.append(part)
    return dask.delayed(_done, pure=False)(*deps)


def _distributed_client() -> Any:
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - distributed is optional
        return None
    try:
        return default_client()
    except ValueError:
        return None


_FORKED = False  # set in a forked child, by the hook below
_CHILD_POOL: ThreadPoolExecutor | None = None


def _after_fork_in_child() -> None:
    global _FORKED, _CHILD_POOL
    _FORKED, _CHILD_POOL = True, None  # a grandchild needs a pool of its own too


if hasattr(os, "register_at_fork"):  # POSIX; elsewhere processes are spawned, never forked
    os.register_at_fork(after_in_child=_after_fork_in_child)


def fork_safe_dask() -> contextlib.AbstractContextManager:
    """In a forked child (``ProcessPoolExecutor`` on Linux), dask's default thread pool is
    inherited without its threads and every compute would wait forever: give the child a
    pool of its own."""
    global _CHILD_POOL
    if not _FORKED:
        return contextlib.nullcontext()
    import dask

    if _CHILD_POOL is None:
        _CHILD_POOL = ThreadPoolExecutor(os.cpu_count() or 1)
    return dask.config.set(pool=_CHILD_POOL)


def _run(task: Any, progress: bool) -> None:
    with fork_safe_dask():
        _run_here(task, progress)


def _run_here(task: Any, progress: bool) -> None:
    if not progress:
        task.compute()
        return
    client = _distributed_client()
    if client is not None:
        from distributed import progress as dprogress

        future = client.compute(task)
        dprogress(future)
        future.result()
        return
    from dask.diagnostics import ProgressBar

    with ProgressBar(out=sys.stderr):  # stdout stays for the caller's own output
        task.compute()


# -- one image: its plan (all checks, nothing written) and its write -------------------------


@dataclass
class ImagePlan:
    """Everything needed to write one multiscale image, checked before the store is touched."""

    tree: xr.DataTree
    levels: list[xr.DataArray]
    prepared: list[_Level]
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
            _note_where(err, label)
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
    from .metadata.parse import parse_multiscales

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
    from .metadata.parse import parse_multiscales

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
    if not isinstance(version, str) or version not in SUPPORTED_WRITE:
        raise UnsupportedVersionError(
            f"cannot write OME-NGFF version {version!r}; choose one of {SUPPORTED_WRITE}",
            store=label,
            field="version",
        )
    tree = _as_tree(multiscales, label)
    try:
        levels = tree_levels(tree)
        names = stored_axis_names(levels[0])
    except NgffError as err:
        _note_where(err, label, prefix or None)
        raise
    name = str(levels[0].name) if levels[0].name is not None else "image"
    paths = _source_paths(tree, len(levels)) if layout == "as-read" else None
    prepared, order = _prepare_levels(levels, chunks_per_shard, version, name, label, layout, paths)
    dtypes = {lvl.data.dtype for lvl in prepared}
    if len(dtypes) != 1:
        raise WriteError(
            f"levels have different dtypes {sorted(map(str, dtypes))}", store=label, field="dtype"
        )
    codecs = _compressors(compressors, version, label)
    multiscale = _metadata(
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

        zarr_format = 2 if plan.version == "0.4" else 3
        targets: list[Any] = [
            TensorStoreTarget(
                local, posixpath.join(plan.prefix, lvl.path), zarr_format, lvl.data.shape, dtype
            )
            for lvl in prepared
        ]
    else:
        # whole chunks and shards encoded on dask's threads, one store call each
        targets = [writable(a) for a in arrays]
    steps = _staged_plan(plan.tree, plan.levels, plan.multiscale.type)
    if steps is None:
        # one fused graph: each block computed once, feeding its write and the next level
        return _barrier(
            da.store([lvl.data for lvl in prepared], targets, lock=False, compute=False)
        )
    # staged: level 0 from its graph, then each level from the one just written; the
    # blocks of level k+1 depend on the completed store of level k
    stored = _barrier(da.store(prepared[0].data, targets[0], lock=False, compute=False))
    for k in range(1, len(prepared)):
        j, rel = steps[k - 1]  # level k from level j (< k), already stored
        data = _from_written(stored, arrays[j], prepared[k], rel, plan.multiscale.type, dtype)
        stored = _barrier(da.store(data, targets[k], lock=False, compute=False))
    return stored


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
    _clear(target)
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
        _run(task, progress)
        return None
    except BaseException:
        _abandon(target)
        raise
