"""Task sizes of the staged writer: how much of level k one task of level k+1 reads at once.

A task of level ``k+1`` reads its window of level ``k`` plus the Gaussian halo, and the halo
makes it decode the neighbouring chunks whole: with one output chunk per read, a 2-D level
is decoded about 4 times over and a 3-D one up to 8 times (see ``docs/decisions.md``). Reading
the window of several output chunks at once shares those neighbours. :func:`staged_blocks`
groups a level's blocks (whole chunks or shards, so writes stay aligned) while the input
window of a group stays within :data:`PIECE_BYTES`, and :func:`staged_piece` is the part of
a block computed at once: the whole block when its window fits, else one chunk as before, so
a task's memory stays bounded by the same budget.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["PIECE_BYTES", "staged_blocks", "staged_piece", "window_bytes"]

#: the largest input window (level k, halo included) that one piece of a task reads at once
PIECE_BYTES = 8 * 2**20


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
