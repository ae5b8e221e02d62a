"""Compute helpers of the writers: barriers between dask graphs, the dask-distributed client
when there is one, a thread pool for forked children, and running a write with a progress bar.
"""

from __future__ import annotations

import contextlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dask
import dask.array as da

__all__ = ["barrier", "distributed_client", "done", "fork_safe_dask", "run"]


def done(*_: Any) -> None:
    return None


def barrier(stored: Any) -> Any:
    """A Delayed that completes once every store task has run.

    ``da.store(..., compute=False)`` returns a Delayed in older dask and lazy arrays of
    ``None`` blocks in newer dask; depending on the blocks (never concatenating them) works
    for both. The graphs are not optimised one by one, so that levels keep sharing the keys
    of the blocks they have in common (each block is still computed once).
    """
    parts = stored if isinstance(stored, list | tuple) else [stored]
    deps: list[Any] = []
    for part in parts:
        if isinstance(part, da.Array):
            deps.extend(part.to_delayed(optimize_graph=False).ravel().tolist())
        else:
            deps.append(part)
    return dask.delayed(done, pure=False)(*deps)


def distributed_client() -> Any:
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - distributed is optional
        return None
    try:
        return default_client()
    except ValueError:
        return None


_FORKED = False  # set in a forked child, by the hook below
_CHILD_POOL: ThreadPoolExecutor | None = None


def _after_fork_in_child() -> None:
    global _FORKED, _CHILD_POOL
    _FORKED, _CHILD_POOL = True, None  # a grandchild needs a pool of its own too


if hasattr(os, "register_at_fork"):  # POSIX; elsewhere processes are spawned, never forked
    os.register_at_fork(after_in_child=_after_fork_in_child)


def fork_safe_dask() -> contextlib.AbstractContextManager:
    """In a forked child (``ProcessPoolExecutor`` on Linux), dask's default thread pool is
    inherited without its threads and every compute would wait forever: give the child a
    pool of its own."""
    global _CHILD_POOL
    if not _FORKED:
        return contextlib.nullcontext()
    if _CHILD_POOL is None:
        _CHILD_POOL = ThreadPoolExecutor(os.cpu_count() or 1)
    return dask.config.set(pool=_CHILD_POOL)


def run(task: Any, progress: bool) -> None:
    with fork_safe_dask():
        _run_here(task, progress)


def _run_here(task: Any, progress: bool) -> None:
    if not progress:
        task.compute()
        return
    client = distributed_client()
    if client is not None:
        from distributed import progress as dprogress

        future = client.compute(task)
        dprogress(future)
        future.result()
        return
    from dask.diagnostics import ProgressBar

    with ProgressBar(out=sys.stderr):  # stdout stays for the caller's own output
        task.compute()
