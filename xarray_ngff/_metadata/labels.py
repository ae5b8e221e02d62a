"""Parse label metadata: the ``labels`` group listing and each label image's ``image-label``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import MetadataError
from .parse import ome_attrs, path_list

__all__ = ["ImageLabel", "parse_labels_group", "parse_image_label"]


def parse_labels_group(attrs: Mapping[str, Any], *, store=None, path=None) -> list[str] | None:
    """The label image names listed by a ``labels`` group (``None`` when it lists none).

    The 0.4 ``labels`` key carries no version, so none is required here.

    Examples
    --------
    >>> parse_labels_group({"labels": ["cells", "nuclei"]})
    ['cells', 'nuclei']
    >>> parse_labels_group({"ome": {"version": "0.5", "labels": ["a"]}})
    ['a']
    >>> parse_labels_group({}) is None
    True
    """
    return path_list(attrs, "labels", "names", store=store, path=path)


@dataclass(frozen=True)
class ImageLabel:
    """The ``image-label`` metadata of a label image.

    Attributes
    ----------
    version
        As written (``None`` when absent).
    colors
        Label value -> RGBA tuple of 0-255 ints.
    properties
        Label value -> the other keys of its ``properties`` entry.
    source
        The ``source.image`` path (relative to the label image) or ``None``.
    """

    version: str | None = None
    colors: dict[int, tuple[int, ...]] = field(default_factory=dict)
    properties: dict[int, dict[str, Any]] = field(default_factory=dict)
    source: str | None = None


def parse_image_label(attrs: Mapping[str, Any], *, store=None, path=None) -> ImageLabel | None:
    """The ``image-label`` block of a label image's attributes, or ``None`` without one.

    Examples
    --------
    >>> lab = parse_image_label({"image-label": {"version": "0.4",
    ...     "colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}],
    ...     "properties": [{"label-value": 1, "area": 12}],
    ...     "source": {"image": "../../"}}})
    >>> lab.colors, lab.properties, lab.source
    ({1: (255, 0, 0, 255)}, {1: {'area': 12}}, '../../')
    """
    _, body = ome_attrs(attrs, store=store, path=path)
    raw = body.get("image-label")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise MetadataError(
            "'image-label' must be an object", store=store, path=path, field="image-label"
        )
    colors: dict[int, tuple[int, ...]] = {}
    for i, entry in enumerate(raw.get("colors") or []):
        where = f"image-label.colors[{i}]"
        try:
            colors[int(entry["label-value"])] = tuple(int(v) for v in entry["rgba"])
        except (KeyError, TypeError, ValueError):
            raise MetadataError(
                f"a color needs 'label-value' and 'rgba', got {entry!r}",
                store=store,
                path=path,
                field=where,
            ) from None
    properties: dict[int, dict[str, Any]] = {}
    for i, entry in enumerate(raw.get("properties") or []):
        if not isinstance(entry, Mapping) or "label-value" not in entry:
            raise MetadataError(
                f"a property entry needs 'label-value', got {entry!r}",
                store=store,
                path=path,
                field=f"image-label.properties[{i}]",
            )
        properties[int(entry["label-value"])] = {
            k: v for k, v in entry.items() if k != "label-value"
        }
    source = raw.get("source")
    image = source.get("image") if isinstance(source, Mapping) else None
    version = raw.get("version", body.get("version"))
    return ImageLabel(version, colors, properties, image if isinstance(image, str) else None)
