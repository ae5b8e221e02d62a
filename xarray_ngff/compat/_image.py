"""ngff-zarr's ``NgffImage``, ``NgffMultiscales`` and ``Methods``, as views of xarray objects.

An :class:`NgffImage` holds the very dask array of its DataArray (no pixel copy) and the
geometry read from its coordinates; :meth:`NgffImage.to_xarray` gives the DataArray back (the
same object while nothing was edited). An :class:`NgffMultiscales` holds its images and
ngff-zarr's metadata record, and :meth:`NgffMultiscales.to_datatree` gives the pyramid
DataTree that the rest of xarray-ngff works on.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dask.array as da
import xarray as xr

from .. import _image, _pyramid
from .._bridge import OURS, method_name
from ..errors import InvalidScaleFactorsError
from ._model import Metadata, metadata_from_multiscale
from ._repr import Pretty

__all__ = [
    "OURS",
    "Methods",
    "NgffImage",
    "NgffMultiscales",
    "Multiscales",
    "method_name",
    "to_ngff_image",
    "to_multiscales",
]


class Methods(enum.Enum):
    """ngff-zarr's downsampling methods; each runs our nearest method (see :data:`OURS`)."""

    ITKWASM_GAUSSIAN = "itkwasm_gaussian"
    ITKWASM_BIN_SHRINK = "itkwasm_bin_shrink"
    ITKWASM_LABEL_IMAGE = "itkwasm_label_image"
    ITK_GAUSSIAN = "itk_gaussian"
    ITK_BIN_SHRINK = "itk_bin_shrink"
    DASK_IMAGE_GAUSSIAN = "dask_image_gaussian"
    DASK_IMAGE_MODE = "dask_image_mode"
    DASK_IMAGE_NEAREST = "dask_image_nearest"
    DASK_BIN_SHRINK = "dask_bin_shrink"


def _compat_method(method: Any) -> Methods:
    value = method.value if isinstance(method, enum.Enum) else method
    if isinstance(value, str) and value in Methods._value2member_map_:
        return Methods(value)
    ours = method_name(method)
    return next(m for m in Methods if OURS[m.value] == ours)


@dataclass(repr=False)
class NgffImage(Pretty):
    """One scale of an image, as ngff-zarr's ``NgffImage`` (same fields, same order).

    ``data`` is the DataArray's own dask array; ``scale``/``translation`` come from its
    coordinates. :meth:`from_xarray` and :meth:`to_xarray` convert without copying pixels.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((4, 4), "uint8")
    >>> img = NgffImage.from_xarray(to_ngff_image(a, scale={"y": 2.0, "x": 2.0}).to_xarray())
    >>> img.dims, img.scale
    (['y', 'x'], {'y': 2.0, 'x': 2.0})
    >>> a[0, 0] = 7
    >>> int(img.to_xarray()[0, 0])
    7
    """

    data: Any
    dims: Sequence[str]
    scale: dict[str, float]
    translation: dict[str, float]
    name: str = "image"
    axes_units: Mapping[str, str] | None = None
    axes_orientations: Mapping[str, Any] | None = None
    axes_types: Mapping[str, Any] | None = None
    channel_names: list[str] | None = None
    channel_colors: list[str] | None = None
    computed_callbacks: list[Callable[[], None]] = field(default_factory=list)
    _source: xr.DataArray | None = field(default=None, repr=False, compare=False)
    _shown = (
        "data", "dims", "scale", "translation", "name", "axes_units", "computed_callbacks"
    )  # fmt: skip

    @classmethod
    def from_xarray(cls, array: xr.DataArray) -> NgffImage:
        """The view of an NGFF DataArray (its dask array, not a copy)."""
        if not isinstance(array.data, da.Array):
            array = _image.to_ngff_image(array)
        scale, trans = _image.image_scale(array), _image.image_translation(array)
        # ngff-zarr keeps spatial geometry only; a time axis shows when it is not the default
        keep = [d for d in scale if d != "t" or (scale[d], trans[d]) != (1.0, 0.0)]
        units = {d: u for d, u in _image.image_units(array).items() if u is not None}
        return cls(
            data=array.data,
            dims=[str(d) for d in array.dims],
            scale={d: scale[d] for d in keep},
            translation={d: trans[d] for d in keep},
            name=str(array.name) if array.name is not None else "image",
            axes_units=units or None,
            channel_names=_image.image_channel_names(array),
            _source=array,
        )

    def _unchanged(self) -> bool:
        src = self._source
        if src is None or self.data is not src.data or list(self.dims) != list(src.dims):
            return False
        again = NgffImage.from_xarray(src)
        return (again.scale, again.translation, again.name, again.axes_units) == (
            self.scale, self.translation, self.name, self.axes_units
        ) and again.channel_names == self.channel_names  # fmt: skip

    def to_xarray(self) -> xr.DataArray:
        """The NGFF DataArray of this image: the one it was made from while unchanged, else a
        new one wrapping ``data`` (never a copy of the pixels)."""
        if self._unchanged():
            return self._source
        return _image.to_ngff_image(
            self.data,
            dims=list(self.dims),
            scale=dict(self.scale),
            translation=dict(self.translation),
            name=self.name,
            axes_units=dict(self.axes_units) if self.axes_units else None,
            channel_names=self.channel_names,
        )


