"""Parse OME-NGFF 0.1–0.5 image metadata (and the neutral form) into the internal model."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import MetadataError, NotOmeZarrError, UnsupportedVersionError, json_value
from .geometry import compose_axis_aligned
from .model import SUPPORTED_READ, Axis, Dataset, Multiscale
from .parse_v06 import parse_v06_entry
from .versions import ENVELOPE_VERSION, VERSIONS

__all__ = ["normalize_version", "ome_attrs", "parse_multiscales", "parse_image", "path_list"]

_AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)")


def normalize_version(version: Any, *, store=None, path=None) -> str:
    """``"0.5-dev2"`` -> ``"0.5"``; unknown versions raise UnsupportedVersionError.

    Examples
    --------
    >>> normalize_version("0.4"), normalize_version("0.5-dev1"), normalize_version("0.1.0")
    ('0.4', '0.5', '0.1')
    """
    m = _VERSION_RE.match(str(version))
    short = f"{m.group(1)}.{m.group(2)}" if m else None
    if short not in SUPPORTED_READ:
        raise UnsupportedVersionError(
            f"OME-NGFF version {version!r} is not supported (readable: {SUPPORTED_READ})",
            store=store,
            path=path,
            field="version",
        )
    return short  # type: ignore[return-value]


def ome_attrs(attrs: Mapping[str, Any], *, store=None, path=None) -> tuple[str | None, dict]:
    """Unwrap the 0.5 ``ome`` key: returns (version or None, the OME body)."""
    if "ome" in attrs and isinstance(attrs["ome"], Mapping):
        body = dict(attrs["ome"])
        version = body.get("version")
        short = normalize_version(version, store=store, path=path) if version else ENVELOPE_VERSION
        return short, body
    return None, dict(attrs)


def path_list(
    attrs: Mapping[str, Any], key: str, what: str, *, store=None, path=None
) -> list[str] | None:
    """The list of relative paths under ``key`` (``labels``, ``series``), ``None`` if absent.

    Examples
    --------
    >>> path_list({"ome": {"version": "0.5", "labels": ["a/"]}}, "labels", "names")
    ['a']
    """
    _, body = ome_attrs(attrs, store=store, path=path)
    items = body.get(key)
    if items is None:
        return None
    if not isinstance(items, list) or not all(isinstance(n, str) for n in items):
        raise MetadataError(
            f"'{key}' must be a list of {what}, got {items!r}", store=store, path=path, field=key
        )
    return [n.strip("/") for n in items]


def _transforms(
    items: Any, n_axes: int, *, store, path, field: str
) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    if items is None:
        return None, None
    if not isinstance(items, list):
        raise MetadataError(
            "coordinateTransformations must be a list", store=store, path=path, field=field
        )
    steps: list[tuple[str, tuple[float, ...]]] = []
    _axis_aligned_steps(_one_system(items), n_axes, steps, store=store, path=path, field=field)
    return compose_axis_aligned(steps)


def _output_name(tr: Any) -> Any:
    out = tr.get("output") if isinstance(tr, Mapping) else None
    return out.get("name") if isinstance(out, Mapping) else out


def _one_system(items: list) -> list:
    """spatialdata lists one transform per target coordinate system (each with an
    ``output`` name): the first is the image's geometry, the rest are alternatives."""
    named = [_output_name(tr) for tr in items]
    if len(items) > 1 and all(n is not None for n in named) and len(set(named)) > 1:
        return items[:1]
    return items


def _axis_aligned_steps(items: list, n_axes: int, steps: list, *, store, path, field: str) -> None:
    for i, tr in enumerate(items):
        kind = tr.get("type") if isinstance(tr, Mapping) else None
        where = f"{field}[{i}]"
        if kind == "identity":
            continue
        if kind == "sequence" and isinstance(tr.get("transformations"), list):
            # spatialdata's 0.4/0.5 variants: axis-aligned sequences read as geometry
            _axis_aligned_steps(
                tr["transformations"],
                n_axes,
                steps,
                store=store,
                path=path,
                field=f"{where}.transformations",
            )
            continue
        if kind not in ("scale", "translation"):
            raise MetadataError(
                f"unsupported coordinate transformation {kind!r}",
                store=store,
                path=path,
                field=where,
            )
        if kind not in tr:
            how = "a 'path' to binary data" if "path" in tr else "no values"
            raise MetadataError(
                f"{kind} transformation with {how} is not supported",
                store=store,
                path=path,
                field=where,
            )
        values = tr[kind]
        if not isinstance(values, list) or len(values) != n_axes:
            raise MetadataError(
                f"{kind} must list {n_axes} numbers (one per axis), got {values!r}",
                store=store,
                path=path,
                field=where,
            )
        try:
            values = tuple(float(v) for v in values)
        except (TypeError, ValueError):
            raise MetadataError(
                f"{kind} values must be numbers, got {values!r}",
                store=store,
                path=path,
                field=where,
            ) from None
        steps.append((kind, values))


def _optional_str(value: Any, *, store, path, field: str) -> str | None:
    """A metadata value that must be a string when present (JSON null counts as absent)."""
    if value is None or isinstance(value, str):
        return value
    raise MetadataError(
        f"must be a string, got {json_value(value)}",
        store=store,
        path=path,
        field=field,
    )


