"""The one internal model of multiscale image metadata, independent of NGFF version.

Parsers (:mod:`xarray_ngff._metadata.parse`) turn 0.1–0.5 JSON into it; emitters
(:mod:`xarray_ngff._metadata.emit`) write 0.4 or 0.5 JSON from it. Geometry is per dataset:
``scale`` and ``translation`` have one entry per axis, in axis order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Axis", "Dataset", "Multiscale", "SUPPORTED_READ", "SUPPORTED_WRITE"]

from .versions import READABLE as SUPPORTED_READ
from .versions import WRITABLE as SUPPORTED_WRITE


@dataclass(frozen=True)
class Axis:
    """An NGFF axis.

    Examples
    --------
    >>> Axis("x", "space", "micrometer").to_dict()
    {'name': 'x', 'type': 'space', 'unit': 'micrometer'}
    """

    name: str
    type: str | None = None
    unit: str | None = None
    orientation: Any = None  # RFC-4 (0.9.dev1; ngff-zarr also writes it into 0.4/0.5)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.type is not None:
            out["type"] = self.type
        if self.unit is not None:
            out["unit"] = self.unit
        if self.orientation is not None:
            out["orientation"] = self.orientation
        return out


@dataclass(frozen=True)
class Dataset:
    """One resolution level: its path (relative to the image group) and its geometry.

    ``scale``/``translation`` are ``None`` when the source metadata carried no transform
    (NGFF 0.1–0.3); readers then derive them from array shapes.
    """

    path: str
    scale: tuple[float, ...] | None = None
    translation: tuple[float, ...] | None = None


@dataclass
class Multiscale:
    """One entry of a ``multiscales`` list.

    Attributes
    ----------
    axes, datasets
        As in NGFF; datasets ordered from highest to lowest resolution.
    name
        The image name (``None`` when absent).
    type, metadata
        Downsampling method and its free-form description.
    version
        The NGFF version the metadata was read from or is meant for (``None``: neutral).
    scale, translation
        The optional multiscale-level transform, applied after each dataset's own (0.1-0.5).
    coordinate_systems, transforms
        0.6: every coordinate system of the image and the multiscales-level transforms to
        further systems (plain JSON, as written).
    intrinsic
        0.6: the name of the system the datasets map into, which ``axes`` and the dataset
        geometry describe.
    """

    axes: tuple[Axis, ...]
    datasets: tuple[Dataset, ...]
    name: str | None = None
    type: str | None = None
    metadata: dict[str, Any] | None = None
    version: str | None = None
    scale: tuple[float, ...] | None = None
    translation: tuple[float, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    coordinate_systems: tuple[dict[str, Any], ...] = ()
    transforms: tuple[dict[str, Any], ...] = ()
    intrinsic: str | None = None

    @property
    def axis_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)
