"""Process-wide settings: thread counts, the fast chunk reader and writer (like
``xarray.set_options``).

The settings live in one module-level dict, :data:`OPTIONS`, read by the code that uses them
at the moment it runs (not copied at import), so a change applies to the next read. They are
global to the process, not per thread: dask's worker threads see what the main thread set.
Processes started by ``distributed`` or ``ProcessPoolExecutor`` with ``spawn`` start from the
defaults (as with xarray's options).
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Mapping
from typing import Any

from .errors import NgffError

__all__ = ["OPTIONS", "get_options", "set_options"]

OPTIONS: dict[str, Any] = {
    # plate metadata reads are latency-bound: many in flight, little CPU
    "metadata_threads": 16,
    # decoding is CPU-bound, and each dask task has its own share of the cores already
    "decode_threads": min(8, os.cpu_count() or 1),
    "chunk_reader": True,
    "chunk_writer": True,
}


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "metadata_threads": (_positive_int, "a whole number >= 1"),
    "decode_threads": (_positive_int, "a whole number >= 1"),
    "chunk_reader": (lambda v: isinstance(v, bool), "True or False"),
    "chunk_writer": (lambda v: isinstance(v, bool), "True or False"),
}


class set_options:  # lower case like xarray.set_options, which it mirrors
    """Set xarray-ngff's options, for the whole process or, as a context manager, for a block.

    Parameters
    ----------
    metadata_threads : int, default 16
        Threads that read the metadata of a plate's wells and fields at once (the
        ``max_workers`` argument of the plate readers overrides it per call).
    decode_threads : int, default min(8, number of CPUs)
        Threads that fetch and decode the chunks of one read spanning several chunks
        (within one dask task, or one lazy ``chunks=None`` read).
    chunk_reader : bool, default True
        Read chunks with xarray-ngff's synchronous reader where it applies (local and memory
        stores, numeric dtypes); ``False`` sends every read through zarr-python. Applies to
        reads made while it is set, including of arrays opened before.
    chunk_writer : bool, default True
        Write whole chunks and shards with xarray-ngff's synchronous writer where it applies
        (local and memory stores, numeric dtypes, synchronous codecs); ``False`` sends every
        write through zarr-python. The stored bytes are the same either way.

    Raises
    ------
    NgffError
        An unknown option or a value of the wrong kind; nothing is changed then.

    Examples
    --------
    >>> import xarray_ngff as xn
    >>> with xn.set_options(decode_threads=2, chunk_reader=False):
    ...     xn.get_options()["decode_threads"], xn.get_options()["chunk_reader"]
    (2, False)
    >>> xn.get_options()["chunk_reader"]
    True
    >>> xn.set_options(decode_threads=0)
    Traceback (most recent call last):
    ...
    xarray_ngff.errors.NgffError: option 'decode_threads' must be a whole number >= 1, got 0 (field='decode_threads')
    """

    def __init__(self, **kwargs: Any) -> None:
        for name, value in kwargs.items():  # check all before changing any
            if name not in _CHECKS:
                raise NgffError(
                    f"unknown option {name!r}; the options are {sorted(_CHECKS)}", field=name
                )
            check, expected = _CHECKS[name]
            if not check(value):
                raise NgffError(f"option {name!r} must be {expected}, got {value!r}", field=name)
        self._old = {name: OPTIONS[name] for name in kwargs}
        OPTIONS.update(kwargs)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        OPTIONS.update(self._old)


def get_options() -> Mapping[str, Any]:
    """A read-only snapshot of the current options.

    Examples
    --------
    >>> import xarray_ngff as xn
    >>> sorted(xn.get_options())
    ['chunk_reader', 'chunk_writer', 'decode_threads', 'metadata_threads']
    """
    return types.MappingProxyType(dict(OPTIONS))
