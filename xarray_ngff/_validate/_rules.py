"""The validator's own document rules: 0.1–0.3 images (mirroring their official schemas plus
the 0.3 axis-order rule), ``omero`` display metadata, and the plate structure rules JSON Schema
cannot express.

Each rule returns ``(field, message)`` pairs; what a version allows comes from the version
table (:data:`~xarray_ngff._metadata.versions.VERSIONS`).

Examples
--------
>>> legacy_axes_rules(["y", "x"], "multiscales[0].axes")
[]
>>> omero_rules({"channels": [{"color": "FF0000"}]}, "0.5")
[]
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .._metadata.plate import plate_problems
from .._metadata.versions import VERSIONS

__all__ = [
    "LEGACY_AXES",
    "legacy_axes_rules",
    "legacy_image_rules",
    "omero_rules",
    "plate_structure_rules",
]

LEGACY_AXES = "tczyx"  # the implied axes of 0.1/0.2 and the order 0.3 names must follow


def _named_axes(version: str | None) -> bool:
    """Whether ``version`` stores axes as a list of names (0.3)."""
    return version is not None and VERSIONS[version].axes == "names"


def legacy_image_rules(body: Mapping[str, Any], version: str | None) -> list[tuple[str, str]]:
    """(field, message) pairs for a 0.1–0.3 image document (``version=None``: undeclared)."""
    out: list[tuple[str, str]] = []
    ms = body.get("multiscales")
    if not isinstance(ms, list) or not ms:
        return [("multiscales", "must be a non-empty list")]
    if len({json.dumps(m, sort_keys=True) for m in ms}) != len(ms):
        out.append(("multiscales", "entries must be unique"))
    for i, entry in enumerate(ms):
        f = f"multiscales[{i}]"
        if not isinstance(entry, Mapping):
            out.append((f, "must be an object"))
            continue
        v = entry.get("version")
        if v is not None and (not isinstance(v, str) or (version and v != version)):
            out.append((f"{f}.version", f"{v!r} is not the version {version!r}"))
        if "name" in entry and not isinstance(entry["name"], str):
            out.append((f"{f}.name", "must be a string"))
        datasets = entry.get("datasets")
        if not isinstance(datasets, list) or not datasets:
            out.append((f"{f}.datasets", "must be a non-empty list"))
        else:
            for j, d in enumerate(datasets):
                if not isinstance(d, Mapping) or not isinstance(d.get("path"), str):
                    out.append((f"{f}.datasets[{j}].path", "each dataset needs a string path"))
        axes = entry.get("axes")
        if _named_axes(version) or (version is None and axes is not None):
            out.extend(legacy_axes_rules(axes, f"{f}.axes"))
    omero = body.get("omero")
    if omero is not None:
        out.extend(omero_rules(omero))
    return out


def legacy_axes_rules(axes: Any, field: str) -> list[tuple[str, str]]:
    """The 0.3 ``axes``: at least two single-letter names in the order t, c, z, y, x."""
    if not isinstance(axes, list) or len(axes) < 2:
        return [(field, "0.3 requires a list of at least 2 axis names")]
    if not all(isinstance(a, str) and re.fullmatch("[xyzct]", a) for a in axes):
        return [(field, f"axis names must be single letters from 'tczyx', got {axes!r}")]
    positions = [LEGACY_AXES.index(a) for a in axes]
    # the order rule JSON Schema cannot express: a subsequence of t, c, z, y, x ending in y, x
    if positions != sorted(set(positions)) or axes[-2:] != ["y", "x"]:
        return [(field, f"axes must follow the order t, c, z, y, x and end with y, x: {axes}")]
    return []


def omero_rules(omero: Any, version: str | None = None) -> list[tuple[str, str]]:
    """The ``omero`` schema; from 0.5 on ``window`` and ``color`` are optional (typed when
    given)."""
    optional = version is not None and VERSIONS[version].omero_optional
    if not isinstance(omero, Mapping):
        return [("omero", "must be an object")]
    channels = omero.get("channels")
    if not isinstance(channels, list):
        return [("omero.channels", "must be a list")]
    out = []
    for i, ch in enumerate(channels):
        f = f"omero.channels[{i}]"
        if not isinstance(ch, Mapping):
            out.append((f, "must be an object"))
            continue
        if not isinstance(ch.get("color"), str) and not (optional and "color" not in ch):
            out.append((f"{f}.color", f"must be a string, got {ch.get('color')!r}"))
        window = ch.get("window")
        if optional and "window" not in ch:
            pass
        elif not isinstance(window, Mapping):
            out.append((f"{f}.window", "must be an object"))
        else:
            for key in ("start", "min", "end", "max"):
                value = window.get(key)
                if isinstance(value, bool) or not isinstance(value, int | float):
                    out.append((f"{f}.window.{key}", f"must be a number, got {value!r}"))
        for key, kind in (("label", str), ("family", str), ("active", bool)):
            if key in ch and not isinstance(ch[key], kind):
                out.append((f"{f}.{key}", f"must be a {kind.__name__}"))
    return out


def plate_structure_rules(document: Mapping[str, Any], version: str) -> list[str]:
    """The plate rules JSON Schema cannot express (well paths ``<row>/<column>`` of the
    plate's own names, indices pointing at them): what ``plate_problems``' structural rules
    add to its schema rules, so the document check and the store check share one rule set."""
    schema_only = plate_problems(document, version, structural=False)
    return [p for p in plate_problems(document, version, models=False) if p not in schema_only]
