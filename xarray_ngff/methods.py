"""Downsampling reducers, applied blockwise by :mod:`xarray_ngff.pyramid`.

Every reducer maps one block (with a halo for the Gaussian) to a block ``factor`` times
smaller per dim. They work on NumPy and CuPy blocks alike (CuPy blocks use
``cupyx.scipy.ndimage``), so a GPU-backed dask array stays on the GPU.

* ``gaussian``: anti-aliasing Gaussian with ``sigma = sqrt(k**2 - 1) / (2 sqrt(2 ln 2))``
  source pixels for factor ``k`` (so the FWHM of the combined blur matches the new pixel), then
  the block mean, so values sit at window centres. The filter is separable and applied one axis
  at a time, shrinking each axis before the next is filtered (same result as a full Gaussian
  followed by the mean, at about half the cost in 3D).
* ``mean``, ``min``, ``max``: the window reduction.
* ``mode``: the most frequent value of each window, ties to the smallest (for labels).
* ``nearest``: one pixel per window (no block function; plain strided slicing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType

import numpy as np

__all__ = [
    "METHODS",
    "WINDOW_CENTRED",
    "gaussian_sigma",
    "gaussian_radius",
    "gaussian_weights",
    "nearest_offset",
    "reduce_block",
    "work_dtype",
]

METHODS = ("gaussian", "mean", "nearest", "mode", "min", "max")
WINDOW_CENTRED = frozenset({"gaussian", "mean", "mode", "min", "max"})
_TRUNCATE = 4.0  # scipy.ndimage's default kernel extent, in sigmas


def gaussian_sigma(factor: int) -> float:
    """Anti-aliasing sigma (source pixels) for a downsampling ``factor``.

    Examples
    --------
    >>> round(gaussian_sigma(2), 4)
    0.7355
    >>> gaussian_sigma(1)
    0.0
    """
    return math.sqrt(factor * factor - 1) / (2 * math.sqrt(2 * math.log(2)))


def gaussian_radius(factor: int) -> int:
    """Half-width of the sampled kernel (the halo a block needs), as scipy.ndimage computes it.

    Examples
    --------
    >>> gaussian_radius(2), gaussian_radius(4), gaussian_radius(1)
    (3, 7, 0)
    """
    if factor <= 1:
        return 0
    return int(_TRUNCATE * gaussian_sigma(factor) + 0.5)


def gaussian_weights(factor: int) -> np.ndarray:
    """Normalised 1D Gaussian kernel of length ``2 * radius + 1`` (as scipy.ndimage samples it)."""
    sigma = gaussian_sigma(factor)
    radius = gaussian_radius(factor)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (x / sigma) ** 2)
    return w / w.sum()


def nearest_offset(factor: int) -> int:
    """Index, inside each window of ``factor`` pixels, of the pixel ``nearest`` keeps.

    Examples
    --------
    >>> nearest_offset(2), nearest_offset(3), nearest_offset(4)
    (0, 1, 1)
    """
    return (factor - 1) // 2


def work_dtype(dtype: np.dtype) -> np.dtype:
    """Floating dtype used for arithmetic on ``dtype`` (float32 unless precision needs 64).

    Examples
    --------
    >>> work_dtype(np.dtype("uint16")), work_dtype(np.dtype("int32"))
    (dtype('float32'), dtype('float64'))
    """
    dtype = np.dtype(dtype)
    if dtype == np.float64 or (dtype.kind in "iu" and dtype.itemsize >= 4):
        return np.dtype(np.float64)
    if dtype.kind == "c":
        return dtype
    return np.dtype(np.float32)


def _modules(x) -> tuple[ModuleType, ModuleType]:
    if type(x).__module__.split(".")[0] == "cupy":
        import cupy
        import cupyx.scipy.ndimage as cndi

        return cupy, cndi
    import scipy.ndimage as ndi

    return np, ndi


def _cast(x, dtype: np.dtype, xp: ModuleType):
    """Back to the source dtype; integers are rounded (never truncated) and clipped."""
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype == np.bool_:
        return x >= 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        x = xp.clip(xp.rint(x), info.min, info.max)
    return x.astype(dtype)


def _window_view(x, axis: int, factor: int):
    shape = x.shape
    n = shape[axis] // factor
    return x.reshape(shape[:axis] + (n, factor) + shape[axis + 1 :])


def _windows_last(x, factors: Sequence[int]):
    """Reshape to (n0, n1, ..., w) with every window flattened on the last axis."""
    split = []
    for n, f in zip(x.shape, factors, strict=True):
        split += [n // f, f]
    y = x.reshape(split)
    nd = len(factors)
    y = y.transpose(list(range(0, 2 * nd, 2)) + list(range(1, 2 * nd, 2)))
    return y.reshape(y.shape[:nd] + (-1,))


def _mode_last(v, xp: ModuleType):
    """Most frequent value along the last axis, ties to the smallest."""
    s = xp.sort(v, axis=-1)
    w = s.shape[-1]
    idx = xp.arange(w)
    new = xp.ones(s.shape, dtype=bool)
    new[..., 1:] = s[..., 1:] != s[..., :-1]
    start = xp.maximum.accumulate(xp.where(new, idx, 0), axis=-1)
    # first index reaching the longest run ends the earliest (smallest) of the longest runs
    best = xp.argmax(idx - start, axis=-1)
    return xp.take_along_axis(s, best[..., None], axis=-1)[..., 0]


def reduce_block(
    block,
    factors: Sequence[int],
    method: str,
    depths: Sequence[int] | None = None,
):
    """Downsample one block by integer ``factors`` per axis.

    ``block`` carries ``depths`` extra pixels on both sides of each axis (the Gaussian halo);
    its core length along each axis is a multiple of the factor. Returns an array of the source
    dtype.

    Examples
    --------
    >>> x = np.arange(16, dtype="uint8").reshape(4, 4)
    >>> reduce_block(x, (2, 2), "mean").tolist()
    [[2, 4], [10, 12]]
    >>> reduce_block(np.array([[1, 1, 2, 2], [3, 3, 2, 2]]), (2, 2), "mode").tolist()
    [[1, 2]]
    """
    xp, ndi = _modules(block)
    dtype = block.dtype
    factors = tuple(int(f) for f in factors)
    if method == "gaussian":
        x = block.astype(work_dtype(dtype), copy=False)
        depths = tuple(depths or (0,) * block.ndim)
        # smallest factors first: each pass shrinks the data the next pass filters
        for axis in sorted(range(x.ndim), key=lambda a: -factors[a]):
            f = factors[axis]
            if f == 1:
                continue
            x = ndi.correlate1d(
                x, xp.asarray(gaussian_weights(f), dtype=x.dtype), axis=axis, mode="nearest"
            )
            d = depths[axis]
            core = (x.shape[axis] - 2 * d) // f * f
            x = x[(slice(None),) * axis + (slice(d, d + core),)]
            x = _window_view(x, axis, f).mean(axis=axis + 1, dtype=x.dtype)
        return _cast(x, dtype, xp)
    if method in ("mean", "min", "max"):
        x = block.astype(work_dtype(dtype), copy=False) if method == "mean" else block
        for axis, f in enumerate(factors):
            if f == 1:
                continue
            view = _window_view(x, axis, f)
            x = getattr(view, method)(axis=axis + 1)
        return _cast(x, dtype, xp)
    if method == "mode":
        return _mode_last(_windows_last(block, factors), xp)
    raise ValueError(f"no block reducer for method {method!r}")  # pragma: no cover
