"""Synchronous chunk and shard writes for dask tasks: the writing twin of ``_chunkread``.

``zarr.Array.__setitem__`` hands every block to zarr-python's event-loop thread, which checks
each chunk against the fill value with ``np.array_equal`` (7.6 ms per 4 MiB chunk, about as
long as encoding it), copies the block into a shard buffer, encodes on a thread-pool hop per
codec and writes each key with its own request. :class:`ChunkWriter` writes the same bytes
with zarr's own building blocks (the codecs' ``_encode_sync``, zarr's fill-value rule, its
Morton order and shard index, the store's ``set_sync``) on the calling thread, so dask's
workers encode in parallel (the codecs release the GIL) and a whole shard is one store call.

It takes a region only when that region covers whole chunks (whole shards when sharded; the
array's edge may cut the last one) of a local or memory store, with a numeric dtype and
codecs that all encode synchronously; anything else goes through zarr-python. The empty-chunk
rule is zarr-python's: with ``write_empty_chunks=False`` (its default) a chunk that equals the
fill value everywhere (NaN equal to NaN, zero compared by bit pattern) is not stored and any
old copy is deleted. The check looks at the first element before comparing the whole chunk, so
a chunk of data costs almost nothing. Equality of the stored bytes with zarr-python's writes is
tested over shapes, chunks, shards, codecs, dtypes, orders, fill values and edge chunks
(``tests/test_chunkwrite.py``).

As with the reader, every zarr piece beyond its public ``Array`` is imported under one guard
and checked when the writer is built; a write that fails for a reason other than the disk or
memory is redone by zarr-python, whose verdict stands (its error, or its write and
zarr-python for that array from then on). ``xn.set_options(chunk_writer=False)`` sends every
write through zarr-python. The metadata is never written here: the caller writes it last.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import zarr

from ._chunkread import _plain_region, _sync_codecs
from ._options import OPTIONS
from ._warn import emit_user_level_warning
from .errors import NgffWarning

try:  # zarr-python pieces beyond its public Array; without any of them zarr-python writes
    from numcodecs.compat import ensure_bytes
    from zarr.abc.codec import SupportsSyncCodec
    from zarr.abc.store import SupportsDeleteSync, SupportsSetSync
    from zarr.codecs import BytesCodec, ShardingCodec
    from zarr.codecs.sharding import ShardingCodecIndexLocation
    from zarr.core.buffer import default_buffer_prototype
    from zarr.core.buffer.cpu import buffer_prototype as cpu_prototype
    from zarr.core.codec_pipeline import fill_value_or_default
    from zarr.core.indexing import morton_order_iter
    from zarr.core.metadata.v2 import ArrayV2Metadata
    from zarr.core.metadata.v3 import ArrayV3Metadata
except ImportError:  # pragma: no cover - depends on the installed zarr
    SupportsSyncCodec = None

__all__ = ["ChunkWriter", "writable"]

_MISSING = 2**64 - 1
_WARNED = False  # the fallback to zarr-python is reported once per process


def _all_fill(chunk: np.ndarray, fill: Any) -> bool:
    """zarr-python's empty-chunk rule (``NDBuffer.all_equal``), first element first."""
    if chunk.size == 0:
        return True
    kind = chunk.dtype.kind
    if kind in "fc" and fill == 0:
        # +0.0 and -0.0 differ: compare bit patterns, as zarr does
        if chunk.flat[:1].view(np.uint8).any():
            return False
        return not np.ascontiguousarray(chunk).view(np.uint8).any()
    if kind in "fc" and np.isnan(fill):
        first = chunk.flat[0]
        if not np.isnan(first):
            return False
        if kind == "c":
            return bool(np.isnan(chunk.real).all() and np.isnan(chunk.imag).all())
        return bool(np.isnan(chunk).all())
    if chunk.flat[0] != fill:
        return False
    return bool((chunk == fill).all())


class _V3Encoder:
    """ndarray -> bytes for one (inner) chunk: a BytesCodec, then sync bytes codecs."""

    def __init__(self, codecs: Any, spec: Any) -> None:
        self.array_bytes = codecs[0]
        self.bytes_bytes = tuple(codecs[1:])
        self.spec = spec

    @staticmethod
    def supports(codecs: Any) -> bool:
        return (
            len(codecs) >= 1
            and isinstance(codecs[0], BytesCodec)
            and hasattr(codecs[0], "_encode_sync")
            and _sync_codecs(codecs[1:])
        )

    def encode(self, chunk: np.ndarray) -> Any:
        buf = self.array_bytes._encode_sync(
            cpu_prototype.nd_buffer.from_numpy_array(chunk), self.spec
        )
        for codec in self.bytes_bytes:
            buf = codec._encode_sync(buf, self.spec)
        return buf