@dataclass(repr=False)
class Multiscales(Pretty):
    """A pyramid, as ngff-zarr's ``NgffMultiscales``; :meth:`to_datatree` gives the xarray
    pyramid it views (the same object while its images are unchanged)."""

    images: list[NgffImage]
    metadata: Metadata
    scale_factors: Sequence[dict[str, int] | int] | None = None
    method: Methods | None = None
    chunks: Any = None
    root_attributes: dict[str, Any] | None = None
    _tree: xr.DataTree | None = field(default=None, repr=False, compare=False)
    #: where the pyramid was read from (set by from_ngff_zarr), so writing over it is refused
    _store: Any = field(default=None, repr=False, compare=False)
    _shown = ("images", "metadata", "scale_factors", "method", "chunks")

    @classmethod
    def from_datatree(
        cls,
        tree: xr.DataTree,
        *,
        scale_factors: Any = None,
        method: Any = None,
        chunks: Any = None,
        version: str | None = None,
        omero: Any = None,
    ) -> Multiscales:
        """The view of a pyramid DataTree (levels' dask arrays, no copies)."""
        levels = _pyramid.tree_levels(tree)
        meta = _pyramid.multiscale_from_tree(tree)
        return cls(
            images=[NgffImage.from_xarray(lvl) for lvl in levels],
            metadata=metadata_from_multiscale(meta, version, omero),
            scale_factors=scale_factors,
            method=None if method is None else _compat_method(method),
            chunks=chunks,
            _tree=tree,
        )

    def to_datatree(self) -> xr.DataTree:
        """The pyramid as the DataTree xarray-ngff works on."""
        tree = self._tree
        if tree is not None:
            levels = _pyramid.tree_levels(tree)
            if len(levels) == len(self.images) and all(
                img._unchanged() and img.data is lvl.data
                for img, lvl in zip(self.images, levels, strict=True)
            ):
                return tree
        levels = [img.to_xarray() for img in self.images]
        name = self.images[0].name if self.images else "image"
        ours = None if self.method is None else method_name(self.method)
        return _pyramid.multiscales_tree([lvl.rename(name) for lvl in levels], name, ours)

    @classmethod
    def from_ome_zarr(cls, store: Any, **kwargs: Any) -> Multiscales:
        """Read a store (see :func:`xarray_ngff.compat.from_ngff_zarr`)."""
        from ._io import from_ngff_zarr

        return from_ngff_zarr(store, **kwargs)

    def to_ome_zarr(self, store: Any, **kwargs: Any) -> None:
        """Write this pyramid (see :func:`xarray_ngff.compat.to_ngff_zarr`)."""
        from ._io import to_ngff_zarr

        to_ngff_zarr(store, self, **kwargs)


