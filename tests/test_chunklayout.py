"""The layout shared by the chunk reader and writer: guarded imports and the decline rules."""

from __future__ import annotations

import numpy as np
import pytest
import zarr
from zarr.codecs import TransposeCodec
from zarr_layouts import import_without, zarr_imports_outside_guards

from xarray_ngff import _chunklayout, _chunkread, _chunkwrite

KINDS = [_chunkread.ChunkReader, _chunkwrite.ChunkWriter]


@pytest.mark.parametrize("module", [_chunklayout, _chunkread, _chunkwrite])
def test_every_zarr_internal_is_imported_under_a_guard(module):
    assert zarr_imports_outside_guards(module) == []


def test_a_zarr_without_the_shared_internals_declines(monkeypatch):
    probe = import_without(monkeypatch, _chunklayout, "zarr.core.codec_pipeline")
    assert probe.SupportsSyncCodec is None
    z = zarr.create_array({}, shape=(4,), chunks=(2,), dtype="u1")
    z[:] = np.arange(4, dtype="u1")
    assert _any_store(probe.ChunkLayout).for_array(z) is None
    assert _any_store(_chunklayout.ChunkLayout).for_array(z) is not None  # real one untouched


def _any_store(base):
    return type("AnyStore", (base,), {"_store_fits": classmethod(lambda cls, store: True)})


def test_layout_of_sharded_and_v2_arrays():
    sharded = zarr.create_array({}, shape=(9, 7), chunks=(2, 3), shards=(4, 6), dtype="u2")
    layout = _chunklayout.ChunkLayout(sharded)
    assert (layout.chunks, layout._shard, layout._per_shard) == ((2, 3), (4, 6), (2, 2))
    assert layout._index_size == 2 * 2 * 16 + 4  # offset and length per chunk, crc32c
    v2 = zarr.create_array({}, shape=(5,), chunks=(2,), dtype=">i4", zarr_format=2)
    layout = _chunklayout.ChunkLayout(v2)
    assert layout._v2 and layout.chunks == (2,) and layout._stored == np.dtype(">i4")


def test_the_base_class_takes_no_store():
    # only the reader and writer know which synchronous store methods they call
    z = zarr.create_array({}, shape=(4,), chunks=(2,), dtype="u1")
    assert _chunklayout.ChunkLayout.for_array(z) is None
    assert _chunkread.ChunkReader.for_array(z) is not None
    assert _chunkwrite.ChunkWriter.for_array(z) is not None


@pytest.mark.parametrize("kind", KINDS)
def test_declines_what_zarr_python_must_handle(tmp_path, kind):
    strings = zarr.create_array({}, shape=(3,), chunks=(2,), dtype=str)
    assert kind.for_array(strings) is None
    transposed = zarr.create_array(
        {}, shape=(4, 4), chunks=(2, 2), dtype="u1", filters=[TransposeCodec(order=(1, 0))]
    )
    assert kind.for_array(transposed) is None
    with zarr.storage.ZipStore(tmp_path / "a.zip", mode="w") as zs:
        zipped = zarr.create_array(zs, shape=(4,), chunks=(2,), dtype="u1")
        assert kind.for_array(zipped) is None  # no synchronous get or set


@pytest.mark.parametrize("kind", KINDS)
def test_declines_when_zarr_uses_gpu_buffers(monkeypatch, kind):
    z = zarr.create_array({}, shape=(4,), chunks=(2,), dtype="u1")
    assert kind.for_array(z) is not None
    other = type("GpuBuffer", (), {})
    monkeypatch.setattr(
        _chunklayout, "default_buffer_prototype", lambda: type("P", (), {"buffer": other})()
    )
    assert kind.for_array(z) is None