def _axes(raw: Any, version: str | None, *, store, path, field: str) -> tuple[Axis, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise MetadataError("axes must be a list", store=store, path=path, field=field)
    axes = []
    for i, a in enumerate(raw):
        if isinstance(a, str):  # 0.3
            axes.append(Axis(a, _AXIS_TYPES.get(a)))
        elif isinstance(a, Mapping) and isinstance(a.get("name"), str):
            where = f"{field}[{i}]"
            kind = _optional_str(a.get("type"), store=store, path=path, field=f"{where}.type")
            unit = _optional_str(a.get("unit"), store=store, path=path, field=f"{where}.unit")
            axes.append(Axis(a["name"], kind, unit, a.get("orientation")))
        else:
            raise MetadataError(
                f"axis must be a name or an object with a name, got {a!r}",
                store=store,
                path=path,
                field=f"{field}[{i}]",
            )
    return tuple(axes)


def parse_multiscales(
    attrs: Mapping[str, Any], *, store=None, path: str | None = None
) -> tuple[str | None, list[Multiscale], dict[str, Any] | None]:
    """Parse the image metadata of one group.

    Returns ``(version, multiscales, omero)``; ``version`` is ``None`` for the neutral form
    written on in-memory pyramids. Version 0.1/0.2 images without ``axes`` get the 5D
    ``t, c, z, y, x`` axes the specification fixes.

    Raises
    ------
    NotOmeZarrError
        No ``multiscales`` in the attributes.
    MetadataError
        Anything malformed, naming the field.

    Examples
    --------
    >>> v, ms, omero = parse_multiscales({"multiscales": [{"version": "0.3",
    ...     "axes": ["y", "x"], "datasets": [{"path": "0"}, {"path": "1"}]}]})
    >>> v, ms[0].axis_names, [d.path for d in ms[0].datasets]
    ('0.3', ('y', 'x'), ['0', '1'])
    """
    outer_version, body = ome_attrs(attrs, store=store, path=path)
    raw = body.get("multiscales")
    if raw is None:
        raise NotOmeZarrError(
            "no 'multiscales' metadata: not an OME-NGFF image",
            store=store,
            path=path,
            field="multiscales",
        )
    if not isinstance(raw, list) or not raw:
        raise MetadataError(
            "'multiscales' must be a non-empty list", store=store, path=path, field="multiscales"
        )
    result = []
    version = outer_version
    for i, entry in enumerate(raw):
        field = f"multiscales[{i}]"
        if not isinstance(entry, Mapping):
            raise MetadataError("must be an object", store=store, path=path, field=field)
        v = outer_version
        if v is None and entry.get("version") is not None:
            v = normalize_version(entry["version"], store=store, path=path)
        version = version or v
        rfc5 = v is not None and VERSIONS[v].transforms == "rfc5"
        # early 0.6 drafts may still list "axes" without coordinate systems
        if (
            "coordinateSystems" in entry
            or "coordinate_systems" in entry
            or (rfc5 and "axes" not in entry)
        ):
            result.append(parse_v06_entry(entry, v, store=store, path=path, field=field))
            continue
        axes = _axes(entry.get("axes"), v, store=store, path=path, field=f"{field}.axes")
        if axes is None:
            # axes are written from 0.3 on (0.1/0.2 fix tczyx)
            if v is not None and VERSIONS[v].axes in ("names", "objects"):
                raise MetadataError(
                    f"'axes' is required in version {v}",
                    store=store,
                    path=path,
                    field=f"{field}.axes",
                )
            axes = tuple(Axis(n, _AXIS_TYPES[n]) for n in "tczyx")
        datasets_raw = entry.get("datasets")
        if not isinstance(datasets_raw, list) or not datasets_raw:
            raise MetadataError(
                "'datasets' must be a non-empty list",
                store=store,
                path=path,
                field=f"{field}.datasets",
            )
        datasets = []
        for j, d in enumerate(datasets_raw):
            dfield = f"{field}.datasets[{j}]"
            if not isinstance(d, Mapping) or not isinstance(d.get("path"), str):
                raise MetadataError(
                    "each dataset needs a string 'path'", store=store, path=path, field=dfield
                )
            if not d["path"].strip("/"):
                raise MetadataError(
                    "a dataset 'path' must name an array, got an empty string",
                    store=store,
                    path=path,
                    field=f"{dfield}.path",
                )
            scale, translation = _transforms(
                d.get("coordinateTransformations"),
                len(axes),
                store=store,
                path=path,
                field=f"{dfield}.coordinateTransformations",
            )
            datasets.append(Dataset(d["path"].strip("/"), scale, translation))
        ms_scale, ms_translation = _transforms(
            entry.get("coordinateTransformations"),
            len(axes),
            store=store,
            path=path,
            field=f"{field}.coordinateTransformations",
        )
        known = {
            "version",
            "name",
            "axes",
            "datasets",
            "coordinateTransformations",
            "type",
            "metadata",
        }
        result.append(
            Multiscale(
                axes=axes,
                datasets=tuple(datasets),
                name=_optional_str(
                    entry.get("name"), store=store, path=path, field=f"{field}.name"
                ),
                type=_optional_str(
                    entry.get("type"), store=store, path=path, field=f"{field}.type"
                ),
                metadata=entry.get("metadata"),
                version=v,
                scale=ms_scale,
                translation=ms_translation,
                extra={k: val for k, val in entry.items() if k not in known},
            )
        )
    omero = body.get("omero")
    return version, result, (dict(omero) if isinstance(omero, Mapping) else None)


def parse_image(attrs: Mapping[str, Any], *, store=None, path=None) -> Multiscale:
    """The first multiscale image of a group (NGFF says readers use the first)."""
    return parse_multiscales(attrs, store=store, path=path)[1][0]
