"""HCS plate and well metadata: parse OME-NGFF 0.1–0.5, emit 0.4/0.5, check the rules.

The model is version-neutral: :class:`PlateMetadata` (rows, columns, wells, acquisitions,
field count, name) and :class:`WellMetadata` (the well's field images). Parsers are lenient
where the specification was loose (0.1–0.3 wells carry only a ``path``; their row and column
indices are derived from the path, whose last two components name the row and the column, so
the older layouts with an acquisition folder such as ``"run1/A/1"`` are read too).

:func:`plate_problems` and :func:`well_problems` list every violation of the schema and of the
structural rules that a schema cannot express (well paths made of a row name and a column name,
indices in range and consistent with the path, acquisition ids that exist), so that a
:class:`~xarray_ngff.errors.ValidationError` can report all of them at once. For 0.4 and 0.5
the ome-zarr-models pydantic models are also run when installed (imported lazily).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import MetadataError, NotOmeZarrError
from .parse import normalize_version, ome_attrs
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

_NAME_RE = re.compile(r"^[A-Za-z0-9]+$")
_WELL_PATH_RE = re.compile(r"^[A-Za-z0-9]+/[A-Za-z0-9]+$")
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


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_plate(attrs: Mapping[str, Any], *, store=None, path: str | None = None) -> PlateMetadata:
    """Parse the ``plate`` metadata of a group (0.1–0.5, with or without the ``ome`` key).

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
    raw_wells = doc.get("wells")
    if not isinstance(raw_wells, list):
        raise MetadataError(
            "'plate.wells' must be a list", store=store, path=path, field="plate.wells"
        )
    wells = []
    for i, w in enumerate(raw_wells):
        wpath = w.get("path") if isinstance(w, Mapping) else None
        if not isinstance(wpath, str) or not wpath.strip("/"):
            raise MetadataError(
                "each well needs a string 'path'",
                store=store,
                path=path,
                field=f"plate.wells[{i}]",
            )
        wpath = wpath.strip("/")
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
    """Parse the ``well`` metadata of a group (0.1–0.5).

    Examples
    --------
    >>> w = parse_well({"ome": {"version": "0.5", "well": {"images": [
    ...     {"path": "0", "acquisition": 1}, {"path": "1"}]}}})
    >>> w.version, [(i.path, i.acquisition) for i in w.images]
    ('0.5', [('0', 1), ('1', None)])
    """
    version, doc = _body(attrs, "well", store=store, path=path)
    raw = doc.get("images")
    if not isinstance(raw, list):
        raise MetadataError(
            "'well.images' must be a list", store=store, path=path, field="well.images"
        )
    images = []
    for i, img in enumerate(raw):
        ipath = img.get("path") if isinstance(img, Mapping) else None
        if not isinstance(ipath, str) or not ipath.strip("/"):
            raise MetadataError(
                "each image needs a string 'path'",
                store=store,
                path=path,
                field=f"well.images[{i}]",
            )
        images.append(WellImage(ipath.strip("/"), _int_or_none(img.get("acquisition"))))
    return WellMetadata(images, version)


# -- emitting ---------------------------------------------------------------------------------


def _check_write_version(version: str) -> None:
    writable_version(version)  # the version table's one refusal, as for images


def plate_attrs(plate: PlateMetadata, version: str) -> dict[str, Any]:
    """Group attributes of a plate root for ``version`` ("0.4" or "0.5").

    Examples
    --------
    >>> p = PlateMetadata([PlateRow("A")], [PlateColumn("1")], [PlateWell("A/1", 0, 0)],
    ...                   name="demo")
    >>> plate_attrs(p, "0.5")["ome"]["plate"]["wells"]
    [{'path': 'A/1', 'rowIndex': 0, 'columnIndex': 0}]
    >>> plate_attrs(p, "0.4")["plate"]["version"]
    '0.4'
    """
    _check_write_version(version)
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
    if version == "0.4":
        doc["version"] = "0.4"
        return {"plate": doc}
    return {"ome": {"version": version, "plate": doc}}


