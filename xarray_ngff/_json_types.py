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

from ._metadata.versions import VERSIONS

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
}
_NUMBER_FIELDS["label"] = _NUMBER_FIELDS["image"]  # image-label: see _label_rules
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
_STRING_FIELDS["label"] = _STRING_FIELDS["image"]


def _number_problem(value: Any, minimum: bool) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, got {json.dumps(value)}"
    if minimum and value < 0:
        return f"must be at least 0, got {value}"
    return None


def _string_problem(value: Any, _: bool) -> str | None:
    return None if isinstance(value, str) else f"must be a string, got {json.dumps(value)}"


_VERSION_FIELDS = {
    "image": ["multiscales.*.version"],
    "label": ["multiscales.*.version"],
    "plate": ["plate.version"],
    "well": ["well.version"],
}


def _repeats(version: str | None) -> bool:
    """Whether ``version``'s blocks may repeat the document's version (no ``ome`` envelope),
    which must then be that version."""
    return version is not None and not VERSIONS[version].envelope


def _is_version(version: str):
    def check(value: Any, _: bool) -> str | None:
        if value == version:
            return None
        return f"must be {json.dumps(version)}, got {json.dumps(value)}"

    return check


# The keys the schemas define; no schema allows null for any of them. Only these are walked,
# so free-form content (``multiscales[].metadata``, ``omero.rdefs``, extra keys) is left alone.
_SPEC_KEYS = frozenset(
    """version multiscales axes datasets coordinateTransformations name type unit path scale
    translation omero channels window start end min max color label family active plate
    wells rows columns acquisitions field_count rowIndex columnIndex id maximumfieldcount
    starttime endtime description well images acquisition image-label colors properties
    label-value rgba source image labels bioformats2raw.layout series""".split()
)


def _null_rules(value: Any, where: str) -> list[tuple[str, str]]:
    """Nulls under the keys the schemas define (none of them allows null)."""
    out: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key not in _SPEC_KEYS:
                continue
            field = f"{where}.{key}" if where else str(key)
            if item is None:
                out.append((field, "must not be null"))
            else:
                out.extend(_null_rules(item, field))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if item is None:
                out.append((f"{where}[{i}]", "must not be null"))
            else:
                out.extend(_null_rules(item, f"{where}[{i}]"))
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == int(value)


def _label_list(entries: Any, field: str, item_rule) -> list[tuple[str, str]]:
    if not isinstance(entries, list):
        return [(field, f"must be an array, got {json.dumps(entries)}")]
    if not entries:
        return [(field, "must list at least one entry")]
    out = []
    if len({json.dumps(e, sort_keys=True) for e in entries}) != len(entries):
        out.append((field, "entries must be unique"))
    for i, entry in enumerate(entries):
        where = f"{field}[{i}]"
        if not isinstance(entry, Mapping):
            out.append((where, f"must be an object, got {json.dumps(entry)}"))
        elif "label-value" not in entry:
            out.append((where, "'label-value' is required"))
        else:
            out.extend(item_rule(entry, where))
    return out


def _color_rule(entry: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    out = []
    value = entry["label-value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        out.append((f"{where}.label-value", f"must be a number, got {json.dumps(value)}"))
    if "rgba" in entry:
        rgba = entry["rgba"]
        if not (isinstance(rgba, list) and len(rgba) == 4 and all(_is_int(c) for c in rgba)):
            out.append((f"{where}.rgba", f"must be 4 integers, got {json.dumps(rgba)}"))
        elif not all(0 <= c <= 255 for c in rgba):
            out.append((f"{where}.rgba", f"must be between 0 and 255, got {json.dumps(rgba)}"))
    return out


def _property_rule(entry: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    value = entry["label-value"]
    if _is_int(value):
        return []
    return [(f"{where}.label-value", f"must be an integer, got {json.dumps(value)}")]


def _label_rules(body: Mapping[str, Any], version: str | None) -> list[tuple[str, str]]:
    """The ``image-label`` schema (0.4 and 0.5 agree on it, but for 0.4's ``version``)."""
    if "image-label" not in body:
        # the 0.5 label schema requires it; 0.4's does not
        required = version is not None and VERSIONS[version].label_required
        return [("image-label", "a label image needs 'image-label'")] if required else []
    label = body["image-label"]
    if not isinstance(label, Mapping):
        return [("image-label", f"must be an object, got {json.dumps(label)}")]
    out = []
    if _repeats(version) and "version" in label and label["version"] != version:
        message = f"must be {json.dumps(version)}, got {json.dumps(label['version'])}"
        out.append(("image-label.version", message))
    if "colors" in label:
        out.extend(_label_list(label["colors"], "image-label.colors", _color_rule))
    if "properties" in label:
        out.extend(_label_list(label["properties"], "image-label.properties", _property_rule))
    if "source" in label:
        source = label["source"]
        if not isinstance(source, Mapping):
            out.append(("image-label.source", f"must be an object, got {json.dumps(source)}"))
        elif "image" in source and not isinstance(source["image"], str):
            out.append(("image-label.source.image", "must be a string"))
    return out


def json_type_rules(
    body: Mapping[str, Any], kind: str, version: str | None = None
) -> list[tuple[str, str]]:
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

    for table, check in ((_NUMBER_FIELDS, _number_problem), (_STRING_FIELDS, _string_problem)):
        for pattern in table.get(kind, []):
            walk(body, pattern.rstrip("+").split("."), "", pattern.endswith("+"), check)
    reported = {field for field, _ in out}  # one problem per field
    out.extend(p for p in _null_rules(body, "") if p[0] not in reported)
    if _repeats(version):  # 0.4 documents may repeat their version, and only as "0.4"
        for pattern in _VERSION_FIELDS.get(kind, []):
            walk(body, pattern.split("."), "", False, _is_version(version))
    if kind == "label":
        out.extend(_label_rules(body, version))
    well = body.get("well")
    if kind == "well" and isinstance(well, Mapping) and well.get("images") == []:
        out.append(("well.images", "must list at least one image"))
    return out
