"""What xarray-ngff's own functions do with objects of ngff-zarr's interface: take the xarray
object (or plate) each :mod:`xarray_ngff.compat` view holds, and run ngff-zarr's downsampling
methods by our names, so ngff-zarr-style code can mix both APIs.

The core never imports compat: :mod:`xarray_ngff.compat` registers its view types and its
``Methods`` enum here when it is imported (:func:`register_view`, :func:`register_methods`).
ngff-zarr's own ``Methods`` enum is recognised without importing anything (its type lives in
an ``ngff_zarr`` module and its members have a ``value``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._methods import METHODS
from .errors import InvalidMethodError

__all__ = [
    "OURS",
    "as_native",
    "is_method_member",
    "method_name",
    "register_methods",
    "register_view",
]

#: ngff-zarr method value -> the xarray-ngff method that runs it
OURS = {
    "itkwasm_gaussian": "gaussian",
    "itk_gaussian": "gaussian",
    "dask_image_gaussian": "gaussian",
    "itkwasm_bin_shrink": "mean",
    "itk_bin_shrink": "mean",
    "dask_bin_shrink": "mean",
    "itkwasm_label_image": "mode",
    "dask_image_mode": "mode",
    "dask_image_nearest": "nearest",
}

# filled by xarray_ngff.compat on import: view type -> the xarray object it holds
_VIEWS: dict[type, Callable[[Any], Any]] = {}
_METHOD_TYPES: set[type] = set()


def register_view(cls: type, native: Callable[[Any], Any]) -> None:
    """Make :func:`as_native` give ``native(obj)`` for instances of ``cls`` (subclasses too)."""
    _VIEWS[cls] = native


def register_methods(cls: type) -> None:
    """Make the members of the enum ``cls`` (values in :data:`OURS`) accepted as methods."""
    _METHOD_TYPES.add(cls)


def is_method_member(method: Any) -> bool:
    """Whether ``method`` is a member of ngff-zarr's ``Methods`` (theirs or compat's).

    Examples
    --------
    >>> is_method_member("gaussian")
    False
    """
    kind = type(method)
    if any(t in _METHOD_TYPES for t in kind.__mro__):
        return True
    return kind.__module__.split(".")[0] == "ngff_zarr" and hasattr(method, "value")


def method_name(method: Any) -> str:
    """Our method name for an ngff-zarr ``Methods`` member (ours or ngff-zarr's own enum),
    its value, or one of our names.

    Examples
    --------
    >>> method_name("itkwasm_bin_shrink"), method_name("dask_image_nearest")
    ('mean', 'nearest')
    """
    if method is None:
        return "gaussian"
    value = method.value if is_method_member(method) else method
    if isinstance(value, str):
        if value in OURS:
            return OURS[value]
        if value in METHODS:
            return value
    raise InvalidMethodError(
        f"method={method!r} has no xarray-ngff equivalent; use one of ngff-zarr's "
        f"{sorted(OURS)} or one of {list(METHODS)}",
        field="method",
    )


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
    for kind in type(obj).__mro__:
        native = _VIEWS.get(kind)
        if native is not None:
            return native(obj)
    return obj