def well_attrs(well: WellMetadata, version: str) -> dict[str, Any]:
    """Group attributes of a well for ``version`` ("0.4" or "0.5").

    Examples
    --------
    >>> well_attrs(WellMetadata([WellImage("0", 0)]), "0.4")
    {'well': {'images': [{'path': '0', 'acquisition': 0}], 'version': '0.4'}}
    """
    _check_write_version(version)
    doc: dict[str, Any] = {"images": [img.to_dict() for img in well.images]}
    if version == "0.4":
        doc["version"] = "0.4"
        return {"well": doc}
    return {"ome": {"version": version, "well": doc}}


# -- rules ------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _doc_version(attrs: Mapping[str, Any], key: str, problems: list[str]) -> tuple[str | None, Any]:
    """(version, document) of a plate/well group; the raw version string is kept."""
    if isinstance(attrs.get("ome"), Mapping):
        ome = attrs["ome"]
        if "version" not in ome:
            problems.append("ome.version: required")
        return (str(ome["version"]) if "version" in ome else None), ome.get(key)
    doc = attrs.get(key)
    version = doc.get("version") if isinstance(doc, Mapping) else None
    return (str(version) if version is not None else None), doc


def _check_version(
    raw: str | None, expected: str | None, where: str, required: bool, problems: list[str]
) -> str | None:
    if raw is None:
        if required:
            problems.append(f"{where}: required")
        return expected
    try:
        found = normalize_version(raw)
    except MetadataError:
        problems.append(f"{where}: unsupported version {raw!r}")
        return expected
    if expected is not None and found != expected:
        problems.append(f"{where}: version {raw!r} where {expected!r} was expected")
    return found


def _check_named_list(doc: Mapping, key: str, version: str | None, problems: list[str]) -> list:
    raw = doc.get(key)
    where = f"plate.{key}"
    if raw is None:
        problems.append(f"{where}: required")
        return []
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: must be a non-empty list")
        return []
    names = []
    for i, item in enumerate(raw):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str):
            problems.append(f"{where}[{i}].name: required string")
            continue
        if version in ("0.4", "0.5") and not _NAME_RE.match(name):
            problems.append(f"{where}[{i}].name: {name!r} is not alphanumeric")
        names.append(name)
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        problems.append(f"{where}: duplicate names {dups}")
    return names


def _check_wells(
    doc: Mapping,
    rows: list[str],
    columns: list[str],
    version: str | None,
    problems: list[str],
    structural: bool,
) -> None:
    raw = doc.get("wells")
    if raw is None:
        problems.append("plate.wells: required")
        return
    if not isinstance(raw, list) or not raw:
        problems.append("plate.wells: must be a non-empty list")
        return
    modern = version in ("0.4", "0.5")
    seen: list[str] = []
    for i, w in enumerate(raw):
        where = f"plate.wells[{i}]"
        if not isinstance(w, Mapping) or not isinstance(w.get("path"), str):
            problems.append(f"{where}.path: required string")
            continue
        path = w["path"]
        if path in seen:
            problems.append(f"{where}.path: duplicate well {path!r}")
        seen.append(path)
        parts = path.split("/")
        for key in ("rowIndex", "columnIndex"):
            if key in w and not (_is_int(w[key]) and w[key] >= 0):
                problems.append(f"{where}.{key}: must be a non-negative integer")
            elif modern and key not in w:
                problems.append(f"{where}.{key}: required")
        if not modern:
            continue  # before 0.4 a well path was any path to the well group
        if not _WELL_PATH_RE.match(path):
            problems.append(f"{where}.path: {path!r} must be '<row>/<column>'")
            continue
        if not structural:
            continue
        row, col = parts
        if rows and row not in rows:
            hint = " (column before row?)" if row in columns and col in rows else ""
            problems.append(f"{where}.path: row {row!r} is not in plate.rows {rows}{hint}")
        if columns and col not in columns:
            problems.append(f"{where}.path: column {col!r} is not in plate.columns {columns}")
        ri, ci = w.get("rowIndex"), w.get("columnIndex")
        for key, index, names, name in (
            ("rowIndex", ri, rows, row),
            ("columnIndex", ci, columns, col),
        ):
            if not _is_int(index) or index < 0 or not names:
                continue
            if index >= len(names):
                problems.append(f"{where}.{key}: {index} is out of range (0..{len(names) - 1})")
            elif names[index] != name and name in names:
                problems.append(
                    f"{where}.{key}: {index} points at {names[index]!r} but the path names {name!r}"
                )


