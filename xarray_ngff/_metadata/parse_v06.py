"""Parse a 0.6 (RFC-5) ``multiscales`` entry into the internal model.

The intrinsic coordinate system (the ``output`` of every dataset transform) gives the axes;
each dataset's ``scale`` / ``identity`` / ``sequence[scale, translation]`` gives its geometry
in that system. The other coordinate systems and the multiscales-level transforms are kept
as written (``Multiscale.coordinate_systems`` / ``transforms``), so nothing is lost on a
round trip, and :mod:`xarray_ngff._transforms` maps points between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import MetadataError
from .model import Axis, Dataset, Multiscale
from .transforms import parse_coordinate_system, parse_transform

__all__ = ["parse_v06_entry", "intrinsic_name", "normalized_transform"]

_KNOWN = {
    "version",
    "name",
    "coordinateSystems",
    "coordinate_systems",
    "datasets",
    "coordinateTransformations",
    "coordinate_transformations",
    "type",
    "metadata",
}


def normalized_transform(raw: Any, **kw: Any) -> dict[str, Any]:
    """A transform object in released 0.6 spelling (string refs -> objects, camelCase keys).

    Examples
    --------
    >>> normalized_transform({"type": "identity", "input": "a", "output": "b"})
    {'type': 'identity', 'input': {'name': 'a'}, 'output': {'name': 'b'}}
    """
    return parse_transform(raw, **kw).to_dict()


def intrinsic_name(entry: Mapping[str, Any]) -> str | None:
    """The name of the system all dataset transforms map into (``None`` if undecidable)."""
    names = set()
    for d in entry.get("datasets") or []:
        for t in (d.get("coordinateTransformations") or []) if isinstance(d, Mapping) else []:
            out = t.get("output") if isinstance(t, Mapping) else None
            names.add(out.get("name") if isinstance(out, Mapping) else out)
    names.discard(None)
    return names.pop() if len(names) == 1 else None


def _dataset_geometry(
    raw: Any, n: int, *, store, path, field: str
) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None, dict | None]:
    from .._transform_graph import axis_aligned

    if not isinstance(raw, list) or len(raw) != 1:
        raise MetadataError(
            "a 0.6 dataset needs exactly one coordinate transformation (scale, identity or "
            "sequence[scale, translation]) into the intrinsic system",
            store=store,
            path=path,
            field=field,
        )
    t = parse_transform(raw[0], store=store, path=path, field=f"{field}[0]")
    reduced = axis_aligned(t, n)
    if reduced is None or reduced[0] != tuple(range(n)):
        raise MetadataError(
            f"dataset transform {t.type!r} is not a per-axis scale and translation; "
            "0.6 allows scale, identity or sequence[scale, translation] here",
            store=store,
            path=path,
            field=f"{field}[0]",
        )
    _, scale, translation = reduced
    return (
        tuple(float(v) for v in scale),
        tuple(float(v) for v in translation),
        t.to_dict(),
    )


def parse_v06_entry(
    entry: Mapping[str, Any], version: str | None, *, store=None, path=None, field: str
) -> Multiscale:
    """One 0.6 ``multiscales`` entry.

    Examples
    --------
    >>> ms = parse_v06_entry({"coordinateSystems": [{"name": "phys", "axes": [
    ...     {"name": "y", "type": "space"}, {"name": "x", "type": "space"}]}],
    ...     "datasets": [{"path": "0", "coordinateTransformations": [{"type": "sequence",
    ...         "input": {"path": "0"}, "output": {"name": "phys"}, "transformations": [
    ...         {"type": "scale", "scale": [2, 2]},
    ...         {"type": "translation", "translation": [1, 0]}]}]}]}, "0.6", field="m")
    >>> ms.axis_names, ms.datasets[0].scale, ms.datasets[0].translation
    (('y', 'x'), (2.0, 2.0), (1.0, 0.0))
    """
    kw = dict(store=store, path=path)
    raw_systems = entry.get("coordinateSystems", entry.get("coordinate_systems"))
    if not isinstance(raw_systems, list) or not raw_systems:
        raise MetadataError(
            "0.6 images need a non-empty 'coordinateSystems' list",
            field=f"{field}.coordinateSystems",
            **kw,
        )
    systems = [
        parse_coordinate_system(c, field=f"{field}.coordinateSystems[{i}]", **kw)
        for i, c in enumerate(raw_systems)
    ]
    by_name = {c.name: c for c in systems}
    if len(by_name) != len(systems):
        raise MetadataError(
            "coordinate system names must be unique", field=f"{field}.coordinateSystems", **kw
        )
    datasets_raw = entry.get("datasets")
    if not isinstance(datasets_raw, list) or not datasets_raw:
        raise MetadataError("'datasets' must be a non-empty list", field=f"{field}.datasets", **kw)
    intrinsic = intrinsic_name(entry)
    if intrinsic is None or intrinsic not in by_name:
        raise MetadataError(
            "every dataset transform must output the same coordinate system, defined in "
            f"'coordinateSystems' ({sorted(by_name)}); found {intrinsic!r}",
            field=f"{field}.datasets",
            **kw,
        )
    cs = by_name[intrinsic]
    axes = tuple(
        Axis(a.name, a.type, a.unit, raw.get("orientation"))
        for a, raw in zip(cs.axes, cs.raw_axes, strict=True)
    )
    datasets = []
    for j, d in enumerate(datasets_raw):
        dfield = f"{field}.datasets[{j}]"
        if not isinstance(d, Mapping) or not isinstance(d.get("path"), str):
            raise MetadataError("each dataset needs a string 'path'", field=dfield, **kw)
        scale, translation, _ = _dataset_geometry(
            d.get("coordinateTransformations"),
            len(axes),
            field=f"{dfield}.coordinateTransformations",
            **kw,
        )
        datasets.append(Dataset(d["path"].strip("/"), scale, translation))
    raw_ms = entry.get("coordinateTransformations", entry.get("coordinate_transformations"))
    if raw_ms is not None and not isinstance(raw_ms, list):
        raise MetadataError(
            "coordinateTransformations must be a list",
            field=f"{field}.coordinateTransformations",
            **kw,
        )
    transforms = tuple(
        normalized_transform(t, field=f"{field}.coordinateTransformations[{i}]", **kw)
        for i, t in enumerate(raw_ms or [])
    )
    return Multiscale(
        axes=axes,
        datasets=tuple(datasets),
        name=entry.get("name"),
        type=entry.get("type"),
        metadata=entry.get("metadata"),
        version=version,
        extra={k: v for k, v in entry.items() if k not in _KNOWN},
        coordinate_systems=tuple(c.to_dict() for c in systems),
        transforms=transforms,
        intrinsic=intrinsic,
    )
