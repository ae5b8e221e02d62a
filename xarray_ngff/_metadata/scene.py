"""0.6 ``scene`` groups: which images a scene relates.

A scene's transforms name image groups by ``path`` in their ``input``/``output``; those are
the scene's images (in the order first named).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import MetadataError
from .parse import ome_attrs

__all__ = ["scene_image_paths"]


def scene_image_paths(attrs: Mapping[str, Any], *, store=None, path=None) -> list[str]:
    """The image paths a scene's transforms name.

    Examples
    --------
    >>> scene_image_paths({"ome": {"version": "0.6", "scene": {"coordinateTransformations": [
    ...     {"type": "identity", "input": {"name": "a", "path": "imgA"},
    ...      "output": {"name": "b", "path": "imgB"}}]}}})
    ['imgA', 'imgB']
    """
    _, body = ome_attrs(attrs, store=store, path=path)
    scene = body.get("scene")
    if not isinstance(scene, Mapping):
        raise MetadataError("'scene' must be an object", store=store, path=path, field="scene")
    transforms = scene.get("coordinateTransformations")
    if not isinstance(transforms, list):
        raise MetadataError(
            "a scene needs a 'coordinateTransformations' list",
            store=store,
            path=path,
            field="scene.coordinateTransformations",
        )
    out: list[str] = []
    for t in transforms:
        if not isinstance(t, Mapping):
            continue
        for key in ("input", "output"):
            ref = t.get(key)
            p = ref.get("path") if isinstance(ref, Mapping) else None
            if isinstance(p, str) and p.strip("/") and p.strip("/") not in out:
                out.append(p.strip("/"))
    return out
