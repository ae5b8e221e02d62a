"""One attributes document judged by the rules of its version, without looking at arrays.

Which rules judge a version is the version table's question
(:data:`~xarray_ngff._metadata.versions.VERSIONS`): the official schemas (``schemas``, 0.6
on, :mod:`._v06`), ome-zarr-models (``models``, 0.4/0.5, :mod:`._models`, plus the JSON types
the models let through), or the validator's own rules mirroring the 0.1–0.3 schemas
(:mod:`._rules`). Plates and wells of 0.1–0.5 go through
:mod:`~xarray_ngff._metadata.plate`'s rules, the one set of plate rules.

Examples
--------
>>> metadata_rules({"multiscales": [{"version": "0.2", "datasets": []}]}, "image")
('0.2', [('multiscales[0].datasets', 'must be a non-empty list')])
>>> guess_kind({"series": ["0"]}), guess_kind({"image-label": {}})
('ome', 'label')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._hierarchy import node_kind
from .._json_types import json_type_rules
from .._metadata.parse import normalize_version, ome_attrs
from .._metadata.plate import plate_problems, well_problems
from .._metadata.versions import VERSIONS
from ..errors import NgffError
from ._models import model_rules
from ._rules import legacy_image_rules, omero_rules
from ._v06 import problems_v06

__all__ = ["KINDS", "declared_plate_version", "guess_kind", "metadata_rules", "validate_attrs"]

KINDS = ("image", "label", "labels", "plate", "well", "bioformats2raw", "scene", "ome")

# a document without the envelope that declares no version, but has axis objects or is a
# plate or well, is judged as this version (0.4)
_IMPLIED = next(v.version for v in VERSIONS.values() if v.implied)
# scenes relate images through RFC-5 coordinate systems: the first version that has them
_SCENES = next(v.version for v in VERSIONS.values() if v.transforms == "rfc5")


def _version_of(body: Mapping[str, Any], outer: str | None, kind: str) -> str | None:
    """The version a document declares (the envelope's, else its block's), or the one its
    shape implies; ``None`` for an undeclared 0.1–0.3 image."""
    if outer is not None:
        return outer
    if kind in ("image", "label"):
        entries = body.get("multiscales")
        if isinstance(entries, list) and entries and isinstance(entries[0], Mapping):
            v = entries[0].get("version")
            if v is not None:
                return str(v)
            axes = entries[0].get("axes")
            if isinstance(axes, list) and axes and isinstance(axes[0], Mapping):
                return _IMPLIED  # axis objects without a version
            return None
    for key in (kind, "image-label"):
        block = body.get(key)
        if isinstance(block, Mapping) and block.get("version") is not None:
            return str(block["version"])
    # 0.1-0.3 plates and wells had to declare a version
    return _IMPLIED if kind in ("plate", "well") else None


def _split(text: str) -> tuple[str, str]:
    """(field, message) of a ``"field: message"`` line of the plate and well rules."""
    field, _, message = text.partition(": ")
    return field, message


def _typed_rules(
    attrs: Mapping[str, Any],
    body: Mapping[str, Any],
    version: str,
    kind: str,
    seen: list[tuple[str, str]],
) -> list[tuple[str, str]]:
    """The models' problems (a field already in ``seen`` is not reported twice), then the
    JSON types and minimums the models coerce, for a version the models judge."""
    fields = {f for f, _ in seen}
    out = [p for p in model_rules(attrs, version, kind) if p[0] not in fields]
    prefix = "ome." if VERSIONS[version].envelope else ""
    extra = json_type_rules(body, kind, version)
    if kind in ("image", "label") and "omero" in body:  # the models leave omero loose
        extra.extend(omero_rules(body["omero"], version))
    for field, message in extra:
        if (prefix + field, message) not in seen + out:
            out.append((prefix + field, message))
    return out


def metadata_rules(
    attrs: Mapping[str, Any],
    kind: str,
    strict: bool = False,
    *,
    plate_version: str | None = None,
    acquisitions: list[int] | None = None,
) -> tuple[str | None, list[tuple[str, str]]]:
    """(version, problems) of one document by the rules of its version. A well inside a plate
    is judged against the plate's ``plate_version`` and ``acquisitions``."""
    try:
        outer, body = ome_attrs(attrs)
    except NgffError as err:
        return None, [(err.field or "version", err.message)]
    raw = _version_of(body, outer, kind)
    try:
        version = normalize_version(raw) if raw is not None else None
    except NgffError as err:
        return None, [("version", err.message)]
    info = VERSIONS[version] if version is not None else None
    if info is not None and info.schemas is not None:
        problems = problems_v06(attrs, kind, strict=strict, schemas=info.schemas)
        if version != info.schemas:
            problems.insert(0, ("version", f"{raw!r} is not a released {info.schemas} version"))
        return version, problems
    if kind in ("plate", "well"):
        if kind == "plate":
            found = plate_problems(attrs, declared_plate_version(attrs))
        else:
            found = well_problems(attrs, plate_version, acquisitions=acquisitions)
        problems = [_split(t) for t in found]
        typed = version if kind == "plate" else (plate_version or version)
        if typed is not None and VERSIONS[typed].models is not None:
            # the schema's MUSTs that the plate rules above left out
            problems.extend(_typed_rules(attrs, body, typed, kind, problems))
        return version, problems
    if info is not None and info.models is not None:
        if kind == "scene":
            return version, [("ome.scene", f"scenes need OME-NGFF {_SCENES}, not {raw!r}")]
        if kind == "ome":
            return version, []
        return version, _typed_rules(attrs, body, version, kind, [])
    if kind in ("image", "label"):
        return version, legacy_image_rules(body, version)
    return version, []


