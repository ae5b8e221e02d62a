"""assert_ngff_equal fails when it should."""

import numpy as np
import pytest

import xarray_ngff as xn
from xarray_ngff.testing import assert_ngff_equal


def test_equal_images_and_trees_pass():
    img = xn.datasets.cells_3d()
    assert_ngff_equal(img, img.transpose("x", "y", "z"))
    ms = xn.to_multiscales(img, scale_factors=[2])
    assert_ngff_equal(ms, ms)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda a: a + 1, "Arrays are not equal"),
        (lambda a: xn.to_ngff_image(a, scale={"x": 7.0}), "scale"),
        (lambda a: xn.to_ngff_image(a, translation={"y": 7.0}), "translation"),
        (lambda a: xn.to_ngff_image(a, axes_units={"x": "nanometer"}), "units"),
        (lambda a: a.rename("other"), "name"),
        (lambda a: a.astype("float32"), "dtype"),
        (lambda a: a.isel(x=slice(1, None)), "shape"),
    ],
)
def test_differences_are_caught(change, match):
    img = xn.datasets.cells_3d()
    with pytest.raises(AssertionError, match=match):
        assert_ngff_equal(img, change(img))


def test_channel_names_and_levels_are_compared():
    a = xn.datasets.cells_5d()
    b = xn.to_ngff_image(a, channel_names=["x", "y"])
    with pytest.raises(AssertionError, match="channel names"):
        assert_ngff_equal(a, b)
    with pytest.raises(AssertionError, match="level count"):
        assert_ngff_equal(xn.to_multiscales(a, [2], chunks=16), xn.to_multiscales(a, chunks=16))
    with pytest.raises(AssertionError):
        assert_ngff_equal(a, xn.to_multiscales(np.zeros((4, 4))))
