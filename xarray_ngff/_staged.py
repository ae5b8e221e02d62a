"""The staged pyramid: each level written from the level just written, and its task sizes.

:func:`staged_plan` proves, from the provenance ``to_multiscales`` records, that every level
``k+1`` of a tree is exactly the pyramid reduction of an earlier level; then
:func:`staged_store` builds and stores level ``k+1`` with tasks that read level ``k`` back from its array
(measured against the fused graph in ``docs/decisions.md``).

Task sizes: how much of level k one task of level k+1 reads at once.

A task of level ``k+1`` reads its window of level ``k`` plus the Gaussian halo, and the halo
makes it decode the neighbouring chunks whole: with one output chunk per read, a 2-D level
is decoded about 4 times over and a 3-D one up to 8 times (see ``docs/decisions.md``). Reading
the window of several output chunks at once shares those neighbours. :func:`staged_blocks`
groups a level's blocks (whole chunks or shards, so writes stay aligned) while the input
window of a group stays within :data:`PIECE_BYTES`, and :func:`staged_piece` is the part of
a block computed at once: the whole block when its window fits, else one chunk as before, so
a task's memory stays bounded by the same budget.

Task order: the borders a task keeps are used by its neighbours, so a level's tasks run in a
sweep (:func:`sweep`): tiles of blocks, each tile in row-major order, whose front of kept
borders fits :data:`FACE_BYTES` whatever the image size; each task waits for the one
:data:`LAG` places before it, so dask cannot scatter them, and reduces and stores its block
in one task (no block kept between a reduce and its store).
"""

from __future__ import annotations

import itertools
import math
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dask
import numpy as np
import xarray as xr

from ._chunkread import ChunkReader, FaceCache, Faces, readable
from ._compute import barrier, distributed_client
from ._image import SPATIAL_DIMS
from ._methods import WINDOW_CENTRED, gaussian_radius, gaussian_reduce_pieces, reduce_block
from ._pyramid import REDUCED_FROM, reduced_from, reduced_from_level

__all__ = [
    "FACE_BYTES",
    "LAG",
    "PIECE_BYTES",
    "forget",
    "staged_blocks",
    "staged_piece",
    "staged_plan",
    "staged_store",
    "sweep",
    "sweep_tile",
    "window_bytes",
]

#: the largest input window (level k, halo included) that one piece of a task reads at once
PIECE_BYTES = 8 * 2**20
#: the borders of decoded chunks of level k kept for the neighbouring tasks, per process
FACE_BYTES = 4 * PIECE_BYTES
_FACES = FaceCache(FACE_BYTES)
#: how many tasks of a level may run ahead of the sweep (enough for every core)
LAG = max(2, os.cpu_count() or 1)


def window_bytes(
    shape: Sequence[int], factors: Sequence[int], depths: Sequence[int], itemsize: int
) -> int:
    """Bytes of level ``k`` that an output region of ``shape`` at level ``k+1`` reads.

    Examples
    --------
    >>> window_bytes((512, 512), (2, 2), (3, 3), 1)
    1060900
    """
    return itemsize * math.prod(
        n * f + 2 * d for n, f, d in zip(shape, factors, depths, strict=True)
    )


def staged_blocks(
    chunks: tuple[tuple[int, ...], ...],
    factors: Sequence[int],
    depths: Sequence[int],
    itemsize: int,
    budget: int = PIECE_BYTES,
) -> tuple[tuple[int, ...], ...]:
    """``chunks`` (a dask chunking of whole chunks or shards) with runs of consecutive blocks
    merged, as many per dim as keep a merged block's input window within ``budget``; unchanged
    without a halo (``mean``), where merging only costs memory (measured).

    Examples
    --------
    >>> staged_blocks(((512,) * 4, (512,) * 3 + (100,)), (2, 2), (3, 3), 1)
    ((1024, 1024), (1024, 612))
    >>> staged_blocks(((128,) * 2,) * 3, (2, 2, 2), (3, 3, 3), 2)  # 3-D: a chunk's window is 36 MB
    ((128, 128), (128, 128), (128, 128))
    >>> staged_blocks(((512,) * 4,), (2,), (0,), 1)
    ((512, 512, 512, 512),)
    """
    if not any(depths):
        return chunks  # no halo (mean): windows meet at chunk edges, nothing to share
    unit = [c[0] if c else 1 for c in chunks]
    groups = [1] * len(chunks)
    grown = True
    while grown:
        grown = False
        for d in reversed(range(len(chunks))):  # the last (fastest) dims first
            if groups[d] * 2 > len(chunks[d]):
                continue
            trial = [g * u for g, u in zip(groups, unit, strict=True)]
            trial[d] *= 2
            if window_bytes(trial, factors, depths, itemsize) <= budget:
                groups[d] *= 2
                grown = True
    return tuple(
        tuple(sum(c[i : i + g]) for i in range(0, len(c), g))
        for c, g in zip(chunks, groups, strict=True)
    )


