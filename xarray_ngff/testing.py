"""Assertions for tests of code that uses xarray-ngff."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ._image import image_channel_names, image_scale, image_translation, image_units
from ._pyramid import tree_levels

__all__ = ["assert_ngff_equal"]


def _assert_image_equal(a: xr.DataArray, b: xr.DataArray, where: str, rtol: float) -> None:
    assert set(a.dims) == set(b.dims), f"{where}: dims {a.dims} != {b.dims}"
    b = b.transpose(*a.dims)
    assert a.shape == b.shape, f"{where}: shape {a.shape} != {b.shape}"
    assert a.dtype == b.dtype, f"{where}: dtype {a.dtype} != {b.dtype}"
    for label, fa, fb in (
        ("scale", image_scale(a), image_scale(b)),
        ("translation", image_translation(a), image_translation(b)),
    ):
        assert fa.keys() == fb.keys(), f"{where}: {label} dims {fa} != {fb}"
        for d in fa:
            assert np.isclose(fa[d], fb[d], rtol=rtol, atol=rtol), (
                f"{where}: {label}[{d!r}] {fa[d]} != {fb[d]}"
            )
    assert image_units(a) == image_units(b), f"{where}: units {image_units(a)} != {image_units(b)}"
    ca, cb = image_channel_names(a), image_channel_names(b)
    assert ca == cb, f"{where}: channel names {ca} != {cb}"
    assert a.name == b.name, f"{where}: name {a.name!r} != {b.name!r}"
    np.testing.assert_array_equal(np.asarray(a.values), np.asarray(b.values), err_msg=where)


def assert_ngff_equal(
    a: xr.DataArray | xr.DataTree, b: xr.DataArray | xr.DataTree, rtol: float = 1e-9
) -> None:
    """Assert two NGFF images or pyramids are equal in data, dims, geometry, units and names.

    Dims may be in different orders (NGFF writers transpose). Pixels are compared exactly.

    Examples
    --------
    >>> import numpy as np, xarray_ngff as xn
    >>> img = xn.to_ngff_image(np.arange(16).reshape(4, 4), scale={"x": 0.5})
    >>> assert_ngff_equal(img, img.transpose("x", "y"))
    """
    if isinstance(a, xr.DataTree) or isinstance(b, xr.DataTree):
        assert isinstance(a, xr.DataTree) and isinstance(b, xr.DataTree), (
            f"cannot compare {type(a).__name__} with {type(b).__name__}"
        )
        la, lb = tree_levels(a), tree_levels(b)
        assert len(la) == len(lb), f"level count {len(la)} != {len(lb)}"
        for k, (x, y) in enumerate(zip(la, lb, strict=True)):
            _assert_image_equal(x, y, f"level {k}", rtol)
        return
    _assert_image_equal(a, b, "image", rtol)
