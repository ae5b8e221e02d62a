"""Validate OME-Zarr stores and single metadata documents.

Stores (:func:`validate_store`)
    Walks the hierarchy (image, labels, bioformats2raw series, plate wells and fields) and
    reports *every* problem, each naming the store, the node path and the field:

    * 0.4/0.5 metadata through ome-zarr-models (the runtime validator, imported lazily from
      the ``validate`` extra); 0.1–0.3 through this module's rules, which mirror the official
      schemas of those versions plus the 0.3 axis-order rule;
    * structural rules no schema can express: every dataset array exists, its ndim equals the
      axes count, datasets go from highest to lowest resolution, 0.5 arrays carry
      ``dimension_names`` equal to the axis names, the Zarr format matches the NGFF version,
      the omero channel count equals the ``c`` size, label images have integer pixels,
      listed labels exist, and a plate's well paths are ``<row>/<column>`` of its own rows
      and columns.

Documents (:func:`validate_document`)
    One attributes document against the official JSON schemas in a local copy of the
    specification (``spec_dir``), plus the two rules upstream marks as not expressible in JSON
    Schema: 0.3 axis order and plate well paths (row before column). The package never needs
    that folder at runtime.

Problems are :class:`Problem` values (path, field, message), made text only at the edges
(:func:`validate_store`, the CLI, :class:`~xarray_ngff.errors.ValidationError`). The module is
over 600 lines: its split into rules, model adapter, schema check and walker waits for the
parallel schema-check work on this file (see ``docs/decisions.md``).
"""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._hierarchy import bf2raw_series_paths, node_kind
from ._json_types import json_type_rules
from ._metadata.bf2raw import LAYOUT_KEY
from ._metadata.geometry import level_geometry
from ._metadata.parse import normalize_version, ome_attrs, parse_multiscales
from ._metadata.plate import parse_plate, parse_well, plate_problems, well_problems
from ._metadata.versions import VERSIONS
from ._store import NgffStore, open_store
from .errors import MetadataError, MissingArrayError, NgffError, ValidationError

__all__ = [
    "Problem",
    "store_problems",
    "validate_store",
    "validate_attrs",
    "validate_document",
    "raise_for_problems",
]

_LEGACY_AXES = "tczyx"


@dataclass(frozen=True)
class Problem:
    """One problem of a store: the node ``path``, the metadata ``field`` and the ``message``.

    A value; :meth:`text` formats it at the edges (CLI, exception messages).

    Examples
    --------
    >>> p = Problem("A/1", "well.images", "must be a non-empty list")
    >>> p.text("plate.zarr")
    'plate.zarr:/A/1: well.images: must be a non-empty list'
    >>> p.text()
    'A/1: well.images: must be a non-empty list'
    """

    path: str
    field: str
    message: str

    def text(self, store: str | None = None) -> str:
        """``"<store>:/<path>: <field>: <message>"``, or ``"<path>: ..."`` without a store."""
        path = self.path.strip("/")
        where = f"{store}:/{path}" if store is not None else (path or "/")
        return f"{where}: {self.field}: {self.message}"


class _Problems:
    """Collects :class:`Problem` values."""

    def __init__(self, store: str) -> None:
        self.store = store
        self.items: list[Problem] = []

    def add(self, path: str, field: str, message: str) -> None:
        self.items.append(Problem(path.strip("/"), field, message))


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


# -- rules for 0.1-0.3 (mirroring their official schemas) ----------------------------------


def _legacy_image_rules(body: Mapping[str, Any], version: str | None) -> list[tuple[str, str]]:
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
        if version == "0.3" or (version is None and axes is not None):
            out.extend(_legacy_axes_rules(axes, f"{f}.axes"))
    omero = body.get("omero")
    if omero is not None:
        out.extend(_omero_rules(omero))
    return out


def _legacy_axes_rules(axes: Any, field: str) -> list[tuple[str, str]]:
    if not isinstance(axes, list) or len(axes) < 2:
        return [(field, "0.3 requires a list of at least 2 axis names")]
    if not all(isinstance(a, str) and re.fullmatch("[xyzct]", a) for a in axes):
        return [(field, f"axis names must be single letters from 'tczyx', got {axes!r}")]
    positions = [_LEGACY_AXES.index(a) for a in axes]
    # the order rule JSON Schema cannot express: a subsequence of t, c, z, y, x ending in y, x
    if positions != sorted(set(positions)) or axes[-2:] != ["y", "x"]:
        return [(field, f"axes must follow the order t, c, z, y, x and end with y, x: {axes}")]
    return []


