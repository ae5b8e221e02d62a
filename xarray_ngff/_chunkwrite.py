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

As with the reader, every zarr piece beyond its public ``Array`` is imported under a guard
(here and in ``_chunklayout``) and checked when the writer is built; a write that fails for a reason other than the disk or
memory is redone by zarr-python, whose verdict stands (its error, or its write and
zarr-python for that array from then on). ``xn.set_options(chunk_writer=False)`` sends every
write through zarr-python. The metadata is never written here: the caller writes it last.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import zarr

from ._chunklayout import MISSING, ChunkLayout, plain_region
from ._options import OPTIONS

try:  # zarr-python pieces beyond its public Array that only writing needs; without any of
    # them zarr-python writes
    from numcodecs.compat import ensure_bytes
    from zarr.abc.store import SupportsDeleteSync, SupportsSetSync
    from zarr.core.buffer.cpu import buffer_prototype as cpu_prototype
    from zarr.core.indexing import morton_order_iter
except ImportError:  # pragma: no cover - depends on the installed zarr
    SupportsSetSync = None

__all__ = ["ChunkWriter", "writable"]


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

    def encode(self, chunk: np.ndarray) -> Any:
        buf = self.array_bytes._encode_sync(
            cpu_prototype.nd_buffer.from_numpy_array(chunk), self.spec
        )
        for codec in self.bytes_bytes:
            buf = codec._encode_sync(buf, self.spec)
        return buf


class ChunkWriter(ChunkLayout):
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

    __slots__ = ("grid", "_skip_empty", "_order")

    _internals = SupportsSetSync is not None
    _chain_type = _V3Encoder
    _codec_method = "_encode_sync"
    _compressor_method = "encode"
    _role, _done, _same, _option = "writer", "written", "bytes", "chunk_writer"
    _warned = False

    def __init__(self, array: zarr.Array) -> None:
        super().__init__(array)
        self._skip_empty = not array._async_array.config.write_empty_chunks
        self.grid = self._shard or self.chunks  # the unit of one store key

    def _setup_v2(self, md: Any) -> None:
        self._order = md.order
        self._chain = md.compressor  # numcodecs: encode, as a chain does

    @classmethod
    def _store_fits(cls, store: Any) -> bool:
        # read-only stores are zarr-python's to refuse
        synchronous = isinstance(store, SupportsSetSync) and isinstance(store, SupportsDeleteSync)
        return synchronous and not store.read_only

    # -- writing ----------------------------------------------------------------------------

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
            if self._chain is not None:
                data = self._chain.encode(data)
            return ensure_bytes(data)
        return self._chain.encode(chunk).as_numpy_array()

    def _encode_shard(self, shard: np.ndarray, valid: tuple[int, ...]) -> bytes | None:
        """One shard's bytes (``None``: nothing to store); ``valid`` is the part of the shard
        inside the array: inner chunks wholly past the array's edge are never stored, as
        zarr-python never visits them."""
        index = np.full((*self._per_shard, 2), MISSING, dtype=np.uint64)
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
        encoded = self._index_chain.encode(index).as_numpy_array()
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
        normal = plain_region(key, self.shape)
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
        self._fell_back(err)


def writable(array: zarr.Array) -> ChunkWriter | zarr.Array:
    """``array`` behind a :class:`ChunkWriter` where one applies, else ``array`` itself:
    either way, something to assign regions of, like the array."""
    return ChunkWriter.for_array(array) or array
