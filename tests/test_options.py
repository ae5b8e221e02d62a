"""xn.set_options: validated settings read by the pools and the chunk reader when they run."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import xarray_ngff as xn
import xarray_ngff._chunkread as chunkread
from xarray_ngff import _util
from xarray_ngff._chunkread import ChunkReader


@pytest.fixture
def stored(tmp_path):
    path = tmp_path / "img.ome.zarr"
    img = xn.to_ngff_image(np.arange(32 * 32, dtype="u2").reshape(32, 32), dims=("y", "x"))
    xn.to_ngff_zarr(path, xn.to_multiscales(img, [2], chunks=8))
    return path, img


def test_context_manager_restores_and_nests():
    before = dict(xn.get_options())
    with xn.set_options(decode_threads=3):
        with xn.set_options(decode_threads=1, metadata_threads=2):
            assert xn.get_options()["decode_threads"] == 1
            assert xn.get_options()["metadata_threads"] == 2
        assert xn.get_options()["decode_threads"] == 3
        assert xn.get_options()["metadata_threads"] == before["metadata_threads"]
    assert dict(xn.get_options()) == before


def test_global_setting_stays_until_changed():
    before = xn.get_options()["metadata_threads"]
    try:
        xn.set_options(metadata_threads=5)
        assert xn.get_options()["metadata_threads"] == 5
    finally:
        xn.set_options(metadata_threads=before)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"decode_threads": 0},
        {"metadata_threads": -2},
        {"decode_threads": 2.5},
        {"metadata_threads": "4"},
        {"decode_threads": True},
        {"chunk_reader": 1},
        {"chunk_reader": None},
    ],
)
def test_bad_values_are_refused_and_change_nothing(kwargs):
    before = dict(xn.get_options())
    name = next(iter(kwargs))
    good = {"decode_threads": 1} if name == "metadata_threads" else {"metadata_threads": 3}
    with pytest.raises(xn.NgffError, match=f"option {name!r} must be") as info:
        xn.set_options(**good, **kwargs)  # the good one, checked first, is not applied either
    assert info.value.field == name
    assert dict(xn.get_options()) == before


def test_unknown_option_names_the_known_ones():
    with pytest.raises(xn.NgffError, match="unknown option 'threads'.*decode_threads"):
        xn.set_options(threads=4)


def test_get_options_is_read_only():
    with pytest.raises(TypeError):
        xn.get_options()["decode_threads"] = 2  # type: ignore[index]


def test_metadata_threads_sizes_the_plate_pools():
    with xn.set_options(metadata_threads=3):
        assert _util.workers(None, 100) == 3
        assert _util.workers(7, 100) == 7  # max_workers wins per call
        assert _util.workers(None, 2) == 2  # never more threads than items
    assert _util.workers(None, 100) == 16


def test_decode_threads_sizes_the_read_pool(stored):
    path, img = stored
    with xn.set_options(decode_threads=2):
        assert chunkread._pool()._max_workers == 2
        assert chunkread._pool() is chunkread._pool()
        threads = set()
        decode = chunkread._V3Chain.decode

        def spy(self, buf):
            threads.add(threading.current_thread().name)
            return decode(self, buf)

        mp = pytest.MonkeyPatch()
        mp.setattr(chunkread._V3Chain, "decode", spy)
        try:  # chunks=None: one lazy read of 16 chunks, decoded on the pool
            values = xn.from_ngff_zarr(path, chunks=None)["scale0"]["image"].values
        finally:
            mp.undo()
        np.testing.assert_array_equal(values, img.values)
        assert threads and all(t.startswith("xarray-ngff-read") for t in threads)
    with xn.set_options(decode_threads=1):
        assert chunkread._pool()._max_workers == 1


def test_chunk_reader_off_sends_reads_to_zarr(stored, monkeypatch):
    path, img = stored
    calls = []
    read = ChunkReader.read
    monkeypatch.setattr(ChunkReader, "read", lambda self, *a: calls.append(a) or read(self, *a))
    image = xn.from_ngff_zarr(path)["scale0"]["image"]  # opened with the reader on
    with xn.set_options(chunk_reader=False):
        np.testing.assert_array_equal(image.values, img.values)
    assert calls == []
    np.testing.assert_array_equal(image.values, img.values)
    assert len(calls) == 16
