"""What the synchronous chunk reader and writer share: one zarr array's chunk layout.

:class:`ChunkLayout` is the base of ``_chunkread.ChunkReader`` and ``_chunkwrite.ChunkWriter``.
It decides whether an array can be handled without zarr-python's asynchronous path (local or
memory store, CPU buffers, numeric dtype, regular grid, plain or sharded codecs that all run
synchronously), reads the layout (chunks, shards, shard index size and place, fill value,
key encoding) and reports, once per process and per kind, when zarr-python had to take over.
The zarr pieces beyond its public ``Array`` that both need are imported under one guard; each
subclass guards its own. The subclasses say which codec and store methods they need.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import zarr

from ._warn import emit_user_level_warning
from .errors import NgffWarning

try:  # zarr-python pieces beyond its public Array; without any of them zarr-python does it all
    from zarr.abc.codec import SupportsSyncCodec
    from zarr.codecs import BytesCodec, ShardingCodec
    from zarr.codecs.sharding import ShardingCodecIndexLocation
    from zarr.core.buffer import default_buffer_prototype
    from zarr.core.buffer.cpu import buffer_prototype as cpu_prototype
    from zarr.core.codec_pipeline import fill_value_or_default
    from zarr.core.metadata.v2 import ArrayV2Metadata
    from zarr.core.metadata.v3 import ArrayV3Metadata
except ImportError:  # pragma: no cover - depends on the installed zarr
    SupportsSyncCodec = None

__all__ = ["ChunkLayout", "plain_region", "sync_codecs"]

MISSING = 2**64 - 1  # a shard index entry for a chunk that is not stored


def sync_codecs(codecs: Sequence[Any]) -> bool:
    """Whether every codec of ``codecs`` runs synchronously."""
    return all(isinstance(c, SupportsSyncCodec) for c in codecs)


def chain_supported(codecs: Sequence[Any], method: str) -> bool:
    """Whether ``codecs`` is a BytesCodec with ``method`` after synchronous bytes codecs."""
    return (
        len(codecs) >= 1
        and isinstance(codecs[0], BytesCodec)
        and hasattr(codecs[0], method)
        and sync_codecs(codecs[1:])
    )


class ChunkLayout:
    """The chunk layout of one zarr array, for a synchronous reader or writer.

    Subclasses set the class attributes below (their chain type builds the codec chains in
    :meth:`_setup_v3`) and set up v2 arrays in :meth:`_setup_v2`; :meth:`for_array` returns
    ``None`` where zarr-python must do the work.

    Examples
    --------
    >>> import zarr
    >>> z = zarr.create_array({}, shape=(5, 7), chunks=(2, 3), shards=(4, 6), dtype="i4")
    >>> layout = ChunkLayout(z)
    >>> layout.chunks, layout._shard, layout._per_shard
    ((2, 3), (4, 6), (2, 2))
    """

    __slots__ = (
        "array", "store", "prefix", "shape", "dtype", "chunks", "fill", "_key", "_v2",
        "_stored", "_shard", "_per_shard", "_index_size", "_index_at_end", "_chain",
        "_index_chain", "_fallback",
    )  # fmt: skip

    _internals: ClassVar[bool] = True  # the subclass's own zarr internals were imported
    _chain_type: ClassVar[Any] = None  # the codec chain of one chunk: codecs, spec -> chain
    _codec_method: ClassVar[str] = "_decode_sync"  # what the array-to-bytes codec must have
    _compressor_method: ClassVar[str] = "decode"  # what a v2 compressor must have
    _role: ClassVar[str] = "layout"  # words of the fallback warning
    _done: ClassVar[str] = "handled"
    _same: ClassVar[str] = "result"
    _option: ClassVar[str] = "chunk_reader"
    _warned: ClassVar[bool] = False  # the fallback to zarr-python is reported once per process

    def __init__(self, array: zarr.Array) -> None:
        md = array.metadata
        self.array = array
        self._fallback = False  # set when zarr-python did what this object could not
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
            self._stored = md.dtype.to_native_dtype()
            self._setup_v2(md)
            return
        outer = md.codecs[0]
        if isinstance(outer, ShardingCodec):
            self._shard = tuple(int(c) for c in md.chunk_grid.chunk_shape)
            self.chunks = tuple(int(c) for c in outer.chunk_shape)
            self._per_shard = tuple(s // c for s, c in zip(self._shard, self.chunks, strict=True))
            self._index_size = outer._shard_index_size(self._per_shard)
            self._index_at_end = outer.index_location == ShardingCodecIndexLocation.end
            index = (outer.index_codecs, outer._get_index_chunk_spec(self._per_shard))
            self._setup_v3(outer.codecs, outer._get_chunk_spec(spec), index)
        else:
            self.chunks = tuple(int(c) for c in md.chunk_grid.chunk_shape)
            self._setup_v3(md.codecs, spec, None)

    def _setup_v2(self, md: Any) -> None:
        """Set up a v2 array (``md``: its metadata)."""

    def _setup_v3(self, codecs: Sequence[Any], spec: Any, index: tuple[Any, Any] | None) -> None:
        """Build the chain of one (inner) chunk, and of the shard index (``index``: its codecs
        and spec) when sharded; the base class has no chain type and reads the layout only."""
        if self._chain_type is None:
            return
        self._chain = self._chain_type(codecs, spec)
        if index is not None:
            self._index_chain = self._chain_type(*index)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.array,))  # rebuilt from the array in another process

    @classmethod
    def for_array(cls, array: zarr.Array) -> Any:
        """One for ``array``, or ``None`` when zarr-python must do the work."""
        if SupportsSyncCodec is None or not cls._internals:
            return None
        try:
            return cls(array) if cls._fits(array) else None
        except Exception:  # only zarr internals are touched here: they are not as expected
            return None

    @classmethod
    def _store_fits(cls, store: Any) -> bool:
        """Whether ``store`` has the synchronous methods the subclass calls."""
        return False

    @classmethod
    def _fits(cls, array: zarr.Array) -> bool:
        md = array.metadata
        if not cls._store_fits(array.store_path.store):
            return False
        if default_buffer_prototype().buffer is not cpu_prototype.buffer:
            return False  # zarr is set up for GPU buffers (zarr.config.enable_gpu())
        dtype = np.dtype(array.dtype)
        if dtype.kind not in "biufc" or dtype.hasobject:
            return False
        if isinstance(md, ArrayV2Metadata):
            compressor = md.compressor
            return not md.filters and (
                compressor is None or hasattr(compressor, cls._compressor_method)
            )
        if not isinstance(md, ArrayV3Metadata) or not md.codecs:
            return False
        if type(md.chunk_grid).__name__ != "RegularChunkGrid":
            return False
        outer = md.codecs[0]
        if isinstance(outer, ShardingCodec):
            if len(md.codecs) > 1:
                return False  # codecs outside the shard: rare; zarr-python handles them
            return chain_supported(outer.codecs, cls._codec_method) and chain_supported(
                outer.index_codecs, cls._codec_method
            )
        return chain_supported(md.codecs, cls._codec_method)

    def _path(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _fell_back(self, err: Exception) -> None:
        """Record that zarr-python did what this object failed at with ``err``: it does all
        the work on this array from then on, and the first time in a process it is said."""
        self._fallback = True
        cls = type(self)
        if cls._warned:
            return
        cls._warned = True
        emit_user_level_warning(
            f"xarray-ngff's chunk {cls._role} failed where zarr-python {zarr.__version__} "
            f"did not ({type(err).__name__}: {err}); arrays that fail so are {cls._done} "
            f"through zarr-python (slower, same {cls._same}). Please report this with your "
            f"zarr version; xn.set_options({cls._option}=False) turns the {cls._role} off.",
            NgffWarning,
        )


def plain_region(
    key: Any, shape: tuple[int, ...]
) -> tuple[list[int], list[int], list[bool]] | None:
    """Starts, stops and integer-dims of a key made of unit-step slices and integers.

    Examples
    --------
    >>> plain_region((slice(1, 3), -1), (4, 5))
    ([1, 4], [3, 5], [False, True])
    >>> plain_region((slice(None, None, 2),), (4,)) is None
    True
    """
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
