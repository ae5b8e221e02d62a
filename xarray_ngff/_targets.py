"""Write targets, shared by every writer: resolve a store without writing, classify what is
there, refuse what must not be replaced, stage local targets and swap them in when complete.

A local target (a path or a ``LocalStore``) is written into a fresh sibling
(:mod:`xarray_ngff._staging`) and swapped in by :func:`put_in_place`, packed into an RFC-9
archive first when it is a ``.zip``/``.ozx`` file; other stores cannot rename, so
:func:`clear` empties them (after the safety checks) and the metadata is written last.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import zarr
import zarr.storage

from . import _ozx, _staging
from ._sources import Location, local_location, location_of_store, relation
from .errors import StoreExistsError, WriteError

__all__ = [
    "Target",
    "abandon",
    "check_sources",
    "clear",
    "open_target",
    "put_in_place",
    "sync",
]

_ZARR_MARKERS = ("zarr.json", ".zgroup", ".zarray", ".zattrs", ".zmetadata")


@dataclass
class Target:
    """Where to write: a zarr Store plus what the safety checks need."""

    store: Any
    label: str
    local: pathlib.Path | None = None  # where the arrays are written (the staged sibling)
    state: str = "absent"  # absent | empty | zarr
    final: pathlib.Path | None = None  # a local target's own path, swapped in at the end
    location: Location | None = None
    archive: bool = False  # a .zip/.ozx file: written as a directory, packed at the end


def _archive_state(path: pathlib.Path, label: str) -> str:
    if not path.exists():
        return "absent"
    if path.is_file() and zipfile.is_zipfile(path):
        return "zarr"
    raise StoreExistsError(
        "the target exists and is not a zip archive; refusing to replace it",
        store=label,
        field="store",
    )


def _local_target(path: pathlib.Path, label: str) -> Target:
    _staging.clean_leftovers(path, label)  # puts back a store an interrupted swap left aside
    archive = _ozx.is_archive(path) and not path.is_dir()
    state = _archive_state(path, label) if archive else _local_state(path, label)
    location = local_location(path)
    return Target(
        None, label, local=path, state=state, final=path, location=location, archive=archive
    )


def put_in_place(
    staged: pathlib.Path, final: pathlib.Path, archive_version: str | None = None
) -> None:
    """Swap a complete staged store in at ``final``; packed into an archive first when
    ``archive_version`` is given (the target is a ``.zip``/``.ozx`` file)."""
    if archive_version is not None:
        packed = _staging.staging_path(final)
        _ozx.pack(staged, packed, archive_version)
        staged = packed
    _staging.swap_in(staged, final)


def sync(coro: Any) -> Any:
    """Run a zarr store coroutine to completion (zarr's own event loop)."""
    from zarr.core.sync import sync as zarr_sync

    return zarr_sync(coro)


async def _alist(agen) -> list[str]:
    return [k async for k in agen]


def _local_state(path: pathlib.Path, label: str) -> str:
    if not path.exists():
        return "absent"
    if not path.is_dir():
        raise StoreExistsError(
            "the target exists and is a file, not a Zarr hierarchy; refusing to replace it",
            store=label,
            field="store",
        )
    names = {p.name for p in path.iterdir()}
    if not names:
        return "empty"
    if names & set(_ZARR_MARKERS):
        return "zarr"
    raise StoreExistsError(
        f"the target is a non-empty directory that is not a Zarr hierarchy (it holds "
        f"{sorted(names)[:5]}); refusing to delete it",
        store=label,
        field="store",
    )


def _store_state(store: Any, label: str) -> str:
    keys = sync(_alist(store.list_dir("")))
    if not keys:
        return "empty"
    if set(k.rstrip("/") for k in keys) & set(_ZARR_MARKERS):
        return "zarr"
    raise StoreExistsError(
        f"the target holds keys {sorted(keys)[:5]} but no Zarr metadata at its root; "
        "refusing to delete them",
        store=label,
        field="store",
    )


def open_target(store: Any, storage_options: Mapping[str, Any] | None) -> Target:
    """Resolve ``store`` without writing anything, and classify what is already there."""
    if isinstance(store, os.PathLike):
        store = os.fspath(store)
    if isinstance(store, str):
        if store.startswith("file://"):
            store = store[len("file://") :]
        if "://" not in store:
            if storage_options:
                raise WriteError(
                    "storage_options are only for fsspec URLs, not local paths",
                    store=store,
                    field="storage_options",
                )
            return _local_target(pathlib.Path(store).expanduser().absolute(), store)
        try:
            zstore = zarr.storage.FsspecStore.from_url(
                store, storage_options=dict(storage_options or {}), read_only=False
            )
        except Exception as err:
            raise WriteError(
                f"cannot open {store!r} for writing: {err}", store=store, field="store"
            ) from err
        return Target(
            zstore, store, state=_store_state(zstore, store), location=location_of_store(zstore)
        )
    if isinstance(store, zarr.abc.store.Store):
        if storage_options:
            raise WriteError(
                "storage_options are only for fsspec URLs, not Store objects",
                store=store,
                field="storage_options",
            )
        if store.read_only:
            raise WriteError("the store is read-only", store=store, field="store")
        if isinstance(store, zarr.storage.LocalStore):  # a directory: staged like a path
            return _local_target(pathlib.Path(store.root).absolute(), str(store))
        return Target(
            store,
            str(store),
            state=_store_state(store, str(store)),
            location=location_of_store(store),
        )
    raise WriteError(
        f"store must be a path, an fsspec URL or a zarr Store, got {type(store).__name__}",
        store=store,
        field="store",
    )


def clear(target: Target) -> None:
    """Make the target writable (only called after the safety checks passed).

    A local target is never emptied: the new store goes to a fresh sibling that
    :func:`xarray_ngff._staging.swap_in` puts in place once it is complete (the old one is removed last).
    Other stores cannot rename, so they are emptied as before (metadata comes last).
    """
    if target.final is not None:
        staged = _staging.staging_path(target.final)
        staged.mkdir(parents=True)
        target.local = staged
        target.store = zarr.storage.LocalStore(staged)
    elif target.state == "zarr":
        sync(target.store.delete_dir(""))


def abandon(target: Target) -> None:
    """Remove the staged sibling of a write that failed; the old store was never touched."""
    if target.final is not None and target.local not in (None, target.final):
        with contextlib.suppress(OSError):
            shutil.rmtree(target.local)


def check_sources(sources: Sequence[Location], target: Target) -> None:
    """Refuse writes that would change or destroy what the image is read from.

    A local target that contains a source is fine: it is staged, and the old store is read
    until the new one is complete. A target equal to or inside a source array would change
    the source store itself; a store that cannot be renamed (``s3://``, ``memory://``, zarr
    Store objects) would be emptied before its pixels are read.
    """
    if target.location is None:
        return
    found = relation(target.location, sources)
    if found is None:
        return
    kind, source = found
    if kind != "contains":
        raise WriteError(
            f"the image is read from the array {source}, and the target is "
            f"{'that array' if kind == 'equal' else 'inside it'}: writing there would change "
            "the source store; write to a path outside it",
            store=target.label,
            field="store",
        )
    if target.final is None:
        raise WriteError(
            f"the image is read lazily from {source}, inside the store it would overwrite, "
            "and this kind of store cannot be replaced atomically: overwriting would destroy "
            "the source. Write to a new location, then move or delete the old one",
            store=target.label,
            field="store",
        )
