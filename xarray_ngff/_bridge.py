"""What xarray-ngff's own functions do with :mod:`xarray_ngff.compat` objects: take the
xarray object (or plate) each one views, so ngff-zarr-style code can mix both APIs."""

from __future__ import annotations

from typing import Any


def as_native(obj: Any) -> Any:
    """The xarray object behind a compat view, or ``obj`` itself.

    ``NgffMultiscales`` gives its DataTree, ``NgffImage`` its DataArray, ``HCSPlate`` the
    :class:`~xarray_ngff._plate_read.HcsPlate` it wraps; anything else is returned unchanged.

    Examples
    --------
    >>> import numpy as np, xarray_ngff.compat as nz
    >>> type(as_native(nz.to_ngff_image(np.zeros((2, 2))))).__name__
    'DataArray'
    >>> as_native(3)
    3
    """
    if not type(obj).__module__.startswith("xarray_ngff.compat"):
        return obj
    from .compat import HCSPlate, NgffImage, NgffMultiscales

    if isinstance(obj, NgffMultiscales):
        return obj.to_datatree()
    if isinstance(obj, NgffImage):
        return obj.to_xarray()
    if isinstance(obj, HCSPlate):
        return obj.plate
    return obj
