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
under a guard (here and in ``_chunklayout``, the layout it shares with the writer), and a reader is built only when they all behave as expected; a read that
fails is retried through zarr-python, whose verdict stands: its error when the data is
corrupt, its data (and zarr-python for that array from then on) when the internals used here
have changed. The reader's thread count and the reader itself are options
(:func:`~xarray_ngff.set_options`: ``decode_threads``, ``chunk_reader``).
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import zarr

from ._chunklayout import MISSING, ChunkLayout, plain_region
from ._options import OPTIONS

try:  # zarr-python pieces beyond its public Array (synchronous ones from 3.1.6) that only
    # reading needs; without any of them, zarr-python does all the reading
    from zarr.abc.store import RangeByteRequest, SuffixByteRequest, SupportsGetSync
    from zarr.core.buffer.cpu import buffer_prototype as cpu_prototype
except ImportError:  # pragma: no cover - depends on the installed zarr
    SupportsGetSync = None

__all__ = ["ChunkReader", "FaceCache", "Faces", "readable"]

_MISSING = np.uint64(MISSING)
_POOL: tuple[int, ThreadPoolExecutor] | None = None


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


class FaceCache:
    """Borders of decoded chunks, kept for the neighbours whose halos reach into them.

    A task that reads a window with a halo decodes whole chunks for a few pixels of their
    border; the neighbouring task, whose core that chunk is, decodes it again, and so on for
    every neighbour (about 4 times over in 2-D, 8 in 3-D). A reader given :class:`Faces`
    keeps, of each chunk it decodes, the slabs of ``depth`` pixels along the boundaries where
    another task's window starts or ends, and serves a later request that lies inside one of
    them without fetching or decoding anything. Least recently used entries go first once
    ``budget`` bytes are held, so memory stays bounded whatever the image size; thread-safe,
    one per process, entries of several reads told apart by a token.

    Examples
    --------
    >>> cache = FaceCache(2**20)
    >>> faces = Faces(cache, "t", depth=1, period=(4, 4), shape=(8, 8))
    >>> chunk = np.arange(16).reshape(4, 4)
    >>> faces.put((0, 0), chunk)  # keeps its last row and column, where the next tasks read
    >>> faces.get((0, 0), (slice(3, 4), slice(0, 4))).tolist()
    [[12, 13, 14, 15]]
    >>> faces.get((0, 0), (slice(2, 4), slice(0, 4))) is None  # deeper than the kept slab
    True
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.held = 0
        self._entries: OrderedDict[Any, tuple[list[tuple[int, int, np.ndarray]], int, int]]
        self._entries = OrderedDict()
        self._seen: dict[Any, int] = {}  # reads of each chunk so far (hits and decodes)
        self._lock = threading.Lock()

    def _read_once(self, key: Any, readers: int) -> None:
        # the entry goes once every read of its chunk has come (under the lock)
        seen = self._seen.get(key, 0) + 1
        if seen < readers:
            self._seen[key] = seen
            return
        self._seen.pop(key, None)
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.held -= entry[1]

    def get(self, key: Any, src: tuple[slice, ...]) -> np.ndarray | None:
        """The part ``src`` (slices into the chunk) of the chunk of ``key``, or ``None``."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            for axis, start, slab in found[0]:
                s = src[axis]
                if start <= s.start and s.stop <= start + slab.shape[axis]:
                    inner = slice(s.start - start, s.stop - start)
                    self._entries.move_to_end(key)
                    self._read_once(key, found[2])
                    return slab[src[:axis] + (inner,) + src[axis + 1 :]]
        return None

    def put(self, key: Any, slabs: list[tuple[int, int, np.ndarray]], readers: int = 0) -> None:
        """Keep ``slabs`` (axis, start along it, copied array) for the chunk of ``key``, until
        ``readers`` reads of it (this decode and the hits; 0: no count) have come."""
        size = sum(slab.nbytes for _, _, slab in slabs)
        if not slabs or size > self.budget:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.held -= old[1]
            self._entries[key] = (slabs, size, readers)
            self.held += size
            if readers:
                self._read_once(key, readers)
            while self.held > self.budget:
                _, (_, freed, _) = self._entries.popitem(last=False)
                self.held -= freed

    def drop(self, token: Any) -> None:
        """Forget the entries of ``token`` (a read that is over)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == token]:
                self.held -= self._entries.pop(key)[1]
            for key in [k for k in self._seen if k[0] == token]:
                del self._seen[key]


class Faces:
    """What a reader keeps of the chunks it decodes, in ``cache`` under ``token``: slabs of
    ``depth`` pixels at the chunk boundaries that are multiples of ``period`` (where another
    task's window starts), inside an array of ``shape``."""

    __slots__ = ("cache", "token", "depth", "period", "shape")

    def __init__(
        self,
        cache: FaceCache,
        token: Any,
        depth: int,
        period: Sequence[int],
        shape: Sequence[int],
    ) -> None:
        self.cache, self.token, self.depth = cache, token, depth
        self.period, self.shape = tuple(period), tuple(shape)

    def get(self, coords: tuple[int, ...], src: tuple[slice, ...]) -> np.ndarray | None:
        return self.cache.get((self.token, coords), src)

    def put(self, coords: tuple[int, ...], chunk: np.ndarray) -> None:
        d, slabs = self.depth, []
        if d <= 0:
            return
        for axis, n in enumerate(chunk.shape):
            lo = coords[axis] * n
            pre = (slice(None),) * axis
            if 0 < lo and lo % self.period[axis] == 0:
                slabs.append((axis, 0, chunk[pre + (slice(0, d),)].copy()))
            hi = lo + n
            if hi < self.shape[axis] and hi % self.period[axis] == 0:
                slabs.append((axis, n - d, chunk[pre + (slice(n - d, n),)].copy()))
        if sum(s.nbytes for _, _, s in slabs) * 2 > math.prod(chunk.shape) * chunk.itemsize:
            slabs = [(0, 0, chunk.copy())]  # thin chunks: the whole chunk is cheaper
        self.cache.put((self.token, coords), slabs, self.readers(coords, chunk.shape))

    def readers(self, coords: tuple[int, ...], chunk: Sequence[int]) -> int:
        """How many task windows (``period`` apart, ``depth`` of halo, inside ``shape``)
        read the chunk at ``coords``: its entry is dropped after the last one.

        Examples
        --------
        >>> Faces(FaceCache(1), "t", 3, (8,), (32,)).readers((1,), (8,))  # and both sides
        3
        """
        total = 1
        for i, c, p, n in zip(coords, chunk, self.period, self.shape, strict=True):
            lo, hi = i * c, min((i + 1) * c, n)
            first, last = max(0, (lo - self.depth) // p - 1), (hi + self.depth) // p + 1
            total *= sum(
                1
                for w in range(first, min(last, -(-n // p) - 1) + 1)
                if max(w * p - self.depth, 0) < hi and min((w + 1) * p, n) + self.depth > lo
            )
        return total


class _V3Chain:
    """bytes -> ndarray for one (inner) chunk: a BytesCodec after sync bytes codecs."""

    def __init__(self, codecs: Sequence[Any], spec: Any) -> None:
        self.array_bytes = codecs[0]
        self.bytes_bytes = tuple(reversed(codecs[1:]))
        self.spec = spec

    def decode(self, buf: Any) -> np.ndarray:
        for codec in self.bytes_bytes:
            buf = codec._decode_sync(buf, self.spec)
        return self.array_bytes._decode_sync(buf, self.spec).as_ndarray_like()


class ChunkReader(ChunkLayout):
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

    __slots__ = ()

    _internals = SupportsGetSync is not None
    _chain_type = _V3Chain
    _codec_method = "_decode_sync"
    _compressor_method = "decode"
    _role, _done, _same, _option = "reader", "read", "data", "chunk_reader"
    _warned = False

    def _setup_v2(self, md: Any) -> None:
        self._chain = None  # zarr's v2 compressor decodes (``_decode_v2``)

    @classmethod
    def _store_fits(cls, store: Any) -> bool:
        return isinstance(store, SupportsGetSync)

    # -- reading ----------------------------------------------------------------------------

    def _get(self, key: str, byte_range: Any = None) -> Any:
        return self.store.get_sync(self._path(key), prototype=cpu_prototype, byte_range=byte_range)

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

    def read(
        self, starts: Sequence[int], stops: Sequence[int], faces: Faces | None = None
    ) -> np.ndarray:
        """The region ``[starts, stops)`` as a new, writable array.

        Chunks are fetched and decoded on a small thread pool when the region spans several
        (the codecs release the GIL), as zarr-python does within one call. With ``faces``,
        parts of chunks found there are copied from it, and decoded chunks leave their
        borders there for the next reads (see :class:`FaceCache`)."""
        shape = tuple(b - a for a, b in zip(starts, stops, strict=True))
        out = np.empty(shape, dtype=self.dtype)
        if 0 in shape:
            return out
        ranges = [
            range(a // c, (b - 1) // c + 1)
            for a, b, c in zip(starts, stops, self.chunks, strict=True)
        ]

        def boxes(c: tuple[int, ...]) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
            lo = [i * n for i, n in zip(c, self.chunks, strict=True)]
            dst = tuple(
                slice(max(a, l0) - a, min(b, l0 + n) - a)
                for a, b, l0, n in zip(starts, stops, lo, self.chunks, strict=True)
            )
            src = tuple(
                slice(max(a, l0) - l0, min(b, l0 + n) - l0)
                for a, b, l0, n in zip(starts, stops, lo, self.chunks, strict=True)
            )
            return dst, src

        def fill(item: tuple[tuple[int, ...], Any]) -> None:
            c, where = item
            dst, src = boxes(c)
            buf = None if where is None else self._get(*where)
            if buf is None:
                out[dst] = self.fill
                return
            chunk = self._decode(buf)
            out[dst] = chunk[src]
            if faces is not None:
                faces.put(c, chunk)

        wanted = list(itertools.product(*ranges))
        if faces is not None:
            missed = []
            for c in wanted:
                dst, src = boxes(c)
                kept = faces.get(c, src)
                if kept is None:
                    missed.append(c)
                else:
                    out[dst] = kept
            wanted = missed
            if not wanted:
                return out
        located = self._locate(wanted)
        if len(located) == 1:
            fill(located[0])
        else:
            for _ in _pool().map(fill, located):  # re-raises the first error
                pass
        return out

    def __getitem__(self, key: Any) -> np.ndarray:
        return self.get(key)

    def get(self, key: Any, faces: Faces | None = None) -> np.ndarray:
        """``self[key]``, sharing chunk borders through ``faces`` (see :meth:`read`)."""
        normal = plain_region(key, self.shape)
        if normal is None or self._fallback or not OPTIONS["chunk_reader"]:
            return self.array[key]
        starts, stops, drop = normal
        try:
            region = self.read(starts, stops, faces)
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
        self._fell_back(err)
        return data


def readable(array: zarr.Array) -> ChunkReader | zarr.Array:
    """``array`` behind a :class:`ChunkReader` where one applies, else ``array`` itself:
    either way, something to index like the array."""
    return ChunkReader.for_array(array) or array
