"""Warnings that point at the user's line, wherever in the package they are raised.

A hard-coded ``stacklevel`` is right for one call path only: the same warning reached through
``from_ngff_zarr`` and through ``xr.open_datatree(..., engine="ngff")`` sits at different
depths. :func:`emit_user_level_warning` walks the stack instead, as xarray's helper of the
same name does, past this package, xarray, dask and the standard library.
"""

from __future__ import annotations

import functools
import os
import pathlib
import sys
import warnings

__all__ = ["emit_user_level_warning", "user_stacklevel"]


@functools.cache  # the package imports xarray and dask, so both are loaded by the first call
def _library_dirs() -> tuple[str, ...]:
    dirs = [pathlib.Path(__file__).resolve().parent]
    for name in ("xarray", "dask"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            dirs.append(pathlib.Path(module.__file__).resolve().parent)
    dirs.append(pathlib.Path(os.__file__).resolve().parent)  # the standard library
    return tuple(f"{d}{os.sep}" for d in dirs)


def _is_library(filename: str, dirs: tuple[str, ...]) -> bool:
    if filename.startswith("<frozen "):
        return True  # importlib's own frames
    if "site-packages" in filename or "dist-packages" in filename:
        # third-party code counts as the user's, except the libraries named above
        return filename.startswith(dirs[:-1])
    return filename.startswith(dirs)


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes :func:`warnings.warn`, called by the caller of this
    function, name the first frame outside the libraries.

    Examples
    --------
    >>> user_stacklevel() >= 1
    True
    """
    dirs = _library_dirs()
    frame = sys._getframe(1)  # the caller, which calls warnings.warn: stacklevel 1
    level = 1
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not _is_library(filename, dirs):
            return level
        frame = frame.f_back
        level += 1
    return level - 1  # all library frames (an import-time warning): the outermost one


def emit_user_level_warning(message: str, category: type[Warning]) -> None:
    """``warnings.warn(message, category)`` attributed to the user's line.

    Examples
    --------
    >>> import warnings
    >>> from xarray_ngff.errors import NgffWarning
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     emit_user_level_warning("careful", NgffWarning)
    >>> seen[0].category.__name__, str(seen[0].message)
    ('NgffWarning', 'careful')
    """
    warnings.warn(message, category, stacklevel=user_stacklevel())
