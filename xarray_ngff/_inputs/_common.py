"""What every input reader shares: :class:`InputImage`, building an NGFF image from a
source array, lazy wrapping and the geometry of stored lower levels (the reader's
:func:`~xarray_ngff._metadata.geometry.level_geometry`, window-centred)."""

from __future__ import annotations

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
from .._metadata.geometry import level_geometry as model_level_geometry
from .._metadata.model import Axis, Dataset, Multiscale

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

    The spacing is the reader's for a level without transforms
    (:func:`xarray_ngff._metadata.geometry.level_geometry`: level 0's spacing times the integer
    factor whose floor or ceiling division gives the level's size, else the size ratio), so a
    TIFF sub-resolution and an OME-Zarr 0.1-0.3 level of the same shapes get the same spacing.
    The origin differs on purpose: a TIFF sub-resolution is a reduced image whose pixel sums
    up a window of ``f`` level-0 pixels, so its centre sits ``(f - 1) / 2`` level-0 pixels in
    (``t0 + (S - s0) / 2``), where 0.1-0.3 writers subsampled ``[::f]`` and keep ``t0``.

    Examples
    --------
    >>> import numpy as np
    >>> from xarray_ngff import to_ngff_image
    >>> base = to_ngff_image(np.zeros((5, 8)), scale={"y": 0.5, "x": 0.5})
    >>> level_geometry(base, {"y": 3, "x": 4})
    ({'y': 1.0, 'x': 1.0}, {'y': 0.25, 'x': 0.25})
    """
    scale0, trans0 = image_scale(base), image_translation(base)
    dims = list(scale0)
    # level 0's geometry is the multiscales-level transform of a model without dataset ones
    model = Multiscale(
        tuple(Axis(d) for d in dims),
        (Dataset("0"), Dataset("1")),
        scale=tuple(scale0[d] for d in dims),
        translation=tuple(trans0[d] for d in dims),
    )
    shapes = [tuple(base.sizes[d] for d in dims), tuple(shape[d] for d in dims)]
    scale, origin = model_level_geometry(model, 1, shapes)
    return (
        dict(zip(dims, scale, strict=True)),
        {d: o + (s - scale0[d]) / 2 for d, s, o in zip(dims, scale, origin, strict=True)},
    )


def stem(path: str) -> str:
    name = pathlib.PurePath(path.rstrip("/")).name
    for suffix in (".ome.tiff", ".ome.tif", ".ome.zarr", *TIFF_SUFFIXES, ".zarr"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or "image"
    return pathlib.PurePath(name).stem or "image"
