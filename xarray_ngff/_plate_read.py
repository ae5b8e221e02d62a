"""High-content screening (HCS) plates: read and navigate them as xarray objects.

A plate is a Zarr hierarchy ``<row>/<column>/<field>``: the root holds ``plate`` metadata
(rows, columns, the wells present, acquisitions), each well group holds ``well`` metadata (its
fields of view) and each field is an ordinary multiscales image, opened through
:mod:`xarray_ngff._image_read` (this module knows nothing of the dispatcher,
:mod:`xarray_ngff._reader`, which sends plate roots here).

* :func:`from_hcs_zarr` returns an :class:`HcsPlate`, a plain object with the ngff-zarr API
  (``plate.metadata``, ``plate.get_well(row, column)``, ``well.images``,
  ``well.get_image(i)``, ``well.get_image_by_acquisition(id, i)``). Opening reads the plate
  metadata only; a well's metadata is read when the well is asked for and an image's when
  the image is (images are the multiscales DataTrees of :func:`~xarray_ngff.from_ngff_zarr`).
* :func:`open_plate_tree` (what ``xr.open_datatree(plate, engine="ngff")`` calls) returns the
  whole plate as one DataTree ``<row>/<column>/<field>/scaleN`` (plus ``labels``), plate
  metadata in the root attrs and well metadata on the well nodes. Metadata is read by a
  thread pool, so a 96-well x 4-field plate opens in about a second locally.
* :func:`plate_to_dataarray` stacks one level of every field into one lazy DataArray with
  dims ``(row, column, field, *image dims)``; missing wells and fields are filled lazily (the
  stacking itself is :func:`xarray_ngff._plate_stack.stack_plate`).

Plates are written by :mod:`xarray_ngff._hcs_writer` (``xn.to_hcs_zarr``,
``xn.HcsPlateWriter``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from ._bridge import as_native
from ._hierarchy import node_kind
from ._image_read import image_nodes
from ._metadata.parse import ome_attrs
from ._metadata.plate import (
    PlateMetadata,
    PlateWell,
    WellImage,
    WellMetadata,
    parse_plate,
    parse_well,
)
from ._plate_stack import stack_plate
from ._store import NgffStore, open_store, translate_errors
from ._util import join as _join
from ._util import listing as _listing
from ._util import pmap as _pmap
from .errors import NgffError, NotOmeZarrError, PlateError, ValidationError

__all__ = [
    "HcsPlate",
    "HcsWell",
    "from_hcs_zarr",
    "open_plate_groups",
    "open_plate_tree",
    "plate_to_dataarray",
]


def _read_plate(nstore: NgffStore, path: str) -> tuple[dict[str, Any], PlateMetadata]:
    attrs = nstore.attrs(path)
    where = path or "/"
    _, body = ome_attrs(attrs, store=nstore.name, path=where)
    if "plate" not in body:
        kind = next(
            (k for k in ("multiscales", "well", "bioformats2raw.layout") if k in body), None
        )
        what = f"an OME-Zarr {kind!r} group" if kind else f"a group with attributes {sorted(body)}"
        raise PlateError(
            f"not an HCS plate: {what}; open images with from_ngff_zarr",
            store=nstore.name,
            path=where,
            field="plate",
        )
    return attrs, parse_plate(attrs, store=nstore.name, path=where)


def _read_well(
    nstore: NgffStore, plate_path: str, plate: PlateMetadata, well: PlateWell
) -> tuple[dict[str, Any], WellMetadata]:
    wpath = _join(plate_path, well.path)
    if not nstore.has_group(wpath):
        raise PlateError(
            f"the plate lists well {well.path!r} but the store has no group there",
            store=nstore.name,
            path=wpath,
            field="plate.wells",
        )
    attrs = nstore.attrs(wpath)
    meta = parse_well(attrs, store=nstore.name, path=wpath)
    if plate.version is not None and meta.version is not None and meta.version != plate.version:
        raise PlateError(
            f"the well is version {meta.version} but its plate is version {plate.version}",
            store=nstore.name,
            path=wpath,
            field="version",
        )
    return attrs, meta


def _missing_field(nstore: NgffStore, well_path: str, image: WellImage, listed: list[str]):
    with contextlib.suppress(NgffError):
        group = nstore.group(well_path)
        with translate_errors(nstore.name, well_path):
            present = sorted(k for k, _ in group.groups())
        return PlateError(
            f"the well lists field {image.path!r} but the store has no image there; the well "
            f"lists {_listing(listed)} and holds groups {_listing(present)}",
            store=nstore.name,
            path=_join(well_path, image.path),
            field="well.images",
        )
    return PlateError(
        f"field {image.path!r} is missing", store=nstore.name, path=well_path, field="well.images"
    )


def _prefetch_fields(nstore: NgffStore, path: str, entries: Sequence, wells: list) -> None:
    """Load the metadata of every field, its labels group and its level arrays in two
    concurrent rounds; anything malformed is left for the regular reader to report."""
    fields = [
        _join(path, entry.path, img.path)
        for entry, (_, meta) in zip(entries, wells, strict=True)
        for img in meta.images
    ]
    nstore.prefetch([*fields, *(_join(f, "labels") for f in fields)])
    arrays = []
    for field in fields:
        with contextlib.suppress(NgffError, TypeError, KeyError, IndexError, AttributeError):
            if nstore.has_group(field):
                datasets = ome_attrs(nstore.attrs(field))[1]["multiscales"][0]["datasets"]
                arrays.extend(_join(field, str(d["path"])) for d in datasets)
    nstore.prefetch(arrays)


def _open_image(
    nstore: NgffStore, well_path: str, image: WellImage, listed: list[str], chunks: Any
) -> dict[str, xr.Dataset]:
    fpath = _join(well_path, image.path)
    if not nstore.has_group(fpath):
        raise _missing_field(nstore, well_path, image, listed)
    attrs = nstore.attrs(fpath)
    kind = node_kind(attrs, store=nstore.name, path=fpath)
    if kind != "image":  # a field is one multiscales image (plates hold no collections)
        error = NotOmeZarrError if kind is None else PlateError
        what = f"a {kind} group" if kind else f"a group with attributes {sorted(attrs)}"
        raise error(
            f"the well lists field {image.path!r} but the store holds {what} there, not a "
            "multiscales image",
            store=nstore.name,
            path=fpath,
            field="well.images",
        )
    return image_nodes(nstore, fpath, chunks)


@dataclasses.dataclass(eq=False)
class HcsWell:
    """One well of a plate: its metadata, and its fields opened on request.

    Attributes
    ----------
    store
        The plate's store.
    path
        The well group's path in the store (``"A/1"``).
    plate_well
        The plate's entry for this well (path, row and column indices).
    metadata
        The well's own metadata (its field images, in order).
    chunks
        Passed to the reader for every image (``{}``: dask with the stored chunks).
    """

    store: NgffStore
    path: str
    plate_well: PlateWell
    metadata: WellMetadata
    chunks: Any = dataclasses.field(default_factory=dict)

    @property
    def images(self) -> list[WellImage]:
        """The fields of view (path and acquisition id), in the well's order."""
        return self.metadata.images

    @property
    def row_index(self) -> int | None:
        return self.plate_well.row_index

    @property
    def column_index(self) -> int | None:
        return self.plate_well.column_index

    def get_image(self, field_index: int = 0) -> xr.DataTree | None:
        """The multiscales DataTree of the ``field_index``-th field, ``None`` if out of range."""
        if not 0 <= field_index < len(self.images):
            return None
        return self.image(field_index)

    def get_image_by_acquisition(
        self, acquisition_id: int, field_index: int = 0
    ) -> xr.DataTree | None:
        """The ``field_index``-th field of acquisition ``acquisition_id`` (``None`` if absent)."""
        chosen = [i for i, img in enumerate(self.images) if img.acquisition == acquisition_id]
        if not 0 <= field_index < len(chosen):
            return None
        return self.image(chosen[field_index])

    def image(self, field_index: int = 0) -> xr.DataTree:
        """Like :meth:`get_image` but raising :class:`PlateError` for an unknown field."""
        if not isinstance(field_index, int) or not 0 <= field_index < len(self.images):
            raise PlateError(
                f"field {field_index!r} does not exist; the well has {len(self.images)} "
                f"field(s) {_listing([i.path for i in self.images])}",
                store=self.store.name,
                path=self.path,
                field="well.images",
            )
        img = self.images[field_index]
        nodes = _open_image(self.store, self.path, img, [i.path for i in self.images], self.chunks)
        return xr.DataTree.from_dict(nodes)


