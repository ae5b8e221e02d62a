"""Plate reading on its own: fields are opened through image reading (not the dispatcher), a
field that is not an image is refused naming the field, and the plate array is the stacking of
the plate tree."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_ngff as xn
from xarray_ngff import _reader
from xarray_ngff._plate_read import from_hcs_zarr, open_plate_tree
from xarray_ngff._plate_stack import stack_plate
from xarray_ngff.datasets import synthetic_plate
from xarray_ngff.errors import NotOmeZarrError, PlateError


@pytest.fixture
def plate_path(tmp_path):
    path = tmp_path / "p.ome.zarr"
    plate = synthetic_plate(rows=1, columns=2, fields=2, shape=(4, 4), dims=("y", "x"))
    xn.to_hcs_zarr(path, plate, version="0.4")
    return path


def test_fields_do_not_go_through_the_dispatcher(plate_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("plate reading called the dispatcher")

    monkeypatch.setattr(_reader, "open_ngff_groups", refuse)
    tree = open_plate_tree(plate_path)
    assert int(tree["A/2/1/scale0/image"].max()) == 110
    assert int(from_hcs_zarr(plate_path).image("A/1/1")["scale0"]["image"].max()) == 10


@pytest.mark.parametrize(
    ("attrs", "error", "what"),
    [
        ({"note": "not OME"}, NotOmeZarrError, "a group with attributes ['note']"),
        ({"well": {"images": [{"path": "0"}]}}, PlateError, "a well group"),
        ({"bioformats2raw.layout": 3}, PlateError, "a bioformats2raw group"),
    ],
)
def test_a_field_that_is_not_an_image_is_refused(plate_path, attrs, error, what):
    zarr.open_group(plate_path / "A" / "2" / "1", mode="r+").attrs.put(attrs)
    for read in (
        lambda: open_plate_tree(plate_path),
        lambda: from_hcs_zarr(plate_path).image("A/2/1"),
        lambda: xr.open_datatree(plate_path, engine="ngff"),
    ):
        with pytest.raises(error, match="field '1'") as err:
            read()
        assert what in str(err.value)
        assert err.value.path == "A/2/1" and err.value.field == "well.images"
    # the other fields still read
    assert int(from_hcs_zarr(plate_path).image("A/2/0")["scale0"]["image"].max()) == 100


def test_plate_array_is_the_stacked_plate_tree(plate_path):
    plate = from_hcs_zarr(plate_path)
    stacked = stack_plate(plate.metadata, plate.to_datatree(), level=1, by="well")
    xr.testing.assert_identical(stacked, xn.plate_to_dataarray(plate, level=1, by="well"))
    assert stacked.dims == ("well", "field", "y", "x") and stacked.shape == (2, 2, 2, 2)
    np.testing.assert_array_equal(stacked.sel(field=1).max(("y", "x")).values, [10, 110])


def test_stacking_refuses_an_unknown_layout(plate_path):
    plate = from_hcs_zarr(plate_path)
    with pytest.raises(PlateError, match="by must be 'grid' or 'well'") as err:
        stack_plate(plate.metadata, plate.to_datatree(), by="column")
    assert err.value.field == "by"
