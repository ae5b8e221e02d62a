"""Emit NGFF JSON (0.4, 0.5 or the version-neutral form) from the internal model."""

from __future__ import annotations

from typing import Any

from .emit_v06 import check_expressible, multiscale_to_dict_v06
from .model import Multiscale
from .versions import VERSIONS, writable_version

__all__ = ["multiscale_to_dict", "image_attrs"]


def _transforms(scale, translation) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"type": "scale", "scale": [float(s) for s in scale]}]
    if translation is not None and any(t != 0 for t in translation):
        out.append({"type": "translation", "translation": [float(t) for t in translation]})
    return out


def multiscale_to_dict(ms: Multiscale, version: str | None) -> dict[str, Any]:
    """One ``multiscales`` entry; ``version=None`` gives the neutral form (no version key).

    Examples
    --------
    >>> from xarray_ngff._metadata.model import Axis, Dataset
    >>> ms = Multiscale((Axis("y", "space"), Axis("x", "space")),
    ...                 (Dataset("0", (1.0, 1.0), (0.0, 0.0)),), name="img")
    >>> multiscale_to_dict(ms, "0.4")["datasets"]
    [{'path': '0', 'coordinateTransformations': [{'type': 'scale', 'scale': [1.0, 1.0]}]}]
    """
    out: dict[str, Any] = {}
    info = VERSIONS.get(version) if version is not None else None
    if info is not None and info.writable and not info.envelope:  # no envelope: in the entry
        out["version"] = info.written_as
    if ms.name is not None:
        out["name"] = ms.name
    out["axes"] = [a.to_dict() for a in ms.axes]
    datasets = []
    for ds in ms.datasets:
        n = len(ms.axes)
        scale = ds.scale if ds.scale is not None else (1.0,) * n
        datasets.append(
            {"path": ds.path, "coordinateTransformations": _transforms(scale, ds.translation)}
        )
    out["datasets"] = datasets
    if ms.scale is not None:
        out["coordinateTransformations"] = _transforms(ms.scale, ms.translation)
    if ms.type is not None:
        out["type"] = ms.type
    if ms.metadata:
        out["metadata"] = ms.metadata
    return out


def image_attrs(
    multiscales: list[Multiscale],
    version: str | None,
    omero: dict[str, Any] | None = None,
    *,
    drop_transforms: bool = False,
) -> dict[str, Any]:
    """Group attributes of an image for ``version`` ("0.4", "0.5", "0.6" or ``None`` for
    neutral). 0.6-only content (further coordinate systems, transforms) is refused for older
    versions unless ``drop_transforms``.

    Examples
    --------
    >>> from xarray_ngff._metadata.model import Axis, Dataset
    >>> ms = Multiscale((Axis("y", "space"), Axis("x", "space")),
    ...                 (Dataset("s0", (1.0, 1.0), None),))
    >>> list(image_attrs([ms], "0.5")["ome"])
    ['version', 'multiscales']
    """
    info = writable_version(version) if version is not None else None
    multiscales = [check_expressible(m, version, drop_transforms) for m in multiscales]
    if info is not None and info.axes == "coordinateSystems":
        entries = [multiscale_to_dict_v06(m) for m in multiscales]
    else:
        entries = [multiscale_to_dict(m, version) for m in multiscales]
    body: dict[str, Any] = {"multiscales": entries}
    if omero is not None:
        body["omero"] = omero
    if info is not None and info.envelope:
        return {"ome": {"version": info.written_as, **body}}
    return body