def _omero_rules(omero: Any, version: str | None = None) -> list[tuple[str, str]]:
    """The ``omero`` schema; 0.5 makes ``window`` and ``color`` optional (typed when given)."""
    optional = version == "0.5"
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


# -- 0.4/0.5 through ome-zarr-models -------------------------------------------------------


def _models(version: str):
    try:
        import pydantic  # noqa: F401 - ome-zarr-models' own dependency, checked first

        if version == "0.4":
            from ome_zarr_models.v04 import bioformats2raw, hcs, image, image_label, labels, well
        else:
            from ome_zarr_models.v05 import bioformats2raw, hcs, image, image_label, labels, well
    except ImportError as err:
        raise NgffError(
            "validating OME-NGFF 0.4/0.5 needs ome-zarr-models (and its pydantic), which the "
            "'cli' and 'validate' extras install: python3 -m pip install '.[cli]' from a clone "
            f"(missing: {err.name})"
        ) from err
    return {
        "image": image.ImageAttrs,
        "label": image_label.ImageLabelAttrs,
        "labels": labels.LabelsAttrs,
        "plate": hcs.HCSAttrs,
        "well": well.WellAttrs,
        "bioformats2raw": bioformats2raw.BioFormats2RawAttrs,
    }


def _loc(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "attributes"


def _model_rules(attrs: Mapping[str, Any], version: str, kind: str) -> list[tuple[str, str]]:
    model = _models(version)[kind]
    import pydantic

    document: Any = attrs
    prefix = ""
    if version == "0.5":
        document = attrs.get("ome")
        prefix = "ome."
        if not isinstance(document, Mapping):
            return [("ome", "0.5 metadata must be under the 'ome' key")]
    try:
        model.model_validate(dict(document))
    except pydantic.ValidationError as err:
        return [(prefix + _loc(e["loc"]), e["msg"]) for e in err.errors()]
    return []


def _metadata_rules(
    attrs: Mapping[str, Any],
    kind: str,
    strict: bool = False,
    *,
    plate_version: str | None = None,
    acquisitions: list[int] | None = None,
) -> tuple[str | None, list[tuple[str, str]]]:
    """(version, problems) of one document by the rules of its version. Plates and wells of
    0.1-0.5 go through :mod:`~xarray_ngff._metadata.plate`'s rules (own rules, then
    ome-zarr-models when installed), the one set of plate rules; a well inside a plate is
    judged against the plate's ``plate_version`` and ``acquisitions``."""
    try:
        outer, body = ome_attrs(attrs)
    except NgffError as err:
        return None, [(err.field or "version", err.message)]
    raw = _version_of(body, outer, kind)
    try:
        version = normalize_version(raw) if raw is not None else None
    except NgffError as err:
        return None, [("version", err.message)]
    if version is not None and VERSIONS[version].transforms == "rfc5":
        from ._validate_v06 import problems_v06

        problems = problems_v06(attrs, kind, strict=strict)
        if version != "0.6":
            problems.insert(0, ("version", f"{raw!r} is not a released 0.6 version"))
        return version, problems
    if kind in ("plate", "well"):
        if kind == "plate":
            found = plate_problems(attrs, _plate_version(attrs))
        else:
            found = well_problems(attrs, plate_version, acquisitions=acquisitions)
        problems = [_split(t) for t in found]
        typed = version if kind == "plate" else (plate_version or version)
        if typed in ("0.4", "0.5"):
            # the schema's MUSTs that the plate rules above left out (a field already
            # reported is not reported twice), then JSON types and minimums the models coerce
            seen = {f for f, _ in problems}
            problems.extend(p for p in _model_rules(attrs, typed, kind) if p[0] not in seen)
            prefix = "ome." if typed == "0.5" else ""
            extra = json_type_rules(body, kind, typed)
            problems.extend((prefix + f, m) for f, m in extra if (prefix + f, m) not in problems)
        return version, problems
    if version in ("0.4", "0.5"):
        if kind == "scene":
            return version, [("ome.scene", f"scenes need OME-NGFF 0.6, not {raw or version!r}")]
        if kind == "ome":
            return version, []
        problems = _model_rules(attrs, version, kind)
        prefix = "ome." if version == "0.5" else ""
        extra = json_type_rules(body, kind, version)
        if kind in ("image", "label") and "omero" in body:  # the models leave omero loose
            extra.extend(_omero_rules(body["omero"], version))
        problems.extend((prefix + f, m) for f, m in extra if (prefix + f, m) not in problems)
        return version, problems
    if kind in ("image", "label"):
        return version, _legacy_image_rules(body, version)
    return version, []


def _split(text: str) -> tuple[str, str]:
    """(field, message) of a ``"field: message"`` line of the plate and well rules."""
    field, _, message = text.partition(": ")
    return field, message


_KINDS = ("image", "label", "labels", "plate", "well", "bioformats2raw", "scene", "ome")


def _guess_kind(body: Mapping[str, Any]) -> str:
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
    this module's rules for 0.1–0.3), without looking at arrays.

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
    kind = kind or _guess_kind(body)
    if kind not in _KINDS:
        raise NgffError(f"kind={kind!r} is not one of {_KINDS}", field="kind")
    if version is not None and VERSIONS[version].transforms == "rfc5":
        # judged as 0.6 whatever the document says (a 0.6 suite, ``--version``)
        from ._validate_v06 import problems_v06

        return [f"{f}: {m}" for f, m in problems_v06(attrs, kind, strict=strict)]
    version, problems = _metadata_rules(attrs, kind, strict)
    return [f"{f}: {m}" for f, m in problems]


# -- store walking -------------------------------------------------------------------------


def _version_of(body: Mapping[str, Any], outer: str | None, kind: str) -> str | None:
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
                return "0.4"  # axis objects without a version: 0.4 rules
            return None
    for key in (kind, "image-label"):
        block = body.get(key)
        if isinstance(block, Mapping) and block.get("version") is not None:
            return str(block["version"])
    # 0.1-0.3 plates and wells had to declare a version; without one they are 0.4
    return "0.4" if kind in ("plate", "well") else None


class _Walker:
    def __init__(self, nstore: NgffStore) -> None:
        self.nstore = nstore
        self.p = _Problems(nstore.name)

    def attrs(self, path: str) -> dict[str, Any] | None:
        try:
            return self.nstore.attrs(path)
        except NgffError as err:
            self.p.add(path, err.field or "attributes", err.message)
            return None

    def metadata(
        self, path: str, attrs: Mapping[str, Any], kind: str, **context: Any
    ) -> str | None:
        """Check a document with the rules of its version; returns the short version."""
        version, problems = _metadata_rules(attrs, kind, **context)
        expected_format = VERSIONS[version].zarr_format if version is not None else 2
        if version is not None and self.nstore.zarr_format != expected_format:
            problems.append(
                (
                    "zarr_format",
                    f"OME-NGFF {version} requires Zarr v{expected_format}, "
                    f"the store is Zarr v{self.nstore.zarr_format}",
                )
            )
        for field, msg in problems:
            self.p.add(path, field, msg)
        return version

    def image(self, path: str, attrs: Mapping[str, Any], *, label: bool = False) -> None:
        version = self.metadata(path, attrs, "label" if label else "image")
        _, body = ome_attrs(attrs)
        entries = body.get("multiscales")
        if not isinstance(entries, list):
            return
        try:
            parsed: list[Any] = parse_multiscales(attrs)[1]
        except NgffError:  # already reported by the metadata rules
            parsed = []
        for i, entry in enumerate(entries):
            if isinstance(entry, Mapping):
                ms = parsed[i] if i < len(parsed) else None
                self.structure(path, f"multiscales[{i}]", entry, body, version, label, ms)
        if not label and self.nstore.has_group(_join(path, "labels")):
            self.labels(_join(path, "labels"))

    def structure(
        self,
        path: str,
        field: str,
        entry: Mapping[str, Any],
        body: Mapping[str, Any],
        version: str | None,
        label: bool,
        ms: Any = None,
    ) -> None:
        datasets = entry.get("datasets")
        if not isinstance(datasets, list):
            return
        axes = entry.get("axes")
        if ms is not None and ms.coordinate_systems:  # 0.6: the intrinsic system's axes
            names = list(ms.axis_names)
        elif isinstance(axes, list):
            names = [a.get("name") if isinstance(a, Mapping) else a for a in axes]
        elif version in ("0.1", "0.2", None):
            names = list(_LEGACY_AXES)
        else:
            names = None
        shapes: list[tuple[int, ...] | None] = []
        for j, d in enumerate(datasets):
            dpath = d.get("path") if isinstance(d, Mapping) else None
            dfield = f"{field}.datasets[{j}]"
            if not isinstance(dpath, str):
                shapes.append(None)
                continue
            try:
                array = self.nstore.array(_join(path, dpath))
            except MissingArrayError:
                self.p.add(path, f"{dfield}.path", f"array {dpath!r} is not in the store")
                shapes.append(None)
                continue
            except NgffError as err:
                self.p.add(path, f"{dfield}.path", err.message)
                shapes.append(None)
                continue
            shapes.append(tuple(int(n) for n in array.shape))
            if names is not None and array.ndim != len(names):
                self.p.add(
                    path,
                    f"{dfield}.path",
                    f"array {dpath!r} has {array.ndim} dimensions but there are "
                    f"{len(names)} axes {names}",
                )
            if version is not None and VERSIONS[version].envelope and names is not None:
                dim_names = getattr(array.metadata, "dimension_names", None)
                if dim_names is None or list(dim_names) != names:
                    self.p.add(
                        path,
                        f"{dfield}.path",
                        f"array {dpath!r} dimension_names {dim_names and list(dim_names)} must equal the axis "
                        f"names {names}",
                    )
            if label and np.dtype(array.dtype).kind not in "iu":
                self.p.add(
                    path,
                    f"{dfield}.path",
                    f"label image array {dpath!r} has dtype {array.dtype}; labels are integers",
                )
        self.ordering(path, field, datasets, shapes, ms)
        omero = body.get("omero")
        if isinstance(omero, Mapping) and names is not None and "c" in names and shapes:
            channels = omero.get("channels")
            first = shapes[0]
            if isinstance(channels, list) and first is not None and len(first) == len(names):
                n_c = first[names.index("c")]
                if len(channels) != n_c:
                    self.p.add(
                        path,
                        "omero.channels",
                        f"lists {len(channels)} channels but the image has {n_c}",
                    )

    def ordering(self, path: str, field: str, datasets: list, shapes: list, ms: Any = None) -> None:
        """Datasets go from highest to lowest resolution: shapes never grow, scales never
        shrink. Scales are the composed ones the reader uses (:func:`level_geometry`)."""
        previous_shape = previous_scale = None
        geometry_ok = ms is not None and len(ms.datasets) == len(datasets)
        for j, (d, shape) in enumerate(zip(datasets, shapes, strict=True)):
            scale = None
            has_transform = isinstance(d, Mapping) and isinstance(
                d.get("coordinateTransformations"), list
            )
            if geometry_ok and has_transform:
                scale = list(level_geometry(ms, j, shapes)[0])
            where = f"{field}.datasets[{j}]"
            if (
                shape is not None
                and previous_shape is not None
                and len(shape) == len(previous_shape)
            ):
                if any(a > b for a, b in zip(shape, previous_shape, strict=True)):
                    self.p.add(
                        path,
                        where,
                        f"shape {shape} is larger than the previous level's {previous_shape}: "
                        "datasets must go from highest to lowest resolution",
                    )
            if (
                isinstance(scale, list)
                and isinstance(previous_scale, list)
                and len(scale) == len(previous_scale)
                and all(isinstance(v, int | float) for v in scale + previous_scale)
                and any(a < b for a, b in zip(scale, previous_scale, strict=True))
            ):
                self.p.add(
                    path,
                    f"{where}.coordinateTransformations",
                    f"scale {scale} is finer than the previous level's {previous_scale}: "
                    "datasets must go from highest to lowest resolution",
                )
            previous_shape = shape if shape is not None else previous_shape
            previous_scale = scale if scale is not None else previous_scale

    def labels(self, path: str) -> None:
        attrs = self.attrs(path)
        if attrs is None:
            return
        _, body = ome_attrs(attrs)
        names = body.get("labels")
        if names is None:
            return
        if "ome" in attrs:
            self.metadata(path, attrs, "labels")
        if not isinstance(names, list):
            self.p.add(path, "labels", "must be a list of names")
            return
        for i, name in enumerate(names):
            if not isinstance(name, str):
                self.p.add(path, f"labels[{i}]", f"must be a string, got {name!r}")
                continue
            lpath = _join(path, name)
            if not self.nstore.has_group(lpath):
                self.p.add(path, f"labels[{i}]", f"label image {name!r} is not in the store")
                continue
            lattrs = self.attrs(lpath)
            if lattrs is not None:
                self.image(lpath, lattrs, label=True)

    def plate(self, path: str, attrs: Mapping[str, Any]) -> None:
        """The one set of plate rules (also behind ``from_hcs_zarr(validate=True)``): the
        plate and well documents through :func:`~xarray_ngff._metadata.plate.plate_problems`
        and :func:`~xarray_ngff._metadata.plate.well_problems` (own rules, then
        ome-zarr-models when installed), then every listed well and field exists and every
        field is a valid image."""
        version = self.metadata(path, attrs, "plate")
        try:
            plate = parse_plate(attrs, store=self.nstore.name, path=path or "/")
        except MetadataError:
            return  # its problems are listed above
        acq_ids = [a.id for a in plate.acquisitions or ()] or None
        for i, entry in enumerate(plate.wells):
            full = _join(path, entry.path)
            if not self.nstore.has_group(full):
                self.p.add(
                    path, f"plate.wells[{i}].path", f"well {entry.path!r} is not in the store"
                )
                continue
            wattrs = self.attrs(full)
            if wattrs is None:
                continue
            self.metadata(full, wattrs, "well", plate_version=version, acquisitions=acq_ids)
            try:
                well = parse_well(wattrs, store=self.nstore.name, path=full)
            except MetadataError:
                continue
            for j, img in enumerate(well.images):
                field_path = _join(full, img.path)
                if not self.nstore.has_group(field_path):
                    self.p.add(
                        full, f"well.images[{j}].path", f"field {img.path!r} is not in the store"
                    )
                    continue
                fattrs = self.attrs(field_path)
                if fattrs is not None:
                    self.image(field_path, fattrs)

    def bioformats2raw(self, path: str, attrs: Mapping[str, Any]) -> None:
        self.metadata(path, attrs, "bioformats2raw")
        try:
            series = bf2raw_series_paths(self.nstore, path)
        except NgffError as err:
            self.p.add(_join(path, "OME"), err.field or "series", err.message)
            return
        if not series:
            self.p.add(path, LAYOUT_KEY, "the collection holds no series (groups 0, 1, ...)")
        for s in series:
            spath = _join(path, s)
            sattrs = self.attrs(spath) if self.nstore.has_group(spath) else None
            if sattrs is None:
                self.p.add(path, "series", f"series {s!r} is not in the store")
                continue
            self.node(spath, sattrs)

    def node(self, path: str, attrs: Mapping[str, Any]) -> None:
        try:
            kind = node_kind(attrs, store=self.nstore.name, path=path)
        except NgffError as err:
            self.p.add(path, err.field or "ome", err.message)
            return
        if kind == "plate":
            self.plate(path, attrs)
        elif kind == "bioformats2raw":
            self.bioformats2raw(path, attrs)
        elif kind == "image":
            _, body = ome_attrs(attrs)
            self.image(path, attrs, label="image-label" in body)
        elif kind == "well":  # a well on its own: the same well rules as inside a plate
            self.metadata(path, attrs, "well")
        elif kind == "scene":
            self.scene(path, attrs)
        elif kind == "labels":
            self.labels(path)
        else:
            self.p.add(path, "attributes", "no OME-NGFF metadata in the group attributes")

    def scene(self, path: str, attrs: Mapping[str, Any]) -> None:
        from ._metadata.scene import scene_image_paths

        self.metadata(path, attrs, "scene")
        try:
            images = scene_image_paths(attrs)
        except NgffError:
            return  # reported by the schema
        for image in images:
            child = self.attrs(_join(path, image))
            if child is not None:
                self.node(_join(path, image), child)


def _plate_version(attrs: Mapping[str, Any]) -> str | None:
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


def store_problems(
    store: Any, storage_options: Mapping[str, Any] | None = None, *, path: str = ""
) -> list[Problem]:
    """Every problem of the OME-Zarr node at ``path`` and below, as :class:`Problem` values.

    :func:`validate_store` is this, formatted as text; ``from_hcs_zarr(validate=True)``
    raises with these problems.

    Examples
    --------
    >>> import tempfile, zarr
    >>> d = tempfile.mkdtemp() + "/p.ome.zarr"
    >>> g = zarr.open_group(d, mode="w", zarr_format=2)
    >>> g.attrs["plate"] = {"version": "0.4", "rows": [{"name": "A"}],
    ...     "columns": [{"name": "1"}], "wells": [{"path": "A/1", "rowIndex": 0,
    ...     "columnIndex": 0}]}
    >>> store_problems(d)
    [Problem(path='', field='plate.wells[0].path', message="well 'A/1' is not in the store")]
    """
    nstore = open_store(store, storage_options)
    walker = _Walker(nstore)
    attrs = walker.attrs(path.strip("/"))
    if attrs is not None:
        walker.node(path.strip("/"), attrs)
    return walker.p.items


def validate_store(store: Any, storage_options: Mapping[str, Any] | None = None) -> list[str]:
    """Every problem of an OME-Zarr store, each as ``"<store>:/<path>: <field>: <message>"``.

    An empty list means valid. Store errors (missing location, network) raise
    :class:`~xarray_ngff.errors.StoreError` instead: nothing could be checked.
    :func:`store_problems` gives the same problems as values.

    Examples
    --------
    >>> import tempfile, numpy as np, zarr
    >>> d = tempfile.mkdtemp() + "/bad.ome.zarr"
    >>> g = zarr.open_group(d, mode="w", zarr_format=2)
    >>> g.attrs["multiscales"] = [{"version": "0.3", "axes": ["x", "y"],
    ...                            "datasets": [{"path": "0"}, {"path": "1"}]}]
    >>> _ = g.create_array("0", data=np.zeros((4, 4), "u1"), chunks=(4, 4))
    >>> for problem in validate_store(d):
    ...     print(problem.replace(d, "STORE"))
    STORE:/: multiscales[0].axes: axes must follow the order t, c, z, y, x and end with y, x: ['x', 'y']
    STORE:/: multiscales[0].datasets[1].path: array '1' is not in the store
    """
    nstore = open_store(store, storage_options)
    return [p.text(nstore.name) for p in store_problems(nstore)]


def raise_for_problems(store: Any, storage_options: Mapping[str, Any] | None = None) -> None:
    """Raise :class:`~xarray_ngff.errors.ValidationError` listing every problem, if any."""
    nstore = open_store(store, storage_options)
    problems = validate_store(nstore)
    if problems:
        raise ValidationError(problems, store=nstore.name)


# -- single documents against the official schemas -----------------------------------------


def _plate_structure_rules(document: Mapping[str, Any]) -> list[str]:
    """The plate rules JSON Schema cannot express (well paths ``<row>/<column>`` of the
    plate's own names, indices pointing at them): what ``plate_problems``' structural rules
    add to its schema rules, so the document check and the store check share one rule set."""
    schema_only = plate_problems(document, "0.5", structural=False)
    return [p for p in plate_problems(document, "0.5", models=False) if p not in schema_only]


_REGISTRIES: dict[tuple[str, str], Any] = {}


def _registry(spec_dir: pathlib.Path, version: str):
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    key = (str(spec_dir), version)
    if key not in _REGISTRIES:
        resources = []
        for f in sorted((spec_dir / version / "schemas").glob("*.schema")):
            schema = json.loads(f.read_text())
            resources.append(
                (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
            )
        _REGISTRIES[key] = Registry().with_resources(resources)  # offline: no retrieve
    return _REGISTRIES[key]


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
    import jsonschema

    spec_dir = pathlib.Path(spec_dir)
    if "zarr_format" in document and isinstance(document.get("attributes"), Mapping):
        document = document["attributes"]
    path = spec_dir / version / "schemas" / f"{schema}.schema"
    contents = json.loads(path.read_text())
    validator = jsonschema.Draft202012Validator(contents, registry=_registry(spec_dir, version))
    out = [
        f"{_loc(tuple(e.absolute_path))}: {e.message}"
        for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
    body: Any = document.get("ome") if isinstance(document.get("ome"), Mapping) else document
    if version == "0.3" and isinstance(body.get("multiscales"), list):
        for i, entry in enumerate(body["multiscales"]):
            if isinstance(entry, Mapping) and isinstance(entry.get("axes"), list):
                out.extend(
                    f"{f}: {m}"
                    for f, m in _legacy_axes_rules(entry["axes"], f"multiscales[{i}].axes")
                )
    if version == "0.5" and "plate" in body:  # the 0.4 suite has plates with swapped paths
        out.extend(_plate_structure_rules(document))
    return out
