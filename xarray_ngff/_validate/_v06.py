"""Validation of OME-Zarr 0.6 metadata: the official 0.6 JSON schemas plus the RFC-5 rules
no schema expresses.

The schemas are the released ones that ngff-zarr ships in its wheel (``ngff_zarr/spec/0.6``;
part of the ``validate`` extra), or a local copy of the specification (``spec_dir``); which set
judges a version is the version table's ``schemas`` field (0.9.dev1 is judged as 0.6).
Pre-release forms the reader accepts stay non-conformant here: versions ``0.6.dev1`` …
``0.6.dev4``, ``input``/``output`` as plain strings (as the attributes suite and the released
schema say; ten hierarchies of the Zarr suite, older than that rule, still use them) and
snake_case keys of earlier drafts (``input_axes``).
"""

from __future__ import annotations

import copy
import json
import pathlib
import re
from collections.abc import Mapping
from typing import Any

from .._metadata.versions import VERSIONS
from ..errors import NgffError
from ._schema import schema_rules

__all__ = ["schema_dir", "problems_v06", "SCHEMAS", "SCHEMA_SET", "load_document"]

# the schema set of the first version judged by schemas (the 0.6 rules below are its rules)
SCHEMA_SET = next(v.schemas for v in VERSIONS.values() if v.schemas is not None)

SCHEMAS = {
    "image": ("image",),
    "label": ("label",),  # plus image.schema when the group holds multiscales
    "plate": ("plate",),
    "well": ("well",),
    "bioformats2raw": ("bf2raw",),
    "scene": ("scene",),
    "ome": ("ome",),
    "labels": (),
}


_LINE_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)


def load_document(text: str) -> Any:
    r"""JSON, allowing the whole-line ``//`` comments of the spec's JSONC examples.

    Examples
    --------
    >>> load_document('{\n  // a comment\n  "a": 1\n}')
    {'a': 1}
    """
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(_LINE_COMMENT.sub("", text))


def schema_dir(
    spec_dir: str | pathlib.Path | None = None, schemas: str = SCHEMA_SET
) -> pathlib.Path:
    """The folder holding the ``*.schema`` files of the schema set ``schemas``: the one in
    ``spec_dir`` when given and present, else the one ngff-zarr ships."""
    if spec_dir is not None:
        folder = pathlib.Path(spec_dir) / schemas / "schemas"
        if folder.is_dir():
            return folder
    try:
        import ngff_zarr

        folder = pathlib.Path(ngff_zarr.__file__).parent / "spec" / schemas / "schemas"
        if folder.is_dir():
            return folder
    except ImportError:
        pass
    raise NgffError(
        f"validating OME-NGFF {schemas} needs the official {schemas} schemas, which ngff-zarr "
        "ships: pip install 'xarray-ngff[validate]' (or pass spec_dir=<a copy of ngff-spec>)",
        field="version",
    )


def _object_refs(doc: Any, in_dataset: bool = False) -> Any:
    """String ``input``/``output`` -> objects (a dataset's input is its array path)."""
    if isinstance(doc, list):
        return [_object_refs(x, in_dataset) for x in doc]
    if not isinstance(doc, Mapping):
        return doc
    out = {}
    for key, value in doc.items():
        if key in ("input", "output") and isinstance(value, str):
            out[key] = {"path": value} if (in_dataset and key == "input") else {"name": value}
        elif key == "datasets" and isinstance(value, list):
            out[key] = [_object_refs(d, True) for d in value]
        else:
            out[key] = _object_refs(value, in_dataset)
    return out


def _names(cs: Any) -> list[str]:
    return [c.get("name") for c in cs if isinstance(c, Mapping)] if isinstance(cs, list) else []


def _graph_rules(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """RFC-5 MUSTs beyond the schema, for multiscales entries."""
    out: list[tuple[str, str]] = []
    entries = body.get("multiscales")
    if not isinstance(entries, list):
        return out
    for i, ms in enumerate(entries):
        if not isinstance(ms, Mapping):
            continue
        f = f"ome.multiscales[{i}]"
        names = _names(ms.get("coordinateSystems"))
        outputs = set()
        for j, d in enumerate(ms.get("datasets") or []):
            for t in (d.get("coordinateTransformations") or []) if isinstance(d, Mapping) else []:
                o = t.get("output") if isinstance(t, Mapping) else None
                name = o.get("name") if isinstance(o, Mapping) else None
                if name is not None:
                    outputs.add(name)
                    if names and name not in names:
                        out.append(
                            (
                                f"{f}.datasets[{j}].coordinateTransformations",
                                f"output {name!r} is not in coordinateSystems {names}",
                            )
                        )
        if len(outputs) > 1:
            out.append(
                (
                    f"{f}.datasets",
                    f"every level must map into the same (intrinsic) system, got {sorted(outputs)}",
                )
            )
    return out


def problems_v06(
    attrs: Mapping[str, Any],
    kind: str,
    *,
    strict: bool = False,
    spec_dir: str | pathlib.Path | None = None,
    schemas: str = SCHEMA_SET,
) -> list[tuple[str, str]]:
    """``(field, message)`` problems of one 0.6 group's attributes of ``kind``.

    ``strict`` adds the SHOULDs (the ``strict_*`` schemas); ``schemas`` is the schema set
    (the version table's ``schemas`` of the document's version).

    Examples
    --------
    >>> doc = {"ome": {"version": "0.6", "multiscales": [{"coordinateSystems": [
    ...     {"name": "p", "axes": [{"name": "y", "type": "space"}, {"name": "x",
    ...     "type": "space"}]}], "datasets": [{"path": "0", "coordinateTransformations": [
    ...     {"type": "scale", "scale": [1, 1], "input": {"path": "0"},
    ...      "output": {"name": "q"}}]}]}]}}
    >>> problems_v06(doc, "image")
    [('ome.multiscales[0].datasets[0].coordinateTransformations', "output 'q' is not in coordinateSystems ['p']")]
    """
    folder = schema_dir(spec_dir, schemas)
    try:
        import jsonschema  # noqa: F401 - checked first, to name the extra
    except ImportError:
        raise NgffError(
            f"validating OME-NGFF {schemas} needs jsonschema: pip install 'xarray-ngff[validate]'",
            field="version",
        ) from None
    document = dict(attrs)
    body = document.get("ome") if isinstance(document.get("ome"), Mapping) else {}
    stems = SCHEMAS.get(kind, ("ome_zarr",))
    if kind == "label" and "multiscales" in body:
        stems = ("image", *stems)
    out: list[tuple[str, str]] = []
    for stem in stems:
        name = f"strict_{stem}" if strict and (folder / f"strict_{stem}.schema").is_file() else stem
        out.extend(schema_rules(document, folder, name))
    if kind in ("image", "label"):  # on either spelling of input/output
        out.extend(_graph_rules(_object_refs(copy.deepcopy(body))))
    if kind == "labels":
        labels = body.get("labels")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            out.append(("ome.labels", "must be a list of label image paths"))
    return out
