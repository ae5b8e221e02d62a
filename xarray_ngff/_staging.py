"""Write a local store beside its final path and swap it in at the end.

A local write goes to a temporary sibling in the same folder (same filesystem, so renames
are cheap and atomic), named so a person sees what it is::

    image.ome.zarr.xarray-ngff-new-<pid>-<token>   the store being written
    image.ome.zarr.xarray-ngff-old-<pid>-<token>   the old store, for a moment during a swap

When the new store is complete it takes the path with :func:`swap_in`:

* no old store: one ``rename``;
* Linux: ``renameat2(RENAME_EXCHANGE)`` swaps the two directories in one atomic step, then
  the old one (now under the temporary name) is removed;
* elsewhere (or a filesystem without exchange): the old store is renamed aside, the new one
  renamed in, the old one removed. A crash between the two renames leaves the path empty
  with the complete old store beside it; :func:`recover`, called by every open and write of
  the path, puts it back.

Whatever is left over by a crashed write is removed by the next write of the same path
(:func:`clean_leftovers`), once the path holds a complete store again; leftovers of a process
that is still running (a ``compute=False`` write not run yet) are reported, not removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pathlib
import secrets
import shutil
import sys

from ._warn import emit_user_level_warning
from .errors import NgffWarning

__all__ = ["MARK_NEW", "MARK_OLD", "staging_path", "swap_in", "recover", "clean_leftovers"]

MARK_NEW = ".xarray-ngff-new-"
MARK_OLD = ".xarray-ngff-old-"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _sibling(path: pathlib.Path, mark: str) -> pathlib.Path:
    return path.with_name(f"{path.name}{mark}{os.getpid()}-{secrets.token_hex(4)}")


def staging_path(path: pathlib.Path) -> pathlib.Path:
    """A fresh temporary sibling of ``path`` for the new store (not created)."""
    return _sibling(path, MARK_NEW)


def _remove(path: pathlib.Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _sync_dir(path: pathlib.Path) -> None:
    # make the renames durable; some filesystems refuse to fsync a directory
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: pathlib.Path, b: pathlib.Path) -> bool:
    """Atomically exchange two paths (Linux ``renameat2``); False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    res = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return res == 0


def swap_in(staged: pathlib.Path, path: pathlib.Path) -> None:
    """Put the complete store ``staged`` at ``path``; the old store there is removed last."""
    if not path.exists() and not path.is_symlink():
        os.rename(staged, path)
    elif staged.is_file() and not path.is_dir():
        os.replace(staged, path)  # one file replaces another atomically
    elif _exchange(staged, path):
        _sync_dir(path.parent)
        _remove(staged)  # holds the old store now
    else:
        old = _sibling(path, MARK_OLD)
        os.rename(path, old)
        os.rename(staged, path)  # a crash right before this is undone by recover()
        _sync_dir(path.parent)
        _remove(old)
    _sync_dir(path.parent)


def _leftovers(path: pathlib.Path) -> list[pathlib.Path]:
    parent = path.parent
    if not parent.is_dir():
        return []
    prefix = path.name + ".xarray-ngff-"
    return sorted(p for p in parent.iterdir() if p.name.startswith(prefix))


def _pid(leftover: pathlib.Path) -> int | None:
    tail = leftover.name.rsplit("-", 2)
    try:
        return int(tail[-2])
    except (IndexError, ValueError):
        return None


def _running(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(path: pathlib.Path) -> bool:
    """If a swap was interrupted between its two renames (``path`` missing, the old store
    beside it), put the old store back. Returns True if it did."""
    if path.exists() or path.is_symlink():
        return False
    olds = [p for p in _leftovers(path) if MARK_OLD in p.name and not _running(_pid(p))]
    if not olds:
        return False
    newest = max(olds, key=lambda p: p.stat().st_mtime)
    os.rename(newest, path)
    _sync_dir(path.parent)
    return True


def clean_leftovers(path: pathlib.Path, label: str) -> None:
    """Remove what crashed writes left beside ``path`` (after :func:`recover`); warn about
    the temporaries of writes that may still be running."""
    recover(path)
    busy = []
    for left in _leftovers(path):
        if _running(_pid(left)):
            busy.append(left.name)
            continue
        if MARK_OLD in left.name and not path.exists():
            continue  # the only copy: recover() refused it, never delete it
        _remove(left)
    if busy:
        emit_user_level_warning(
            f"{label}: temporary stores of writes that may still be running are next to it "
            f"({', '.join(busy)}); remove them once those writes are finished",
            NgffWarning,
        )
