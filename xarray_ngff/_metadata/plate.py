"""HCS plate and well metadata: the version-neutral model, parse 0.1–0.6, emit the written versions.

The model is version-neutral: :class:`PlateMetadata` (rows, columns, wells, acquisitions,
field count, name) and :class:`WellMetadata` (the well's field images). Parsers are lenient
where the specification was loose (0.1–0.3 wells carry only a ``path``; their row and column
indices are derived from the path, whose last two components name the row and the column, so
the older layouts with an acquisition folder such as ``"run1/A/1"`` are read too). Plates parse
and emit like images do: the version table (:mod:`~xarray_ngff._metadata.versions`) says
which versions are written and how the ``ome`` envelope wraps them.

The rules of plate and well documents (:func:`plate_problems`, :func:`well_problems`) live in
:mod:`~xarray_ngff._metadata.plate_rules` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import MetadataError, NotOmeZarrError
from .parse import normalize_version, ome_attrs
from .plate_rules import plate_problems, well_problems
from .versions import writable_version

__all__ = [
    "PlateAcquisition",
    "PlateColumn",
    "PlateMetadata",
    "PlateRow",
    "PlateWell",
    "WellImage",
    "WellMetadata",
    "parse_plate",
    "parse_well",
    "plate_attrs",
    "plate_problems",
    "well_attrs",
    "well_problems",
]

_ACQ_KEYS = ("name", "maximumfieldcount", "description", "starttime", "endtime")


@dataclass(frozen=True)
class PlateRow:
    """One row of the plate grid (``name`` such as ``"A"``)."""

    name: str


@dataclass(frozen=True)
class PlateColumn:
    """One column of the plate grid (``name`` such as ``"1"``)."""

    name: str


@dataclass(frozen=True)
class PlateWell:
    """A well listed by the plate.

    ``row_index``/``column_index`` are ``None`` only for 0.1–0.3 wells whose path names no
    listed row or column. ``rowIndex``/``columnIndex`` are the NGFF spellings (as in ngff-zarr).

    Examples
    --------
    >>> w = PlateWell("B/3", 1, 2)
    >>> w.row_name, w.column_name, w.rowIndex
    ('B', '3', 1)
    """

    path: str
    row_index: int | None
    column_index: int | None

    @property
    def rowIndex(self) -> int | None:  # noqa: N802 - the NGFF field name
        return self.row_index

    @property
    def columnIndex(self) -> int | None:  # noqa: N802 - the NGFF field name
        return self.column_index

    @property
    def row_name(self) -> str:
        """The row named by the path (second-to-last component)."""
        parts = self.path.split("/")
        return parts[-2] if len(parts) >= 2 else ""

    @property
    def column_name(self) -> str:
        """The column named by the path (last component)."""
        return self.path.split("/")[-1]


@dataclass(frozen=True)
class PlateAcquisition:
    """One acquisition (a run of the instrument over the plate)."""

    id: int
    name: str | None = None
    maximumfieldcount: int | None = None
    description: str | None = None
    starttime: int | None = None
    endtime: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        for key in _ACQ_KEYS:
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass
class PlateMetadata:
    """The ``plate`` metadata of a plate root group.

    Attributes
    ----------
    rows, columns
        The grid, in order.
    wells
        The wells present (a sparse plate lists only some of the grid).
    acquisitions
        ``None`` when the plate lists none.
    field_count
        The maximum number of fields per well, when given.
    name
        The plate name.
    version
        The NGFF version read (``None`` when the document gives none).
    """

    rows: list[PlateRow]
    columns: list[PlateColumn]
    wells: list[PlateWell]
    acquisitions: list[PlateAcquisition] | None = None
    field_count: int | None = None
    name: str | None = None
    version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def row_names(self) -> list[str]:
        return [r.name for r in self.rows]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def find_well(self, row: str, column: str) -> PlateWell | None:
        """The well at ``row``/``column`` (by names), or ``None``."""
        for well in self.wells:
            if well.row_name == row and well.column_name == column:
                return well
        return None


@dataclass(frozen=True)
class WellImage:
    """One field of view of a well: its group path and optional acquisition id."""

    path: str
    acquisition: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.acquisition is not None:
            out["acquisition"] = self.acquisition
        return out


@dataclass
class WellMetadata:
    """The ``well`` metadata of a well group: its fields, in order."""

    images: list[WellImage]
    version: str | None = None


# -- parsing ----------------------------------------------------------------------------------


def _body(attrs: Mapping[str, Any], key: str, *, store, path) -> tuple[str | None, dict]:
    outer, body = ome_attrs(attrs, store=store, path=path)
    doc = body.get(key)
    if doc is None:
        raise NotOmeZarrError(
            f"no {key!r} metadata in the group attributes {sorted(body)}",
            store=store,
            path=path,
            field=key,
        )
    if not isinstance(doc, Mapping):
        raise MetadataError(f"{key!r} must be an object", store=store, path=path, field=key)
    version = outer
    if version is None and doc.get("version") is not None:
        version = normalize_version(doc["version"], store=store, path=path)
    return version, dict(doc)


def _names(doc: Mapping, key: str, cls: type, *, store, path) -> list:
    raw = doc.get(key)
    if not isinstance(raw, list):
        raise MetadataError(
            f"'plate.{key}' must be a list", store=store, path=path, field=f"plate.{key}"
        )
    out = []
    for i, item in enumerate(raw):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str):
            raise MetadataError(
                "each entry needs a string 'name'",
                store=store,
                path=path,
                field=f"plate.{key}[{i}]",
            )
        out.append(cls(name))
    return out


def _with_string_paths(
    doc: Mapping, key: str, entries: str, what: str, *, store, path
) -> list[tuple[Mapping, str]]:
    """``(entry, path)`` for each entry of the list ``doc[entries]``, the path stripped of
    slashes; a missing list or an entry without a non-empty string ``path`` is refused with
    the field named (``plate.wells[2]``)."""
    raw = doc.get(entries)
    if not isinstance(raw, list):
        field = f"{key}.{entries}"
        raise MetadataError(f"'{field}' must be a list", store=store, path=path, field=field)
    out = []
    for i, item in enumerate(raw):
        value = item.get("path") if isinstance(item, Mapping) else None
        if not isinstance(value, str) or not value.strip("/"):
            raise MetadataError(
                f"each {what} needs a string 'path'",
                store=store,
                path=path,
                field=f"{key}.{entries}[{i}]",
            )
        out.append((item, value.strip("/")))
    return out


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_plate(attrs: Mapping[str, Any], *, store=None, path: str | None = None) -> PlateMetadata:
    """Parse the ``plate`` metadata of a group (0.1–0.6, with or without the ``ome`` key).

    Raises
    ------
    NotOmeZarrError
        The attributes hold no ``plate``.
    MetadataError
        The document cannot be used (rows, columns or wells not lists, entries without names
        or paths), naming the field.

    Examples
    --------
    >>> p = parse_plate({"plate": {"version": "0.4", "rows": [{"name": "A"}],
    ...     "columns": [{"name": "1"}, {"name": "2"}],
    ...     "wells": [{"path": "A/2", "rowIndex": 0, "columnIndex": 1}]}})
    >>> p.version, p.row_names, p.column_names, p.wells[0].column_index
    ('0.4', ['A'], ['1', '2'], 1)
    >>> parse_plate({"plate": {"version": "0.1", "rows": [{"name": "A"}],
    ...     "columns": [{"name": "1"}], "wells": [{"path": "run1/A/1"}]}}).wells[0]
    PlateWell(path='run1/A/1', row_index=0, column_index=0)
    """
    version, doc = _body(attrs, "plate", store=store, path=path)
    rows = _names(doc, "rows", PlateRow, store=store, path=path)
    columns = _names(doc, "columns", PlateColumn, store=store, path=path)
    row_pos = {r.name: i for i, r in reversed(list(enumerate(rows)))}
    col_pos = {c.name: i for i, c in reversed(list(enumerate(columns)))}
    wells = []
    for w, wpath in _with_string_paths(doc, "plate", "wells", "well", store=store, path=path):
        parts = wpath.split("/")
        ri, ci = _int_or_none(w.get("rowIndex")), _int_or_none(w.get("columnIndex"))
        # 0.1-0.3 give no indices: the path's last two components name row and column
        if ri is None and len(parts) >= 2:
            ri = row_pos.get(parts[-2])
        if ci is None:
            ci = col_pos.get(parts[-1])
        wells.append(PlateWell(wpath, ri, ci))
    acquisitions = None
    if isinstance(doc.get("acquisitions"), list):
        acquisitions = []
        for i, a in enumerate(doc["acquisitions"]):
            aid = _int_or_none(a.get("id")) if isinstance(a, Mapping) else None
            if aid is None and isinstance(a, Mapping) and isinstance(a.get("id"), float):
                aid = int(a["id"]) if float(a["id"]).is_integer() else None  # 0.1: "number"
            if aid is None:
                raise MetadataError(
                    "each acquisition needs an integer 'id'",
                    store=store,
                    path=path,
                    field=f"plate.acquisitions[{i}]",
                )
            acquisitions.append(
                PlateAcquisition(
                    aid,
                    name=a.get("name") if isinstance(a.get("name"), str) else None,
                    maximumfieldcount=_int_or_none(a.get("maximumfieldcount")),
                    description=a.get("description")
                    if isinstance(a.get("description"), str)
                    else None,
                    starttime=_int_or_none(a.get("starttime")),
                    endtime=_int_or_none(a.get("endtime")),
                )
            )
    known = {"rows", "columns", "wells", "acquisitions", "field_count", "name", "version"}
    return PlateMetadata(
        rows=rows,
        columns=columns,
        wells=wells,
        acquisitions=acquisitions,
        field_count=_int_or_none(doc.get("field_count")),
        name=doc.get("name") if isinstance(doc.get("name"), str) else None,
        version=version,
        extra={k: v for k, v in doc.items() if k not in known},
    )


def parse_well(attrs: Mapping[str, Any], *, store=None, path: str | None = None) -> WellMetadata:
    """Parse the ``well`` metadata of a group (0.1–0.6).

    Examples
    --------
    >>> w = parse_well({"ome": {"version": "0.5", "well": {"images": [
    ...     {"path": "0", "acquisition": 1}, {"path": "1"}]}}})
    >>> w.version, [(i.path, i.acquisition) for i in w.images]
    ('0.5', [('0', 1), ('1', None)])
    """
    version, doc = _body(attrs, "well", store=store, path=path)
    images = [
        WellImage(ipath, _int_or_none(img.get("acquisition")))
        for img, ipath in _with_string_paths(doc, "well", "images", "image", store=store, path=path)
    ]
    return WellMetadata(images, version)


# -- emitting ---------------------------------------------------------------------------------


def _envelope(key: str, doc: dict[str, Any], version: str) -> dict[str, Any]:
    """``doc`` as the group attributes of ``version``: inside the ``ome`` envelope beside the
    version (0.5 on), else with the version inside (0.4); refuses what is not written."""
    info = writable_version(version)  # the version table's one refusal, as for images
    if info.envelope:
        return {"ome": {"version": info.written_as, key: doc}}
    return {key: {**doc, "version": info.written_as}}


def plate_attrs(plate: PlateMetadata, version: str) -> dict[str, Any]:
    """Group attributes of a plate root for a written ``version`` (0.4 on).

    Examples
    --------
    >>> p = PlateMetadata([PlateRow("A")], [PlateColumn("1")], [PlateWell("A/1", 0, 0)],
    ...                   name="demo")
    >>> plate_attrs(p, "0.5")["ome"]["plate"]["wells"]
    [{'path': 'A/1', 'rowIndex': 0, 'columnIndex': 0}]
    >>> plate_attrs(p, "0.4")["plate"]["version"]
    '0.4'
    """
    doc: dict[str, Any] = {}
    if plate.acquisitions:
        doc["acquisitions"] = [a.to_dict() for a in plate.acquisitions]
    doc["columns"] = [{"name": c.name} for c in plate.columns]
    if plate.field_count is not None:
        doc["field_count"] = int(plate.field_count)
    if plate.name is not None:
        doc["name"] = plate.name
    doc["rows"] = [{"name": r.name} for r in plate.rows]
    doc["wells"] = [
        {"path": w.path, "rowIndex": w.row_index, "columnIndex": w.column_index}
        for w in plate.wells
    ]
    return _envelope("plate", doc, version)


def well_attrs(well: WellMetadata, version: str) -> dict[str, Any]:
    """Group attributes of a well for a written ``version`` (0.4 on).

    Examples
    --------
    >>> well_attrs(WellMetadata([WellImage("0", 0)]), "0.4")
    {'well': {'images': [{'path': '0', 'acquisition': 0}], 'version': '0.4'}}
    """
    return _envelope("well", {"images": [img.to_dict() for img in well.images]}, version)
