"""Writing HCS plates: :func:`to_hcs_zarr` and the incremental :class:`HcsPlateWriter`.

Reading, navigating and the plate array live in :mod:`xarray_ngff._hcs`, which also re-exports
these two names.

Safety
------
A field's image is written completely before it is added to its well's metadata (under a
per-well lock: a thread lock plus ``flock`` on local stores, so several processes may write
different fields at once); the plate's well list is published last and names only wells with a
complete field, so a partially written plate never claims data it does not hold.

Replacing an existing local plate (``overwrite=True``) writes the new plate into a temporary
sibling that :meth:`HcsPlateWriter.close` swaps in (:mod:`xarray_ngff._staging`), so the
old plate stays whole, and readable as a source, until the new one is complete; a writer
left by an error discards the new plate and keeps the old one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import posixpath
import re
import shutil
import threading
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
import zarr
import zarr.storage
from zarr.abc.store import Store

from . import _ozx, _staging
from ._bridge import as_native
from ._compute import fork_safe_dask
from ._metadata.parse import ome_attrs
from ._metadata.plate import (
    PlateAcquisition,
    PlateColumn,
    PlateMetadata,
    PlateRow,
    PlateWell,
    WellImage,
    WellMetadata,
    parse_plate,
    parse_well,
    plate_attrs,
    well_attrs,
)
from ._metadata.versions import writable_version
from ._targets import check_sources, open_target, put_in_place
from ._util import field_sort_key as _field_sort_key
from ._util import join as _join
from ._util import listing as _listing
from ._util import name_sort_key as _name_sort_key
from ._util import pmap as _pmap
from .errors import (
    NgffError,
    PlateError,
    StoreExistsError,
    WriteError,
)

__all__ = ["HcsPlateWriter", "to_hcs_zarr"]


_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _thread_lock(store_key: str, path: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((store_key, path), threading.Lock())


def _sync(coro):
    from zarr.core.sync import sync

    return sync(coro)


def _buffer(doc: Mapping[str, Any]):
    from zarr.core.buffer import default_buffer_prototype

    text = json.dumps(doc, indent=2, allow_nan=False)
    return default_buffer_prototype().buffer.from_bytes(text.encode())


def _get_json(store: Store, key: str) -> dict[str, Any] | None:
    from zarr.core.buffer import default_buffer_prototype

    buf = _sync(store.get(key, prototype=default_buffer_prototype()))
    if buf is None:
        return None
    return json.loads(buf.to_bytes())


def _group_keys(zarr_format: int, path: str) -> tuple[str, str | None]:
    if zarr_format == 3:
        return _join(path, "zarr.json"), None
    return _join(path, ".zgroup"), _join(path, ".zattrs")


def _ensure_group(store: Store, zarr_format: int, path: str) -> None:
    """Create the group document if absent; never rewrites or deletes anything."""
    key, _ = _group_keys(zarr_format, path)
    doc = (
        {"zarr_format": 3, "node_type": "group", "attributes": {}}
        if zarr_format == 3
        else {"zarr_format": 2}
    )
    if _sync(store.exists(key)):
        return
    with contextlib.suppress(FileExistsError):  # another process created it first
        _sync(store.set_if_not_exists(key, _buffer(doc)))


def _read_attrs(store: Store, zarr_format: int, path: str) -> dict[str, Any] | None:
    key, attrs_key = _group_keys(zarr_format, path)
    if zarr_format == 3:
        doc = _get_json(store, key)
        return None if doc is None else dict(doc.get("attributes") or {})
    if not _sync(store.exists(key)):
        return None
    return _get_json(store, attrs_key) or {}


def _write_attrs(store: Store, zarr_format: int, path: str, attrs: Mapping[str, Any]) -> None:
    key, attrs_key = _group_keys(zarr_format, path)
    if zarr_format == 3:
        doc = {"zarr_format": 3, "node_type": "group", "attributes": dict(attrs)}
        _sync(store.set(key, _buffer(doc)))
    else:
        _ensure_group(store, 2, path)
        _sync(store.set(attrs_key, _buffer(dict(attrs))))


@contextlib.contextmanager
def _well_lock(local_root: pathlib.Path | None, store_key: str, well_path: str) -> Iterator[None]:
    """Serialise updates of one well's metadata: threads via a lock, processes (local stores)
    via ``flock`` on the well directory, which needs no extra file in the plate."""
    with _thread_lock(store_key, well_path):
        if local_root is None:
            yield
            return
        import fcntl

        fd = os.open(local_root / well_path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _as_acquisitions(acquisitions: Any) -> list[PlateAcquisition] | None:
    if acquisitions is None:
        return None
    out = []
    for a in acquisitions:
        if isinstance(a, PlateAcquisition):
            out.append(a)
        elif isinstance(a, int) and not isinstance(a, bool):
            out.append(PlateAcquisition(a))
        elif isinstance(a, Mapping) and isinstance(a.get("id"), int):
            known = {f.name for f in dataclasses.fields(PlateAcquisition)}
            out.append(PlateAcquisition(**{k: v for k, v in a.items() if k in known}))
        else:
            raise PlateError(
                f"an acquisition must be an int id, a mapping with an 'id' or a "
                f"PlateAcquisition, got {a!r}",
                field="acquisitions",
            )
    ids = [a.id for a in out]
    if len(set(ids)) != len(ids) or any(i < 0 for i in ids):
        raise PlateError(
            f"acquisition ids must be unique non-negative integers, got {ids}",
            field="acquisitions",
        )
    return out


def _names(values: Iterable[Any], what: str) -> list[str]:
    names = [str(v.name if isinstance(v, PlateRow | PlateColumn) else v) for v in values]
    bad = [n for n in names if not re.fullmatch(r"[A-Za-z0-9]+", n)]
    if not names or bad or len(set(names)) != len(names):
        raise PlateError(f"{what} must be unique alphanumeric names, got {names}", field=what)
    return names


class HcsPlateWriter:
    """Write a plate incrementally, one field of view at a time, as an instrument produces it.

    Parameters
    ----------
    store
        Local path, fsspec URL or zarr ``LocalStore``/``FsspecStore``.
    rows, columns
        The plate grid (names such as ``"A"`` and ``"1"``).
    name, acquisitions, field_count
        Plate metadata; acquisitions as ids, mappings (``{"id": 0, "name": ...}``) or
        :class:`~xarray_ngff._metadata.plate.PlateAcquisition`. ``field_count`` defaults to
        the largest number of fields written in a well.
    version
        ``"0.5"`` (Zarr v3) or ``"0.4"`` (Zarr v2).
    overwrite
        Replace an existing Zarr hierarchy at ``store`` (a non-empty directory that is not
        Zarr is refused). ``False`` adds to a plate already there (same version), e.g. to
        resume an interrupted acquisition.
    storage_options
        fsspec options for URLs.
    **writer_options
        Passed to :func:`~xarray_ngff._writer.to_ngff_zarr` for every field
        (``chunks_per_shard``, ``compressors``, ``use_tensorstore``, ...).

    Notes
    -----
    Order of writes, so that a reader never sees a claim that is not backed by data:

    1. :meth:`write_field` writes the image first (the writer puts an image's multiscales
       metadata last), then adds the field to the well's metadata. A well therefore lists
       only complete fields, and lists every field written.
    2. The plate's ``wells`` list is written by :meth:`publish` (called by :meth:`close` and
       on leaving a ``with`` block) and lists only wells with at least one complete field.
       Until the first :meth:`publish` the root is a bare Zarr group, not yet a plate.
    3. Replacing an existing local plate: everything goes to a temporary sibling
       (``<name>.xarray-ngff-new-...``) that :meth:`close` puts in place, the old plate
       removed last (room for both is needed meanwhile); leaving a ``with`` block on an
       error discards it and keeps the old plate.
       Stores that cannot rename (``s3://``, ``memory://``) are emptied at once by
       ``overwrite=True``; :func:`to_hcs_zarr` refuses to do that to a plate it reads from.
       A ``.ozx``/``.zip`` path is written the same staged way and packed by :meth:`close`.

    Concurrency: threads and processes may write fields at once (pass the writer to the
    workers: it pickles). Updates of one well's metadata are serialised by a per-well lock:
    a thread lock, plus ``flock`` on the well directory for local stores, so processes may
    even share wells locally; on remote stores, processes must write different wells.
    Call :meth:`publish` from one process (the coordinator).

    Examples
    --------
    >>> import tempfile, numpy as np, xarray_ngff as xn
    >>> d = tempfile.mkdtemp() + "/plate.ome.zarr"
    >>> img = xn.to_ngff_image(np.ones((16, 16), "uint8"), dims=("y", "x"))
    >>> with xn.HcsPlateWriter(d, rows=["A", "B"], columns=["1", "2"], name="run") as w:
    ...     _ = w.write_field("A", "1", 0, img)
    ...     _ = w.write_field("A", "1", 1, img)
    ...     _ = w.write_field("B", "2", 0, img)
    >>> plate = xn.from_hcs_zarr(d)
    >>> plate.well_paths, len(plate.get_well("A", "1").images)
    (['A/1', 'B/2'], 2)
    """

    def __init__(
        self,
        store: Any,
        rows: Sequence[Any],
        columns: Sequence[Any],
        *,
        name: str | None = None,
        acquisitions: Any = None,
        field_count: int | None = None,
        version: str = "0.5",
        overwrite: bool = True,
        storage_options: Mapping[str, Any] | None = None,
        **writer_options: Any,
    ) -> None:
        info = writable_version(version, store=str(store))
        self.rows = _names(rows, "rows")
        self.columns = _names(columns, "columns")
        self.name = name
        self.acquisitions = _as_acquisitions(acquisitions)
        self.field_count = field_count
        self.version = version
        self.zarr_format = info.zarr_format
        self.storage_options = dict(storage_options or {})
        self.writer_options = writer_options
        # plain state only (no open store, no lock), so the writer pickles for process pools
        self.location = store
        self.label = str(store)
        self._created = False
        self._staged: str | None = None  # the temporary sibling replacing a local plate
        self._archive = False  # a .zip/.ozx plate: written as a directory, packed by close()
        self._create(overwrite)

    def _store(self) -> Store:
        loc = self.location
        if self._staged is not None:
            return zarr.storage.LocalStore(self._staged)
        if isinstance(loc, Store):
            return loc
        if isinstance(loc, os.PathLike) or "://" not in str(loc):
            return zarr.storage.LocalStore(pathlib.Path(os.fspath(loc)).expanduser())
        return zarr.storage.FsspecStore.from_url(
            str(loc), storage_options=self.storage_options or None, read_only=False
        )

    def _local_root(self) -> pathlib.Path | None:
        """Where a local plate is written: its path, or the staged sibling replacing it."""
        if self._staged is not None:
            return pathlib.Path(self._staged)
        return self._final_root()

    def _final_root(self) -> pathlib.Path | None:
        loc = self.location
        if isinstance(loc, zarr.storage.LocalStore):
            return pathlib.Path(loc.root)
        if isinstance(loc, Store):
            return None
        text = os.fspath(loc) if isinstance(loc, os.PathLike) else str(loc)
        if text.startswith("file://"):
            text = text[len("file://") :]
        return None if "://" in text else pathlib.Path(text).expanduser()

    def _field_target(self, field_path: str) -> Any:
        loc = self.location
        local = self._local_root()
        if local is not None:
            return str(local / field_path)
        if isinstance(loc, zarr.storage.FsspecStore) and self._staged is None:
            return zarr.storage.FsspecStore(
                loc.fs, path=_join(loc.path, field_path), read_only=False
            )
        if isinstance(loc, Store):
            raise WriteError(
                f"plates are written to local paths, fsspec URLs, LocalStore or FsspecStore, "
                f"not {type(loc).__name__}",
                store=self.label,
                field="store",
            )
        return str(loc).rstrip("/") + "/" + field_path

    def _create_archive(self, path: pathlib.Path, overwrite: bool) -> None:
        _staging.clean_leftovers(path, self.label)
        _ozx.check_archive_version(path, self.version, self.label)
        if path.exists() and not (path.is_file() and zipfile.is_zipfile(path)):
            raise StoreExistsError(
                "the target exists and is not a zip archive; refusing to replace it",
                store=self.label,
                field="store",
            )
        if path.exists() and not overwrite:
            raise StoreExistsError(
                "fields cannot be added to an existing archive; write the plate as a directory, "
                "or pass overwrite=True to replace the archive",
                store=self.label,
                field="store",
            )
        staged = _staging.staging_path(path)
        staged.mkdir(parents=True)
        self._staged, self._archive = str(staged), True
        _ensure_group(self._store(), self.zarr_format, "")
        self._created = True

    def _create(self, overwrite: bool) -> None:
        local = self._final_root()
        if local is not None and _ozx.is_archive(local) and not local.is_dir():
            self._create_archive(local.absolute(), overwrite)
            return
        store = self._store()
        if local is not None:
            _staging.clean_leftovers(local.absolute(), self.label)
            names = {p.name for p in local.iterdir()} if local.is_dir() else set()
            if local.exists() and not local.is_dir():
                raise StoreExistsError(
                    "the target is a file, not a Zarr hierarchy", store=self.label, field="store"
                )
            if names and not names & {"zarr.json", ".zgroup", ".zattrs"}:
                raise StoreExistsError(
                    f"the target is a non-empty directory that is not Zarr (it holds "
                    f"{sorted(names)[:5]}); refusing to replace it",
                    store=self.label,
                    field="store",
                )
            if names and overwrite:  # the old plate stays until close() swaps the new one in
                staged = _staging.staging_path(local.absolute())
                staged.mkdir()
                self._staged = str(staged)
                store = self._store()
            else:
                local.mkdir(parents=True, exist_ok=True)
        elif overwrite:
            _sync(store.delete_dir(""))
        existing = _read_attrs(store, self.zarr_format, "")
        other = _read_attrs(store, 5 - self.zarr_format, "")
        if existing is None and other is not None:
            raise PlateError(
                f"the store holds a Zarr v{5 - self.zarr_format} plate; cannot add version "
                f"{self.version} wells to it",
                store=self.label,
                field="version",
            )
        if existing is not None and "plate" in ome_attrs(existing)[1]:
            found = parse_plate(existing, store=self.label, path="/").version
            if found is not None and found != self.version:
                raise PlateError(
                    f"the store holds a version {found} plate; cannot add version "
                    f"{self.version} wells to it",
                    store=self.label,
                    field="version",
                )
        _ensure_group(store, self.zarr_format, "")
        self._created = True

    def _check(self, row: str, column: str, acquisition: int | None) -> None:
        for value, names, what in ((row, self.rows, "row"), (column, self.columns, "column")):
            if value not in names:
                raise PlateError(
                    f"the plate has no {what} {value!r}; {what}s: {_listing(names)}",
                    store=self.label,
                    path=f"{row}/{column}",
                    field=f"plate.{what}s",
                )
        ids = [a.id for a in self.acquisitions or []]
        if acquisition is not None and ids and acquisition not in ids:
            raise PlateError(
                f"acquisition {acquisition} is not one of the plate's acquisitions {ids}",
                store=self.label,
                path=f"{row}/{column}",
                field="acquisition",
            )
        if acquisition is None and len(ids) > 1:
            raise PlateError(
                f"the plate has {len(ids)} acquisitions {ids}: say which one with acquisition=",
                store=self.label,
                path=f"{row}/{column}",
                field="acquisition",
            )

    def write_field(
        self,
        row: str,
        column: str,
        field: int | str,
        image: xr.DataTree | xr.DataArray,
        *,
        acquisition: int | None = None,
        labels: Mapping[str, Any] | bool | None = None,
    ) -> str:
        """Write one field of view and record it in its well; returns the field's path.

        ``field`` is the field's path in the well: an index (``0``) or any alphanumeric
        name (``"A1f0"``, as ome-writers and iohub write). ``image`` is a multiscales DataTree
        or an NGFF DataArray (which gets the writer's default pyramid); ``labels`` as for
        :func:`~xarray_ngff.to_ngff_zarr`. ``acquisition`` defaults to the plate's only
        acquisition when it has exactly one. Writing a field again replaces it in place in
        the well's list; new fields are appended (numeric paths are kept in numeric order).
        """
        row, column = str(row), str(column)
        image = as_native(image)  # an xarray_ngff.compat NgffMultiscales or NgffImage
        if isinstance(field, int | np.integer) and not isinstance(field, bool) and field >= 0:
            field = str(int(field))
        if not isinstance(field, str) or not re.fullmatch(r"[A-Za-z0-9]+", field):
            raise PlateError(
                f"field must be a non-negative integer or an alphanumeric path, got {field!r}",
                store=self.label,
                path=f"{row}/{column}",
                field="field",
            )
        if acquisition is None and self.acquisitions and len(self.acquisitions) == 1:
            acquisition = self.acquisitions[0].id
        self._check(row, column, acquisition)
        from ._writer import to_ngff_zarr

        store = self._store()
        well_path = f"{row}/{column}"
        field_path = f"{well_path}/{field}"
        _ensure_group(store, self.zarr_format, row)
        _ensure_group(store, self.zarr_format, well_path)
        target = self._field_target(field_path)
        remote = isinstance(target, str) and "://" in target
        with fork_safe_dask():
            to_ngff_zarr(
                target,
                image,
                version=self.version,
                overwrite=True,
                storage_options=(self.storage_options or None) if remote else None,
                labels=labels,
                **self.writer_options,
            )
        local = self._local_root()
        with _well_lock(local, self.label, well_path):
            attrs = _read_attrs(store, self.zarr_format, well_path) or {}
            images: list[WellImage] = []
            if "well" in ome_attrs(attrs)[1]:
                images = parse_well(attrs, store=self.label, path=well_path).images
            entry = WellImage(field, acquisition)
            paths = [i.path for i in images]
            if entry.path in paths:
                images[paths.index(entry.path)] = entry
            else:
                images.append(entry)
            if all(i.path.isdigit() for i in images):
                images.sort(key=lambda i: _field_sort_key(i.path))
            attrs.pop("well", None)
            attrs.pop("ome", None)
            attrs.update(well_attrs(WellMetadata(images), self.version))
            _write_attrs(store, self.zarr_format, well_path, attrs)
        return field_path

    def _well_images(self, store: Store, max_workers: int | None) -> dict[str, list[WellImage]]:
        paths = [f"{r}/{c}" for r in self.rows for c in self.columns]

        def read(path: str) -> list[WellImage] | None:
            attrs = _read_attrs(store, self.zarr_format, path)
            if not attrs or "well" not in ome_attrs(attrs)[1]:
                return None
            return parse_well(attrs, store=self.label, path=path).images

        found = _pmap(read, paths, max_workers)
        return {p: imgs for p, imgs in zip(paths, found, strict=True) if imgs}

    def publish(self, max_workers: int | None = None) -> PlateMetadata | None:
        """Write the plate metadata listing every well that has a complete field (in grid
        order); returns it, or ``None`` (nothing written) while no field is complete."""
        store = self._store()
        written = self._well_images(store, max_workers)
        if not written:
            return None
        wells = []
        for path in written:
            r, c = path.split("/")
            wells.append(PlateWell(path, self.rows.index(r), self.columns.index(c)))
        count = self.field_count or max(len(v) for v in written.values())
        meta = PlateMetadata(
            [PlateRow(r) for r in self.rows],
            [PlateColumn(c) for c in self.columns],
            wells,
            acquisitions=self.acquisitions,
            field_count=count,
            name=self.name,
            version=self.version,
        )
        _write_attrs(store, self.zarr_format, "", plate_attrs(meta, self.version))
        return meta

    def close(self) -> PlateMetadata | None:
        """Publish the plate metadata (see :meth:`publish`); a plate replacing an existing
        one is then swapped in."""
        meta = self.publish()
        if self._staged is not None:
            final = self._final_root()
            assert final is not None  # only local plates are staged
            version = self.version if self._archive else None
            put_in_place(pathlib.Path(self._staged), final.absolute(), version)
            self._staged = None
        return meta

    def discard(self) -> None:
        """Drop a plate that was to replace an existing one; the old plate stays."""
        if self._staged is not None:
            shutil.rmtree(self._staged, ignore_errors=True)
            self._staged = None

    def __enter__(self) -> HcsPlateWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and self._staged is not None:
            self.discard()  # an unfinished replacement must not take the old plate's place
            return
        # on errors too: every well listed then is complete, so the plate stays truthful
        self.close()


def _fields_from(plate: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``{"A/1/0": multiscales}``, plate-level attrs) from a DataTree or a mapping."""
    if isinstance(plate, xr.DataTree):
        fields: dict[str, Any] = {}
        for node in plate.subtree:
            rel = node.relative_to(plate) if node is not plate else ""
            parts = rel.split("/") if rel else []
            if len(parts) == 3:
                fields[rel] = node
        _, body = ome_attrs(dict(plate.attrs))
        return fields, dict(body.get("plate") or {})
    if isinstance(plate, Mapping):
        return {str(k).strip("/"): v for k, v in plate.items()}, {}
    raise WriteError(
        f"plate must be a DataTree '<row>/<column>/<field>' or a mapping "
        f"{{'A/1/0': multiscales}}, got {type(plate).__name__}",
        field="plate",
    )


def _sorted_names(names: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(names))
    return sorted(unique, key=_name_sort_key)


def to_hcs_zarr(
    store: Any,
    plate: xr.DataTree | Mapping[str, Any],
    version: str = "0.5",
    *,
    name: str | None = None,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    acquisitions: Any = None,
    field_acquisitions: Mapping[str, int] | None = None,
    field_count: int | None = None,
    overwrite: bool = True,
    storage_options: Mapping[str, Any] | None = None,
    labels: Mapping[str, Mapping[str, Any]] | None = None,
    **writer_options: Any,
) -> None:
    """Write a whole plate: plate, well and image metadata and every field.

    Parameters
    ----------
    store
        Local path, fsspec URL, or zarr ``LocalStore``/``FsspecStore``.
    plate
        A DataTree ``<row>/<column>/<field>`` whose field nodes are multiscales trees (as
        :func:`~xarray_ngff.to_multiscales` returns; a plate tree read by
        :func:`open_plate_tree` works too), or a mapping ``{"A/1/0": multiscales}`` (values may
        also be NGFF DataArrays, which get the default pyramid). Field paths are
        alphanumeric (``"A/1/0"``, ``"A/1/A1f0"``); each well lists its fields in the source
        well's order (a tree read from a plate), else in the order given. Field trees with a
        ``labels`` node keep their label images.
    version
        ``"0.5"`` or ``"0.4"``.
    name, rows, columns, acquisitions, field_count
        Plate metadata; each defaults to the tree's root attrs (``plate`` document, as written
        by :func:`synthetic_plate` or read from a plate) and then to what the field paths
        imply (rows and columns in natural order).
    field_acquisitions
        ``{"A/1/0": acquisition id}``; fields not listed get the plate's only acquisition, or
        the id recorded in the source tree's well metadata.
    labels
        ``{"A/1/0": {"cells": label image}}``: label images of fields, as for
        :func:`~xarray_ngff.to_ngff_zarr`.
    overwrite, storage_options, **writer_options
        As for :class:`HcsPlateWriter`.

    Examples
    --------
    >>> import tempfile, numpy as np, xarray_ngff as xn
    >>> img = xn.to_ngff_image(np.zeros((8, 8), "uint8"), dims=("y", "x"))
    >>> ms = xn.to_multiscales(img, scale_factors=[2])
    >>> d = tempfile.mkdtemp() + "/plate.ome.zarr"
    >>> xn.to_hcs_zarr(d, {"A/1/0": ms, "B/2/0": ms, "B/2/1": ms}, version="0.4",
    ...                name="demo", acquisitions=[{"id": 3, "name": "first"}])
    >>> p = xn.from_hcs_zarr(d)
    >>> p.metadata.version, [r.name for r in p.metadata.rows], p.metadata.acquisitions[0].id
    ('0.4', ['A', 'B'], 3)
    """
    fields, doc = _fields_from(plate)
    if not fields:
        raise WriteError("the plate has no fields to write", store=str(store), field="plate")
    bad = [
        k
        for k in fields
        if len(k.split("/")) != 3 or not all(re.fullmatch(r"[A-Za-z0-9]+", p) for p in k.split("/"))
    ]
    if bad:
        raise WriteError(
            f"field paths must be '<row>/<column>/<field>' with alphanumeric parts (such as "
            f"'A/1/0' or 'A/1/A1f0'), got {_listing(bad)}",
            store=str(store),
            field="plate",
        )
    labels = dict(labels or {})
    unknown = [k for k in labels if k not in fields]
    if unknown:
        raise WriteError(
            f"labels name fields {_listing(unknown)} that the plate does not have",
            store=str(store),
            field="labels",
        )
    parsed_rows = [r.get("name") for r in doc.get("rows", []) if isinstance(r, Mapping)]
    parsed_cols = [c.get("name") for c in doc.get("columns", []) if isinstance(c, Mapping)]
    rows = list(rows or parsed_rows or _sorted_names(k.split("/")[0] for k in fields))
    columns = list(columns or parsed_cols or _sorted_names(k.split("/")[1] for k in fields))
    if acquisitions is None:
        acquisitions = doc.get("acquisitions")
    if name is None:
        name = doc.get("name")
    source_acq: dict[str, int] = {}
    # fields are written (and so listed) in the well's order: the source well's list, then
    # the order given
    rank = {key: (1, i) for i, key in enumerate(fields)}
    if isinstance(plate, xr.DataTree):
        for key in fields:
            wnode = plate[posixpath.dirname(key)]
            with contextlib.suppress(NgffError):
                for i, img in enumerate(parse_well(dict(wnode.attrs)).images):
                    full = _join(posixpath.dirname(key), img.path)
                    if full in rank:
                        rank[full] = (0, i)
                    if img.acquisition is not None:
                        source_acq[full] = img.acquisition
    source_acq.update(field_acquisitions or {})
    from ._sources import find_sources

    # a plate read from the target: staged (local) or refused (stores that cannot rename)
    check_sources(find_sources(*fields.values()), open_target(store, storage_options))
    writer = HcsPlateWriter(
        store,
        rows,
        columns,
        name=name,
        acquisitions=acquisitions,
        field_count=field_count,
        version=version,
        overwrite=overwrite,
        storage_options=storage_options,
        **writer_options,
    )
    order = sorted(fields, key=lambda k: (k.split("/")[:2], rank[k]))
    for key in order:
        r, c, f = key.split("/")
        # fail before writing anything: checks every field's row/column/acquisition first
        writer._check(r, c, source_acq.get(key, _only_id(writer)))
    with writer:
        for key in order:
            r, c, f = key.split("/")
            writer.write_field(
                r, c, f, fields[key], acquisition=source_acq.get(key), labels=labels.get(key)
            )


def _only_id(writer: HcsPlateWriter) -> int | None:
    acqs = writer.acquisitions or []
    return acqs[0].id if len(acqs) == 1 else None
