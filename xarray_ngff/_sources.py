"""Where the inputs of a write read their pixels from: storage locations, not graph shapes.

:func:`find_sources` walks everything an input can hold (xarray's lazy wrappers, our backend
arrays and :class:`~xarray_ngff._chunkread.ChunkReader`, dask graphs with arrays nested in
task arguments, ``Task``/``DataNode`` objects, fused subgraphs, partials, bound methods and
closures) and returns the :class:`Location` of every zarr array, tensorstore array and open
file it meets. :func:`relation` then says whether a write target is equal to, inside or
containing one of them, which is what the writers call a self-overwrite.

Locations are normalised: local paths are resolved (symlinks included, so two spellings of
one directory compare equal), fsspec URLs keep their protocol and the normalised path
prefix, and a zarr ``MemoryStore`` is known by the identity of its dictionary.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import posixpath
import types
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import zarr
import zarr.storage
from zarr.abc.store import Store

__all__ = ["Location", "find_sources", "location_of_store", "local_location", "relation"]

_LOCAL_PROTOCOLS = ("file", "local")
_LEAVES = (str, bytes, bytearray, memoryview, int, float, complex, bool, type(None), range)
_SKIP = (np.ndarray, np.generic, np.dtype, type, types.ModuleType, Store, zarr.Group)
_MAX_OBJECTS = 2_000_000  # a guard against walking a whole program; graphs stay far below


@dataclasses.dataclass(frozen=True)
class Location:
    """A storage location: ``scheme`` (``"file"``, an fsspec protocol, or ``"zarr-memory"``
    with the store's identity) and a normalised ``/``-separated path.

    Examples
    --------
    >>> a, b = Location("file", "/data/img.zarr"), Location("file", "/data/img.zarr/scale0/image")
    >>> a.contains(b), b.contains(a), a.contains(a)
    (True, False, True)
    """

    scheme: str
    path: str

    def contains(self, other: Location) -> bool:
        """True if ``other`` is this location or lies inside it."""
        if self.scheme != other.scheme:
            return False
        if not self.path or self.path == other.path:
            return True
        return other.path.startswith(self.path.rstrip("/") + "/")

    def __str__(self) -> str:
        if self.scheme == "file":
            return self.path
        if self.scheme.startswith("zarr-memory"):
            return f"<zarr MemoryStore>/{self.path}"
        return f"{self.scheme}://{self.path}"


def local_location(path: str | os.PathLike) -> Location:
    """The location of a local path, resolved like the OS resolves it (symlinks, ``..``)."""
    return Location("file", os.path.realpath(os.path.expanduser(os.fspath(path))))


def child_location(base: Location, sub: str) -> Location:
    """The location ``sub`` (a ``/``-separated store path) below ``base``."""
    sub = sub.strip("/")
    if not sub:
        return base
    if base.scheme == "file":
        return local_location(os.path.join(base.path, sub))
    return Location(base.scheme, posixpath.normpath(f"{base.path}/{sub}".lstrip("/")))


def _fs_location(fs: Any, path: str) -> Location:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    if protocol in _LOCAL_PROTOCOLS:
        return local_location(path)
    if protocol == "s3a":
        protocol = "s3"
    text = posixpath.normpath("/" + path.strip("/")).lstrip("/") if path.strip("/") else ""
    return Location(protocol, text)


def location_of_store(store: Any) -> Location:
    """The location of the root of a zarr store."""
    while isinstance(store, zarr.storage.WrapperStore):
        store = store._store
    if isinstance(store, zarr.storage.LocalStore):
        return local_location(store.root)
    if isinstance(store, zarr.storage.ZipStore):
        return local_location(store.path)
    if isinstance(store, zarr.storage.FsspecStore):
        fs = store.fs
        if getattr(fs, "async_impl", False) is False and hasattr(fs, "fs"):
            fs = fs.fs  # AsyncFileSystemWrapper around a synchronous filesystem
        return _fs_location(fs, store.path)
    if isinstance(store, zarr.storage.MemoryStore):
        return Location(f"zarr-memory-{id(store._store_dict)}", "")
    return Location(f"store-{id(store)}", "")


def _tensorstore_location(arr: Any) -> Location | None:
    try:
        url = arr.kvstore.url
    except Exception:  # not backed by a kvstore that has a URL (e.g. a virtual view)
        return None
    protocol, _, rest = url.partition("://")
    if protocol == "file":
        return local_location(rest)
    return Location(protocol, posixpath.normpath("/" + rest.strip("/")).lstrip("/"))


def _record(obj: Any) -> Location | None:
    if isinstance(obj, zarr.Array):
        return child_location(location_of_store(obj.store_path.store), obj.store_path.path)
    kind = type(obj)
    if kind.__module__.startswith("tensorstore") and kind.__name__ == "TensorStore":
        return _tensorstore_location(obj)
    if isinstance(obj, io.IOBase) and isinstance(getattr(obj, "name", None), str):
        return local_location(obj.name)
    if kind.__name__ == "FileHandle" and isinstance(getattr(obj, "path", None), str):
        return local_location(obj.path)  # tifffile's handle
    return None


def _children(obj: Any) -> Iterable[Any]:
    if isinstance(obj, Mapping):
        return list(obj.values())
    if isinstance(obj, list | tuple | set | frozenset):
        return obj
    if hasattr(obj, "__dask_graph__") and not isinstance(obj, type):
        try:
            graph = obj.__dask_graph__()
        except Exception:  # a dask collection that cannot build its graph reads nothing yet
            graph = None
        if graph is not None:
            return list(dict(graph).values())
    if isinstance(obj, functools.partial):
        return [obj.func, obj.args, obj.keywords]
    if isinstance(obj, types.MethodType):
        return [obj.__self__]
    if isinstance(obj, types.FunctionType):
        return [c.cell_contents for c in obj.__closure__ or () if _filled(c)]
    out: list[Any] = []
    for klass in type(obj).__mro__:
        for name in getattr(klass, "__slots__", ()):
            if isinstance(name, str) and hasattr(obj, name):
                out.append(getattr(obj, name))
    attrs = getattr(obj, "__dict__", None)
    if isinstance(attrs, dict):
        out.extend(attrs.values())
    return out


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


def _xarray_children(obj: Any) -> list[Any]:
    import xarray as xr

    if isinstance(obj, xr.DataTree):
        return [node.to_dataset(inherit=False) for node in obj.subtree]
    if isinstance(obj, xr.DataArray):
        return [obj.variable, *obj.coords.variables.values()]
    if isinstance(obj, xr.Dataset):
        return list(obj.variables.values())
    if isinstance(obj, xr.Variable):
        return [obj._data]
    return []


def find_sources(*inputs: Any) -> list[Location]:
    """Every storage location that ``inputs`` read from, in the order first met.

    Examples
    --------
    >>> import tempfile, dask.array as da, zarr
    >>> d = tempfile.mkdtemp() + "/a.zarr"
    >>> z = zarr.create_array(d, shape=(4,), chunks=(2,), dtype="uint8")
    >>> [str(s).endswith("a.zarr") for s in find_sources((da.from_zarr(z) + 1) * 2)]
    [True]
    """
    import xarray as xr

    found: dict[Location, None] = {}
    seen: set[int] = set()
    alive: list[Any] = []  # ids are only unique while the objects live (views made here)
    stack = list(inputs)
    while stack and len(seen) < _MAX_OBJECTS:
        obj = stack.pop()
        if isinstance(obj, _LEAVES) or id(obj) in seen:
            continue
        seen.add(id(obj))
        alive.append(obj)
        if isinstance(obj, xr.DataTree | xr.DataArray | xr.Dataset | xr.Variable):
            stack.extend(_xarray_children(obj))
            continue
        loc = _record(obj)
        if loc is not None:
            found[loc] = None
            continue
        if isinstance(obj, _SKIP):
            continue
        stack.extend(_children(obj))
    return list(found)


def relation(target: Location, sources: Iterable[Location]) -> tuple[str, Location] | None:
    """How ``target`` overlaps the sources: ``("equal" | "inside" | "contains", source)``
    (equal and inside, which no staging can make safe, before contains), or ``None``.

    Examples
    --------
    >>> relation(Location("file", "/d/img.zarr"), [Location("file", "/d/img.zarr/scale0/x")])
    ('contains', Location(scheme='file', path='/d/img.zarr/scale0/x'))
    >>> relation(Location("file", "/d/b.zarr"), [Location("file", "/d/img.zarr")]) is None
    True
    """
    found = None
    for src in sources:
        if target == src:
            return "equal", src
        if src.contains(target):
            return "inside", src
        if found is None and target.contains(src):
            found = ("contains", src)
    return found
