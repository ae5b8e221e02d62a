"""ChunkReader reads exactly what zarr-python reads, or declines."""

from __future__ import annotations

import contextlib
import pickle
import warnings

import numpy as np
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zarr_layouts import create_kwargs, draw_layout, import_without

import xarray_ngff as xn
from xarray_ngff import from_ngff_zarr, to_multiscales, to_ngff_image, to_ngff_zarr
from xarray_ngff._chunkread import ChunkReader, FaceCache, Faces
from xarray_ngff.errors import StoreError


@st.composite
def layouts(draw):
    return {
        **draw_layout(draw, max_side=13),
        "written": draw(st.floats(0, 1)),  # fraction of chunks written; others are missing
        "fill_value": draw(st.sampled_from([0, 3, None])),
    }


def _make(layout, tmp_path):
    store = zarr.storage.LocalStore(tmp_path / "a.zarr")
    arr = zarr.create_array(store, overwrite=True, **create_kwargs(layout))
    rng = np.random.default_rng(layout["seed"])
    data = (rng.random(layout["shape"]) * 100).astype(layout["dtype"])
    # write a random subset of regions so some chunks (and shards) stay missing
    step = layout["shards"] or layout["chunks"]
    grid = [range(0, n, s) for n, s in zip(layout["shape"], step, strict=True)]
    for origin in np.ndindex(*[len(g) for g in grid]):
        if rng.random() < layout["written"]:
            region = tuple(
                slice(g[i], g[i] + s) for g, i, s in zip(grid, origin, step, strict=True)
            )
            arr[region] = data[region]
    return zarr.open_array(store, mode="r")


def _region(draw, shape):
    key = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "int", "full"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "full":
            key.append(slice(None))
        else:
            a = draw(st.integers(0, n))
            key.append(slice(a, draw(st.integers(a, n + 2))))
    return tuple(key)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(layout=layouts(), data=st.data())
def test_reads_equal_zarr_python(layout, data, tmp_path):
    arr = _make(layout, tmp_path)
    reader = ChunkReader.for_array(arr)
    assert reader is not None
    np.testing.assert_array_equal(reader[...], arr[...], strict=True)
    for _ in range(5):
        key = _region(data.draw, layout["shape"])
        got = reader[key]
        want = arr[key]
        np.testing.assert_array_equal(got, want, strict=True)
        assert np.asarray(got).flags.writeable


def test_other_keys_go_through_zarr(tmp_path):
    z = zarr.create_array(tmp_path / "a.zarr", shape=(6, 6), chunks=(4, 4), dtype="u1")
    z[:] = np.arange(36, dtype="u1").reshape(6, 6)
    reader = ChunkReader.for_array(z)
    np.testing.assert_array_equal(reader[::2, 1], z[::2, 1])
    np.testing.assert_array_equal(reader[..., 3], z[..., 3])
    with pytest.raises(IndexError):
        reader[7, 0]


def test_pools_are_rebuilt_in_a_forked_child():
    import os

    import dask.array as da

    import xarray_ngff._chunkread as chunkread
    from xarray_ngff import _compute as writer

    parent = chunkread._pool()
    assert chunkread._pool() is parent
    assert not writer._FORKED  # no pool of our own for dask in the parent
    assert isinstance(writer.fork_safe_dask(), contextlib.nullcontext)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: the fork hooks dropped the inherited pools; fresh ones run work
        ok = False
        try:
            ok = chunkread._POOL is None and writer._FORKED and writer._CHILD_POOL is None
            ok = ok and chunkread._pool() is not parent
            ok = ok and chunkread._pool().submit(int, "7").result() == 7
            with writer.fork_safe_dask():
                ok = ok and int(da.ones(6, chunks=2).sum().compute()) == 6
            ok = ok and writer._CHILD_POOL is not None
        finally:
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert chunkread._pool() is parent  # the parent's pool is untouched


def test_without_zarrs_sync_pieces_zarr_reads(tmp_path, monkeypatch):
    from xarray_ngff import _chunklayout

    monkeypatch.setattr(_chunklayout, "SupportsSyncCodec", None)
    z = zarr.create_array({}, shape=(4,), chunks=(2,), dtype="u1")
    assert ChunkReader.for_array(z) is None
    path = tmp_path / "img.ome.zarr"
    img = to_ngff_image(np.arange(64, dtype="u1").reshape(8, 8), dims=("y", "x"))
    to_ngff_zarr(path, to_multiscales(img, [2], chunks=4))
    np.testing.assert_array_equal(from_ngff_zarr(path)["scale0"]["image"].values, img.values)