def declared_plate_version(attrs: Mapping[str, Any]) -> str | None:
    """The version a plate declares (``ome.version``, else ``plate.version``), if readable."""
    try:
        version, body = ome_attrs(attrs)
    except NgffError:
        return None
    plate = body.get("plate")
    if version is None and isinstance(plate, Mapping) and plate.get("version"):
        try:
            version = normalize_version(plate["version"])
        except NgffError:
            return None
    return version


def guess_kind(body: Mapping[str, Any]) -> str:
    """The validation kind of a document: :func:`~xarray_ngff._hierarchy.node_kind`'s
    precedence, with a label image as ``"label"``, the ``OME`` group of a bioformats2raw
    collection as ``"ome"`` and a group without OME-NGFF keys checked as an image."""
    kind = node_kind(body)
    if kind == "image" and "image-label" in body:
        return "label"
    if kind is None and "series" in body:
        return "ome"  # the OME group of a bioformats2raw collection
    if kind is None and "image-label" in body:
        return "label"
    return kind or "image"


def validate_attrs(
    attrs: Mapping[str, Any],
    kind: str | None = None,
    *,
    strict: bool = False,
    version: str | None = None,
) -> list[str]:
    """Problems of one group's attributes with the runtime rules (ome-zarr-models for 0.4/0.5,
    the official schemas for 0.6, the validator's own rules for 0.1–0.3), without looking at
    arrays.

    ``kind`` is one of ``image``, ``label``, ``labels``, ``plate``, ``well``,
    ``bioformats2raw``, ``scene`` (default: guessed from the keys). Each problem is
    ``"field: message"``. ``strict`` adds the SHOULDs for 0.6 (the ``strict_*`` schemas);
    ``version`` judges the document as that version (default: the one it declares).

    Examples
    --------
    >>> validate_attrs({"multiscales": [{"version": "0.2", "datasets": []}]})
    ['multiscales[0].datasets: must be a non-empty list']
    """
    try:
        body = ome_attrs(attrs)[1]
    except NgffError as err:
        return [f"{err.field or 'version'}: {err.message}"]
    kind = kind or guess_kind(body)
    if kind not in KINDS:
        raise NgffError(f"kind={kind!r} is not one of {KINDS}", field="kind")
    schemas = VERSIONS[version].schemas if version is not None else None
    if schemas is not None:
        # judged by its schemas whatever the document says (a 0.6 suite, ``--version``)
        return [f"{f}: {m}" for f, m in problems_v06(attrs, kind, strict=strict, schemas=schemas)]
    _, problems = metadata_rules(attrs, kind, strict)
    return [f"{f}: {m}" for f, m in problems]