def _check_acquisitions(doc: Mapping, version: str | None, problems: list[str]) -> list[int]:
    raw = doc.get("acquisitions")
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append("plate.acquisitions: must be a list")
        return []
    if version in ("0.1", "0.2", "0.3") and not raw:
        problems.append("plate.acquisitions: must not be empty")
    ids = []
    for i, a in enumerate(raw):
        where = f"plate.acquisitions[{i}]"
        if not isinstance(a, Mapping) or "id" not in a:
            problems.append(f"{where}.id: required")
            continue
        aid = a["id"]
        number = isinstance(aid, int | float) and not isinstance(aid, bool)
        if not (_is_int(aid) or (version == "0.1" and number)) or aid < 0:
            problems.append(f"{where}.id: must be a non-negative integer, got {aid!r}")
        else:
            ids.append(int(aid))
        mfc = a.get("maximumfieldcount")
        if mfc is not None and not (_is_int(mfc) and mfc > 0):
            problems.append(f"{where}.maximumfieldcount: must be a positive integer")
        for key in ("starttime", "endtime"):
            t = a.get(key)
            if t is not None and not (_is_int(t) and t >= 0):
                problems.append(f"{where}.{key}: must be a non-negative integer")
        for key in ("name", "description"):
            if key in a and not isinstance(a[key], str):
                problems.append(f"{where}.{key}: must be a string")
    dups = sorted({x for x in ids if ids.count(x) > 1})
    if dups:
        problems.append(f"plate.acquisitions: duplicate ids {dups}")
    return ids


def _model_problems(kind: str, attrs: Mapping[str, Any], version: str | None) -> list[str]:
    """ome-zarr-models' verdict for 0.4/0.5 (skipped when it is not installed)."""
    if version not in ("0.4", "0.5"):
        return []
    try:
        import warnings

        import pydantic

        if version == "0.4":
            from ome_zarr_models.v04.plate import Plate
            from ome_zarr_models.v04.well_types import WellMeta
        else:
            from ome_zarr_models.v05.plate import Plate
            from ome_zarr_models.v05.well_types import WellMeta
    except ImportError:  # optional: the own rules still run
        return []
    model = Plate if kind == "plate" else WellMeta
    body = attrs.get("ome", attrs) if version == "0.5" else attrs
    doc = body.get(kind) if isinstance(body, Mapping) else None
    if not isinstance(doc, Mapping):
        return []
    doc = dict(doc)
    if version == "0.5":
        doc.setdefault("version", "0.5")  # 0.5 keeps the version beside, not inside
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.model_validate(doc)
    except pydantic.ValidationError as err:
        return [
            f"{kind}.{'.'.join(str(p) for p in e['loc'])} (ome-zarr-models): {e['msg']}".replace(
                f"{kind}. ", f"{kind} "
            )
            for e in err.errors()
        ]
    except ValueError as err:
        return [f"{kind} (ome-zarr-models): {err}"]
    return []