def test_pickles_for_process_workers():
    z = zarr.create_array({}, shape=(5,), chunks=(2,), shards=(4,), dtype="u1")
    z[:] = np.arange(5, dtype="u1")
    reader = pickle.loads(pickle.dumps(ChunkReader.for_array(z)))
    assert isinstance(reader, ChunkReader)


def test_dask_path_uses_it_and_reports_corrupt_chunks(tmp_path, monkeypatch):
    path = tmp_path / "img.ome.zarr"
    img = to_ngff_image(np.arange(64 * 64, dtype="u2").reshape(64, 64), dims=("y", "x"))
    to_ngff_zarr(path, to_multiscales(img, [2], chunks=16), chunks_per_shard=2)
    calls = []
    read = ChunkReader.read
    monkeypatch.setattr(ChunkReader, "read", lambda self, *a: calls.append(a) or read(self, *a))
    image = from_ngff_zarr(path)["scale0"]["image"]
    np.testing.assert_array_equal(image.values, img.values)
    assert len(calls) == 16  # one per stored 16x16 chunk, none through zarr-python
    # truncate one shard: the reader must fail loudly, naming the store and path
    shard = next(p for p in (path / "0" / "c").rglob("*") if p.is_file())
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2] + b"\0" * 64)
    with pytest.raises(StoreError, match="path='0'"):
        from_ngff_zarr(path)["scale0"]["image"].compute()


# -- zarr internals that change: zarr-python reads instead, corrupt data still fails ---------


def _stored_image(path, **write):
    img = to_ngff_image(np.arange(32 * 32, dtype="u2").reshape(32, 32), dims=("y", "x"))
    to_ngff_zarr(path, to_multiscales(img, [2], chunks=8), **write)
    return img


def _new_get_sync(self, key, buffer_prototype=None, byte_range=None):  # a renamed keyword
    raise AssertionError("not reached: the old keyword fails first")


