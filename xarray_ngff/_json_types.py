"""JSON types the official schemas require and the ome-zarr-models' lax parsing lets through.

ome-zarr-models (pydantic) takes ``"2"`` or ``true`` for a number and ``null`` for an optional
string; the OME-NGFF schemas reject both. :func:`json_type_rules` reports them, so that
``validate=True`` rejects every document the official schemas reject (checked against the
0.4/0.5 conformance suites and by fuzzing in the tests).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["json_type_rules"]

# Fields the schemas type as numbers (``*``: every item of a list; ``+``: at least 0),
# which the models' lax parsing would also take from a string ("2") or a boolean
_NUMBER_FIELDS = {
    "image": [
        "multiscales.*.coordinateTransformations.*.scale.*",
        "multiscales.*.coordinateTransformations.*.translation.*",
        "multiscales.*.datasets.*.coordinateTransformations.*.scale.*",
        "multiscales.*.datasets.*.coordinateTransformations.*.translation.*",
    ],
    "plate": [
        "plate.wells.*.rowIndex+",
        "plate.wells.*.columnIndex+",
        "plate.field_count",
        "plate.acquisitions.*.id+",
        "plate.acquisitions.*.maximumfieldcount+",
        "plate.acquisitions.*.starttime+",
        "plate.acquisitions.*.endtime+",
    ],
    "well": ["well.images.*.acquisition"],
    "label": [
        "image-label.colors.*.label-value",
        "image-label.colors.*.rgba.*",
        "image-label.properties.*.label-value",
    ],
}
_NUMBER_FIELDS["label"] += _NUMBER_FIELDS["image"]
# Fields the schemas type as strings, which the models also take as null
_STRING_FIELDS = {
    "image": [
        "multiscales.*.name",
        "multiscales.*.type",
        "multiscales.*.axes.*.name",
        "multiscales.*.axes.*.type",
        "multiscales.*.axes.*.unit",
        "multiscales.*.datasets.*.path",
    ],
    "plate": [
        "plate.name",
        "plate.rows.*.name",
        "plate.columns.*.name",
        "plate.wells.*.path",
        "plate.acquisitions.*.name",
        "plate.acquisitions.*.description",
    ],
    "well": ["well.images.*.path"],
}
_STRING_FIELDS["label"] = [*_STRING_FIELDS["image"], "image-label.source.image"]
# Fields the schemas type as arrays, which the models also take as null
_ARRAY_FIELDS = {"label": ["image-label.colors", "image-label.properties"]}


def _number_problem(value: Any, minimum: bool) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, got {json.dumps(value)}"
    if minimum and value < 0:
        return f"must be at least 0, got {value}"
    return None


def _string_problem(value: Any, _: bool) -> str | None:
    return None if isinstance(value, str) else f"must be a string, got {json.dumps(value)}"


def _array_problem(value: Any, _: bool) -> str | None:
    return None if isinstance(value, list) else f"must be an array, got {json.dumps(value)}"


def json_type_rules(body: Mapping[str, Any], kind: str) -> list[tuple[str, str]]:
    """Numbers given as strings, booleans or null, and strings given as null, which the
    schemas reject and the models' lax parsing lets through.

    Examples
    --------
    >>> doc = {"multiscales": [{"name": None, "datasets": [{"path": "0",
    ...     "coordinateTransformations": [{"type": "scale", "scale": [1, "2"]}]}]}]}
    >>> for field, problem in json_type_rules(doc, "image"):
    ...     print(field, "-", problem)
    multiscales[0].datasets[0].coordinateTransformations[0].scale[1] - must be a number, got "2"
    multiscales[0].name - must be a string, got null
    """
    out: list[tuple[str, str]] = []

    def walk(value: Any, parts: list[str], where: str, minimum: bool, check) -> None:
        if not parts:
            problem = check(value, minimum)
            if problem is not None:
                out.append((where, problem))
            return
        head, rest = parts[0], parts[1:]
        if head == "*":
            if isinstance(value, list):
                for i, item in enumerate(value):
                    walk(item, rest, f"{where}[{i}]", minimum, check)
        elif isinstance(value, Mapping) and head in value:
            walk(value[head], rest, f"{where}.{head}" if where else head, minimum, check)

    tables = (
        (_NUMBER_FIELDS, _number_problem),
        (_STRING_FIELDS, _string_problem),
        (_ARRAY_FIELDS, _array_problem),
    )
    for table, check in tables:
        for pattern in table.get(kind, []):
            walk(body, pattern.rstrip("+").split("."), "", pattern.endswith("+"), check)
    well = body.get("well")
    if kind == "well" and isinstance(well, Mapping) and well.get("images") == []:
        out.append(("well.images", "must list at least one image"))
    return out
