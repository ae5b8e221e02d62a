"""The rules of HCS plate and well documents: :func:`plate_problems` and :func:`well_problems`.

They list every violation of the schema and of the structural rules that a schema cannot
express (well paths made of a row name and a column name, indices in range and consistent
with the path, acquisition ids that exist), so that a
:class:`~xarray_ngff.errors.ValidationError` can report all of them at once. What differs
between versions (grid paths, integer ids, which ome-zarr-models subpackage models it) is read
from the version table (:mod:`~xarray_ngff._metadata.versions`). Where ome-zarr-models models
the version and is installed (imported lazily), its verdict is added, marked as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..errors import MetadataError
from .models import model_class, model_errors
from .parse import normalize_version
from .versions import VERSIONS, VersionInfo

__all__ = ["plate_problems", "well_problems"]

_NAME_RE = re.compile(r"^[A-Za-z0-9]+$")
_WELL_PATH_RE = re.compile(r"^[A-Za-z0-9]+/[A-Za-z0-9]+$")


def _info(version: str | None) -> VersionInfo | None:
    return VERSIONS.get(version) if version is not None else None


def _grid(version: str | None) -> bool:
    """Wells are ``<row>/<column>`` with indices and alphanumeric names (0.4 on)."""
    info = _info(version)
    return info is not None and info.plate_grid


def _before_grid(version: str | None) -> bool:
    """A known version from before the grid rules (0.1-0.3)."""
    info = _info(version)
    return info is not None and not info.plate_grid


def _integer_ids(version: str | None) -> bool:
    info = _info(version)
    return info is None or info.plate_integer_ids


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


def _open(
    attrs: Mapping[str, Any], kind: str, version: str | None, problems: list[str]
) -> tuple[str | None, Mapping | None]:
    """(checked version, document) of a plate or well; ``None`` as the document (reported)
    when there is none. The envelope's version is required; a bare plate's before 0.4 too."""
    raw_version, doc = _doc_version(attrs, kind, problems)
    if not isinstance(doc, Mapping):
        problems.append(f"{kind}: required object")
        return None, None
    enveloped = isinstance(attrs.get("ome"), Mapping)
    where = "ome.version" if enveloped else f"{kind}.version"
    required = enveloped or (kind == "plate" and _before_grid(version))
    return _check_version(raw_version, version, where, required, problems), doc


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
        if _grid(version) and not _NAME_RE.match(name):
            problems.append(f"{where}[{i}].name: {name!r} is not alphanumeric")
        names.append(name)
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        problems.append(f"{where}: duplicate names {dups}")
    return names


def _with_paths(raw: Any, field: str, problems: list[str]) -> Iterator[tuple[str, Mapping]]:
    """(field, entry) of each entry of a non-empty list of objects with a string ``path``
    (wells, a well's images); what is not one is reported."""
    if not isinstance(raw, list) or not raw:
        problems.append(f"{field}: must be a non-empty list")
        return
    for i, entry in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("path"), str):
            problems.append(f"{where}.path: required string")
            continue
        yield where, entry


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
    modern = _grid(version)
    seen: list[str] = []
    for where, w in _with_paths(raw, "plate.wells", problems):
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
    if _before_grid(version) and not raw:
        problems.append("plate.acquisitions: must not be empty")
    ids = []
    for i, a in enumerate(raw):
        where = f"plate.acquisitions[{i}]"
        if not isinstance(a, Mapping) or "id" not in a:
            problems.append(f"{where}.id: required")
            continue
        aid = a["id"]
        number = isinstance(aid, int | float) and not isinstance(aid, bool)
        if not (_is_int(aid) or (not _integer_ids(version) and number)) or aid < 0:
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
    """ome-zarr-models' verdict where it models the version (skipped when not installed)."""
    info = _info(version)
    if info is None or info.models is None:
        return []
    try:
        model = model_class(info.version, kind, document=True)
    except (ImportError, AttributeError):  # optional (or reorganised): the own rules still run
        return []
    body = attrs.get("ome", attrs) if info.envelope else attrs
    doc = body.get(kind) if isinstance(body, Mapping) else None
    if not isinstance(doc, Mapping):
        return []
    doc = dict(doc)
    if info.envelope:
        doc.setdefault("version", info.version)  # the envelope keeps the version beside
    try:
        errors = model_errors(model, doc, quiet=True)
    except ValueError as err:
        return [f"{kind} (ome-zarr-models): {err}"]
    return [
        f"{kind}.{'.'.join(str(p) for p in loc)} (ome-zarr-models): {msg}".replace(
            f"{kind}. ", f"{kind} "
        )
        for loc, msg in errors
    ]


def plate_problems(
    attrs: Mapping[str, Any],
    version: str | None = None,
    *,
    structural: bool = True,
    models: bool = True,
) -> list[str]:
    """Every problem of the plate metadata in the group attributes ``attrs``.

    Schema rules (required keys, types, non-empty unique rows/columns/wells, alphanumeric
    names from 0.4 on, acquisition fields) and structural rules (from 0.4 on, well paths are
    ``<row>/<column>`` with listed names, indices in range and pointing at the names of the
    path). ``version`` is the version the document must have (``None``: whatever it says).
    ``structural=False`` checks only what the JSON schema expresses. ``models=True`` (with
    ``structural``) also runs ome-zarr-models where it models the version (its messages are
    marked).

    Examples
    --------
    >>> plate_problems({"plate": {"version": "0.4", "rows": [{"name": "A"}],
    ...     "columns": [{"name": "1"}], "wells": [{"path": "A/2", "rowIndex": 0,
    ...     "columnIndex": 3}]}}, models=False)
    ["plate.wells[0].path: column '2' is not in plate.columns ['1']", 'plate.wells[0].columnIndex: 3 is out of range (0..0)']
    """
    problems: list[str] = []
    v, doc = _open(attrs, "plate", version, problems)
    if doc is None:
        return problems
    rows = _check_named_list(doc, "rows", v, problems)
    columns = _check_named_list(doc, "columns", v, problems)
    _check_wells(doc, rows, columns, v, problems, structural)
    _check_acquisitions(doc, v, problems)
    fc = doc.get("field_count")
    if fc is not None and _integer_ids(v) and not (_is_int(fc) and fc > 0):
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
    v, doc = _open(attrs, "well", version, problems)
    if doc is None:
        return problems
    seen: list[str] = []
    for wh, img in _with_paths(doc.get("images"), "well.images", problems):
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
