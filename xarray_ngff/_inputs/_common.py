"""What every input reader shares: :class:`InputImage`, building an NGFF image from a
source array, lazy wrapping and the geometry of stored lower levels."""

from __future__ import annotations

import math
import pathlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dask.array as da
import xarray as xr

from .._image import (
    image_scale,
    image_translation,
    ngff_order,
    to_ngff_image,
    validate_dims,
)

__all__ = [
    "TIFF_SUFFIXES",
    "InputImage",
    "build_image",
    "lazy",
    "level_geometry",
    "stem",
    "to_ngff_order",
]

TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf8", ".tf2")


@dataclass
class InputImage:
    """An image read from a file or store.

    Attributes
    ----------
    levels
        NGFF images, finest first; more than one when the source stores a pyramid.
    format
        What was read: ``"ome-tiff"``, ``"imagej-tiff"``, ``"tiff"``, ``"imageio"``,
        ``"zarr"`` or ``"ome-zarr"``.
    source
        The path or URL, as given.
    notes
        Things the reader decided that a user may want to know (printed by the CLI).
    """

    levels: list[xr.DataArray]
    format: str
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def image(self) -> xr.DataArray:
        """The full-resolution level."""
        return self.levels[0]


def lazy(array: Any, previous_chunks: Sequence[int] | None = None) -> da.Array:
    """Wrap a lazily indexable array in dask, with chunks that are multiples of its own."""
    chunks = da.core.normalize_chunks(
        "auto", array.shape, dtype=array.dtype, previous_chunks=previous_chunks
    )
    return da.from_array(array, chunks=chunks, name=False)


def to_ngff_order(image: xr.DataArray) -> xr.DataArray:
    order = ngff_order(image.dims)
    return image if tuple(image.dims) == order else image.transpose(*order)


def build_image(
    data: Any,
    dims: Sequence[str],
    drop: Sequence[int] = (),
    scale: Mapping[str, float] | None = None,
    translation: Mapping[str, float] | None = None,
    units: Mapping[str, str | None] | None = None,
    channel_names: Sequence[str] | None = None,
    name: str = "image",
) -> xr.DataArray:
    if drop:
        data = data[tuple(0 if i in drop else slice(None) for i in range(data.ndim))]
    dims = validate_dims(dims, data.ndim)
    scale = {d: v for d, v in (scale or {}).items() if d in dims and d != "c"}
    translation = {d: v for d, v in (translation or {}).items() if d in dims and d != "c"}
    units = {d: u for d, u in (units or {}).items() if d in dims and d != "c" and u}
    if channel_names is not None and (
        "c" not in dims or len(channel_names) != data.shape[dims.index("c")]
    ):
        channel_names = None
    image = to_ngff_image(
        data,
        dims=dims,
        scale=scale,
        translation=translation,
        axes_units=units,
        channel_names=channel_names,
        name=name,
    )
    return to_ngff_order(image)


def level_geometry(
    base: xr.DataArray, shape: Mapping[str, int]
) -> tuple[dict[str, float], dict[str, float]]:
    """Scale and translation of a stored lower-resolution level whose geometry is implicit.

    The factor per dim is the size ratio to level 0; pixels are taken to sit at the centre of
    the window they summarise (as every window-averaging pyramid does).
    """
    scale0, trans0 = image_scale(base), image_translation(base)
    scale, translation = {}, {}
    for d in scale0:
        ratio = base.sizes[d] / shape[d]
        f = round(ratio) if math.isclose(ratio, round(ratio), rel_tol=0.02) else ratio
        scale[d] = scale0[d] * f
        translation[d] = trans0[d] + (f - 1) * scale0[d] / 2
    return scale, translation


def stem(path: str) -> str:
    name = pathlib.PurePath(path.rstrip("/")).name
    for suffix in (".ome.tiff", ".ome.tif", ".ome.zarr", *TIFF_SUFFIXES, ".zarr"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or "image"
    return pathlib.PurePath(name).stem or "image"
