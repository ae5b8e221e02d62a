"""to_ngff_image and geometry read back from coordinates."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_ngff as xn
from xarray_ngff._image import check_regular_grid, image_axes, ngff_order
from xarray_ngff.errors import InvalidDimsError, InvalidGeometryError, NgffError, UnitWarning


def test_defaults_follow_the_seed():
    img = xn.to_ngff_image(np.zeros((3, 4, 5), "uint8"))
    assert img.dims == ("z", "y", "x")
    assert img.name == "image"
    assert img.ngff.scale == {"z": 1.0, "y": 1.0, "x": 1.0}
    assert img.ngff.translation == {"z": 0.0, "y": 0.0, "x": 0.0}
    assert img.x.dtype == np.float64
    assert img.x.attrs["axis"] == "X"
    assert "units" not in img.x.attrs


@pytest.mark.parametrize(
    ("ndim", "dims"),
    [
        (2, ("y", "x")),
        (3, ("z", "y", "x")),
        (4, ("c", "z", "y", "x")),
        (5, ("t", "c", "z", "y", "x")),
    ],
)
def test_default_dims_by_ndim(ndim, dims):
    assert xn.to_ngff_image(np.zeros((2,) * ndim)).dims == dims


def test_coordinates_are_translation_plus_scale_index():
    img = xn.to_ngff_image(
        np.zeros((2, 3, 4)),
        dims=("z", "y", "x"),
        scale={"z": 2.5, "x": 0.1},
        translation={"z": -1.0, "y": 3.0},
    )
    np.testing.assert_allclose(img.z.values, [-1.0, 1.5])
    np.testing.assert_allclose(img.y.values, [3.0, 4.0, 5.0])
    np.testing.assert_allclose(img.x.values, [0.0, 0.1, 0.2, 0.30000000000000004])
    assert img.ngff.scale == {"z": 2.5, "y": 1.0, "x": 0.1}
    assert img.ngff.translation == {"z": -1.0, "y": 3.0, "x": 0.0}


def test_wraps_numpy_lazily_without_copy():
    arr = np.arange(24, dtype="uint16").reshape(4, 6)
    img = xn.to_ngff_image(arr)
    assert isinstance(img.data, da.Array)
    arr[0, 0] = 999  # the image sees the caller's buffer: nothing was copied
    assert int(img[0, 0]) == 999


def test_keeps_dask_arrays_and_their_chunks():
    arr = da.zeros((64, 64), chunks=(16, 32))
    img = xn.to_ngff_image(arr)
    assert img.data is arr


def test_zarr_array_keeps_its_chunks():
    z = zarr.create_array(store={}, shape=(32, 48), chunks=(8, 16), dtype="uint8")
    z[:] = 7
    img = xn.to_ngff_image(z)
    assert img.data.chunksize == (8, 16)
    assert int(img.sum()) == 7 * 32 * 48


def test_array_api_object_through_dlpack():
    xp = pytest.importorskip("array_api_strict")
    arr = xp.reshape(xp.arange(12, dtype=xp.uint16), (3, 4))
    img = xn.to_ngff_image(arr)
    assert isinstance(img.data, da.Array)
    assert img.dtype == np.uint16
    np.testing.assert_array_equal(img.values, np.arange(12).reshape(3, 4))


def test_torch_tensor_is_wrapped_without_copy():
    torch = pytest.importorskip("torch")
    t = torch.zeros((4, 5), dtype=torch.float32)
    img = xn.to_ngff_image(t)
    t[1, 2] = 7.0
    assert float(img[1, 2]) == 7.0


def test_array_like_with_array_protocol():
    class Wrapped:
        def __init__(self, a):
            self._a = a

        def __array__(self, dtype=None, copy=None):
            return self._a

    img = xn.to_ngff_image(Wrapped(np.ones((3, 3))))
    assert float(img.sum()) == 9.0


def test_any_dim_order_is_accepted():
    img = xn.to_ngff_image(np.zeros((4, 3, 2)), dims=("x", "c", "y"))
    assert img.dims == ("x", "c", "y")
    assert ngff_order(img.dims) == ("c", "y", "x")
    assert [a["name"] for a in img.ngff.axes] == ["x", "c", "y"]


@pytest.mark.parametrize(
    ("dims", "match"),
    [
        (("y", "y"), "repeats"),
        (("y", "q"), "outside the NGFF axes"),
        (("z", "y", "x"), "3 names for an array with 2"),
        (("c", "x"), "at least two spatial"),
    ],
)
def test_bad_dims_raise(dims, match):
    with pytest.raises(InvalidDimsError, match=match):
        xn.to_ngff_image(np.zeros((2, 2)), dims=dims)


def test_bad_ndim_raises():
    with pytest.raises(InvalidDimsError, match="2 to 5"):
        xn.to_ngff_image(np.zeros((2,) * 6))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scale": {"x": 0}}, "positive"),
        ({"scale": {"x": -1.0}}, "positive"),
        ({"scale": {"x": float("nan")}}, "positive finite"),
        ({"translation": {"x": float("inf")}}, "finite"),
        ({"scale": {"q": 1.0}}, "not dims"),
        ({"translation": {"z": 1.0}}, "not dims"),
        ({"scale": {"x": "big"}}, "not a number"),
        ({"scale": [1.0, 1.0]}, "mapping"),
    ],
)
def test_bad_geometry_raises_naming_the_argument(kwargs, match):
    with pytest.raises(InvalidGeometryError, match=match) as info:
        xn.to_ngff_image(np.zeros((2, 2)), **kwargs)
    assert info.value.field in ("scale", "translation")
    assert isinstance(info.value, ValueError)


def test_channel_axis_cannot_have_spacing():
    with pytest.raises(InvalidGeometryError, match="channel"):
        xn.to_ngff_image(np.zeros((2, 3, 3)), dims=("c", "y", "x"), scale={"c": 2.0})
    ok = xn.to_ngff_image(np.zeros((2, 3, 3)), dims=("c", "y", "x"), scale={"c": 1.0})
    assert "c" not in ok.ngff.scale


def test_channel_names_become_the_c_coordinate():
    img = xn.to_ngff_image(np.zeros((2, 4, 4)), dims=("c", "y", "x"), channel_names=["DAPI", "GFP"])
    assert img.ngff.channel_names == ["DAPI", "GFP"]
    assert img.sel(c="GFP").shape == (4, 4)


def test_channel_names_must_match_the_channel_count():
    with pytest.raises(InvalidDimsError, match="3 names for 2 channels"):
        xn.to_ngff_image(np.zeros((2, 4, 4)), dims=("c", "y", "x"), channel_names=list("abc"))
    with pytest.raises(InvalidDimsError, match="no 'c' dim"):
        xn.to_ngff_image(np.zeros((4, 4)), channel_names=["a"])


@pytest.mark.parametrize(
    ("given", "expected"),
    [("um", "micrometer"), ("µm", "micrometer"), ("micron", "micrometer"), ("nm", "nanometer")],
)
def test_units_are_normalised(given, expected):
    img = xn.to_ngff_image(np.zeros((2, 2)), axes_units={"x": given, "y": given})
    assert img.ngff.axes_units == {"y": expected, "x": expected}
    assert img.ngff.axes[1] == {"name": "x", "type": "space", "unit": expected}


def test_time_unit_on_space_axis_raises():
    with pytest.raises(InvalidGeometryError, match="time unit"):
        xn.to_ngff_image(np.zeros((2, 2)), axes_units={"x": "second"})


def test_unknown_unit_warns_and_is_kept():
    with pytest.warns(UnitWarning, match="parsec-ish"):
        img = xn.to_ngff_image(np.zeros((2, 2)), axes_units={"x": "parsec-ish"})
    assert img.x.attrs["units"] == "parsec-ish"


def test_pint_xarray_quantifies_the_coordinates():
    pytest.importorskip("pint_xarray")
    img = xn.to_ngff_image(
        np.zeros((3, 4)), scale={"y": 0.5, "x": 0.5}, axes_units={"y": "um", "x": "um"}
    )
    q = img.pint.quantify()
    assert str(q.x.data.units) == "micrometer"
    assert q.x.data.to("nanometer").magnitude[1] == pytest.approx(500.0)


def test_cf_xarray_finds_the_axes():
    pytest.importorskip("cf_xarray")
    img = xn.datasets.cells_3d()
    assert img.cf.axes == {"X": ["x"], "Y": ["y"], "Z": ["z"]}


def test_geometry_survives_slicing_with_steps():
    img = xn.to_ngff_image(
        np.zeros((10, 20)), scale={"y": 0.5, "x": 0.25}, translation={"y": 1.0, "x": -2.0}
    )
    sub = img.isel(y=slice(2, None, 3), x=slice(4, 12, 2))
    assert sub.ngff.scale == {"y": 1.5, "x": 0.5}
    assert sub.ngff.translation == {"y": 2.0, "x": -1.0}
    by_value = img.sel(x=slice(0.0, 1.0))
    assert by_value.ngff.translation["x"] == 0.0
    assert by_value.ngff.scale["x"] == 0.25


def test_length_one_dim_keeps_its_spacing():
    img = xn.to_ngff_image(np.zeros((1, 8, 8)), scale={"z": 3.0, "y": 0.5, "x": 0.5})
    assert img.ngff.scale["z"] == 3.0
    one = img.isel(x=slice(5, 6))
    assert one.ngff.scale["x"] == 0.5
    assert one.ngff.translation["x"] == 2.5


def test_existing_dataarray_keeps_data_and_geometry_unless_overridden():
    base = xn.datasets.cells_3d()
    again = xn.to_ngff_image(base, name="renamed")
    assert again.data is base.data
    assert again.name == "renamed"
    assert again.ngff.scale == base.ngff.scale
    assert again.ngff.axes_units == base.ngff.axes_units
    moved = xn.to_ngff_image(base, translation={"z": 0.0})
    assert moved.ngff.translation["z"] == 0.0
    assert moved.ngff.translation["y"] == base.ngff.translation["y"]


def test_plain_dataarray_is_labelled():
    plain = xr.DataArray(np.zeros((3, 4)), dims=("y", "x"))
    img = xn.to_ngff_image(plain, scale={"x": 2.0})
    assert img.ngff.scale == {"y": 1.0, "x": 2.0}


def test_image_axes_in_requested_order():
    img = xn.datasets.cells_5d()
    axes = image_axes(img, order=("t", "c", "z", "y", "x"))
    assert axes[0] == {"name": "t", "type": "time", "unit": "second"}
    assert axes[1] == {"name": "c", "type": "channel"}


def test_check_regular_grid():
    img = xn.datasets.cells_3d()
    check_regular_grid(img)
    bent = img.assign_coords(x=img.x.values**1.5)
    with pytest.raises(InvalidGeometryError, match="not evenly spaced"):
        check_regular_grid(bent)
    flipped = img.isel(x=slice(None, None, -1))
    with pytest.raises(NgffError, match="must increase"):
        check_regular_grid(flipped)