def _decode_gone(self, buf):
    raise AttributeError("'NDBuffer' object has no attribute 'as_ndarray_like'")


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("change", ["get_sync signature", "decode attribute"])
def test_changed_internals_fall_back_to_zarr(tmp_path, monkeypatch, change, version):
    import zarr.storage

    import xarray_ngff._chunkread as chunkread

    img = _stored_image(tmp_path / "img.ome.zarr", version=version)
    monkeypatch.setattr(ChunkReader, "_warned", False)
    if change == "get_sync signature":
        monkeypatch.setattr(zarr.storage.LocalStore, "get_sync", _new_get_sync)
    elif version == "0.5":
        monkeypatch.setattr(chunkread._V3Chain, "decode", _decode_gone)
    else:
        monkeypatch.setattr(ChunkReader, "_decode_v2", _decode_gone)
    image = from_ngff_zarr(tmp_path / "img.ome.zarr")["scale0"]["image"]
    with pytest.warns(xn.NgffWarning, match="chunk reader failed where zarr-python"):
        np.testing.assert_array_equal(image.values, img.values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reported once per process
        np.testing.assert_array_equal(image.values, img.values)
    # lazy path too, and the same array is not tried again
    lazy = from_ngff_zarr(tmp_path / "img.ome.zarr", chunks=None)["scale0"]["image"]
    np.testing.assert_array_equal(lazy.values, img.values)


def test_after_a_fallback_that_array_skips_the_reader(monkeypatch):
    z = zarr.create_array({}, shape=(6,), chunks=(2,), dtype="u1")
    z[:] = np.arange(6, dtype="u1")
    reader = ChunkReader.for_array(z)
    calls = []
    monkeypatch.setattr(ChunkReader, "_warned", True)
    monkeypatch.setattr(
        ChunkReader, "read", lambda self, *a: calls.append(a) or _decode_gone(self, None)
    )
    assert reader[1:5].tolist() == [1, 2, 3, 4]
    assert reader[:].tolist() == [0, 1, 2, 3, 4, 5]
    assert len(calls) == 1


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_corrupt_chunks_still_fail_and_keep_the_reader(tmp_path, zarr_format):
    z = zarr.create_array(tmp_path / "a.zarr", shape=(8,), chunks=(4,), dtype="u2",
                          zarr_format=zarr_format)  # fmt: skip
    z[:] = np.arange(8, dtype="u2")
    chunk = "0" if zarr_format == 2 else "c/0"
    (tmp_path / "a.zarr" / chunk).write_bytes(b"\x01" * 5)  # neither zstd/blosc nor 8 bytes
    reader = ChunkReader.for_array(zarr.open_array(tmp_path / "a.zarr", mode="r"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning: the data is what is wrong
        with pytest.raises((RuntimeError, ValueError)):
            reader[:]
    assert reader._fallback is False
    assert reader[4:].tolist() == [4, 5, 6, 7]  # the intact chunk still reads


def test_a_zarr_without_the_internals_reads_through_zarr_python(monkeypatch):
    from xarray_ngff import _chunkread

    probe = import_without(monkeypatch, _chunkread, "zarr.abc.store")
    assert probe.SupportsGetSync is None
    z = zarr.create_array({}, shape=(4,), chunks=(2,), dtype="u1")
    z[:] = np.arange(4, dtype="u1")
    assert probe.readable(z) is z
    assert _chunkread.readable(z) is not z  # the real module is untouched


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    layout=layouts(),
    depth=st.integers(1, 3),
    period=st.integers(1, 12),
    budget=st.sampled_from([0, 64, 4096, 2**20]),
    data=st.data(),
)
def test_reads_sharing_chunk_borders_equal_zarr_python(
    layout, depth, period, budget, data, tmp_path
):
    """Reads that take parts of chunks from a FaceCache return what zarr-python reads, and
    the cache never holds more than its budget."""
    arr = _make(layout, tmp_path)
    reader = ChunkReader.for_array(arr)
    cache = FaceCache(budget)
    faces = Faces(cache, "t", depth, (period,) * arr.ndim, arr.shape)
    for _ in range(6):
        key = _region(data.draw, layout["shape"])
        np.testing.assert_array_equal(reader.get(key, faces), arr[key], strict=True)
        assert cache.held <= budget
    cache.drop("t")
    assert cache.held == 0


def test_chunk_borders_save_decodes(tmp_path, monkeypatch):
    """Windows with a halo of 2 decode each chunk once when the borders are kept: the
    neighbours' halos come from the cache."""
    arr = zarr.create_array(tmp_path / "a.zarr", shape=(64, 64), chunks=(16, 16), dtype="u2")
    arr[...] = np.arange(64 * 64, dtype="u2").reshape(64, 64)
    reader = ChunkReader.for_array(arr)
    decodes = []
    real = ChunkReader._decode
    monkeypatch.setattr(
        ChunkReader, "_decode", lambda self, buf: decodes.append(1) or real(self, buf)
    )

    def windows(faces):
        decodes.clear()
        for y in range(0, 64, 16):  # row-major, as a level's tasks
            for x in range(0, 64, 16):
                key = (slice(max(y - 2, 0), y + 18), slice(max(x - 2, 0), x + 18))
                np.testing.assert_array_equal(reader.get(key, faces), arr[key])
        return len(decodes)

    plain = windows(None)
    shared = windows(Faces(FaceCache(2**20), "t", 2, (16, 16), arr.shape))
    assert plain == 10 * 10  # 2, 3, 3, 2 chunks per window and dim

    assert shared <= 2 * 16 - 1  # at most twice (for an earlier halo, then as a core)


def test_kept_borders_go_after_their_last_reader():
    """A chunk's borders are dropped once every task window that reads it has read it (the
    decode that kept them counts as the first), so the cache holds only borders still due."""
    from xarray_ngff._chunkread import FaceCache, Faces

    cache = FaceCache(2**20)
    faces = Faces(cache, "t", depth=1, period=(4, 4), shape=(12, 12))
    chunk = np.arange(16).reshape(4, 4)
    readers = faces.readers((1, 1), (4, 4))
    assert readers == 9  # the middle chunk: its own window and the 8 around it
    faces.put((1, 1), chunk)
    for _ in range(readers - 2):
        assert faces.get((1, 1), (slice(3, 4), slice(0, 4))) is not None
    assert cache.held > 0
    assert faces.get((1, 1), (slice(0, 4), slice(3, 4))).tolist() == [[3], [7], [11], [15]]
    assert cache.held == 0 and faces.get((1, 1), (slice(3, 4), slice(0, 4))) is None