def plate_problems(
    attrs: Mapping[str, Any],
    version: str | None = None,
    *,
    structural: bool = True,
    models: bool = True,
) -> list[str]:
    """Every problem of the plate metadata in the group attributes ``attrs``.

    Schema rules (required keys, types, non-empty unique rows/columns/wells, alphanumeric
    names in 0.4/0.5, acquisition fields) and structural rules (0.4/0.5 well paths are
    ``<row>/<column>`` with listed names, indices in range and pointing at the names of the
    path). ``version`` is the version the document must have (``None``: whatever it says).
    ``structural=False`` checks only what the JSON schema expresses. ``models=True`` (with
    ``structural``) also runs ome-zarr-models for 0.4/0.5; its messages are marked.

    Examples
    --------
    >>> plate_problems({"plate": {"version": "0.4", "rows": [{"name": "A"}],
    ...     "columns": [{"name": "1"}], "wells": [{"path": "A/2", "rowIndex": 0,
    ...     "columnIndex": 3}]}}, models=False)
    ["plate.wells[0].path: column '2' is not in plate.columns ['1']", 'plate.wells[0].columnIndex: 3 is out of range (0..0)']
    """
    problems: list[str] = []
    raw_version, doc = _doc_version(attrs, "plate", problems)
    if not isinstance(doc, Mapping):
        return [*problems, "plate: required object"]
    where = "ome.version" if isinstance(attrs.get("ome"), Mapping) else "plate.version"
    required = version in ("0.1", "0.2", "0.3") or where == "ome.version"
    v = _check_version(raw_version, version, where, required, problems)
    rows = _check_named_list(doc, "rows", v, problems)
    columns = _check_named_list(doc, "columns", v, problems)
    _check_wells(doc, rows, columns, v, problems, structural)
    _check_acquisitions(doc, v, problems)
    fc = doc.get("field_count")
    if fc is not None and v != "0.1" and not (_is_int(fc) and fc > 0):
        problems.append("plate.field_count: must be a positive integer")
    if "name" in doc and not isinstance(doc["name"], str):
        problems.append("plate.name: must be a string")
    if models and structural:
        problems.extend(p for p in _model_problems("plate", attrs, v) if p not in problems)
    return problems


def well_problems(
    attrs: Mapping[str, Any],
    version: str | None = None,
    *,
    acquisitions: Sequence[int] | None = None,
    models: bool = True,
) -> list[str]:
    """Every problem of the well metadata in ``attrs``; ``acquisitions`` are the plate's
    acquisition ids (each image's acquisition must be one of them when given).

    Examples
    --------
    >>> well_problems({"well": {"images": [{"path": "0", "acquisition": 7}, {"path": "0"}]}},
    ...               acquisitions=[0], models=False)
    ['well.images[0].acquisition: 7 is not a plate acquisition id [0]', "well.images[1].path: duplicate image '0'"]
    """
    problems: list[str] = []
    raw_version, doc = _doc_version(attrs, "well", problems)
    if not isinstance(doc, Mapping):
        return [*problems, "well: required object"]
    where = "ome.version" if isinstance(attrs.get("ome"), Mapping) else "well.version"
    v = _check_version(raw_version, version, where, where == "ome.version", problems)
    images = doc.get("images")
    if not isinstance(images, list) or not images:
        problems.append("well.images: must be a non-empty list")
        images = []
    seen: list[str] = []
    for i, img in enumerate(images):
        wh = f"well.images[{i}]"
        if not isinstance(img, Mapping) or not isinstance(img.get("path"), str):
            problems.append(f"{wh}.path: required string")
            continue
        if not _NAME_RE.match(img["path"]):
            problems.append(f"{wh}.path: {img['path']!r} is not alphanumeric")
        if img["path"] in seen:
            problems.append(f"{wh}.path: duplicate image {img['path']!r}")
        seen.append(img["path"])
        if "acquisition" in img:
            acq = img["acquisition"]
            if not _is_int(acq):
                problems.append(f"{wh}.acquisition: must be an integer, got {acq!r}")
            elif acquisitions is not None and acq not in acquisitions:
                problems.append(
                    f"{wh}.acquisition: {acq} is not a plate acquisition id {list(acquisitions)}"
                )
        elif acquisitions is not None and len(acquisitions) > 1:
            problems.append(f"{wh}.acquisition: required when the plate has several acquisitions")
    if models:
        problems.extend(p for p in _model_problems("well", attrs, v) if p not in problems)
    return problems
