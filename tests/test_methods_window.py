"""The strided mean/min/max reducer equals NumPy's reshape-and-reduce, bit for bit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from xarray_ngff._methods import _cast, _window_view, reduce_block, work_dtype

DTYPES = [
    "bool",
    "uint8",
    "uint16",
    "int16",
    "int32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    ">u2",
    "<f8",
]


def _formula(block: np.ndarray, factors: tuple[int, ...], method: str) -> np.ndarray:
    """The reducer as it was: a cast to the work dtype, then NumPy's reduction per axis."""
    x = block.astype(work_dtype(block.dtype), copy=False) if method == "mean" else block
    for axis, f in enumerate(factors):
        if f > 1:
            x = getattr(_window_view(x, axis, f), method)(axis=axis + 1)
    return _cast(x, block.dtype, np)


def _data(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    if dt.kind in "iu":
        info = np.iinfo(dt)  # the full range: sums that round, clip and saturate
        return rng.integers(
            info.min, info.max, shape, dtype=dt.newbyteorder("="), endpoint=True
        ).astype(dt)
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-40, 38, shape)
    if dt.kind == "c":
        x = x + 1j * rng.standard_normal(shape) * 1e3
    with np.errstate(over="ignore"):
        x = x.astype(dt)
    flat = x.reshape(-1)
    flat[::17] = 0.0
    flat[5::19] = -0.0
    if flat.size > 40:  # specials: NaN, infinities, the largest values (overflowing sums)
        flat[3] = np.nan
        flat[7], flat[11] = np.inf, -np.inf
        flat[13] = np.finfo(dt).max
        flat[14] = np.finfo(dt).max
    return x


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return a.tobytes() == b.tobytes()  # bit for bit: signed zeros and NaN payloads included


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["mean", "min", "max"])
def test_strided_reducer_equals_the_formula(dtype, method):
    if method != "mean" and np.dtype(dtype).kind == "c":
        pytest.skip("complex numbers have no order")
    seed = 0
    for ndim in (1, 2, 3):
        for factors in itertools.product(range(1, 5), repeat=ndim):
            if ndim == 3 and sum(f > 1 for f in factors) < 2:
                continue  # covered by the lower dims; keeps the test fast
            seed += 1
            # odd edges: each side a multiple of its factor plus nothing, as blocks come
            shape = tuple(f * (2 + (seed + a) % 3) for a, f in enumerate(factors))
            x = _data(shape, dtype, seed)
            with np.errstate(all="ignore"):
                got = reduce_block(x, factors, method)
                want = _formula(x, factors, method)
            assert _same(got, want), (dtype, method, factors, shape)


def test_strided_reducer_takes_any_memory_layout():
    x = _data((12, 18, 8), "uint16", 1)
    for block in (np.asfortranarray(x), x[:, ::-1], x.transpose(1, 0, 2)):
        factors = (2, 3, 4)
        assert _same(reduce_block(block, factors, "mean"), _formula(block, factors, "mean"))


def test_long_windows_use_the_formula():
    x = _data((16, 24), "float32", 2)  # factor 8 sums pairwise along a contiguous axis
    with np.errstate(all="ignore"):
        assert _same(reduce_block(x, (8, 8), "mean"), _formula(x, (8, 8), "mean"))


def test_reducer_leaves_its_input_alone():
    x = _data((8, 8), "float32", 3)
    before = x.copy()
    reduce_block(x, (1, 1), "mean")[...] = 0
    reduce_block(x, (2, 2), "max")
    assert _same(x, before)