NgffMultiscales = Multiscales  # ngff-zarr 0.50's name; the seed prints Multiscales


def to_ngff_image(
    data: Any,
    dims: Sequence[str] | None = None,
    scale: Mapping[str, float] | None = None,
    translation: Mapping[str, float] | None = None,
    name: str = "image",
    axes_units: Mapping[str, str] | None = None,
    channel_names: Sequence[str] | None = None,
) -> NgffImage:
    """ngff-zarr's ``to_ngff_image``: :func:`xarray_ngff.to_ngff_image`, seen as an
    :class:`NgffImage`."""
    if isinstance(data, NgffImage):
        data = data.to_xarray()
    array = _image.to_ngff_image(data, dims, scale, translation, name, axes_units, channel_names)
    return NgffImage.from_xarray(array)


def _halving_ladder(image: xr.DataArray, chunks: Mapping[str, int]) -> list[dict[str, int]]:
    """ngff-zarr's ladder for an int ``scale_factors``: halve each spatial dim while the
    image is at least two chunks long somewhere, skipping dims already at most half the
    largest and dims whose half would be under one chunk."""
    sizes = {d: n for d, n in image.sizes.items() if d in _image.SPATIAL_DIMS}
    previous = dict.fromkeys(sizes, 1)
    ladder = []
    while any(sizes[d] >= 2 * chunks[d] for d in sizes):
        largest = max(sizes.values())
        factors = {}
        for d in sizes:
            if sizes[d] <= largest / 2 or sizes[d] / 2 < chunks[d]:
                factors[d] = previous[d]
            else:
                factors[d] = 2 * previous[d]
                sizes[d] = int(sizes[d] / 2)
        if factors == previous:
            break
        ladder.append(factors)
        previous = factors
    return ladder


def to_multiscales(
    data: Any,
    scale_factors: int | Sequence[dict[str, int] | int] = 128,
    method: Any = None,
    chunks: Any = None,
    progress: Any = None,
    cache: bool | None = None,
    orientation: Any = None,
    axis_order: str = "canonical",
) -> NgffMultiscales:
    """ngff-zarr's ``to_multiscales``: :func:`xarray_ngff.to_multiscales`, seen as an
    :class:`NgffMultiscales`.

    ``method`` is a :class:`Methods` member (``None``: ``ITKWASM_GAUSSIAN``), run by our
    nearest method (:data:`OURS`). An int ``scale_factors`` is ngff-zarr's: halve until the
    levels reach the chunk size. ``progress`` and ``cache`` are accepted and ignored (nothing is
    computed here); ``orientation`` and ``axis_order="preserve"`` are refused.
    """
    if orientation is not None or axis_order != "canonical":
        raise InvalidScaleFactorsError(
            "orientation= and axis_order='preserve' are not supported by xarray_ngff.compat; "
            "reorder the DataArray with .transpose(...) instead",
            field="orientation" if orientation is not None else "axis_order",
        )
    if isinstance(data, NgffImage):
        image = data.to_xarray()
    elif isinstance(data, xr.DataArray):
        image = data
    else:
        image = _image.to_ngff_image(data)
    ours = method_name(method)
    dims = [str(d) for d in image.dims]
    chunk_sizes = _pyramid.normalize_chunks(chunks, dims, image.shape)
    if isinstance(scale_factors, int) and not isinstance(scale_factors, bool):
        ladder: Any = _halving_ladder(image, chunk_sizes)
    else:
        ladder = scale_factors
    tree = _pyramid.to_multiscales(image, ladder, ours, chunks)
    return NgffMultiscales.from_datatree(
        tree,
        scale_factors=scale_factors if not isinstance(scale_factors, int) else ladder,
        method=_compat_method(method if method is not None else Methods.ITKWASM_GAUSSIAN),
        chunks=chunk_sizes,
    )