@dataclasses.dataclass(eq=False)
class HcsPlate:
    """An HCS plate opened by :func:`from_hcs_zarr`.

    A plain object: it holds the store handle, the plate metadata and the metadata of the
    wells read so far (no pixels, no xarray objects); wells and images are read on request.

    Attributes
    ----------
    store
        The store handle (:class:`~xarray_ngff._store.NgffStore`).
    path
        The plate group's path in the store (``""``: the root).
    metadata
        :class:`~xarray_ngff._metadata.plate.PlateMetadata` with ``name``, ``rows``,
        ``columns``, ``wells``, ``acquisitions``, ``field_count`` and ``version``.
    attrs
        The plate group's attributes as stored.
    chunks
        Passed to the reader for every image.
    """

    store: NgffStore
    path: str
    metadata: PlateMetadata
    attrs: dict[str, Any]
    chunks: Any = dataclasses.field(default_factory=dict)
    _wells: dict[str, HcsWell] = dataclasses.field(default_factory=dict, repr=False)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    # ngff-zarr's HCSPlate spellings
    name = property(lambda self: self.metadata.name)
    rows = property(lambda self: self.metadata.rows)
    columns = property(lambda self: self.metadata.columns)
    wells = property(lambda self: self.metadata.wells)
    acquisitions = property(lambda self: self.metadata.acquisitions)
    field_count = property(lambda self: self.metadata.field_count)

    @property
    def well_paths(self) -> list[str]:
        """The paths of the wells present, as listed by the plate."""
        return [w.path for w in self.metadata.wells]

    def _load(self, entry: PlateWell) -> HcsWell:
        with self._lock:
            cached = self._wells.get(entry.path)
        if cached is not None:
            return cached
        _, meta = _read_well(self.store, self.path, self.metadata, entry)
        well = HcsWell(self.store, _join(self.path, entry.path), entry, meta, self.chunks)
        with self._lock:
            return self._wells.setdefault(entry.path, well)

    def get_well(self, row: str, column: str) -> HcsWell | None:
        """The well at ``row``/``column`` (names such as ``"B"``, ``"3"``), or ``None`` when
        the plate has no such well."""
        entry = self.metadata.find_well(str(row), str(column))
        return None if entry is None else self._load(entry)

    def get_well_by_indices(self, row_index: int, column_index: int) -> HcsWell | None:
        """The well at the given grid indices, or ``None``."""
        for entry in self.metadata.wells:
            if (entry.row_index, entry.column_index) == (row_index, column_index):
                return self._load(entry)
        return None

    def well(self, row: str, column: str | None = None) -> HcsWell:
        """The well ``row``/``column`` (or a path ``"B/3"``), raising :class:`PlateError` that
        lists valid well paths when the plate has no such well."""
        if column is None:
            parts = str(row).strip("/").split("/")
            row, column = ("/".join(parts[:-1]), parts[-1]) if len(parts) >= 2 else (row, "")
        entry = self.metadata.find_well(str(row).split("/")[-1], str(column))
        if entry is None:
            raise PlateError(
                f"the plate has no well {row}/{column}; wells present: {_listing(self.well_paths)}",
                store=self.store.name,
                path=_join(self.path, f"{row}/{column}"),
                field="plate.wells",
            )
        return self._load(entry)

    def image(self, path: str) -> xr.DataTree:
        """The image at ``"<row>/<column>/<field path>"`` (e.g. ``"B/3/0"``)."""
        well_path, _, field_path = str(path).strip("/").rpartition("/")
        well = self.well(well_path)
        paths = [img.path for img in well.images]
        if field_path not in paths:
            raise PlateError(
                f"well {well_path!r} has no field {field_path!r}; its fields: {_listing(paths)}",
                store=self.store.name,
                path=_join(self.path, path),
                field="well.images",
            )
        return well.image(paths.index(field_path))

    def to_datatree(self, max_workers: int | None = None) -> xr.DataTree:
        """The whole plate as one DataTree (see :func:`open_plate_tree`)."""
        return open_plate_tree(
            self.store, path=self.path, chunks=self.chunks, max_workers=max_workers
        )

    def to_dataarray(self, level: int = 0, **kwargs: Any) -> xr.DataArray:
        """One lazy DataArray of the whole plate (see :func:`plate_to_dataarray`)."""
        return plate_to_dataarray(self, level, **kwargs)


