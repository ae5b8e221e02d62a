"""Writing HCS plates: :func:`to_hcs_zarr` and the incremental :class:`HcsPlateWriter`.

Reading, navigating and the plate array live in :mod:`xarray_ngff._hcs`, which also re-exports
these two names; the plan of a plate and its group documents in :mod:`xarray_ngff._hcs_layout`.

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

import os
import pathlib
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
import zarr
import zarr.storage
from zarr.abc.store import Store

from . import _ozx, _staging
from ._bridge import as_native
from ._compute import fork_safe_dask
from ._hcs_layout import (
    ALPHANUMERIC,
    add_field,
    as_acquisitions,
    ensure_group,
    grid_names,
    plan_plate,
    plate_metadata,
    read_attrs,
    sync,
    well_images,
    well_lock,
    write_attrs,
)
from ._metadata.parse import ome_attrs
from ._metadata.plate import PlateMetadata, WellImage, parse_plate, plate_attrs
from ._metadata.versions import DEFAULT_WRITE_VERSION, VERSIONS, writable_version
from ._targets import check_sources, open_target, put_in_place
from ._util import join as _join
from ._util import listing as _listing
from ._util import pmap as _pmap
from .errors import PlateError, StoreExistsError, WriteError

__all__ = ["HcsPlateWriter", "to_hcs_zarr"]


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
        A written version (:data:`~xarray_ngff._metadata.versions.WRITABLE`): ``"0.5"``
        (Zarr v3, default) or ``"0.4"`` (Zarr v2).
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
        version: str = DEFAULT_WRITE_VERSION,
        overwrite: bool = True,
        storage_options: Mapping[str, Any] | None = None,
        **writer_options: Any,
    ) -> None:
        info = writable_version(version, store=str(store))
        self.rows = grid_names(rows, "rows")
        self.columns = grid_names(columns, "columns")
        self.name = name
        self.acquisitions = as_acquisitions(acquisitions)
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
        ensure_group(self._store(), self.zarr_format, "")
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
            sync(store.delete_dir(""))
        existing = read_attrs(store, self.zarr_format, "")
        # the Zarr formats of the other versions (the table's)
        for other in sorted({v.zarr_format for v in VERSIONS.values()} - {self.zarr_format}):
            if existing is None and read_attrs(store, other, "") is not None:
                raise PlateError(
                    f"the store holds a Zarr v{other} plate; cannot add version "
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
        ensure_group(store, self.zarr_format, "")
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
        if not isinstance(field, str) or not ALPHANUMERIC.fullmatch(field):
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
        ensure_group(store, self.zarr_format, row)
        ensure_group(store, self.zarr_format, well_path)
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
        with well_lock(local, self.label, well_path):
            attrs = read_attrs(store, self.zarr_format, well_path) or {}
            entry = WellImage(field, acquisition)
            attrs = add_field(attrs, entry, self.version, label=self.label, path=well_path)
            write_attrs(store, self.zarr_format, well_path, attrs)
        return field_path

    def _well_images(self, store: Store, max_workers: int | None) -> dict[str, list[WellImage]]:
        paths = [f"{r}/{c}" for r in self.rows for c in self.columns]

        def read(path: str) -> list[WellImage] | None:
            return well_images(store, self.zarr_format, path, self.label)

        found = _pmap(read, paths, max_workers)
        return {p: imgs for p, imgs in zip(paths, found, strict=True) if imgs}

    def publish(self, max_workers: int | None = None) -> PlateMetadata | None:
        """Write the plate metadata listing every well that has a complete field (in grid
        order); returns it, or ``None`` (nothing written) while no field is complete."""
        store = self._store()
        written = self._well_images(store, max_workers)
        if not written:
            return None
        meta = plate_metadata(
            self.rows,
            self.columns,
            written,
            acquisitions=self.acquisitions,
            field_count=self.field_count,
            name=self.name,
            version=self.version,
        )
        write_attrs(store, self.zarr_format, "", plate_attrs(meta, self.version))
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


def to_hcs_zarr(
    store: Any,
    plate: xr.DataTree | Mapping[str, Any],
    version: str = DEFAULT_WRITE_VERSION,
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
        A written version: ``"0.5"`` (default) or ``"0.4"``.
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
    plan = plan_plate(
        store,
        plate,
        rows=rows,
        columns=columns,
        acquisitions=acquisitions,
        name=name,
        field_acquisitions=field_acquisitions,
        labels=labels,
    )
    from ._sources import find_sources

    # a plate read from the target: staged (local) or refused (stores that cannot rename)
    check_sources(find_sources(*plan.fields.values()), open_target(store, storage_options))
    writer = HcsPlateWriter(
        store,
        plan.rows,
        plan.columns,
        name=plan.name,
        acquisitions=plan.acquisitions,
        field_count=field_count,
        version=version,
        overwrite=overwrite,
        storage_options=storage_options,
        **writer_options,
    )
    source_acq = plan.field_acquisitions
    for key in plan.order:
        r, c, f = key.split("/")
        # fail before writing anything: checks every field's row/column/acquisition first
        writer._check(r, c, source_acq.get(key, _only_id(writer)))
    with writer:
        for key in plan.order:
            r, c, f = key.split("/")
            writer.write_field(
                r,
                c,
                f,
                plan.fields[key],
                acquisition=source_acq.get(key),
                labels=plan.labels.get(key),
            )


def _only_id(writer: HcsPlateWriter) -> int | None:
    acqs = writer.acquisitions or []
    return acqs[0].id if len(acqs) == 1 else None
