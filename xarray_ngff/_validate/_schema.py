"""The JSON-schema check: documents against a folder of official OME-NGFF schemas, offline.

:func:`schema_rules` judges a document against one ``*.schema`` of a folder, every ``$ref``
resolved inside that folder (no network); :func:`validate_document` is the public check of one
attributes document against a local copy of the specification, plus the rules upstream marks
as not expressible in JSON Schema (0.3 axis order, plate well paths). The package never needs
that folder at run time.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Mapping
from typing import Any

from .._metadata.versions import VERSIONS
from ._problem import field_of
from ._rules import legacy_axes_rules, plate_structure_rules

__all__ = ["schema_rules", "validate_document"]

_REGISTRIES: dict[str, Any] = {}


def _registry(folder: pathlib.Path):
    """Every schema of ``folder`` by its ``$id`` and by its file name (some ``$ref`` are
    relative to the folder, as ``coordinate_systems.schema``); built once per folder."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    key = str(folder)
    if key not in _REGISTRIES:
        resources = []
        for f in sorted(folder.glob("*.schema")):
            schema = json.loads(f.read_text())
            resource = Resource.from_contents(schema, default_specification=DRAFT202012)
            resources.append((schema["$id"], resource))
            resources.append((f.name, resource))
        _REGISTRIES[key] = Registry().with_resources(resources)  # offline: no retrieve
    return _REGISTRIES[key]


def schema_rules(document: Any, folder: pathlib.Path, stem: str) -> list[tuple[str, str]]:
    """(field, message) pairs of ``document`` against ``<folder>/<stem>.schema``, in document
    order."""
    import jsonschema

    contents = json.loads((folder / f"{stem}.schema").read_text())
    validator = jsonschema.Draft202012Validator(contents, registry=_registry(folder))
    return [
        (field_of(tuple(e.absolute_path)), e.message)
        for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


def validate_document(
    document: Mapping[str, Any], *, version: str, schema: str, spec_dir: str | pathlib.Path
) -> list[str]:
    """Problems of one attributes document against an official schema, plus the rules JSON
    Schema cannot express (0.3 axis order, plate well paths).

    Parameters
    ----------
    document
        The group attributes (``.zattrs``), or a whole 0.5 ``zarr.json`` document, whose
        ``attributes`` are then checked.
    version
        ``"0.1"`` … ``"0.5"``.
    schema
        The schema's file stem: ``"image"``, ``"strict_image"``, ``"label"``, ``"plate"``, ...
    spec_dir
        A local copy of the specification (``<version>/schemas/*.schema``); no network.

    Examples
    --------
    >>> import pathlib
    >>> spec = pathlib.Path("../shared/ngff-spec")
    >>> if spec.is_dir():
    ...     doc = {"multiscales": [{"version": "0.3", "axes": ["y", "t"],
    ...                             "datasets": [{"path": "0"}]}]}
    ...     print(validate_document(doc, version="0.3", schema="image", spec_dir=spec))
    ... else:
    ...     print(["multiscales[0].axes: axes must follow the order t, c, z, y, x and end "
    ...            "with y, x: ['y', 't']"])
    ["multiscales[0].axes: axes must follow the order t, c, z, y, x and end with y, x: ['y', 't']"]
    """
    if "zarr_format" in document and isinstance(document.get("attributes"), Mapping):
        document = document["attributes"]
    folder = pathlib.Path(spec_dir) / version / "schemas"
    out = [f"{f}: {m}" for f, m in schema_rules(document, folder, schema)]
    info = VERSIONS[version]
    body: Any = document.get("ome") if isinstance(document.get("ome"), Mapping) else document
    if info.axes == "names" and isinstance(body.get("multiscales"), list):
        for i, entry in enumerate(body["multiscales"]):
            if isinstance(entry, Mapping) and isinstance(entry.get("axes"), list):
                out.extend(
                    f"{f}: {m}"
                    for f, m in legacy_axes_rules(entry["axes"], f"multiscales[{i}].axes")
                )
    if info.document_well_paths and "plate" in body:
        out.extend(plate_structure_rules(document, version))
    return out