def _validate_plate(
    nstore: NgffStore, path: str, attrs: Mapping[str, Any], max_workers: int | None
) -> None:
    """The validator's plate rules (:func:`~xarray_ngff._validate.store_problems`, the same
    as ``validate_store``); raises one ValidationError with all problems."""
    from ._validate import store_problems

    problems = store_problems(nstore, path=path)
    if problems:
        raise ValidationError([p.text() for p in problems], store=nstore.name, path=path or "/")


def from_hcs_zarr(
    store: Any,
    validate: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    chunks: Any = {},  # noqa: B006 - read-only sentinel meaning "stored chunks", as in xarray
    *,
    path: str = "",
) -> HcsPlate:
    """Open an HCS plate (OME-NGFF 0.1–0.5), reading only the plate's own metadata.

    Parameters
    ----------
    store
        Path, ``.zip``/``.ozx`` file, fsspec URL, zarr store or group (as for
        :func:`~xarray_ngff.from_ngff_zarr`).
    validate
        Check the plate and every well against the plate/well schemas and the structural
        rules (well paths are ``<row>/<column>`` with listed names, indices in range,
        acquisition ids exist, versions agree, listed wells and fields exist) and raise one
        :class:`~xarray_ngff.errors.ValidationError` listing every problem. Reads every well's
        metadata (concurrently).
    storage_options
        fsspec options for URLs.
    chunks
        Chunking of the images returned later (``{}``: stored chunks; ``None``: lazily
        indexed arrays).
    path
        The plate group's path inside the store.

    Returns
    -------
    HcsPlate

    Raises
    ------
    PlateError
        The group is not a plate (its message says what it is).

    Examples
    --------
    >>> import tempfile, xarray_ngff as xn
    >>> from xarray_ngff.datasets import synthetic_plate
    >>> d = tempfile.mkdtemp() + "/plate.ome.zarr"
    >>> xn.to_hcs_zarr(d, synthetic_plate(rows=2, columns=3, fields=2, missing=["B/3"]))
    >>> plate = xn.from_hcs_zarr(d)
    >>> plate.metadata.name, len(plate.metadata.wells), plate.metadata.field_count
    ('synthetic', 5, 2)
    >>> well = plate.get_well("A", "2")
    >>> len(well.images), plate.get_well("B", "3") is None
    (2, True)
    >>> well.get_image(1)["scale0"]["image"].dims
    ('c', 'y', 'x')
    """
    nstore = open_store(store, storage_options)
    path = path.strip("/")
    attrs, metadata = _read_plate(nstore, path)
    if validate:
        _validate_plate(nstore, path, attrs, None)
    return HcsPlate(nstore, path, metadata, attrs, chunks)


