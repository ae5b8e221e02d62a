"""ngff-zarr's readers, writer, validation and HCS classes, calling xarray-ngff's own."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from .. import _plate_read, _reader, _writer
from .._metadata.parse import parse_multiscales
from .._pyramid import tree_levels as _tree_levels
from ..errors import NgffError, ValidationError, WriteError
from ._image import Multiscales, NgffImage, NgffMultiscales, to_multiscales
from ._model import Plate, WellImage, plate_from_metadata, well_from_metadata

__all__ = [
    "to_ngff_zarr",
    "to_ome_zarr",
    "from_ngff_zarr",
    "from_ome_zarr",
    "validate",
    "from_hcs_zarr",
    "HCSPlate",
    "HCSWell",
]

# ngff-zarr keywords that change nothing here when left at their defaults
_INERT = {"chunk_store": None, "scale_strategy": "pad", "metadata_only": False, "start_level": 0}


def _location(store: Any) -> Any:
    """Where a store lives: a resolved local path, a URL, or the store object itself."""
    if isinstance(store, str | os.PathLike):
        text = os.fspath(store)
        return text.rstrip("/") if "://" in text else pathlib.Path(text).expanduser().resolve()
    return id(store)


def _check_not_own_source(store: Any, multiscales: Any) -> None:
    """Refuse to replace the store an image read by :func:`from_ngff_zarr` still reads its
    pixels from: the writer clears the target first, so the pixels would be lost."""
    if not isinstance(multiscales, Multiscales) or multiscales._store is None:
        return
    if multiscales._store != _location(store):
        return
    levels = _tree_levels(multiscales._tree) if multiscales._tree is not None else []
    read = {id(lvl.data) for lvl in levels}
    if any(id(img.data) in read for img in multiscales.images):
        raise WriteError(
            "these images are read lazily from the store they would replace, which is cleared "
            "before the pixels are read; write to a new location (or load the pixels first, "
            "e.g. image.data = image.data.persist())",
            store=str(store),
            field="store",
        )


def _as_tree(multiscales: Any) -> xr.DataTree | xr.DataArray:
    if isinstance(multiscales, NgffMultiscales):
        return multiscales.to_datatree()
    if isinstance(multiscales, NgffImage):
        return to_multiscales(multiscales).to_datatree()
    return multiscales


def to_ngff_zarr(
    store: Any,
    multiscales: NgffMultiscales | NgffImage | xr.DataTree,
    version: str | None = None,
    overwrite: bool = True,
    use_tensorstore: bool = False,
    chunk_store: Any = None,
    progress: Any = None,
    chunks_per_shard: int | Sequence[int] | Mapping[str, int] | None = None,
    **kwargs: Any,
) -> None:
    """ngff-zarr's ``to_ngff_zarr``: :func:`xarray_ngff.to_ngff_zarr` of the pyramid
    (``version=None`` writes 0.5, as ngff-zarr 0.50 does).

    ``consolidate_metadata`` is accepted (the writer's layout is fixed); ``chunk_store``,
    ``scale_strategy``, ``metadata_only`` and ``start_level`` other than their defaults raise
    a :class:`~xarray_ngff.errors.WriteError`.
    """
    kwargs.pop("consolidate_metadata", None)
    given = {"chunk_store": chunk_store, **kwargs}
    for key, value in given.items():
        if key not in _INERT:
            raise WriteError(f"to_ngff_zarr() got an unknown keyword {key!r}", field=key)
        if value != _INERT[key]:
            raise WriteError(
                f"{key}={value!r} is not supported by xarray_ngff.compat; write the whole "
                "pyramid (xarray_ngff.to_ngff_zarr) or edit the DataTree first",
                store=str(store),
                field=key,
            )
    _check_not_own_source(store, multiscales)
    _writer.to_ngff_zarr(
        store,
        _as_tree(multiscales),
        version=version or "0.5",
        chunks_per_shard=chunks_per_shard,
        use_tensorstore=use_tensorstore,
        overwrite=overwrite,
        progress=bool(progress),
    )


to_ome_zarr = to_ngff_zarr


def _stored_version(tree: xr.DataTree) -> tuple[str | None, Any]:
    try:
        version, _, omero = parse_multiscales(tree.attrs)
    except NgffError:
        return None, None
    return version, omero


def from_ngff_zarr(
    store: Any,
    validate: bool = False,
    version: str | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> NgffMultiscales:
    """ngff-zarr's ``from_ngff_zarr``: :func:`xarray_ngff.from_ngff_zarr`, seen as an
    :class:`NgffMultiscales` (``metadata.version`` is the store's)."""
    tree = _reader.from_ngff_zarr(store, validate=validate, storage_options=storage_options)
    stored, omero = _stored_version(tree)
    if version is not None and stored is not None and version != stored:
        raise NgffError(
            f"the store holds OME-Zarr {stored}, not {version}",
            store=str(store),
            field="version",
        )
    ms = Multiscales.from_datatree(tree, version=stored, omero=omero)
    ms._store = _location(store)
    return ms


from_ome_zarr = from_ngff_zarr


def validate(
    ngff_dict: Mapping[str, Any], version: str = "0.4", model: str = "image", strict: bool = False
) -> None:
    """ngff-zarr's ``validate``: raise :class:`~xarray_ngff.errors.ValidationError` listing the
    problems of one group's attributes (:func:`xarray_ngff._validate.validate_attrs`); the
    version is the one the attributes declare. ``strict`` is accepted for compatibility."""
    from .._validate import validate_attrs

    problems = validate_attrs(ngff_dict, kind=model)
    if problems:
        raise ValidationError(problems)


class HCSWell:
    """One well, as ngff-zarr's ``HCSWell``: its fields are :class:`NgffMultiscales`."""

    def __init__(self, well: _plate_read.HcsWell) -> None:
        self._well = well

    path = property(lambda self: self._well.path)
    row_index = property(lambda self: self._well.row_index)
    column_index = property(lambda self: self._well.column_index)
    metadata = property(lambda self: well_from_metadata(self._well.metadata))

    @property
    def images(self) -> list[WellImage]:
        """The fields of view (path and acquisition id), in the well's order."""
        return self.metadata.images

    def get_image(self, field_index: int = 0) -> NgffMultiscales | None:
        """The ``field_index``-th field, ``None`` when the well has no such field."""
        tree = self._well.get_image(field_index)
        return None if tree is None else NgffMultiscales.from_datatree(tree)

    def get_image_by_acquisition(
        self, acquisition_id: int, field_index: int = 0
    ) -> NgffMultiscales | None:
        """The ``field_index``-th field of acquisition ``acquisition_id`` (``None`` if absent)."""
        tree = self._well.get_image_by_acquisition(acquisition_id, field_index)
        return None if tree is None else NgffMultiscales.from_datatree(tree)

    def __repr__(self) -> str:
        return f"HCSWell(path={self.path!r}, images={self.images!r})"


class HCSPlate:
    """A plate, as ngff-zarr's ``HCSPlate``: ``metadata`` is a :class:`Plate` record,
    ``get_well`` gives :class:`HCSWell`; :attr:`plate` is the xarray-ngff plate it views."""

    def __init__(self, plate: _plate_read.HcsPlate) -> None:
        self.plate = plate
        self.metadata: Plate = plate_from_metadata(plate.metadata)

    name = property(lambda self: self.metadata.name)
    rows = property(lambda self: self.metadata.rows)
    columns = property(lambda self: self.metadata.columns)
    wells = property(lambda self: self.metadata.wells)
    acquisitions = property(lambda self: self.metadata.acquisitions)
    field_count = property(lambda self: self.metadata.field_count)

    def get_well(self, row_name: str, column_name: str) -> HCSWell | None:
        """The well at ``row_name``/``column_name``, ``None`` when absent."""
        well = self.plate.get_well(row_name, column_name)
        return None if well is None else HCSWell(well)

    def get_well_by_indices(self, row_index: int, column_index: int) -> HCSWell | None:
        well = self.plate.get_well_by_indices(row_index, column_index)
        return None if well is None else HCSWell(well)

    def to_datatree(self, max_workers: int | None = None) -> xr.DataTree:
        """The whole plate as one DataTree."""
        return self.plate.to_datatree(max_workers)

    def __repr__(self) -> str:
        return f"HCSPlate(metadata={self.metadata!r})"


def from_hcs_zarr(
    store: Any,
    validate: bool = False,
    well_cache_size: int | None = None,
    image_cache_size: int | None = None,
) -> HCSPlate:
    """ngff-zarr's ``from_hcs_zarr``: :func:`xarray_ngff.from_hcs_zarr` seen as an
    :class:`HCSPlate` (wells are read on request; the cache sizes are accepted and unused)."""
    return HCSPlate(_plate_read.from_hcs_zarr(store, validate=validate))
