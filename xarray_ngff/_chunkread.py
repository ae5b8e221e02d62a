"""Synchronous chunk reads for dask tasks and lazily indexed arrays.

A dask task that reads one block of a zarr array through ``zarr.Array.__getitem__`` pays
about 2-3 ms of zarr-python's per-call machinery (a hop to zarr's event-loop thread, a
thread-pool hop per codec, the shard index read as a separate request, two copies), while
decoding a 1 MiB chunk takes about 1 ms. With one task per inner chunk (``chunks={}``) that
made a full read 2.5x slower than one ``array[...]`` call. :class:`ChunkReader` reads the
same bytes with zarr's own building blocks (the store's ``get_sync``, the codecs'
``_decode_sync``, zarr's fill-value rule) on the calling thread, so dask's workers decode in
parallel with no hops; a read spanning several chunks (the lazy ``chunks=None`` path, or dask
blocks larger than the stored chunks) fetches and decodes them on a small thread pool, as
zarr-python does within one call. It is used only where every piece supports that (local and memory
stores; plain, sharded, v2 and v3 arrays of numeric dtypes with bytes-to-bytes codecs); any
other array, or a key other than plain slices and integers, goes through zarr-python.
Equality with zarr-python's reads is tested over shapes, chunks, shards, codecs, edge
chunks, missing chunks and missing shards (``tests/test_chunkread.py``).

zarr-python stays the reference. Every zarr piece beyond its public ``Array`` is imported
under one guard, and a reader is built only when they all behave as expected; a read that
fails is retried through zarr-python, whose verdict stands: its error when the data is
corrupt, its data (and zarr-python for that array from then on) when the internals used here
have changed. The reader's thread count and the reader itself are options
(:func:`~xarray_ngff.set_options`: ``decode_threads``, ``chunk_reader``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import zarr

from ._options import OPTIONS
from ._warn import emit_user_level_warning
from .errors import NgffWarning

try:  # every zarr-python piece beyond its public Array (synchronous ones from 3.1.6): without
    # any of them, zarr-python does all the reading
    from zarr.abc.codec import SupportsSyncCodec
    from zarr.abc.store import RangeByteRequest, SuffixByteRequest, SupportsGetSync
    from zarr.codecs import BytesCodec, ShardingCodec
    from zarr.codecs.sharding import ShardingCodecIndexLocation
    from zarr.core.buffer import default_buffer_prototype
    from zarr.core.buffer.cpu import buffer_prototype as cpu_prototype
    from zarr.core.codec_pipeline import fill_value_or_default
    from zarr.core.metadata.v2 import ArrayV2Metadata
    from zarr.core.metadata.v3 import ArrayV3Metadata
except ImportError:  # pragma: no cover - depends on the installed zarr
    SupportsSyncCodec = None

__all__ = ["ChunkReader", "readable"]

_MISSING = np.uint64(2**64 - 1)
_POOL: tuple[int, ThreadPoolExecutor] | None = None
_WARNED = False  # the fallback to zarr-python is reported once per process


def _pool() -> ThreadPoolExecutor:
    """A process-wide pool for decoding, of ``decode_threads`` threads (see
    :func:`~xarray_ngff.set_options`). A pool of another size is dropped, not shut down: a
    read in flight on it finishes, then its threads exit with it."""
    global _POOL
    workers = OPTIONS["decode_threads"]
    if _POOL is None or _POOL[0] != workers:
        _POOL = (workers, ThreadPoolExecutor(workers, thread_name_prefix="xarray-ngff-read"))
    return _POOL[1]


def _forget_pool() -> None:
    # a forked child inherits the pool object but not its threads, and would wait forever on it
    global _POOL
    _POOL = None


if hasattr(os, "register_at_fork"):  # POSIX; elsewhere processes are spawned, never forked
    os.register_at_fork(after_in_child=_forget_pool)


def _sync_codecs(codecs: Sequence[Any]) -> bool:
    return all(isinstance(c, SupportsSyncCodec) for c in codecs)


class _V3Chain:
    """bytes -> ndarray for one (inner) chunk: a BytesCodec after sync bytes codecs."""

    def __init__(self, codecs: Sequence[Any], spec: Any) -> None:
        self.array_bytes = codecs[0]
        self.bytes_bytes = tuple(reversed(codecs[1:]))
        self.spec = spec

    @staticmethod
    def supports(codecs: Sequence[Any]) -> bool:
        return (
            len(codecs) >= 1
            and isinstance(codecs[0], BytesCodec)
            and hasattr(codecs[0], "_decode_sync")
            and _sync_codecs(codecs[1:])
        )

    def decode(self, buf: Any) -> np.ndarray:
        for codec in self.bytes_bytes:
            buf = codec._decode_sync(buf, self.spec)
        return self.array_bytes._decode_sync(buf, self.spec).as_ndarray_like()


class ChunkReader:
    """Read basic-index regions of one zarr array on the calling thread.

    Build it with :meth:`for_array`, which returns ``None`` when the array or its store
    needs zarr-python's asynchronous path.

    Examples
    --------
    >>> import numpy as np, zarr
    >>> z = zarr.create_array({}, shape=(5, 7), chunks=(2, 3), shards=(4, 6), dtype="i4")
    >>> z[:] = np.arange(35).reshape(5, 7)
    >>> reader = ChunkReader.for_array(z)
    >>> reader[1:4, 2:6].tolist() == z[1:4, 2:6].tolist()
    True
    """

    __slots__ = (
        "array", "store", "prefix", "shape", "dtype", "chunks", "fill", "_key", "_chain",
        "_v2", "_stored", "_shard", "_per_shard", "_index_size", "_index_chain", "_index_at_end",
        "_fallback",
    )  # fmt: skip

    def __init__(self, array: zarr.Array) -> None:
        md = array.metadata
        self.array = array
        self._fallback = False  # set when zarr-python read what this reader could not
        self.store = array.store_path.store
        self.prefix = array.store_path.path
        self.shape = tuple(int(n) for n in array.shape)
        self.dtype = np.dtype(array.dtype)
        spec = md.get_chunk_spec((0,) * array.ndim, array._async_array.config, cpu_prototype)
        self.fill = fill_value_or_default(spec)
        self._key = md.encode_chunk_key
        self._shard: tuple[int, ...] | None = None
        self._v2 = isinstance(md, ArrayV2Metadata)
        if self._v2:
            self.chunks = tuple(int(c) for c in md.chunks)
            self._chain = None
            self._stored = md.dtype.to_native_dtype()
            return
        outer = md.codecs[0]
        if isinstance(outer, ShardingCodec):
            self._shard = tuple(int(c) for c in md.chunk_grid.chunk_shape)
            self.chunks = tuple(int(c) for c in outer.chunk_shape)
            self._per_shard = tuple(s // c for s, c in zip(self._shard, self.chunks, strict=True))
            inner_spec = outer._get_chunk_spec(spec)
            self._chain = _V3Chain(outer.codecs, inner_spec)
            index_spec = outer._get_index_chunk_spec(self._per_shard)
            self._index_chain = _V3Chain(outer.index_codecs, index_spec)
            self._index_size = outer._shard_index_size(self._per_shard)
            self._index_at_end = outer.index_location == ShardingCodecIndexLocation.end
        else:
            self.chunks = tuple(int(c) for c in md.chunk_grid.chunk_shape)
            self._chain = _V3Chain(md.codecs, spec)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.array,))  # rebuilt from the array in another process

    @classmethod
    def for_array(cls, array: zarr.Array) -> ChunkReader | None:
        """A reader for ``array``, or ``None`` when zarr-python must do the reading."""
        if SupportsSyncCodec is None:
            return None
        try:
            return cls._for_array(array)
        except Exception:  # only zarr internals are touched here: they are not as expected
            return None

    @classmethod
    def _for_array(cls, array: zarr.Array) -> ChunkReader | None:
        md = array.metadata
        store = array.store_path.store
        if not isinstance(store, SupportsGetSync):
            return None
        if default_buffer_prototype().buffer is not cpu_prototype.buffer:
            return None  # zarr is set up for GPU buffers (zarr.config.enable_gpu())
        dtype = np.dtype(array.dtype)
        if dtype.kind not in "biufc" or dtype.hasobject:
            return None
        if isinstance(md, ArrayV2Metadata):
            ok = not md.filters and (md.compressor is None or hasattr(md.compressor, "decode"))
            return cls(array) if ok else None
        if not isinstance(md, ArrayV3Metadata) or not md.codecs:
            return None
        if type(md.chunk_grid).__name__ != "RegularChunkGrid":
            return None
        outer = md.codecs[0]
        if isinstance(outer, ShardingCodec):
            inner_ok = _V3Chain.supports(outer.codecs)
            index_ok = _V3Chain.supports(outer.index_codecs)
            ok = inner_ok and index_ok and _sync_codecs(md.codecs[1:])
            if ok and len(md.codecs) > 1:
                return None  # codecs outside the shard: rare; zarr-python handles them
            return cls(array) if ok else None
        return cls(array) if _V3Chain.supports(md.codecs) else None

    # -- reading ----------------------------------------------------------------------------

    def _get(self, key: str, byte_range: Any = None) -> Any:
        path = f"{self.prefix}/{key}" if self.prefix else key
        return self.store.get_sync(path, prototype=cpu_prototype, byte_range=byte_range)

    def _decode_v2(self, buf: Any) -> np.ndarray:
        md = self.array.metadata
        raw = buf.as_numpy_array()
        if md.compressor is not None:
            raw = md.compressor.decode(raw)
        flat = np.frombuffer(raw, dtype=np.uint8).view(self._stored)
        return flat.reshape(self.chunks, order=md.order)

    def _shard_index(self, shard_key: str) -> np.ndarray | None:
        request = (
            SuffixByteRequest(self._index_size)
            if self._index_at_end
            else RangeByteRequest(0, self._index_size)
        )
        buf = self._get(shard_key, request)
        if buf is None:
            return None
        return np.asarray(self._index_chain.decode(buf))

    def _locate(self, coords: list[tuple[int, ...]]) -> list[tuple[tuple[int, ...], Any]]:
        """Each chunk with where its bytes are: ``(key, byte range)``, or ``None`` when the
        chunk (or its whole shard) was never written."""
        if self._shard is None:
            return [(c, (self._key(c), None)) for c in coords]
        by_shard: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
        for c in coords:
            shard = tuple(i // p for i, p in zip(c, self._per_shard, strict=True))
            by_shard.setdefault(shard, []).append(c)
        found: list[tuple[tuple[int, ...], Any]] = []
        for shard, members in by_shard.items():
            key = self._key(shard)
            index = self._shard_index(key)
            for c in members:
                if index is None:
                    found.append((c, None))
                    continue
                local = tuple(i % p for i, p in zip(c, self._per_shard, strict=True))
                start, length = index[local]
                if start == _MISSING and length == _MISSING:
                    found.append((c, None))
                else:
                    found.append((c, (key, RangeByteRequest(int(start), int(start + length)))))
        return found

    def _decode(self, buf: Any) -> np.ndarray:
        return self._decode_v2(buf) if self._v2 else self._chain.decode(buf)

    def read(self, starts: Sequence[int], stops: Sequence[int]) -> np.ndarray:
        """The region ``[starts, stops)`` as a new, writable array.

        Chunks are fetched and decoded on a small thread pool when the region spans several
        (the codecs release the GIL), as zarr-python does within one call."""
        shape = tuple(b - a for a, b in zip(starts, stops, strict=True))
        out = np.empty(shape, dtype=self.dtype)
        if 0 in shape:
            return out
        ranges = [
            range(a // c, (b - 1) // c + 1)
            for a, b, c in zip(starts, stops, self.chunks, strict=True)
        ]

        def fill(item: tuple[tuple[int, ...], Any]) -> None:
            c, where = item
            lo = [i * n for i, n in zip(c, self.chunks, strict=True)]
            dst = tuple(
                slice(max(a, l0) - a, min(b, l0 + n) - a)
                for a, b, l0, n in zip(starts, stops, lo, self.chunks, strict=True)
            )
            buf = None if where is None else self._get(*where)
            if buf is None:
                out[dst] = self.fill
                return
            src = tuple(
                slice(max(a, l0) - l0, min(b, l0 + n) - l0)
                for a, b, l0, n in zip(starts, stops, lo, self.chunks, strict=True)
            )
            out[dst] = self._decode(buf)[src]

        located = self._locate(list(itertools.product(*ranges)))
        if len(located) == 1:
            fill(located[0])
        else:
            for _ in _pool().map(fill, located):  # re-raises the first error
                pass
        return out

    def __getitem__(self, key: Any) -> np.ndarray:
        normal = _plain_region(key, self.shape)
        if normal is None or self._fallback or not OPTIONS["chunk_reader"]:
            return self.array[key]
        starts, stops, drop = normal
        try:
            region = self.read(starts, stops)
        except (OSError, MemoryError):
            raise  # the disk or the machine, not the decoding: zarr-python would fail alike
        except Exception as err:
            return self._zarr_decides(key, err)
        if any(drop):  # integer dims; a reshape keeps 0-d results arrays, as zarr does
            region = region.reshape([n for n, d in zip(region.shape, drop, strict=True) if not d])
        return region

    def _zarr_decides(self, key: Any, err: Exception) -> np.ndarray:
        """Read ``key`` with zarr-python after this reader failed with ``err``.

        zarr-python is the reference: when it fails too, the chunk data is what is wrong and
        its error is raised (on truncated or random bytes, raw or compressed, plain or
        sharded, the two readers failed on the same cases). When it succeeds, the internals
        this reader calls have changed under it (a renamed attribute, a new signature), so
        zarr's result is returned and this array is read by zarr-python from then on."""
        data = self.array[key]  # raises zarr-python's own error for corrupt data
        self._fallback = True
        global _WARNED
        if not _WARNED:
            _WARNED = True
            emit_user_level_warning(
                f"xarray-ngff's chunk reader failed where zarr-python {zarr.__version__} "
                f"did not ({type(err).__name__}: {err}); arrays that fail so are read "
                "through zarr-python (slower, same data). Please report this with your zarr "
                "version; xn.set_options(chunk_reader=False) turns the reader off.",
                NgffWarning,
            )
        return data


def readable(array: zarr.Array) -> ChunkReader | zarr.Array:
    """``array`` behind a :class:`ChunkReader` where one applies, else ``array`` itself:
    either way, something to index like the array."""
    return ChunkReader.for_array(array) or array


def _plain_region(
    key: Any, shape: tuple[int, ...]
) -> tuple[list[int], list[int], list[bool]] | None:
    """Starts, stops and integer-dims of a key made of unit-step slices and integers."""
    if not isinstance(key, tuple):
        key = (key,)
    if len(key) > len(shape) or any(k is Ellipsis or k is None for k in key):
        return None
    key = key + (slice(None),) * (len(shape) - len(key))
    starts, stops, drop = [], [], []
    for k, n in zip(key, shape, strict=True):
        if isinstance(k, slice):
            a, b, step = k.indices(n)
            if step != 1:
                return None
            starts.append(a)
            stops.append(max(a, b))
            drop.append(False)
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            i = int(k) + n if k < 0 else int(k)
            if not 0 <= i < n:
                return None  # zarr-python raises its own IndexError
            starts.append(i)
            stops.append(i + 1)
            drop.append(True)
        else:
            return None
    return starts, stops, drop
