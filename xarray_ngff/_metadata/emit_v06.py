"""Emit 0.6 (RFC-5) ``multiscales`` entries, and check what older versions cannot express.

Every level maps into the intrinsic system (``scale``, or ``sequence[scale, translation]``
when the level is shifted) as the specification and its examples write; the further systems
and multiscales-level transforms the image carries are written back as they were read.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnsupportedVersionError
from .model import Multiscale
from .versions import VERSIONS

__all__ = ["DEFAULT_INTRINSIC", "multiscale_to_dict_v06", "extras", "check_expressible"]

DEFAULT_INTRINSIC = "intrinsic"  # ngff-zarr's name; the spec calls it the intrinsic system


def _level_transform(path: str, scale, translation, intrinsic: str) -> dict[str, Any]:
    io = {"input": {"path": path}, "output": {"name": intrinsic}}
    s = {"type": "scale", "scale": [float(v) for v in scale]}
    if translation is None or not any(t != 0 for t in translation):
        return {**s, **io}
    t = {"type": "translation", "translation": [float(v) for v in translation]}
    return {"type": "sequence", "transformations": [s, t], **io}


def _intrinsic_system(ms: Multiscale, name: str) -> dict[str, Any]:
    axes = [a.to_dict() for a in ms.axes]
    for cs in ms.coordinate_systems:
        if cs.get("name") != name:
            continue
        stored = cs.get("axes") or []
        same = [{k: a.get(k) for k in ("name", "type", "unit", "orientation")} for a in stored] == [
            {k: a.get(k) for k in ("name", "type", "unit", "orientation")} for a in axes
        ]
        if same:  # keep what was read verbatim (``discrete``, ``longName``...)
            return dict(cs)
    return {"name": name, "axes": axes}


def multiscale_to_dict_v06(ms: Multiscale) -> dict[str, Any]:
    """One 0.6 ``multiscales`` entry.

    Examples
    --------
    >>> from xarray_ngff._metadata.model import Axis, Dataset
    >>> ms = Multiscale((Axis("y", "space"), Axis("x", "space")),
    ...                 (Dataset("0", (2.0, 2.0), (1.0, 0.0)),), name="img")
    >>> d = multiscale_to_dict_v06(ms)
    >>> d["coordinateSystems"][0]["name"], d["datasets"][0]["coordinateTransformations"][0]["type"]
    ('intrinsic', 'sequence')
    """
    intrinsic = ms.intrinsic or DEFAULT_INTRINSIC
    out: dict[str, Any] = {}
    if ms.name is not None:
        out["name"] = ms.name
    systems = [_intrinsic_system(ms, intrinsic)]
    systems += [dict(cs) for cs in ms.coordinate_systems if cs.get("name") != intrinsic]
    # the read order is kept: the intrinsic system goes where it was
    names = [cs.get("name") for cs in ms.coordinate_systems]
    if intrinsic in names:
        systems.insert(names.index(intrinsic), systems.pop(0))
    out["coordinateSystems"] = systems
    n = len(ms.axes)
    out["datasets"] = [
        {
            "path": ds.path,
            "coordinateTransformations": [
                _level_transform(
                    ds.path,
                    ds.scale if ds.scale is not None else (1.0,) * n,
                    ds.translation,
                    intrinsic,
                )
            ],
        }
        for ds in ms.datasets
    ]
    if ms.transforms:
        out["coordinateTransformations"] = [dict(t) for t in ms.transforms]
    if ms.type is not None:
        out["type"] = ms.type
    if ms.metadata:
        out["metadata"] = ms.metadata
    return out


def extras(ms: Multiscale) -> list[str]:
    """What a 0.4/0.5 document cannot hold: systems beyond the intrinsic one, transforms."""
    intrinsic = ms.intrinsic or DEFAULT_INTRINSIC
    found = [
        f"coordinate system {cs.get('name')!r}"
        for cs in ms.coordinate_systems
        if cs.get("name") != intrinsic
    ]
    found += [f"{t.get('type')} transform {t.get('name') or ''}".rstrip() for t in ms.transforms]
    return found


def check_expressible(ms: Multiscale, version: str | None, drop: bool) -> Multiscale:
    """``ms`` ready for ``version``: 0.4/0.5 refuse 0.6-only content unless ``drop``.

    Examples
    --------
    >>> from xarray_ngff._metadata.model import Axis, Dataset
    >>> ms = Multiscale((Axis("x", "space"),), (Dataset("0", (1.0,)),),
    ...     transforms=({"type": "affine", "affine": [[2, 0]]},))
    >>> check_expressible(ms, "0.5", drop=True).transforms
    ()
    """
    from dataclasses import replace

    # versions with RFC-5 transforms express everything; unknown ones are refused by the writers
    if version is None or version not in VERSIONS or VERSIONS[version].transforms == "rfc5":
        return ms
    lost = extras(ms)
    if lost and not drop:
        raise UnsupportedVersionError(
            f"OME-NGFF {version} cannot express {', '.join(lost)} (0.6 coordinate systems and "
            "transformations): write version='0.6', or pass drop_transforms=True to write "
            "the image in its intrinsic system only",
            field="version",
        )
    return replace(ms, coordinate_systems=(), transforms=(), intrinsic=None)
