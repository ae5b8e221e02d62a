"""Pack a written OME-Zarr directory into a ``.ozx``/``.zip`` archive as RFC-9 describes.

* the ZIP root is the OME-Zarr root;
* entries are stored (no ZIP compression: the chunks are compressed already), with ZIP64;
* the metadata documents (``zarr.json``; ``.zgroup``/``.zattrs``/``.zarray`` for 0.4 ``.zip``)
  come first, breadth-first (the root's first, then by depth), then the chunks;
* the archive comment is ``{"ome": {"version": ..., "zipFile": {"centralDirectory":
  {"jsonFirst": true}}}}``.

The writers write into the usual staged sibling directory, then :func:`pack` moves it file by
file into the staged archive (each file deleted once archived, so the disk holds about one
copy, not two) and the archive is renamed into place: a half-written archive never has the
final name.
"""

from __future__ import annotations

import json
import os
import pathlib
import posixpath
import shutil
import zipfile

from ._metadata.versions import WRITABLE_ZARR3, writable_version
from .errors import UnsupportedVersionError

__all__ = ["is_archive", "check_archive_version", "pack", "comment"]

_SUFFIXES = (".zip", ".ozx")
_METADATA = ("zarr.json", ".zgroup", ".zattrs", ".zarray", ".zmetadata")


def is_archive(path: pathlib.Path) -> bool:
    """Whether a local target names an archive (by its suffix)."""
    return path.suffix.lower() in _SUFFIXES


def check_archive_version(path: pathlib.Path, version: str, label: str) -> None:
    """RFC-9 ``.ozx`` holds any writable version stored as Zarr v3 (0.5, 0.6); a plain ``.zip``
    may hold a Zarr v2 version (0.4) too.

    Examples
    --------
    >>> check_archive_version(pathlib.Path("a.ozx"), "0.6", "a.ozx")
    >>> check_archive_version(pathlib.Path("a.ozx"), "0.4", "a.ozx")
    Traceback (most recent call last):
    ...
    xarray_ngff.errors.UnsupportedVersionError: an .ozx archive holds OME-Zarr stored as Zarr v3 (RFC-9: 0.5, 0.6); version '0.4' is Zarr v2: write one of those, or name the archive .zip (store='a.ozx', field='version')
    """
    info = writable_version(version, store=label)
    if path.suffix.lower() == ".ozx" and info.zarr_format != 3:
        v3 = ", ".join(WRITABLE_ZARR3)
        raise UnsupportedVersionError(
            f"an .ozx archive holds OME-Zarr stored as Zarr v3 (RFC-9: {v3}); version "
            f"{version!r} is Zarr v{info.zarr_format}: write one of those, or name the "
            "archive .zip",
            store=label,
            field="version",
        )


def comment(version: str) -> bytes:
    """The RFC-9 archive comment.

    Examples
    --------
    >>> comment("0.5")
    b'{"ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": true}}}}'
    """
    doc = {"ome": {"version": version, "zipFile": {"centralDirectory": {"jsonFirst": True}}}}
    return json.dumps(doc).encode()


def _order(names: list[str]) -> list[str]:
    meta = [n for n in names if posixpath.basename(n) in _METADATA]
    meta.sort(
        key=lambda n: (n.count("/"), posixpath.dirname(n), _METADATA.index(posixpath.basename(n)))
    )
    chosen = set(meta)
    return meta + sorted(n for n in names if n not in chosen)


def pack(directory: pathlib.Path, archive: pathlib.Path, version: str) -> None:
    """Move the store in ``directory`` into a new archive ``archive``; ``directory`` is gone
    afterwards."""
    names = [
        p.relative_to(directory).as_posix()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.is_symlink()
    ]
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name in _order(names):
            source = directory / name
            zf.write(source, name)
            if posixpath.basename(name) not in _METADATA:
                source.unlink()  # archived: free its space now
        if version in WRITABLE_ZARR3:  # RFC-9's comment is for Zarr v3 archives
            zf.comment = comment(version)
    with open(archive, "rb") as f:
        os.fsync(f.fileno())
    shutil.rmtree(directory)
