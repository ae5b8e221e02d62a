"""Downsampling reducers, applied blockwise by :mod:`xarray_ngff._pyramid`.

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
    "gaussian_reduce_pieces",
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


def window_kernel(factor: int) -> np.ndarray:
    """The Gaussian of ``factor`` followed by the mean of ``factor`` pixels, as one kernel.

    Output pixel ``j`` of an axis is ``sum(k[i] * x[j * factor - radius + i])`` for ``i`` in
    ``range(2 * radius + factor)``; the kernel is symmetric and sums to one.

    Examples
    --------
    >>> k = window_kernel(2)
    >>> len(k), round(float(k.sum()), 12), bool(np.allclose(k, k[::-1]))
    (8, 1.0, True)
    """
    return np.convolve(gaussian_weights(factor), np.ones(factor)) / factor


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


def _cast(x, dtype: np.dtype, xp: ModuleType, inplace: bool = False):
    """Back to the source dtype; integers are rounded (never truncated) and clipped.

    ``inplace``: ``x`` is a scratch array that may be overwritten (saves two temporaries).
    """
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype == np.bool_:
        return x >= 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if inplace:
            x = xp.clip(np.rint(x, out=x), info.min, info.max, out=x)
        else:
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


class _Mosaic:
    """Blocks of one array, read back as any box, edge-replicated outside ``shape``
    (``mode='nearest'``), so a block needs no halo copies from its neighbours."""

    def __init__(
        self, pieces: Sequence[np.ndarray], starts: Sequence[Sequence[int]], shape: Sequence[int]
    ) -> None:
        self.pieces = pieces
        self.starts = starts
        self.shape = tuple(shape)

    def read(self, lo: Sequence[int], hi: Sequence[int]) -> np.ndarray:
        """The box ``[lo, hi)`` (may reach outside ``[0, shape)``) in the pieces' dtype.

        A box inside one piece is a view of it (no copy); otherwise a new array.
        """
        if all(o >= 0 and h <= n for o, h, n in zip(lo, hi, self.shape, strict=True)):
            for piece, start in zip(self.pieces, self.starts, strict=True):
                if all(
                    s <= o and h <= s + n
                    for o, h, s, n in zip(lo, hi, start, piece.shape, strict=True)
                ):
                    box = zip(lo, hi, start, strict=True)
                    return piece[tuple(slice(o - s, h - s) for o, h, s in box)]
        out = np.empty([h - o for o, h in zip(lo, hi, strict=True)], self.pieces[0].dtype)
        clo = [min(max(o, 0), n - 1) for o, n in zip(lo, self.shape, strict=True)]
        chi = [max(min(h, n), c + 1) for h, n, c in zip(hi, self.shape, clo, strict=True)]
        for piece, start in zip(self.pieces, self.starts, strict=True):
            a = [max(c, s) for c, s in zip(clo, start, strict=True)]
            b = [min(c, s + n) for c, s, n in zip(chi, start, piece.shape, strict=True)]
            if any(i >= j for i, j in zip(a, b, strict=True)):
                continue
            dst = tuple(slice(i - o, j - o) for i, j, o in zip(a, b, lo, strict=True))
            src = tuple(slice(i - s, j - s) for i, j, s in zip(a, b, start, strict=True))
            out[dst] = piece[src]
        # nearest: replicate the edge planes, one axis after the other (separable)
        for axis in range(out.ndim):
            left, right = clo[axis] - lo[axis], hi[axis] - chi[axis]
            n = out.shape[axis]
            pre = (slice(None),) * axis
            if left > 0:
                out[pre + (slice(0, left),)] = out[pre + (slice(left, left + 1),)]
            if right > 0:
                out[pre + (slice(n - right, n),)] = out[pre + (slice(n - right - 1, n - right),)]
        return out


def _strided_pass(x: np.ndarray, axis: int, factor: int, kernel: np.ndarray, work: np.dtype):
    """Valid correlation of ``x`` with ``kernel`` along ``axis``, kept every ``factor`` pixels.

    The kernel is symmetric, so taps are paired (one add instead of two multiplies); the first
    pass also casts the source dtype to ``work``, without a separate copy.
    """
    length = len(kernel)
    n = (x.shape[axis] - length) // factor + 1
    pre = (slice(None),) * axis

    def tap(i: int) -> np.ndarray:
        return x[pre + (slice(i, i + (n - 1) * factor + 1, factor),)]

    shape = x.shape[:axis] + (n,) + x.shape[axis + 1 :]
    out = np.empty(shape, work)
    tmp = np.empty(shape, work) if length > 2 else None
    half = length // 2
    for i in range(half):
        dst = out if i == 0 else tmp
        np.add(tap(i), tap(length - 1 - i), out=dst, dtype=work)
        np.multiply(dst, kernel[i], out=dst)
        if i:
            out += tmp
    if length % 2:
        dst = out if half == 0 else tmp
        np.multiply(tap(half), kernel[half], out=dst, dtype=work)
        if half:
            out += tmp
    return out


#: bytes of source data read per slab: small enough for the CPU cache, big enough that the
#: per-call overhead of NumPy stays negligible
_SLAB_BYTES = 2 << 20


def _gaussian_mosaic(
    mosaic: _Mosaic,
    origin: Sequence[int],
    out_shape: Sequence[int],
    factors: Sequence[int],
    dtype: np.dtype,
) -> np.ndarray:
    """Gaussian-and-mean downsampling of the box of ``mosaic`` that starts at ``origin`` and
    spans ``out_shape * factors``, slab by slab along the first downsampled axis."""
    work = work_dtype(dtype)
    radii = [gaussian_radius(f) for f in factors]
    kernels = [window_kernel(f).astype(work) if f > 1 else None for f in factors]
    axes = [a for a, f in enumerate(factors) if f > 1]
    lo = [o - r for o, r in zip(origin, radii, strict=True)]
    hi = [o + n * f + r for o, n, f, r in zip(origin, out_shape, factors, radii, strict=True)]
    out = np.empty(tuple(out_shape), work)
    if not axes:
        out[...] = mosaic.read(lo, hi)
        return _cast(out, dtype, np, inplace=True)
    sa = axes[0]
    f, r = factors[sa], radii[sa]
    plane = np.dtype(mosaic.pieces[0].dtype).itemsize * math.prod(
        h - o for a, (o, h) in enumerate(zip(lo, hi, strict=True)) if a != sa
    )
    slab = max(1, _SLAB_BYTES // max(1, plane * f))
    pre = (slice(None),) * sa
    for s0 in range(0, out_shape[sa], slab):
        s1 = min(out_shape[sa], s0 + slab)
        lo[sa], hi[sa] = origin[sa] + s0 * f - r, origin[sa] + s1 * f + r
        x = mosaic.read(lo, hi)
        for axis in axes:
            x = _strided_pass(x, axis, factors[axis], kernels[axis], work)
        out[pre + (slice(s0, s1),)] = x
    return _cast(out, dtype, np, inplace=True)


def gaussian_reduce_pieces(
    pieces: Sequence[np.ndarray],
    starts: Sequence[Sequence[int]],
    shape: Sequence[int],
    origin: Sequence[int],
    out_shape: Sequence[int],
    factors: Sequence[int],
):
    """Gaussian downsampling of one output block, read straight from the source blocks.

    The source is an array of ``shape`` (already cropped to whole windows) of which
    ``pieces`` (NumPy blocks starting at ``starts``) cover at least the output block's windows
    plus the Gaussian radius (clipped to the array); outside the array the edge is replicated,
    as ``scipy.ndimage`` does with ``mode='nearest'``. This fuses the rechunk, the halo exchange
    and the cast to the working dtype of a blockwise pipeline into one read.

    Parameters
    ----------
    pieces, starts
        Source blocks and the index of their first element in the source array.
    shape
        Shape of the (cropped) source array.
    origin
        Index in the source of the first pixel of the output block's first window.
    out_shape
        Shape of the output block.
    factors
        Integer downsampling factor per axis.

    Returns
    -------
    numpy.ndarray
        The output block, in the source dtype (integers rounded).

    Examples
    --------
    >>> x = np.arange(64, dtype="float64").reshape(8, 8)
    >>> halves = [x[:, :4], x[:, 4:]]
    >>> out = gaussian_reduce_pieces(halves, [(0, 0), (0, 4)], (8, 8), (0, 0), (4, 4), (2, 2))
    >>> bool(np.allclose(out, reduce_block(np.pad(x, 3, mode="edge"), (2, 2), "gaussian",
    ...                                    (3, 3))))
    True
    """
    mosaic = _Mosaic(pieces, starts, shape)
    return _gaussian_mosaic(mosaic, origin, out_shape, factors, mosaic.pieces[0].dtype)


#: NumPy's ``add.reduce`` sums windows shorter than this in order, first element first (longer
#: ones pairwise along a contiguous axis, complex ones pairwise sooner), so
#: :func:`_window_reduce` matches ``mean`` bit for bit only below it, for real dtypes
_SEQUENTIAL = 8
_WINDOW_OPS = {"mean": np.add, "min": np.minimum, "max": np.maximum}


def _window_reduce(block: np.ndarray, factors: Sequence[int], method: str) -> np.ndarray:
    """``mean``, ``min`` or ``max`` of every window, by strided ufuncs one axis after the other.

    The same arithmetic as ``reshape(...).mean(axis)`` per axis (sums in order in the work
    dtype, then ``true_divide`` by the count as NumPy's ``mean`` does), without the copy of
    the whole block to the work dtype (the first axis' adds cast on the fly) and without
    NumPy's reduction machinery over windows of two to seven pixels, which is slow when the
    window is the innermost axis.
    """
    dtype = block.dtype
    work = work_dtype(dtype)
    op = _WINDOW_OPS[method]
    x, scratch = block, False
    for axis, f in enumerate(factors):
        if f == 1:
            continue
        n = x.shape[axis] // f
        taps = [x[(slice(None),) * axis + (slice(i, n * f, f),)] for i in range(f)]
        out = op(taps[0], taps[1], dtype=work) if method == "mean" else op(taps[0], taps[1])
        for tap in taps[2:]:
            op(out, tap, out=out)
        if method == "mean" and dtype.kind == "f":
            out += 0.0  # NumPy's sum starts from +0: an all -0.0 window sums to +0.0
        if method == "mean":
            # NumPy's mean divides by an intp count (float32 / intp rounds as float32 / f)
            np.true_divide(out, f if work == np.float32 else np.intp(f), out=out, casting="unsafe")
        x, scratch = out, True
    if method != "mean":  # min and max stay in the source dtype (byte order aside)
        return x.astype(dtype, copy=scratch is False)
    if not scratch:  # every factor 1
        x = block.astype(work)
    return _cast(x, dtype, np, inplace=True)


def _gaussian_correlate(block, factors: Sequence[int], depths: Sequence[int], xp, ndi):
    """Reference Gaussian path: ``correlate1d`` per axis, then crop and window mean (used for
    CuPy blocks, and to check the NumPy fast path)."""
    x = block.astype(work_dtype(block.dtype), copy=False)
    # largest factors first: each pass shrinks the data the next pass filters
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
    return _cast(x, block.dtype, xp)


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
        depths = tuple(depths or (0,) * block.ndim)
        if xp is not np:
            return _gaussian_correlate(block, factors, depths, xp, ndi)
        out_shape = [(n - 2 * d) // f for n, d, f in zip(block.shape, depths, factors, strict=True)]
        mosaic = _Mosaic([block], [(0,) * block.ndim], block.shape)
        return _gaussian_mosaic(mosaic, depths, out_shape, factors, dtype)
    if method in ("mean", "min", "max"):
        if xp is np and max(factors) < _SEQUENTIAL and block.ndim and dtype.kind != "c":
            return _window_reduce(block, factors, method)
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
