"""``.ngff`` accessors on DataArray, Dataset and DataTree.

They hold no state and no logic: each property or method calls a module function with the
object, so ``img.ngff.scale`` is exactly ``image_scale(img)``. Registered on import of
:mod:`xarray_ngff`.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

from . import _image, _pyramid
from .errors import WriteError

__all__ = ["NgffDataArrayAccessor", "NgffDatasetAccessor", "NgffDataTreeAccessor"]


class _GeometryMixin:
    _obj: Any

    def __init__(self, obj) -> None:
        self._obj = obj

    @property
    def scale(self) -> dict[str, float]:
        """Pixel spacing per time/space dim, from the coordinates."""
        return _image.image_scale(self._geometry_source())

    @property
    def translation(self) -> dict[str, float]:
        """First pixel centre per time/space dim, from the coordinates."""
        return _image.image_translation(self._geometry_source())

    @property
    def axes_units(self) -> dict[str, str | None]:
        """Units per time/space dim."""
        return _image.image_units(self._geometry_source())

    @property
    def channel_names(self) -> list[str] | None:
        """Names of the ``c`` dim, or ``None``."""
        return _image.image_channel_names(self._geometry_source())

    @property
    def axes(self) -> list[dict]:
        """NGFF axis objects, in dims order."""
        return _image.image_axes(self._geometry_source())

    def _geometry_source(self):
        return self._obj


@xr.register_dataarray_accessor("ngff")
class NgffDataArrayAccessor(_GeometryMixin):
    """``DataArray.ngff``: geometry of an NGFF image and pyramid building.

    Examples
    --------
    >>> import numpy as np, xarray_ngff as xn
    >>> img = xn.to_ngff_image(np.zeros((8, 8)), scale={"y": 2.0, "x": 2.0})
    >>> img.ngff.scale
    {'y': 2.0, 'x': 2.0}
    >>> img.ngff.to_multiscales(scale_factors=[2]).ngff.scale
    {'y': 2.0, 'x': 2.0}
    """

    def to_multiscales(self, scale_factors=None, method: str = "gaussian", chunks=None):
        """Lazy pyramid of this image; see :func:`xarray_ngff.to_multiscales`."""
        return _pyramid.to_multiscales(self._obj, scale_factors, method, chunks)

    def in_system(self, name: str) -> xr.DataArray:
        """This image with coordinates in the 0.6 coordinate system ``name``; see
        :func:`xarray_ngff._transforms.in_system`."""
        from ._transforms import in_system

        return in_system(self._obj, name)

    def to_zarr(self, store, mode: str = "w-", **kwargs):
        """Write this image with a default pyramid (``mode="w-"``, the default, refuses an
        existing store; ``"w"`` replaces it, as for the DataTree); see
        :func:`xarray_ngff.to_ngff_zarr`."""
        return _write(self._obj, store, mode, kwargs)

    def add_label_to(self, store, name: str, **kwargs):
        """Add this label image to the image at ``store`` as ``labels/<name>``; see
        :func:`xarray_ngff.add_label`."""
        from ._labels_writer import add_label

        return add_label(store, name, self._obj, **kwargs)


@xr.register_dataset_accessor("ngff")
class NgffDatasetAccessor(_GeometryMixin):
    """``Dataset.ngff``: geometry of one pyramid level (its coordinates)."""

    def to_multiscales(self, scale_factors=None, method: str = "gaussian", chunks=None):
        """Pyramid of the Dataset's single image variable."""
        image = _pyramid.tree_image(self._obj)
        return _pyramid.to_multiscales(image, scale_factors, method, chunks)


@xr.register_datatree_accessor("ngff")
class NgffDataTreeAccessor(_GeometryMixin):
    """``DataTree.ngff``: a multiscales pyramid; geometry properties describe level 0.

    Examples
    --------
    >>> import numpy as np, xarray_ngff as xn
    >>> ms = xn.to_multiscales(np.zeros((8, 8), "uint8"), scale_factors=[2])
    >>> [lvl.shape for lvl in ms.ngff.levels]
    [(8, 8), (4, 4)]
    >>> ms.ngff.metadata.datasets[1].scale
    (2.0, 2.0)
    """

    def _geometry_source(self):
        # a level node (``ms["scale1"]``) describes itself; a pyramid describes level 0
        if self._obj.has_data and not self._obj.children:
            return _pyramid.tree_image(self._obj)
        return _pyramid.tree_levels(self._obj)[0]

    @property
    def levels(self) -> list[xr.DataArray]:
        """The levels, finest first."""
        return _pyramid.tree_levels(self._obj)

    @property
    def coordinate_systems(self) -> list[dict]:
        """The 0.6 coordinate systems of this tree (name, path, axes, units); see
        :func:`xarray_ngff._transforms.coordinate_systems`."""
        from ._transforms import coordinate_systems

        return coordinate_systems(self._obj)

    @property
    def metadata(self):
        """Version-neutral :class:`~xarray_ngff._metadata.Multiscale`, geometry from coordinates."""
        return _pyramid.multiscale_from_tree(self._obj)

    def to_multiscales(self, scale_factors=None, method: str = "gaussian", chunks=None):
        """A new pyramid from level 0."""
        return _pyramid.to_multiscales(self.levels[0], scale_factors, method, chunks)

    def to_zarr(self, store, mode: str = "w-", **kwargs):
        """Write the pyramid (xarray spelling: ``mode="w-"`` refuses an existing store,
        ``"w"`` replaces it); see :func:`xarray_ngff.to_ngff_zarr`."""
        return _write(self._obj, store, mode, kwargs)

    def add_label_to(self, store, name: str, **kwargs):
        """Add this label pyramid to the image at ``store`` as ``labels/<name>``; see
        :func:`xarray_ngff.add_label`."""
        from ._labels_writer import add_label

        return add_label(store, name, self._obj, **kwargs)


def _write(obj, store, mode: str, kwargs: dict):
    if mode not in ("w", "w-"):
        raise WriteError(f"mode={mode!r} must be 'w' or 'w-'", store=store, field="mode")
    if "overwrite" in kwargs:
        raise WriteError(
            "pass mode='w' (replace) or mode='w-' (refuse an existing store), not overwrite=",
            store=store,
            field="overwrite",
        )
    from ._writer import to_ngff_zarr

    return to_ngff_zarr(store, obj, overwrite=(mode == "w"), **kwargs)
