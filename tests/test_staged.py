"""Task sizes of the staged writer: merged blocks stay aligned and within the budget, and the
written pyramid is the same pixels."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st

import xarray_ngff as xn
from xarray_ngff._staged import staged_blocks, staged_piece, window_bytes


@settings(max_examples=40, deadline=None)
@given(
    dims=st.lists(
        st.tuples(st.integers(1, 6), st.integers(1, 40), st.integers(1, 3), st.integers(0, 4)),
        min_size=1,
        max_size=3,
    ),
    budget=st.integers(1, 20000),
)
def test_merged_blocks_are_aligned_and_within_budget(dims, budget):
    chunks = tuple((u,) * n + ((u // 2,) if u > 1 else ()) for n, u, _, _ in dims)
    factors = tuple(f for _, _, f, _ in dims)
    depths = tuple(d for _, _, _, d in dims)
    merged = staged_blocks(chunks, factors, depths, 2, budget)
    for old, new in zip(chunks, merged, strict=True):
        assert sum(new) == sum(old)
        edges = set(np.cumsum(old).tolist())
        assert set(np.cumsum(new).tolist()) <= edges  # whole old blocks only
    grew = any(len(n) < len(o) for o, n in zip(chunks, merged, strict=True))
    if grew:
        assert any(depths)
        assert window_bytes([c[0] for c in merged], factors, depths, 2) <= budget


def test_piece_is_the_block_only_with_a_halo_that_fits():
    assert staged_piece((64, 64), (32, 32), (2, 2), (3, 3), 1) == (64, 64)
    assert staged_piece((64, 64), (32, 32), (2, 2), (0, 0), 1) == (32, 32)
    assert staged_piece((64, 64), (32, 32), (2, 2), (3, 3), 1, budget=1000) == (32, 32)


@pytest.mark.parametrize("cps", [None, 2])
def test_staged_levels_equal_the_pyramid(tmp_path, cps):
    rng = np.random.default_rng(3)
    data = rng.integers(0, 4000, (100, 77)).astype("uint16")
    ms = xn.to_multiscales(xn.to_ngff_image(data, dims=("y", "x")), scale_factors=[2, 4], chunks=16)
    xn.to_ngff_zarr(tmp_path / "a.zarr", ms, chunks_per_shard=cps)
    for k in range(3):
        written = zarr.open_array(tmp_path / "a.zarr", path=str(k), mode="r")[...]
        np.testing.assert_array_equal(written, ms[f"scale{k}"]["image"].values)


def test_kept_borders_never_outlive_their_write(tmp_path, monkeypatch):
    """Rewriting a store in the same process with other pixels builds its levels from the new
    level 0 (the borders kept by the first write are never served to the second), and a
    write leaves nothing kept."""
    from xarray_ngff import _staged

    # one chunk per task, so that tasks share borders even on a small image
    monkeypatch.setattr(_staged, "staged_blocks", lambda chunks, *_: chunks)
    monkeypatch.setattr(_staged, "staged_piece", lambda block, chunk, *_: tuple(chunk))
    hits = []
    real = _staged.FaceCache.get

    def get(self, key, src):
        found = real(self, key, src)
        if found is not None:
            hits.append(key[0])
        return found

    monkeypatch.setattr(_staged.FaceCache, "get", get)
    tokens = []
    for seed in (0, 1):
        data = np.random.default_rng(seed).integers(0, 4000, (64, 64, 48)).astype("uint16")
        img = xn.to_ngff_image(data, dims=("z", "y", "x"))
        ms = xn.to_multiscales(img, scale_factors=[2, 4], chunks=16)
        hits.clear()
        xn.to_ngff_zarr(tmp_path / "a.zarr", ms)
        assert hits and _staged._FACES.held == 0
        tokens.append(set(hits))
        for k in (1, 2):
            written = zarr.open_array(tmp_path / "a.zarr", path=str(k), mode="r")[...]
            np.testing.assert_array_equal(written, ms[f"scale{k}"]["image"].values)
    assert not tokens[0] & tokens[1]


@settings(max_examples=30, deadline=None)
@given(
    grid=st.lists(st.integers(1, 7), min_size=1, max_size=3),
    tile=st.lists(st.integers(1, 8), min_size=3, max_size=3),
)
def test_sweep_visits_every_block_once_tile_by_tile(grid, tile):
    from xarray_ngff._staged import sweep

    tile = tile[: len(grid)]
    order = list(sweep(grid, tile))
    assert sorted(order) == sorted(itertools.product(*(range(n) for n in grid)))
    tiles = [tuple(i // t for i, t in zip(b, tile, strict=True)) for b in order]
    assert tiles == sorted(tiles)  # one tile after the other, in row-major order
    for a, b in zip(order, order[1:], strict=False):
        if tiles[order.index(a)] == tiles[order.index(b)]:
            assert a < b  # row-major inside a tile


def test_sweep_tile_keeps_its_front_within_the_budget():
    from xarray_ngff._staged import sweep_tile

    blocks = ((256,) * 4, (256,) * 16, (256,) * 16)
    small = sweep_tile(blocks, (2, 2, 2), (3, 3, 3), 2, budget=2**20)
    large = sweep_tile(blocks, (2, 2, 2), (3, 3, 3), 2, budget=2**30)
    assert small[0] == 4 and small[1:] == (1, 1)  # z whole, one block column at a time
    assert large == (4, 16, 16)
    assert sweep_tile(blocks, (2, 2, 2), (0, 0, 0), 2) == (1, 1, 1)  # no halo: any order
