"""Small helpers shared by the readers, writers and validator: store path joins, short
listings for error messages, a bounded thread-pool map and the field sort key.

This module imports nothing from the package but :mod:`xarray_ngff._options`, so every layer
may use it.

Examples
--------
>>> join("A/", "/1", "", "0")
'A/1/0'
>>> listing([str(i) for i in range(8)])
"['0', '1', '2', '3', '4', '5', ... (8 in all)]"
>>> sorted(["10", "2", "a", "1"], key=field_sort_key)
['1', '2', '10', 'a']
>>> sorted(["AA", "B", "A", "10", "2"], key=name_sort_key)
['2', '10', 'A', 'B', 'AA']
>>> pmap(lambda x: x * x, [1, 2, 3], max_workers=2)
[1, 4, 9]
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ._options import OPTIONS

__all__ = ["SHOWN", "field_sort_key", "join", "listing", "name_sort_key", "pmap", "workers"]

SHOWN = 6  # how many valid choices an error message lists


def join(*parts: str) -> str:
    """Join store path parts with ``/``, dropping empty parts and stray slashes."""
    return posixpath.join(*[p.strip("/") for p in parts if p and p.strip("/")])


def listing(items: Sequence[str]) -> str:
    """The first :data:`SHOWN` items, quoted, for an error message."""
    shown = ", ".join(repr(i) for i in items[:SHOWN])
    more = f", ... ({len(items)} in all)" if len(items) > SHOWN else ""
    return f"[{shown}{more}]"


def workers(max_workers: int | None, n: int) -> int:
    """Threads for ``n`` items: ``max_workers`` or the ``metadata_threads`` option, at most n."""
    return max(1, min(n, max_workers or OPTIONS["metadata_threads"]))


def pmap(fn: Callable, items: Sequence, max_workers: int | None) -> list:
    """``map`` over a thread pool (in order); one item runs inline."""
    if len(items) <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(workers(max_workers, len(items))) as pool:
        return list(pool.map(fn, items))


def field_sort_key(path: str) -> tuple[float, str]:
    """Numeric paths first, in numeric order (``2`` before ``10``), then the others by name."""
    return (int(path) if path.isdigit() else math.inf, path)


def name_sort_key(name: str) -> tuple[int, object]:
    """Natural order of plate row and column names: numbers numerically, then letter names
    by length and letter (``A`` ... ``Z``, ``AA``, as plates name rows beyond 26)."""
    return (len(name), name) if name.isalpha() else (0, field_sort_key(name))