def open_plate_groups(
    store: Any,
    *,
    path: str = "",
    chunks: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    max_workers: int | None = None,
) -> dict[str, xr.Dataset]:
    """Every node of a plate as ``{"/A/1/0/scale0": Dataset, ...}`` (the flat form of
    :func:`open_plate_tree`, for backends that assemble the tree themselves).

    Examples
    --------
    >>> import tempfile, xarray_ngff as xn
    >>> from xarray_ngff.datasets import synthetic_plate
    >>> d = tempfile.mkdtemp() + "/plate.ome.zarr"
    >>> xn.to_hcs_zarr(d, synthetic_plate(rows=1, columns=1, fields=1))
    >>> sorted(open_plate_groups(d))
    ['/', '/A/1', '/A/1/0', '/A/1/0/scale0', '/A/1/0/scale1']
    """
    nstore = open_store(store, storage_options)
    path = path.strip("/")
    attrs, plate = _read_plate(nstore, path)
    nstore.prefetch(_join(path, w.path) for w in plate.wells)
    wells = _pmap(lambda w: _read_well(nstore, path, plate, w), plate.wells, max_workers)
    _prefetch_fields(nstore, path, plate.wells, wells)
    jobs = []
    nodes: dict[str, xr.Dataset] = {"/": xr.Dataset(attrs=attrs)}
    for entry, (wattrs, meta) in zip(plate.wells, wells, strict=True):
        nodes["/" + entry.path] = xr.Dataset(attrs=wattrs)
        listed = [img.path for img in meta.images]
        jobs.extend((entry.path, img, listed) for img in meta.images)

    def load(job):
        wpath, img, listed = job
        return _open_image(nstore, _join(path, wpath), img, listed, chunks)

    for (wpath, img, _), field_nodes in zip(jobs, _pmap(load, jobs, max_workers), strict=True):
        for key, ds in field_nodes.items():
            nodes["/" + _join(wpath, img.path, key)] = ds
    return nodes


