"""ChunkWriter stores exactly what zarr-python stores, or hands the write to zarr-python."""

from __future__ import annotations

import itertools
import pickle
import warnings
from unittest import mock

import numpy as np
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zarr.codecs import BloscCodec
from zarr_layouts import create_kwargs, draw_layout, import_without

import xarray_ngff as xn
from xarray_ngff import _chunkwrite
from xarray_ngff._chunkwrite import ChunkWriter, writable


@st.composite
def layouts(draw):
    layout = draw_layout(draw, max_side=11)
    fills: list = [0, 3, None]
    if layout["dtype"] in ("<f4", ">f8"):
        fills.append(float("nan"))
    return {
        **layout,
        "fill_value": draw(st.sampled_from(fills)),
        "empty": draw(st.floats(0, 1)),  # fraction of chunks that hold only the fill value
        "pieces": draw(st.booleans()),  # one write per grid cell (as dask.store) or one write
        "write_empty": draw(st.booleans()),  # zarr-python's write_empty_chunks
    }


def _create(layout, store):
    kwargs = create_kwargs(layout)
    kwargs["config"] = {"write_empty_chunks": layout["write_empty"]}
    return zarr.create_array(store, overwrite=True, **kwargs)


def _data(layout, fill):
    rng = np.random.default_rng(layout["seed"])
    data = (rng.random(layout["shape"]) * 100).astype(layout["dtype"])
    if data.dtype.kind == "f":
        data.flat[:: max(1, data.size // 3)] = -0.0  # a zero that is not the fill's bits
    # whole chunks of the fill value: zarr-python does not store them
    step = layout["chunks"]
    for origin in np.ndindex(*[-(-n // s) for n, s in zip(layout["shape"], step, strict=True)]):
        if rng.random() < layout["empty"]:
            region = tuple(slice(i * s, (i + 1) * s) for i, s in zip(origin, step, strict=True))
            data[region] = fill
    return data


def _regions(layout):
    if not layout["pieces"]:
        return [tuple(slice(None) for _ in layout["shape"])]
    step = layout["shards"] or layout["chunks"]
    grid = [range(0, n, s) for n, s in zip(layout["shape"], step, strict=True)]
    return [
        tuple(slice(a, a + s) for a, s in zip(origin, step, strict=True))
        for origin in itertools.product(*grid)
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(layout=layouts())
def test_writes_what_zarr_python_writes(layout):
    ours_store, theirs_store = zarr.storage.MemoryStore(), zarr.storage.MemoryStore()
    theirs = _create(layout, theirs_store)
    ours = _create(layout, ours_store)
    writer = ChunkWriter.for_array(ours)
    assert writer is not None
    data = _data(layout, writer.fill)
    mine = data.astype(writer.dtype)  # zarr v3 arrays hold native byte order
    plain = zarr.Array.__setitem__

    def zarr_setitem(array, key, value):
        assert array is not ours, "the write went to zarr-python"
        plain(array, key, value)

    with warnings.catch_warnings(), mock.patch.object(zarr.Array, "__setitem__", zarr_setitem):
        warnings.simplefilter("error", xn.errors.NgffWarning)  # no silent fallback
        for region in _regions(layout):
            theirs[region] = data[region]
            writer[region] = mine[region]
    # the same keys (empty chunks and shards left out alike) with the same bytes
    assert sorted(ours_store._store_dict) == sorted(theirs_store._store_dict)
    for key, value in theirs_store._store_dict.items():
        mine, want = ours_store._store_dict[key].to_bytes(), value.to_bytes()
        if layout["compressor"] == "gzip" and layout["zarr_format"] == 3:
            assert len(mine) == len(want), key  # gzip headers hold the time of writing
        else:
            assert mine == want, key
    got = zarr.open_array(ours_store, mode="r")[...]
    np.testing.assert_array_equal(got, zarr.open_array(theirs_store, mode="r")[...], strict=True)
    np.testing.assert_array_equal(got, data)


def test_local_store_and_overwrite_deletes_stale_chunks(tmp_path):
    z = zarr.create_array(tmp_path / "a.zarr", shape=(6, 7), chunks=(4, 4), dtype="u2")
    writer = writable(z)
    assert isinstance(writer, ChunkWriter)
    writer[:, :] = np.arange(42, dtype="u2").reshape(6, 7) + 1
    assert sorted(p.name for p in (tmp_path / "a.zarr" / "c").rglob("*") if p.is_file()) == [
        "0", "0", "1", "1"
    ]  # fmt: skip
    writer[0:4, 0:4] = np.zeros((4, 4), "u2")  # now all fill: the old chunk must go
    assert not (tmp_path / "a.zarr" / "c" / "0" / "0").exists()
    want = np.arange(42, dtype="u2").reshape(6, 7) + 1
    want[:4, :4] = 0
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "a.zarr")[...], want)


def test_other_keys_go_through_zarr():
    z = zarr.create_array({}, shape=(6, 6), chunks=(4, 4), dtype="u1")
    writer = ChunkWriter.for_array(z)
    writer[1:3, 2:5] = 7  # partial chunk and a scalar: zarr-python's read-modify-write
    writer[5] = np.arange(6, dtype="u1")  # an integer index
    writer[0:4, 0:4] = np.ones((4, 4), "f8")  # another dtype: zarr-python casts
    want = np.zeros((6, 6), "u1")
    want[1:3, 2:5] = 7
    want[5] = np.arange(6)
    want[0:4, 0:4] = 1
    np.testing.assert_array_equal(z[...], want)


def test_declines_read_only_stores(tmp_path):
    zarr.create_array(tmp_path / "b.zarr", shape=(4,), chunks=(2,), dtype="u1")
    assert ChunkWriter.for_array(zarr.open_array(tmp_path / "b.zarr", mode="r")) is None
    strings = zarr.create_array({}, shape=(3,), chunks=(2,), dtype=str)
    assert writable(strings) is strings


def test_option_off_sends_writes_to_zarr(monkeypatch):
    z = zarr.create_array({}, shape=(4, 4), chunks=(2, 2), dtype="u1")
    writer = ChunkWriter.for_array(z)

    def boom(*args):
        raise AssertionError("the chunk writer ran")

    monkeypatch.setattr(ChunkWriter, "write", boom)
    with xn.set_options(chunk_writer=False):
        writer[:, :] = np.full((4, 4), 5, "u1")
    np.testing.assert_array_equal(z[...], np.full((4, 4), 5))


def test_changed_internals_fall_back_to_zarr_with_one_warning(monkeypatch):
    monkeypatch.setattr(ChunkWriter, "_warned", False)
    z = zarr.create_array({}, shape=(4, 4), chunks=(2, 2), shards=(4, 4), dtype="u1")
    writer = ChunkWriter.for_array(z)

    def renamed(*args):
        raise AttributeError("'BloscCodec' object has no attribute '_encode_sync'")

    monkeypatch.setattr(ChunkWriter, "_encode_shard", renamed)
    with pytest.warns(xn.errors.NgffWarning, match="chunk writer failed"):
        writer[:, :] = np.full((4, 4), 9, "u1")
    np.testing.assert_array_equal(z[...], np.full((4, 4), 9))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        writer[:, :] = np.full((4, 4), 2, "u1")  # zarr-python from now on, silently
    np.testing.assert_array_equal(z[...], np.full((4, 4), 2))


def test_disk_errors_are_not_retried(monkeypatch):
    z = zarr.create_array({}, shape=(4,), chunks=(2,), dtype="u1")
    writer = ChunkWriter.for_array(z)

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.store, "set_sync", full)
    with pytest.raises(OSError, match="No space"):
        writer[:] = np.arange(1, 5, dtype="u1")


def test_pickles_to_a_writer_of_the_same_array(tmp_path):
    z = zarr.create_array(tmp_path / "a.zarr", shape=(4,), chunks=(2,), dtype="u1")
    clone = pickle.loads(pickle.dumps(ChunkWriter.for_array(z)))
    clone[:] = np.arange(1, 5, dtype="u1")
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "a.zarr")[...], [1, 2, 3, 4])


def test_a_zarr_without_the_internals_writes_through_zarr_python(monkeypatch):
    probe = import_without(monkeypatch, _chunkwrite, "zarr.core.indexing")
    assert probe.SupportsSetSync is None
    z = zarr.create_array({}, shape=(4,), chunks=(2,), dtype="u1")
    assert probe.writable(z) is z
    assert _chunkwrite.writable(z) is not z  # the real module is untouched


@pytest.mark.parametrize(("version", "cps"), [("0.5", 2), ("0.5", None), ("0.4", None)])
def test_to_ngff_zarr_stores_the_same_files_either_way(tmp_path, monkeypatch, version, cps):
    # edge chunks, an all-zero region (not stored) and a shard past the edge
    data = np.arange(40 * 37, dtype="uint16").reshape(40, 37) % 251
    data[:16, :16] = 0
    ms = xn.to_multiscales(xn.to_ngff_image(data, dims=("y", "x")), scale_factors=[2], chunks=8)
    calls = []
    real = ChunkWriter.write
    monkeypatch.setattr(ChunkWriter, "write", lambda self, *a: calls.append(1) or real(self, *a))
    xn.to_ngff_zarr(tmp_path / "on.zarr", ms, version=version, chunks_per_shard=cps)
    assert calls  # the chunk writer did the writing
    with xn.set_options(chunk_writer=False):
        xn.to_ngff_zarr(tmp_path / "off.zarr", ms, version=version, chunks_per_shard=cps)

    def files(root):
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    on, off = files(tmp_path / "on.zarr"), files(tmp_path / "off.zarr")
    assert sorted(on) == sorted(off)
    assert on == off


@pytest.mark.parametrize("shards", [None, (4, 4)])
def test_write_empty_chunks_true_stores_them_like_zarr(shards):
    stores = [zarr.storage.MemoryStore(), zarr.storage.MemoryStore()]
    ours, theirs = (
        zarr.create_array(
            s,
            shape=(6, 7),
            chunks=(2, 2),
            shards=shards,
            dtype="u2",
            compressors=BloscCodec(cname="zstd", clevel=1),
            config={"write_empty_chunks": True},
        )
        for s in stores
    )
    data = np.zeros((6, 7), "u2")
    data[5, 6] = 1
    ChunkWriter.for_array(ours)[:, :] = data
    theirs[:, :] = data
    mine, want = (dict(s._store_dict) for s in stores)
    assert sorted(mine) == sorted(want)
    assert all(mine[k].to_bytes() == want[k].to_bytes() for k in want)