class ChunkWriter:
    """Write whole-chunk (or whole-shard) regions of one zarr array on the calling thread.

    Build it with :meth:`for_array`, which returns ``None`` when the array or its store
    needs zarr-python's asynchronous path. Indexing assignment takes any key; keys that are
    not whole chunks or shards go to zarr-python.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> z = zarr.create_array({}, shape=(5, 7), chunks=(2, 3), shards=(4, 6), dtype="i4")
    >>> writer = ChunkWriter.for_array(z)
    >>> writer[:, :] = np.arange(35, dtype="i4").reshape(5, 7)
    >>> z[...].tolist() == np.arange(35).reshape(5, 7).tolist()
    True
    """

    __slots__ = (
        "array", "store", "prefix", "shape", "dtype", "chunks", "grid", "fill", "_skip_empty",
        "_key", "_v2", "_order", "_stored", "_encoder", "_shard", "_per_shard", "_index_encoder",
        "_index_size", "_index_at_end", "_fallback",
    )  # fmt: skip

    def __init__(self, array: zarr.Array) -> None:
        md = array.metadata
        config = array._async_array.config
        self.array = array
        self._fallback = False
        self.store = array.store_path.store
        self.prefix = array.store_path.path
        self.shape = tuple(int(n) for n in array.shape)
        self.dtype = np.dtype(array.dtype)
        spec = md.get_chunk_spec((0,) * array.ndim, config, cpu_prototype)
        self.fill = fill_value_or_default(spec)
        self._skip_empty = not config.write_empty_chunks
        self._key = md.encode_chunk_key
        self._shard: tuple[int, ...] | None = None
        self._v2 = isinstance(md, ArrayV2Metadata)
        if self._v2:
            self.chunks = tuple(int(c) for c in md.chunks)
            self._order = md.order
            self._stored = md.dtype.to_native_dtype()
            self._encoder = md.compressor
        else:
            outer = md.codecs[0]
            if isinstance(outer, ShardingCodec):
                self._shard = tuple(int(c) for c in md.chunk_grid.chunk_shape)
                self.chunks = tuple(int(c) for c in outer.chunk_shape)
                self._per_shard = tuple(
                    s // c for s, c in zip(self._shard, self.chunks, strict=True)
                )
                self._encoder = _V3Encoder(outer.codecs, outer._get_chunk_spec(spec))
                index_spec = outer._get_index_chunk_spec(self._per_shard)
                self._index_encoder = _V3Encoder(outer.index_codecs, index_spec)
                self._index_size = outer._shard_index_size(self._per_shard)
                self._index_at_end = outer.index_location == ShardingCodecIndexLocation.end
            else:
                self.chunks = tuple(int(c) for c in md.chunk_grid.chunk_shape)
                self._encoder = _V3Encoder(md.codecs, spec)
        self.grid = self._shard or self.chunks  # the unit of one store key

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.array,))  # rebuilt from the array in another process

    @classmethod
    def for_array(cls, array: zarr.Array) -> ChunkWriter | None:
        """A writer for ``array``, or ``None`` when zarr-python must do the writing."""
        if SupportsSyncCodec is None:
            return None
        try:
            return cls._for_array(array)
        except Exception:  # only zarr internals are touched here: they are not as expected
            return None

    @classmethod
    def _for_array(cls, array: zarr.Array) -> ChunkWriter | None:
        md = array.metadata
        store = array.store_path.store
        if not isinstance(store, SupportsSetSync) or not isinstance(store, SupportsDeleteSync):
            return None
        if store.read_only or default_buffer_prototype().buffer is not cpu_prototype.buffer:
            return None  # read-only, or zarr is set up for GPU buffers
        dtype = np.dtype(array.dtype)
        if dtype.kind not in "biufc" or dtype.hasobject:
            return None
        if isinstance(md, ArrayV2Metadata):
            ok = not md.filters and (md.compressor is None or hasattr(md.compressor, "encode"))
            return cls(array) if ok else None
        if not isinstance(md, ArrayV3Metadata) or not md.codecs:
            return None
        if type(md.chunk_grid).__name__ != "RegularChunkGrid":
            return None
        outer = md.codecs[0]
        if isinstance(outer, ShardingCodec):
            if len(md.codecs) > 1:
                return None  # codecs outside the shard: rare; zarr-python handles them
            ok = _V3Encoder.supports(outer.codecs) and _V3Encoder.supports(outer.index_codecs)
            return cls(array) if ok else None
        return cls(array) if _V3Encoder.supports(md.codecs) else None

    # -- writing ----------------------------------------------------------------------------

    def _path(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _padded(self, piece: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """``piece`` as a C-contiguous array of ``shape``: the part past the array's edge
        holds the fill value, as zarr-python writes edge chunks."""
        if piece.shape == shape:
            return np.ascontiguousarray(piece)
        out = np.full(shape, self.fill, dtype=self.dtype)
        out[tuple(slice(0, n) for n in piece.shape)] = piece
        return out

    def _encode_chunk(self, chunk: np.ndarray) -> Any:
        """The stored bytes of one chunk, or ``None`` when it is not to be stored."""
        if self._skip_empty and _all_fill(chunk, self.fill):
            return None
        if self._v2:
            data = chunk.astype(self._stored, order=self._order, copy=False)
            if self._encoder is not None:
                data = self._encoder.encode(data)
            return ensure_bytes(data)
        return self._encoder.encode(chunk).as_numpy_array()

    def _encode_shard(self, shard: np.ndarray, valid: tuple[int, ...]) -> bytes | None:
        """One shard's bytes (``None``: nothing to store); ``valid`` is the part of the shard
        inside the array: inner chunks wholly past the array's edge are never stored, as
        zarr-python never visits them."""
        index = np.full((*self._per_shard, 2), _MISSING, dtype=np.uint64)
        parts: list[Any] = []
        offset = 0 if self._index_at_end else self._index_size
        for local in morton_order_iter(self._per_shard):
            if any(i * c >= n for i, c, n in zip(local, self.chunks, valid, strict=True)):
                continue
            where = tuple(
                slice(i * c, (i + 1) * c) for i, c in zip(local, self.chunks, strict=True)
            )
            data = self._encode_chunk(shard[where])
            if data is None or len(data) == 0:
                continue
            index[local] = (offset, len(data))
            offset += len(data)
            parts.append(data)
        if not parts:
            return None
        encoded = self._index_encoder.encode(index).as_numpy_array()
        if len(encoded) != self._index_size:
            raise RuntimeError("the shard index encodes to an unexpected size")
        if self._index_at_end:
            parts.append(encoded)
        else:
            parts.insert(0, encoded)
        return b"".join(parts)

    def write(self, starts: list[int], stops: list[int], value: np.ndarray) -> None:
        """Store ``value`` as the region ``[starts, stops)``, which covers whole grid cells
        (chunks, or shards when sharded), one store call per cell."""
        ranges = [
            range(a // g, (b - 1) // g + 1)
            for a, b, g in zip(starts, stops, self.grid, strict=True)
        ]
        for cell in itertools.product(*ranges):
            lo = [i * g for i, g in zip(cell, self.grid, strict=True)]
            src = tuple(
                slice(a - s, min(a + g, n) - s)
                for a, s, g, n in zip(lo, starts, self.grid, self.shape, strict=True)
            )
            piece = value[src]
            full = self._padded(piece, self.grid)
            if self._shard is None:
                data = self._encode_chunk(full)
            else:
                data = self._encode_shard(full, piece.shape)
            path = self._path(self._key(cell))
            if data is None:
                self.store.delete_sync(path)  # as zarr-python: no stale copy stays behind
            else:
                self.store.set_sync(path, cpu_prototype.buffer.from_bytes(data))

    def _whole_cells(self, starts: list[int], stops: list[int]) -> bool:
        return all(
            a % g == 0 and (b % g == 0 or b == n) and b > a
            for a, b, g, n in zip(starts, stops, self.grid, self.shape, strict=True)
        )

    def __setitem__(self, key: Any, value: Any) -> None:
        normal = _plain_region(key, self.shape)
        if normal is None or self._fallback or not OPTIONS["chunk_writer"]:
            self.array[key] = value
            return
        starts, stops, drop = normal
        value = np.asarray(value)
        shape = tuple(b - a for a, b in zip(starts, stops, strict=True))
        if any(drop) or value.shape != shape or value.dtype != self.dtype:
            self.array[key] = value  # broadcasting and casting are zarr-python's
            return
        if not self._whole_cells(starts, stops):
            self.array[key] = value  # a partial chunk needs a read-modify-write
            return
        try:
            self.write(starts, stops, value)
        except (OSError, MemoryError):
            raise  # the disk or the machine: zarr-python would fail alike
        except Exception as err:
            self._zarr_decides(key, value, err)

    def _zarr_decides(self, key: Any, value: np.ndarray, err: Exception) -> None:
        """Redo the write with zarr-python after this writer failed with ``err``: it rewrites
        every key of the region, so nothing this writer left half-done remains. When it
        succeeds, the internals used here have changed: zarr-python writes this array from
        then on."""
        self.array[key] = value  # raises zarr-python's own error for bad input
        self._fallback = True
        global _WARNED
        if not _WARNED:
            _WARNED = True
            emit_user_level_warning(
                f"xarray-ngff's chunk writer failed where zarr-python {zarr.__version__} "
                f"did not ({type(err).__name__}: {err}); arrays that fail so are written "
                "through zarr-python (slower, same bytes). Please report this with your zarr "
                "version; xn.set_options(chunk_writer=False) turns the writer off.",
                NgffWarning,
            )


def writable(array: zarr.Array) -> ChunkWriter | zarr.Array:
    """``array`` behind a :class:`ChunkWriter` where one applies, else ``array`` itself:
    either way, something to assign regions of, like the array."""
    return ChunkWriter.for_array(array) or array
