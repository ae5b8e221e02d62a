"""Open a location for reading: local directories, zip files, fsspec URLs and zarr stores.

:func:`open_store` turns whatever the user passed into an :class:`NgffStore`, a small
read-only handle that knows the zarr store, a printable name for error messages and the
root group. Zarr v2 and v3 are detected from the root metadata, and consolidated metadata is
used when the store has it (so a remote hierarchy is described by one request).

Every I/O or network failure is re-raised as :class:`~xarray_ngff.errors.StoreError` naming
the store and the node; a location without Zarr metadata gives
:class:`~xarray_ngff.errors.NotOmeZarrError`; unreadable JSON gives
:class:`~xarray_ngff.errors.MetadataError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import pathlib
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import zarr
import zarr.storage
from zarr.abc.store import Store
from zarr.core.sync import sync as zarr_sync

from ._staging import recover
from ._zarr_docs import explain
from .errors import MetadataError, MissingArrayError, NgffError, NotOmeZarrError, StoreError

__all__ = ["NgffStore", "open_store", "ZIP_SUFFIXES"]

ZIP_SUFFIXES = (".zip", ".ozx")
_CREDENTIAL_KEYS = ("key", "secret", "token", "profile", "anon", "session")
_CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SESSION_TOKEN")


def _network_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError, TimeoutError, ConnectionError]
    with contextlib.suppress(ImportError):
        import aiohttp

        errors.append(aiohttp.ClientError)
    with contextlib.suppress(ImportError):
        import botocore.exceptions

        errors.append(botocore.exceptions.BotoCoreError)
        errors.append(botocore.exceptions.ClientError)
    return tuple(errors)


@contextlib.contextmanager
def translate_errors(store: object, path: str | None, *, data: bool = False) -> Iterator[None]:
    """Re-raise I/O, network and JSON errors as :class:`NgffError` subclasses naming ``store``
    and ``path``; errors that already are :class:`NgffError` pass through. ``data=True``:
    the block reads chunks, so decoding errors are reported as such."""
    try:
        yield
    except NgffError:
        raise
    except zarr.errors.GroupNotFoundError as err:
        raise NotOmeZarrError(f"no Zarr group found: {err}", store=store, path=path or "/") from err
    except zarr.errors.ArrayNotFoundError as err:
        raise MissingArrayError(f"no Zarr array found: {err}", store=store, path=path) from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise MetadataError(
            f"unreadable or truncated JSON metadata: {err}", store=store, path=path
        ) from err
    except _network_errors() as err:
        raise StoreError(
            f"cannot read the store: {type(err).__name__}: {err}", store=store, path=path
        ) from err
    except RuntimeError as err:
        if not data:
            raise
        # numcodecs reports corrupt compressed data as RuntimeError
        raise StoreError(
            f"cannot decode chunk data: {type(err).__name__}: {err}", store=store, path=path
        ) from err
    except (TypeError, KeyError, ValueError) as err:
        if data:  # e.g. a checksum mismatch: a server that ignores byte ranges, corrupt chunks
            raise StoreError(
                f"cannot decode chunk data: {type(err).__name__}: {err}", store=store, path=path
            ) from err
        # zarr raises these for malformed .zarray / zarr.json documents
        raise MetadataError(
            f"malformed Zarr metadata: {type(err).__name__}: {err}", store=store, path=path
        ) from err


@dataclasses.dataclass
class NgffStore:
    """A read-only view of a Zarr hierarchy holding OME-Zarr.

    Attributes
    ----------
    store
        The zarr store.
    name
        How the store is named in messages (the path or URL the user gave).
    root
        The root :class:`zarr.Group` (consolidated metadata used when present).
    """

    store: Store
    name: str
    root: zarr.Group
    #: the store was opened here (from a path or URL), so :meth:`close` may close it
    owned: bool = False
    _nodes: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    _keys: dict[str, bool] = dataclasses.field(default_factory=dict, repr=False)

    def close(self) -> None:
        """Release the files this handle opened (a zip archive's handle); a store the caller
        passed in stays open, as it is theirs."""
        if not self.owned:
            return
        fs = getattr(self.store, "fs", None)
        inner = getattr(fs, "sync_fs", fs)  # zarr wraps synchronous filesystems
        if inner is not None and hasattr(inner, "zip"):  # fsspec's zip:// filesystem
            inner.zip.close()
            with contextlib.suppress(AttributeError, OSError):
                inner.fo.close()
        self.store.close()

    @property
    def zarr_format(self) -> int:
        """2 or 3."""
        return int(self.root.metadata.zarr_format)

    def group(self, path: str) -> zarr.Group:
        """The group at ``path`` ("" or "/" for the root)."""
        path = path.strip("/")
        if not path:
            return self.root
        node = self._node(path)
        if node is None:
            raise NotOmeZarrError("no Zarr group here", store=self.name, path=path)
        if not isinstance(node, zarr.Group):
            raise NotOmeZarrError("expected a group, found an array", store=self.name, path=path)
        return node

    def _node(self, path: str) -> zarr.Group | zarr.Array | None:
        # cached: each node's metadata is fetched once (remote stores pay per request)
        if path not in self._nodes:
            try:
                with translate_errors(self.name, path):
                    try:
                        self._nodes[path] = self.root[path]
                    except KeyError:  # zarr's "nothing here"
                        self._nodes[path] = None
            except MetadataError as err:
                better = explain(
                    self.store, self._full_key(path), self.name, shown=path, group=False
                )
                raise better or err from err
        return self._nodes[path]

    def prefetch(self, paths: Iterable[str], *, limit: int = 64) -> None:
        """Fetch the metadata of many nodes at once (``limit`` requests in flight) into the
        cache that :meth:`group`, :meth:`array` and :meth:`has_group` read.

        One call to zarr's event loop instead of one per node: opening a 384-field plate
        spends a fraction of the time, and a remote one far less waiting. A node that fails
        to load is left out, so the usual access fetches it again and reports the error.
        """
        todo = list(dict.fromkeys(p.strip("/") for p in paths))
        todo = [p for p in todo if p and p not in self._nodes]
        if not todo:
            return
        root = self.root._async_group

        async def node_at(path: str) -> Any:
            try:
                return await root.getitem(path)
            except KeyError:  # zarr's "nothing here"
                return None

        dotted = []
        for path, node in zip(todo, _concurrently(node_at, todo, limit), strict=True):
            if isinstance(node, BaseException):
                continue
            if isinstance(node, zarr.AsyncGroup):
                node = zarr.Group(node)
            elif node is not None:
                node = zarr.Array(node)
                if _dotted_v2(node):
                    dotted.append(f"{path}/{'.'.join(['0'] * node.ndim)}")
            self._nodes[path] = node
        # the first chunk-key check of _fix_separator, for all such arrays at once
        found = _concurrently(lambda key: self.store.exists(self._full_key(key)), dotted, limit)
        for key, exists in zip(dotted, found, strict=True):
            if isinstance(exists, bool):
                self._keys[key] = exists

    def has_group(self, path: str) -> bool:
        """Whether a group exists at ``path``."""
        return isinstance(self._node(path.strip("/")), zarr.Group)

    def attrs(self, path: str = "") -> dict[str, Any]:
        """The attributes of the group at ``path`` as a plain dict."""
        group = self.group(path)
        with translate_errors(self.name, path):
            return dict(group.attrs.asdict())

    def array(self, path: str) -> zarr.Array:
        """The array at ``path``; v2 arrays whose chunks use ``/`` keys without saying so in
        ``.zarray`` (early OME-Zarr writers) are detected and read with the right keys."""
        path = path.strip("/")
        node = self._node(path)
        if node is None:
            raise MissingArrayError(
                "the metadata names an array that is not in the store", store=self.name, path=path
            )
        if not isinstance(node, zarr.Array):
            raise MissingArrayError(
                "the metadata names an array but a group is there", store=self.name, path=path
            )
        if _dotted_v2(node):
            node = self._fix_separator(node, path)
        return node

    def _fix_separator(self, array: zarr.Array, path: str) -> zarr.Array:
        if array.ndim < 2:
            return array
        origin = ["0"] * array.ndim
        with translate_errors(self.name, path):
            if self._exists(f"{path}/{'.'.join(origin)}"):
                return array
            if not self._exists(f"{path}/{'/'.join(origin)}"):
                return array
        meta = dataclasses.replace(array.metadata, dimension_separator="/")
        return zarr.Array(zarr.AsyncArray(metadata=meta, store_path=array._async_array.store_path))

    def _exists(self, key: str) -> bool:
        if key not in self._keys:
            self._keys[key] = bool(zarr_sync(self.store.exists(self._full_key(key))))
        return self._keys[key]

    def _full_key(self, key: str) -> str:
        prefix = self.root.store_path.path
        return f"{prefix}/{key}" if prefix else key

    def __str__(self) -> str:
        return self.name


def _concurrently(fn: Any, items: list[Any], limit: int) -> list[Any]:
    """``[await fn(item) ...]`` with at most ``limit`` in flight, in one call to zarr's event
    loop; an item that fails gives its exception in the result instead of raising."""
    if not items:
        return []

    async def every() -> list[Any]:
        gate = asyncio.Semaphore(limit)

        async def one(item: Any) -> Any:
            async with gate:
                return await fn(item)

        return await asyncio.gather(*(one(i) for i in items), return_exceptions=True)

    return zarr_sync(every())


def _dotted_v2(array: zarr.Array) -> bool:
    """A v2 array of 2+ dims whose metadata says ``.`` chunk keys (which some writers used
    while writing ``/`` keys)."""
    md = array.metadata
    return md.zarr_format == 2 and md.dimension_separator == "." and array.ndim >= 2


def _has_credentials(options: Mapping[str, Any]) -> bool:
    if any(k in options for k in _CREDENTIAL_KEYS):
        return True
    return any(os.environ.get(k) for k in _CREDENTIAL_ENV)


def _zip_store(path: pathlib.Path, name: str) -> Store:
    """A zip file: the root either at the top of the archive or in its single top folder
    (what zipping a ``*.ome.zarr`` directory gives)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as err:
        raise StoreError(f"cannot read the zip file: {err}", store=name) from err
    markers = ("zarr.json", ".zgroup", ".zattrs")
    if any(n in names for n in markers):
        return zarr.storage.ZipStore(path, mode="r")
    tops = {n.split("/", 1)[0] for n in names if "/" in n}
    if len(tops) == 1:
        top = tops.pop()
        if any(f"{top}/{m}" in names for m in markers):
            return zarr.storage.FsspecStore.from_url(
                f"zip://{top}::{path.resolve().as_uri()}", read_only=True
            )
    raise NotOmeZarrError("the zip file holds no Zarr hierarchy at its root", store=name)


def _to_store(location: Any, storage_options: Mapping[str, Any] | None) -> tuple[Store, str]:
    options = dict(storage_options or {})
    if isinstance(location, Store):
        return location, repr(location)
    if isinstance(location, zarr.Group):
        return location.store, repr(location.store)
    if isinstance(location, os.PathLike):
        location = os.fspath(location)
    if not isinstance(location, str):
        raise StoreError(
            f"cannot open {type(location).__name__} objects; pass a path, URL or zarr store",
            store=repr(location),
        )
    name = location
    if location.startswith("file://"):
        location = location[len("file://") :]
    if "://" in location or "::" in location:
        protocol = location.split("://", 1)[0].split("::")[-1]
        if protocol in ("s3", "s3a") and not _has_credentials(options):
            options["anon"] = True  # public buckets need no credentials
        try:
            return zarr.storage.FsspecStore.from_url(
                location, storage_options=options or None, read_only=True
            ), name
        except ImportError as err:
            raise StoreError(
                f"no fsspec implementation for {protocol!r}: {err}", store=name
            ) from err
        except (ValueError, *_network_errors()) as err:
            raise StoreError(f"cannot open: {err}", store=name) from err
    path = pathlib.Path(location).expanduser()
    if not path.exists() and not recover(path):  # recover: a swap cut between its renames
        raise StoreError("no such file or directory", store=name)
    if path.is_file():
        if path.suffix.lower() in ZIP_SUFFIXES or zipfile.is_zipfile(path):
            return _zip_store(path, name), name
        raise NotOmeZarrError("a file that is not a zip archive is not a Zarr store", store=name)
    return zarr.storage.LocalStore(path, read_only=True), name


def open_store(location: Any, storage_options: Mapping[str, Any] | None = None) -> NgffStore:
    """Open ``location`` read-only.

    Parameters
    ----------
    location
        A local directory, a ``.zip``/``.ozx`` file, a ``file://``, ``http(s)://`` or ``s3://``
        URL (any fsspec URL works), a zarr store, a :class:`zarr.Group`, or an
        :class:`NgffStore` (returned as is).
    storage_options
        fsspec options for URLs. For ``s3://`` without credentials (here or in the usual
        environment variables) access is anonymous.

    Raises
    ------
    StoreError
        Missing path, unreadable zip, network or permission errors.
    NotOmeZarrError
        No Zarr group at the root.

    Examples
    --------
    >>> import tempfile, zarr
    >>> d = tempfile.mkdtemp() + "/x.zarr"
    >>> _ = zarr.open_group(d, mode="w", zarr_format=2)
    >>> open_store(d).zarr_format
    2
    """
    if isinstance(location, NgffStore):
        return location
    store, name = _to_store(location, storage_options)
    group_path = location.path if isinstance(location, zarr.Group) else ""
    try:
        with translate_errors(name, group_path or "/"):
            root = zarr.open_group(store, mode="r", path=group_path or None, use_consolidated=None)
    except MetadataError as err:  # zarr's message hides the cause: read the documents
        raise explain(store, group_path, name) or err from err
    owned = not isinstance(location, Store | zarr.Group)
    return NgffStore(store=store, name=name, root=root, owned=owned)
