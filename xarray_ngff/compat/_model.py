"""ngff-zarr 0.50's metadata dataclasses (fields and order as there), filled from ours.

These are plain records: :class:`Metadata` describes a pyramid as ngff-zarr's OME-Zarr 0.4
model does. They are views made from the version-neutral
:class:`xarray_ngff._metadata.Multiscale` and the plate metadata; the xarray objects stay
the source of truth, so editing a record does not change a pyramid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._metadata.model import Multiscale
from .._metadata.plate import PlateMetadata, WellMetadata
from ._repr import Pretty

__all__ = [
    "Axis",
    "Identity",
    "Scale",
    "Translation",
    "Dataset",
    "OmeroWindow",
    "OmeroChannel",
    "Omero",
    "MethodMetadata",
    "Metadata",
    "PlateAcquisition",
    "PlateColumn",
    "PlateRow",
    "PlateWell",
    "Plate",
    "WellImage",
    "Well",
    "metadata_from_multiscale",
    "plate_from_metadata",
    "well_from_metadata",
]


@dataclass(repr=False)
class Axis(Pretty):
    """An axis: ``name``, ``type`` (``space``, ``time``, ``channel``), ``unit``."""

    name: str
    type: str | None
    unit: str | None = None
    orientation: Any = None
    _shown = ("name", "type", "unit")


@dataclass(repr=False)
class Identity(Pretty):
    type: str = "identity"


@dataclass(repr=False)
class Scale(Pretty):
    scale: list[float]
    type: str = "scale"


@dataclass(repr=False)
class Translation(Pretty):
    translation: list[float]
    type: str = "translation"


@dataclass(repr=False)
class Dataset(Pretty):
    """One level: its path and its ``Scale``/``Translation`` transformations."""

    path: str
    coordinateTransformations: list[Any]  # noqa: N815 - the NGFF field name


@dataclass(repr=False)
class OmeroWindow(Pretty):
    min: float
    max: float
    start: float
    end: float


@dataclass(repr=False)
class OmeroChannel(Pretty):
    color: str
    window: OmeroWindow
    label: str | None = None


@dataclass(repr=False)
class Omero(Pretty):
    channels: list[OmeroChannel]


@dataclass(repr=False)
class MethodMetadata(Pretty):
    description: str
    method: str
    version: str


@dataclass(repr=False)
class Metadata(Pretty):
    """A ``multiscales`` entry as ngff-zarr models it.

    ``type`` and ``metadata`` (the downsampling method and its description) are fields but
    not shown in the repr, which prints what ngff-zarr's documentation shows.
    """

    axes: list[Axis]
    datasets: list[Dataset]
    coordinateTransformations: list[Any] | None  # noqa: N815 - the NGFF field name
    omero: Omero | None = None
    name: str = "image"
    version: str = "0.4"
    type: str | None = field(default=None, repr=False)
    metadata: MethodMetadata | None = field(default=None, repr=False)
    extra: dict = field(default_factory=dict, repr=False)
    _shown = ("axes", "datasets", "coordinateTransformations", "name", "version")


def _transforms(scale, translation) -> list[Any]:
    out: list[Any] = []
    if scale is not None:
        out.append(Scale([float(v) for v in scale]))
    if translation is not None:
        out.append(Translation([float(v) for v in translation]))
    return out or [Identity()]


def _omero(doc: Any) -> Omero | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("channels"), list):
        return None
    channels = []
    for ch in doc["channels"]:
        w = ch.get("window") or {}
        window = OmeroWindow(*(float(w.get(k, 0.0)) for k in ("min", "max", "start", "end")))
        channels.append(OmeroChannel(str(ch.get("color", "FFFFFF")), window, ch.get("label")))
    return Omero(channels)


def metadata_from_multiscale(
    ms: Multiscale, version: str | None = None, omero: Any = None
) -> Metadata:
    """ngff-zarr's :class:`Metadata` of a version-neutral multiscale entry.

    Examples
    --------
    >>> import numpy as np, xarray_ngff as xn
    >>> tree = xn.to_multiscales(np.zeros((8, 8)), scale_factors=[2])
    >>> meta = metadata_from_multiscale(tree.ngff.metadata)
    >>> meta.datasets[1].path, meta.datasets[1].coordinateTransformations[0].scale
    ('scale1/image', [2.0, 2.0])
    """
    described = ms.metadata if isinstance(ms.metadata, dict) else None
    top = None
    if ms.scale is not None or ms.translation is not None:
        top = _transforms(ms.scale, ms.translation)
    return Metadata(
        axes=[Axis(a.name, a.type, a.unit) for a in ms.axes],
        datasets=[Dataset(d.path, _transforms(d.scale, d.translation)) for d in ms.datasets],
        coordinateTransformations=top,
        omero=_omero(omero),
        name=ms.name or "image",
        version=version or "0.4",
        type=ms.type,
        metadata=(
            MethodMetadata(
                str(described.get("description", "")),
                str(described.get("method", "")),
                str(described.get("version", "")),
            )
            if described
            else None
        ),
    )


# -- HCS --------------------------------------------------------------------------------------


@dataclass(repr=False)
class PlateAcquisition(Pretty):
    id: int
    name: str | None = None
    maximumfieldcount: int | None = None
    description: str | None = None
    starttime: int | None = None
    endtime: int | None = None


@dataclass(repr=False)
class PlateColumn(Pretty):
    name: str


@dataclass(repr=False)
class PlateRow(Pretty):
    name: str


@dataclass(repr=False)
class PlateWell(Pretty):
    path: str
    rowIndex: int  # noqa: N815 - the NGFF field name
    columnIndex: int  # noqa: N815 - the NGFF field name


@dataclass(repr=False)
class Plate(Pretty):
    columns: list[PlateColumn]
    rows: list[PlateRow]
    wells: list[PlateWell]
    version: str = "0.4"
    acquisitions: list[PlateAcquisition] | None = None
    field_count: int | None = None
    name: str | None = None


@dataclass(repr=False)
class WellImage(Pretty):
    path: str
    acquisition: int | None = None


@dataclass(repr=False)
class Well(Pretty):
    images: list[WellImage]
    version: str = "0.4"


def plate_from_metadata(meta: PlateMetadata) -> Plate:
    """ngff-zarr's :class:`Plate` record of our plate metadata."""
    acquisitions = None
    if meta.acquisitions:
        acquisitions = [
            PlateAcquisition(
                a.id, a.name, a.maximumfieldcount, a.description, a.starttime, a.endtime
            )
            for a in meta.acquisitions
        ]
    return Plate(
        columns=[PlateColumn(c.name) for c in meta.columns],
        rows=[PlateRow(r.name) for r in meta.rows],
        wells=[PlateWell(w.path, w.rowIndex, w.columnIndex) for w in meta.wells],
        version=meta.version or "0.4",
        acquisitions=acquisitions,
        field_count=meta.field_count,
        name=meta.name,
    )


def well_from_metadata(meta: WellMetadata) -> Well:
    """ngff-zarr's :class:`Well` record of our well metadata."""
    images = [WellImage(i.path, i.acquisition) for i in meta.images]
    return Well(images, getattr(meta, "version", None) or "0.4")
