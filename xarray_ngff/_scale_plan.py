"""Scale plans: chunk sizes per dim, the user's scale factors checked, and the automatic ladder.

Automatic levels (``scale_factors=None``)
-----------------------------------------
Starting from level 0, each new level halves the spatial dims that are

1. still larger than one chunk, and
2. not already coarser than twice the finest physical spacing among those dims (an
   anisotropic dim *waits* until the others catch up).

It stops when every spatial dim fits in one chunk. A 64 x 1024 x 1024 volume with z spacing
4 um and x/y spacing 1 um, chunks 128, gets ``{'z': 1, 'y': 2, 'x': 2}``,
``{'z': 1, 'y': 4, 'x': 4}``, ``{'z': 1, 'y': 8, 'x': 8}``: z already fits in one chunk, so it
is never reduced; with chunks 32 it would wait until y/x reach 2 um, then shrink with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._image import SPATIAL_DIMS
from .errors import InvalidChunksError, InvalidScaleFactorsError

__all__ = ["normalize_chunks", "normalize_scale_factors", "plan_scale_factors", "spatial_dims"]


def spatial_dims(dims: Sequence[str]) -> list[str]:
    """The spatial dims among ``dims``, in order."""
    return [d for d in dims if d in SPATIAL_DIMS]


def normalize_chunks(
    chunks: int | Sequence[int] | Mapping[str, int] | None,
    dims: Sequence[str],
    shape: Sequence[int] | None = None,
) -> dict[str, int]:
    """Chunk size per dim.

    ``None``: 128 per spatial dim for volumes, 256 for 2D images, 1 for ``t`` and ``c``;
    an int: that size for every spatial dim (``t``/``c`` stay 1); a tuple: one per dim;
    a dict: per dim, missing dims default. With ``shape``, sizes are clipped to it.

    Examples
    --------
    >>> normalize_chunks(None, ("c", "z", "y", "x"))
    {'c': 1, 'z': 128, 'y': 128, 'x': 128}
    >>> normalize_chunks({"x": 64}, ("y", "x"), shape=(100, 30))
    {'y': 100, 'x': 30}
    """
    dims = tuple(dims)
    spatial = spatial_dims(dims)
    default = 128 if len(spatial) >= 3 else 256
    out = {d: (default if d in SPATIAL_DIMS else 1) for d in dims}
    if chunks is None:
        pass
    elif isinstance(chunks, bool):
        raise InvalidChunksError(f"chunks={chunks!r} is not a size", field="chunks")
    elif isinstance(chunks, int | np.integer):
        out.update({d: int(chunks) for d in spatial})
    elif isinstance(chunks, Mapping):
        unknown = [k for k in chunks if k not in dims]
        if unknown:
            raise InvalidChunksError(
                f"chunks={dict(chunks)!r} names {unknown}, which are not dims {dims}",
                field="chunks",
            )
        out.update({d: chunks[d] for d in chunks})
    elif isinstance(chunks, Sequence) and not isinstance(chunks, str | bytes):
        if len(chunks) != len(dims):
            raise InvalidChunksError(
                f"chunks={tuple(chunks)!r} has {len(chunks)} sizes for {len(dims)} dims {dims}",
                field="chunks",
            )
        out.update(dict(zip(dims, chunks, strict=True)))
    else:
        raise InvalidChunksError(f"chunks={chunks!r} is not an int, tuple or dict", field="chunks")
    for d, c in out.items():
        if isinstance(c, bool) or not isinstance(c, int | np.integer) or c < 1:
            raise InvalidChunksError(
                f"chunks[{d!r}]={c!r} must be a positive integer", field="chunks"
            )
        out[d] = int(c)
    if shape is not None:
        out = {d: max(1, min(out[d], n)) for d, n in zip(dims, shape, strict=True)}
    return out


def normalize_scale_factors(
    scale_factors: int | Sequence[int | Mapping[str, int]],
    dims: Sequence[str],
    sizes: Mapping[str, int],
) -> list[dict[str, int]]:
    """Absolute per-dim factors for every level after level 0, validated.

    Examples
    --------
    >>> normalize_scale_factors([2, {"x": 4, "y": 4, "z": 2}], ("z", "y", "x"),
    ...                         {"z": 8, "y": 8, "x": 8})
    [{'z': 2, 'y': 2, 'x': 2}, {'z': 2, 'y': 4, 'x': 4}]
    """
    spatial = spatial_dims(dims)
    if isinstance(scale_factors, int | np.integer) and not isinstance(scale_factors, bool):
        scale_factors = [int(scale_factors)]
    if isinstance(scale_factors, str | bytes | Mapping) or not isinstance(scale_factors, Sequence):
        raise InvalidScaleFactorsError(
            f"scale_factors={scale_factors!r} must be a list of ints or of dicts",
            field="scale_factors",
        )
    levels: list[dict[str, int]] = []
    previous = dict.fromkeys(spatial, 1)
    for i, entry in enumerate(scale_factors):
        where = f"scale_factors[{i}]"
        if isinstance(entry, Mapping):
            bad = [k for k in entry if k not in spatial]
            if bad:
                why = (
                    "time and channel are never downsampled"
                    if set(bad) <= {"t", "c"}
                    else (f"the image's spatial dims are {spatial}")
                )
                raise InvalidScaleFactorsError(
                    f"{where}={dict(entry)!r} names {bad}: {why}", field="scale_factors"
                )
            factors = {d: entry.get(d, 1) for d in spatial}
        else:
            factors = dict.fromkeys(spatial, entry)
        for d, f in factors.items():
            if isinstance(f, bool) or not isinstance(f, int | np.integer) or f < 1:
                raise InvalidScaleFactorsError(
                    f"{where}: factor {f!r} for {d!r} must be a positive integer",
                    field="scale_factors",
                )
            if f < previous[d]:
                raise InvalidScaleFactorsError(
                    f"{where}: factor {f} for {d!r} is smaller than the previous level's "
                    f"{previous[d]} (factors are absolute, relative to level 0, and levels "
                    "go from fine to coarse)",
                    field="scale_factors",
                )
            if sizes[d] // f < 1:
                raise InvalidScaleFactorsError(
                    f"{where}: factor {f} for {d!r} leaves no pixel of its {sizes[d]}",
                    field="scale_factors",
                )
        factors = {d: int(f) for d, f in factors.items()}
        if factors == previous:
            raise InvalidScaleFactorsError(
                f"{where}={factors} repeats the previous level", field="scale_factors"
            )
        levels.append(factors)
        previous = factors
    return levels


def plan_scale_factors(
    sizes: Mapping[str, int],
    spacing: Mapping[str, float],
    chunks: Mapping[str, int],
) -> list[dict[str, int]]:
    """The automatic, anisotropy-aware ladder (see the module docstring of
    :mod:`xarray_ngff._scale_plan`).

    Examples
    --------
    >>> plan_scale_factors({"y": 1024, "x": 1024}, {"y": 1.0, "x": 1.0}, {"y": 256, "x": 256})
    [{'y': 2, 'x': 2}, {'y': 4, 'x': 4}]
    >>> plan_scale_factors({"z": 64, "y": 256, "x": 256}, {"z": 4.0, "y": 1.0, "x": 1.0},
    ...                    {"z": 16, "y": 32, "x": 32})[:3]
    [{'z': 1, 'y': 2, 'x': 2}, {'z': 1, 'y': 4, 'x': 4}, {'z': 2, 'y': 8, 'x': 8}]
    """
    dims = [d for d in sizes if d in SPATIAL_DIMS]
    factors = dict.fromkeys(dims, 1)
    levels = []
    while True:
        size = {d: sizes[d] // factors[d] for d in dims}
        todo = [d for d in dims if size[d] > chunks[d] and size[d] >= 2]
        if not todo:
            return levels
        finest = min(spacing[d] * factors[d] for d in todo)
        grow = [d for d in todo if spacing[d] * factors[d] < 2 * finest * (1 - 1e-9)]
        factors = {d: f * 2 if d in grow else f for d, f in factors.items()}
        levels.append(dict(factors))