def staged_piece(
    block: Sequence[int],
    chunk: Sequence[int],
    factors: Sequence[int],
    depths: Sequence[int],
    itemsize: int,
    budget: int = PIECE_BYTES,
) -> tuple[int, ...]:
    """The part of a block computed at once: the whole ``block`` if it has a halo and its
    window fits ``budget``, else one ``chunk``.

    Examples
    --------
    >>> staged_piece((1024, 1024), (512, 512), (2, 2), (3, 3), 1)
    (1024, 1024)
    >>> staged_piece((256, 256, 256), (128, 128, 128), (2, 2, 2), (3, 3, 3), 2)
    (128, 128, 128)
    """
    if any(depths) and window_bytes(block, factors, depths, itemsize) <= budget:
        return tuple(block)
    return tuple(chunk)


def staged_plan(
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


def _reduce_one(source, crop, factors, depths, method, dtype, loc, faces) -> np.ndarray:
    slices, pads = [], []
    for (a, b), f, d, n in zip(loc, factors, depths, crop, strict=True):
        lo, hi = a * f - d, b * f + d
        slices.append(slice(max(lo, 0), min(hi, n)))
        pads.append((max(lo, 0) - lo, hi - min(hi, n)))
    if faces is not None:
        block = source.get(tuple(slices), faces)
    else:
        block = np.asarray(source[tuple(slices)])
    if method == "gaussian":
        # the edges replicated slab by slab as the filter reads them, instead of a padded copy
        out = gaussian_reduce_pieces(
            [block],
            [[s.start for s in slices]],
            crop,
            [a * f for (a, _), f in zip(loc, factors, strict=True)],
            [b - a for a, b in loc],
            factors,
        )
        return out.astype(dtype, copy=False)
    if any(p != (0, 0) for p in pads):
        block = np.pad(block, pads, mode="edge")
    return np.asarray(reduce_block(block, factors, method, depths)).astype(dtype, copy=False)


def _level_token(_after: Any, previous: Any) -> str:
    """A token for one execution of one staged level, made once the level it reads is stored
    (so kept borders never outlive the data they were decoded from); the borders of the level
    before, whose readers have all finished by then, are dropped."""
    _drop(_after, previous)
    return uuid.uuid4().hex


def _drop(_after: Any, token: Any) -> None:
    if token is not None:
        _FACES.drop(token)


def _reduce_loc(
    token: str,
    source: Any,
    crop: tuple[int, ...],
    factors: tuple[int, ...],
    depths: tuple[int, ...],
    method: str,
    dtype: np.dtype,
    sub: tuple[int, ...],
    loc: tuple[tuple[int, int], ...],
) -> np.ndarray:
    """The block ``loc`` of level k+1, read (with its halo) straight from level k's array.

    Same arithmetic as the pyramid's blockwise reducer: the source is cropped to whole windows,
    its edges replicated ("nearest") for the halo, then :func:`reduce_block` is applied. A
    block (a whole shard) is computed in pieces of ``sub`` (one chunk), so a task holds one
    chunk's input at a time.
    """
    out = np.empty(tuple(b - a for a, b in loc), dtype)
    faces = None
    if isinstance(source, ChunkReader) and any(depths):
        # tasks start their windows every sub * factor pixels of level k
        period = [s * f for s, f in zip(sub, factors, strict=True)]
        faces = Faces(_FACES, token, max(depths), period, crop)
    ranges = [range(a, b, s) for (a, b), s in zip(loc, sub, strict=True)]
    for starts in itertools.product(*ranges):
        piece = tuple((st, min(st + s, b)) for st, s, (_, b) in zip(starts, sub, loc, strict=True))
        where = tuple(slice(a - o, b - o) for (a, b), (o, _) in zip(piece, loc, strict=True))
        out[where] = _reduce_one(source, crop, factors, depths, method, dtype, piece, faces)
    return out


def _reduce_store(token: str, _before: Any, source: Any, target: Any, *args: Any) -> None:
    """Reduce one block (see :func:`_reduce_loc`) and store it at once; ``_before`` is the
    task this one waits for in the sweep."""
    loc = args[-1]
    target[tuple(slice(a, b) for a, b in loc)] = _reduce_loc(token, source, *args)


def sweep_tile(
    blocks: tuple[tuple[int, ...], ...],
    factors: Sequence[int],
    depths: Sequence[int],
    itemsize: int,
    budget: int = FACE_BYTES // 2,
) -> tuple[int, ...]:
    """Blocks per tile of the sweep: dims without a halo one by one, the first dim with a
    halo whole, the later ones doubled (last first) while the borders a row-major sweep of
    the tile keeps alive (one block-thick layer per dim it steps along, at level k, low and
    high slabs) stay within ``budget``.

    Examples
    --------
    >>> sweep_tile(((256,) * 4, (256,) * 16, (256,) * 16), (2, 2, 2), (3, 3, 3), 2)
    (4, 1, 4)
    >>> sweep_tile(((256,) * 4, (256,) * 16, (256,) * 16), (2, 2, 2), (3, 3, 3), 2, 2**25)
    (4, 2, 2)
    >>> sweep_tile(((1024,) * 64, (1024,) * 64), (2, 2), (3, 3), 1)  # 2-D: a row is thin
    (64, 64)
    """
    grid = [len(c) for c in blocks]
    unit = [(c[0] if c else 1) * f for c, f in zip(blocks, factors, strict=True)]
    halo = [d > 0 for d in depths]
    tile = [1] * len(grid)
    if not any(halo):
        return tuple(tile)
    first = halo.index(True)
    tile[first] = grid[first]

    def front(t: list[int]) -> int:
        total = 0
        for d in range(len(t)):
            if not halo[d] or t[d] < 2:
                continue
            ext = [t[e] * unit[e] if e > d else unit[e] for e in range(len(t))]
            total += 2 * max(depths) * itemsize * math.prod(ext) // ext[d]
        return total

    grown = True
    while grown:
        grown = False
        for d in reversed(range(first + 1, len(grid))):
            if halo[d] and tile[d] < grid[d]:
                trial = list(tile)
                trial[d] = min(2 * tile[d], grid[d])
                if front(trial) <= budget:
                    tile, grown = trial, True
    return tuple(tile)


def sweep(grid: Sequence[int], tile: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Block indices of a ``grid``, tile by tile (row-major), row-major inside a tile.

    Examples
    --------
    >>> list(sweep((2, 3), (2, 2)))
    [(0, 0), (0, 1), (1, 0), (1, 1), (0, 2), (1, 2)]
    """
    for first in itertools.product(*(range(0, n, t) for n, t in zip(grid, tile, strict=True))):
        yield from itertools.product(
            *(range(a, min(a + t, n)) for a, t, n in zip(first, tile, grid, strict=True))
        )


def _lag() -> int:
    """:data:`LAG`, or the threads of a ``dask.distributed`` cluster when it has more."""
    client = distributed_client()
    if client is None:
        return LAG
    try:
        return max(LAG, sum(client.nthreads().values()))
    except Exception:  # a client that cannot answer now: the local count
        return LAG


def staged_store(
    after: Any,
    source: Any,
    target: Any,
    lvl: Any,
    rel: Mapping[str, int],
    method: str,
    dtype: np.dtype,
    previous: Any = None,
) -> tuple[Any, Any]:
    """Level ``lvl`` (the writer's prepared level: ``dims``, ``data``, ``chunks``) reduced
    from ``source`` (the previous level, already written) and stored into ``target``, one
    task per block, each reading its input from ``source``: no overlap graph, so memory does
    not grow with size. Returns a Delayed that completes once every block is stored, and the
    level's token.

    The blocks share the borders of the chunks they decode (:class:`FaceCache`) under a
    token (returned, a Delayed) made once ``after``, the store of the level before, has
    completed; the borders kept under ``previous``, that level's token, are then dropped
    (and the last level's by :func:`forget`). The tasks run in :func:`sweep` order, each
    after the one :data:`LAG` places before it, so the borders are used soon after they
    are kept."""
    factors = tuple(rel.get(d, 1) for d in lvl.dims)
    depths = tuple(gaussian_radius(f) if method == "gaussian" else 0 for f in factors)
    crop = tuple(n // f * f for n, f in zip(source.shape, factors, strict=True))
    # several chunks per task where their window is small: neighbours' halos decoded once
    blocks = staged_blocks(lvl.data.chunks, factors, depths, dtype.itemsize)
    sub = staged_piece([c[0] for c in blocks], lvl.chunks, factors, depths, dtype.itemsize)
    token = dask.delayed(_level_token, pure=False)(after, previous)
    # zarr-python's per-call cost dominates small halo reads: a ChunkReader where possible
    src = dask.delayed(readable(source), pure=False, traverse=False)
    dst = dask.delayed(target, pure=False, traverse=False)
    edges = [np.cumsum((0, *c)).tolist() for c in blocks]
    tile = sweep_tile(blocks, factors, depths, dtype.itemsize)
    tasks: list[Any] = []
    lag = _lag()
    for index in sweep([len(c) for c in blocks], tile):
        loc = tuple((e[i], e[i + 1]) for e, i in zip(edges, index, strict=True))
        before = tasks[-lag] if len(tasks) >= lag else None
        tasks.append(
            dask.delayed(_reduce_store, pure=False)(
                token, before, src, dst, crop, factors, depths, method, dtype, sub, loc
            )
        )
    return barrier(tasks), token


def forget(after: Any, token: Any) -> Any:
    """A Delayed that drops the borders kept under ``token`` once ``after`` has completed."""
    return dask.delayed(_drop, pure=False)(after, token)