def open_plate_tree(
    store: Any,
    *,
    path: str = "",
    chunks: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    max_workers: int | None = None,
) -> xr.DataTree:
    """The whole plate as one DataTree ``<row>/<column>/<field>/scaleN``.

    This is what ``xr.open_datatree(plate, engine="ngff")`` and
    :func:`~xarray_ngff._reader.open_ngff_groups` call on a plate root. The root's attrs are
    the plate group's attributes, each well node's attrs the well's, each field node a
    multiscales image as :func:`~xarray_ngff.from_ngff_zarr` returns it (with ``labels``).
    Well and image metadata are read by a pool of ``max_workers`` threads (default: the
    ``metadata_threads`` option of :func:`~xarray_ngff.set_options`, 16).

    Raises
    ------
    PlateError
        Not a plate, a listed well or field missing from the store, or a well whose version
        differs from the plate's.

    Examples
    --------
    >>> import tempfile, xarray as xr, xarray_ngff as xn
    >>> from xarray_ngff.datasets import synthetic_plate
    >>> d = tempfile.mkdtemp() + "/plate.ome.zarr"
    >>> xn.to_hcs_zarr(d, synthetic_plate(rows=1, columns=2, fields=1))
    >>> tree = xr.open_datatree(d, engine="ngff")
    >>> sorted(tree["A"].children), list(tree["A/1/0"].children)
    (['1', '2'], ['scale0', 'scale1'])
    >>> tree["A/2"].attrs["ome"]["well"]["images"]
    [{'path': '0', 'acquisition': 0}]
    """
    return xr.DataTree.from_dict(
        open_plate_groups(
            store,
            path=path,
            chunks=chunks,
            storage_options=storage_options,
            max_workers=max_workers,
        )
    )


# -- the plate as one array (stack_plate does the stacking) -----------------------------------


def _plate_source(plate: Any, max_workers: int | None) -> tuple[PlateMetadata, xr.DataTree]:
    plate = as_native(plate)  # an xarray_ngff.compat HCSPlate gives the plate it wraps
    if isinstance(plate, xr.DataTree):
        attrs = dict(plate.attrs)
        return parse_plate(attrs, path="/"), plate
    if not isinstance(plate, HcsPlate):
        plate = from_hcs_zarr(plate)
    chunks = {} if plate.chunks is None else plate.chunks
    tree = open_plate_tree(plate.store, path=plate.path, chunks=chunks, max_workers=max_workers)
    return plate.metadata, tree


def plate_to_dataarray(
    plate: Any,
    level: int = 0,
    *,
    by: str = "grid",
    fill_value: Any = None,
    max_workers: int | None = None,
) -> xr.DataArray:
    """One lazy DataArray holding level ``level`` of every field of a plate.

    Parameters
    ----------
    plate
        An :class:`HcsPlate`, a plate DataTree (:func:`open_plate_tree`) or anything
        :func:`from_hcs_zarr` opens.
    level
        The resolution level of every field.
    by
        ``"grid"``: dims ``(row, column, field, *image dims)`` over the whole plate grid, so
        ``.sel(row="B", column="3")`` works; ``"well"``: dims ``(well, field, ...)`` over the
        wells present only (with ``row``/``column`` coordinates along ``well``).
    fill_value
        Pixels of missing wells and fields. Default: ``0`` for integer and boolean images,
        ``NaN`` for floating point ones, so the dtype is kept (a uint16 plate stays uint16;
        promoting to float would double its size). Use the ``present`` coordinate to mask
        them: ``arr.where(arr.present).mean(("row", "column"))``.
    max_workers
        Threads reading the metadata (default: the ``metadata_threads`` option).

    Returns
    -------
    xarray.DataArray
        Dask-backed; fill blocks are lazy too. Coordinates: ``row``, ``column`` (names),
        ``field`` (index within the well), ``well`` (path, ``""`` for none), ``present``
        (bool), ``acquisition`` (id, -1 for none) and the image coordinates. When the fields
        share the pixel spacing but not the origin (each field at its own stage position),
        image coordinates are relative to each field's origin, which is kept in
        ``<dim>_origin`` coordinates over ``(row, column, field)``.

    Raises
    ------
    PlateError
        Fields whose shapes, dims, dtypes or spacings differ, a level that does not exist.

    Examples
    --------
    >>> import tempfile, xarray_ngff as xn
    >>> from xarray_ngff.datasets import synthetic_plate
    >>> d = tempfile.mkdtemp() + "/plate.ome.zarr"
    >>> xn.to_hcs_zarr(d, synthetic_plate(rows=2, columns=3, fields=2, missing=["B/3"]))
    >>> arr = xn.plate_to_dataarray(xn.from_hcs_zarr(d))
    >>> arr.dims, arr.shape
    (('row', 'column', 'field', 'c', 'y', 'x'), (2, 3, 2, 2, 32, 32))
    >>> int(arr.sel(row="B", column="3").max()), bool(arr.present.sel(row="B", column="3")[0])
    (0, False)
    >>> int(arr.sel(row="B", column="2", field=1).isel(c=0, y=0, x=0))
    1110
    """
    meta, tree = _plate_source(plate, max_workers)
    return stack_plate(meta, tree, level, by=by, fill_value=fill_value)
