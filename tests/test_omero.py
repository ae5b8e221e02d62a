"""The omero display windows: computed from a bounded sample of a stored level."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import zarr

import xarray_ngff as xn
from xarray_ngff import _omero
from xarray_ngff._omero import compute_omero, read_sample


class Recording:
    """A zarr array that records every region read from it."""

    def __init__(self, array):
        self.array = array
        self.shape = array.shape
        self.chunks = array.chunks
        self.reads: list[int] = []

    def __getitem__(self, region):
        out = self.array[region]
        self.reads.append(out.size)
        return out


def _array(shape, chunks, dtype="uint16", seed=0):
    z = zarr.create_array(zarr.storage.MemoryStore(), shape=shape, chunks=chunks, dtype=dtype)
    z[...] = np.random.default_rng(seed).integers(0, 4000, size=shape).astype(dtype)
    return z


def test_small_level_is_read_whole():
    z = _array((3, 20, 30), (1, 8, 8))
    sample = read_sample(z, ("c", "y", "x"), budget=3 * 20 * 30)
    np.testing.assert_array_equal(sample, z[...].reshape(3, -1))


@pytest.mark.parametrize(
    ("shape", "chunks", "dims"),
    [
        ((256, 256), (16, 16), ("y", "x")),
        ((2, 64, 128, 128), (1, 16, 32, 32), ("c", "z", "y", "x")),
        ((40, 3, 64, 64), (8, 1, 16, 16), ("t", "c", "y", "x")),
        ((100, 100), (7, 9), ("y", "x")),  # edge chunks
    ],
)
def test_large_level_reads_a_bounded_lattice_of_whole_chunks(shape, chunks, dims):
    n_channels = shape[dims.index("c")] if "c" in dims else 1
    per_chunk = n_channels * math.prod(c for c, d in zip(chunks, dims, strict=True) if d != "c")
    budget = 4 * per_chunk
    rec = Recording(_array(shape, chunks))
    sample = read_sample(rec, dims, budget=budget)
    assert sample.shape[0] == n_channels
    assert sample.size <= budget < math.prod(shape)
    assert sum(rec.reads) == sample.size  # nothing read beyond the sample
    assert max(rec.reads) <= per_chunk  # one stored chunk (all channels) per read
    assert len(rec.reads) >= 2  # spread over several chunks, not one corner


def test_one_chunk_larger_than_the_budget_is_thinned():
    z = _array((512, 512), (512, 512))
    sample = read_sample(z, ("y", "x"), budget=10_000)
    assert 0 < sample.size <= 10_000
    np.testing.assert_array_equal(sample[0], z[::8, ::8].ravel())


def test_sample_windows_track_the_full_quantiles():
    z = _array((512, 512), (32, 32), seed=3)
    full = compute_omero(z[...], ("y", "x"), ["a"])["channels"][0]["window"]
    sample = compute_omero(read_sample(z, ("y", "x"), budget=16384), ("c", "x"), ["a"])
    win = sample["channels"][0]["window"]
    assert (win["min"], win["max"]) == (full["min"], full["max"])  # the dtype's range
    assert abs(win["start"] - full["start"]) < 40 and abs(win["end"] - full["end"]) < 40


def test_default_plane_is_the_levels_middle_z():
    data = np.zeros((2, 9, 4, 4), "uint8")
    whole = compute_omero(data, ("c", "z", "y", "x"), ["a", "b"])
    sampled = compute_omero(data.reshape(2, -1), ("c", "x"), ["a", "b"], z_size=9)
    assert whole["rdefs"] == sampled["rdefs"] and whole["rdefs"]["defaultZ"] == 4


def test_writer_samples_a_one_level_image(tmp_path, monkeypatch):
    monkeypatch.setattr(_omero, "_MAX_SAMPLE", 4096)
    data = np.random.default_rng(1).integers(0, 1000, size=(2, 128, 128)).astype("uint16")
    img = xn.to_ngff_image(data, dims=("c", "y", "x"), channel_names=["DAPI", "GFP"])
    ms = xn.to_multiscales(img, scale_factors=[], chunks=32)
    reads = []
    original = _omero.read_sample

    def spy(array, dims, budget=None):
        out = original(array, dims, budget)
        reads.append(out.size)
        return out

    monkeypatch.setattr("xarray_ngff._image_writer.read_sample", spy)
    xn.to_ngff_zarr(tmp_path / "one.zarr", ms, version="0.5")
    attrs = json.loads((tmp_path / "one.zarr" / "zarr.json").read_text())["attributes"]
    channels = attrs["ome"]["omero"]["channels"]
    assert [c["label"] for c in channels] == ["DAPI", "GFP"]
    assert reads and reads[0] <= 4096 < data.size
    for ch, values in zip(channels, data, strict=True):
        assert values.min() <= ch["window"]["start"] < ch["window"]["end"] <= values.max()
