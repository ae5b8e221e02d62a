"""The fast Gaussian paths equal the reference ones (correlate1d, full gaussian_filter)."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.ndimage as ndi

from xarray_ngff._methods import (
    _gaussian_correlate,
    gaussian_radius,
    gaussian_reduce_pieces,
    gaussian_sigma,
    reduce_block,
    window_kernel,
)
from xarray_ngff._pyramid import _downsample


def _random(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iu":
        high = min(np.iinfo(dtype).max, 5000)
        return rng.integers(0, high, shape).astype(dtype)
    return (rng.random(shape) * 1000).astype(dtype)


def _reference(x: np.ndarray, factors: tuple[int, ...]) -> np.ndarray:
    """Full ``gaussian_filter`` (mode ``nearest``) then the block mean, in float64."""
    x = x[tuple(slice(0, n // f * f) for n, f in zip(x.shape, factors, strict=True))]
    sigma = [gaussian_sigma(f) for f in factors]
    y = ndi.gaussian_filter(x.astype(np.float64), sigma, mode="nearest", truncate=4.0)
    split = [s for n, f in zip(y.shape, factors, strict=True) for s in (n // f, f)]
    return y.reshape(split).mean(axis=tuple(range(1, 2 * y.ndim, 2)))


def _tolerance(x: np.ndarray) -> float:
    return 1.0 if x.dtype.kind in "iu" else 1e-5 * float(np.abs(x).max())


def test_window_kernel_is_gaussian_then_mean():
    for f in (2, 3, 4, 5):
        x = _random((40,), "float64", seed=f)
        r = gaussian_radius(f)
        padded = np.pad(x[: 40 // f * f], r, mode="edge")
        direct = np.array(
            [
                padded[j * f : j * f + len(window_kernel(f))] @ window_kernel(f)
                for j in range(40 // f)
            ]
        )
        np.testing.assert_allclose(direct, _reference(x, (f,)), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int32", "float32", "float64"])
@pytest.mark.parametrize(
    ("shape", "factors"),
    [
        ((20, 34, 30), (2, 2, 2)),
        ((21, 35, 33), (1, 3, 2)),
        ((2, 40, 36), (1, 4, 4)),
        ((50, 44), (2, 4)),
        ((3, 17, 24, 26), (1, 2, 1, 2)),
    ],
)
def test_fast_block_equals_correlate1d_path(shape, factors, dtype):
    """reduce_block's NumPy path equals the correlate1d path, with and without halos."""
    x = _random(shape, dtype)
    full = tuple(gaussian_radius(f) for f in factors)
    for depths in (full, tuple(min(d, 1) for d in full), (0,) * len(shape)):
        core = [
            (n - 2 * d) // f * f + 2 * d for n, d, f in zip(shape, depths, factors, strict=True)
        ]
        block = x[tuple(slice(0, c) for c in core)]
        fast = reduce_block(block, factors, "gaussian", depths)
        ref = _gaussian_correlate(block, factors, depths, np, ndi)
        assert fast.dtype == x.dtype and fast.shape == ref.shape
        diff = np.abs(fast.astype(np.float64) - ref.astype(np.float64)).max()
        assert diff <= _tolerance(x)


@pytest.mark.parametrize("dtype", ["uint16", "float32"])
def test_pieces_equal_full_filter(dtype):
    """Output blocks read from ragged pieces match the full filter, at seams and edges."""
    x = _random((23, 41, 37), dtype)
    factors = (2, 3, 2)
    shape = tuple(n // f * f for n, f in zip(x.shape, factors, strict=True))
    cuts = [(0, 5, 13, 23), (0, 2, 20, 41), (0, 18, 37)]
    pieces, starts = [], []
    for i0, i1 in zip(cuts[0][:-1], cuts[0][1:], strict=True):
        for j0, j1 in zip(cuts[1][:-1], cuts[1][1:], strict=True):
            for k0, k1 in zip(cuts[2][:-1], cuts[2][1:], strict=True):
                pieces.append(x[i0:i1, j0:j1, k0:k1])
                starts.append((i0, j0, k0))
    ref = _reference(x, factors)
    if x.dtype.kind in "iu":
        ref = np.rint(ref)
    out_shape = ref.shape
    # the whole level at once, and one inner output block on its own
    whole = gaussian_reduce_pieces(pieces, starts, shape, (0, 0, 0), out_shape, factors)
    assert np.abs(whole.astype(np.float64) - ref).max() <= _tolerance(x)
    part = gaussian_reduce_pieces(pieces, starts, shape, (4, 6, 8), (3, 5, 4), factors)
    assert np.abs(part.astype(np.float64) - ref[2:5, 2:7, 4:8]).max() <= _tolerance(x)


@pytest.mark.parametrize("chunks", [(4, 7, 5), (9, 16, 40), (1, 3, 3)])
def test_gaussian_level_seams_invisible(chunks):
    """The dask level equals the single-chunk level, whatever the source chunks; its chunks are
    the requested ones and building it computes nothing."""
    x = _random((19, 45, 38), "float32")
    factors = ("z", "y", "x"), {"z": 2, "y": 3, "x": 2}
    target = {"z": 3, "y": 4, "x": 5}

    def boom(*args, **kwargs):
        raise AssertionError("computed at build time")

    with dask.config.set(scheduler=boom):
        lazy = _downsample(da.from_array(x, chunks=chunks), *factors, "gaussian", target)
        single = _downsample(da.from_array(x, chunks=x.shape), *factors, "gaussian", target)
    assert lazy.chunks == da.core.normalize_chunks((3, 4, 5), lazy.shape)
    with dask.config.set(scheduler="sync"):
        got, one = lazy.compute(), single.compute()
    np.testing.assert_allclose(got, one, rtol=0, atol=_tolerance(x))
    np.testing.assert_allclose(got, _reference(x, (2, 3, 2)), rtol=0, atol=_tolerance(x))


def test_source_smaller_than_radius():
    """Edges replicate like mode='nearest' even when an axis is shorter than the halo."""
    x = _random((4, 3, 50), "float64")
    out = gaussian_reduce_pieces([x], [(0, 0, 0)], (4, 2, 50), (0, 0, 0), (1, 1, 25), (4, 2, 2))
    np.testing.assert_allclose(out, _reference(x, (4, 2, 2)), rtol=1e-12)


def test_block_inside_one_piece_reads_a_view():
    """A box that one piece covers is read without a copy, with the same result."""
    from xarray_ngff._methods import _Mosaic

    x = _random((40, 40, 40), "uint16")
    mosaic = _Mosaic([x[:20], x[20:]], [(0, 0, 0), (20, 0, 0)], x.shape)
    inside = mosaic.read((21, 3, 4), (30, 20, 40))
    assert np.shares_memory(inside, x)
    np.testing.assert_array_equal(inside, x[21:30, 3:20, 4:40])
    across = mosaic.read((15, -2, 4), (25, 20, 43))
    expected = np.pad(x, ((0, 0), (2, 0), (0, 3)), mode="edge")[15:25, 0:22, 4:43]
    np.testing.assert_array_equal(across, expected)
    out = gaussian_reduce_pieces(
        mosaic.pieces, mosaic.starts, x.shape, (20, 8, 8), (4, 4, 4), (2,) * 3
    )
    ref = np.rint(_reference(x, (2, 2, 2)))[10:14, 4:8, 4:8]
    assert np.abs(out.astype(np.float64) - ref).max() <= 1
