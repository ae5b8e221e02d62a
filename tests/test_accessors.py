"""The .ngff accessors are thin: they agree with the module functions and keep no state."""

import numpy as np
import pytest
import xarray as xr

import xarray_ngff as xn
from xarray_ngff import _image as image_mod
from xarray_ngff import _pyramid as pyramid_mod


@pytest.fixture
def img():
    return xn.datasets.cells_5d()


def test_dataarray_accessor_matches_functions(img):
    assert img.ngff.scale == image_mod.image_scale(img)
    assert img.ngff.translation == image_mod.image_translation(img)
    assert img.ngff.axes_units == {
        "t": "second",
        "z": "micrometer",
        "y": "micrometer",
        "x": "micrometer",
    }
    assert img.ngff.channel_names == ["DAPI", "GFP"]
    assert [a["name"] for a in img.ngff.axes] == ["t", "c", "z", "y", "x"]


def test_dataset_accessor_reads_the_level(img):
    ds = img.to_dataset()
    assert ds.ngff.scale == img.ngff.scale
    ms = ds.ngff.to_multiscales(scale_factors=[2], chunks=16)
    assert len(ms.ngff.levels) == 2


def test_datatree_accessor(img):
    ms = img.ngff.to_multiscales(scale_factors=[2, 4], chunks=16)
    assert isinstance(ms, xr.DataTree)
    assert ms.ngff.scale == img.ngff.scale  # level 0
    assert len(ms.ngff.levels) == 3
    meta = ms.ngff.metadata
    assert meta.name == "cells5d"
    assert meta.datasets[2].scale == (30.0, 1.0, 6.0, 1.6, 1.6)
    assert meta == pyramid_mod.multiscale_from_tree(ms)
    again = ms.ngff.to_multiscales(scale_factors=[2], method="mean")
    assert again.ngff.metadata.type == "mean"


def test_accessor_keeps_no_state(img):
    """Accessors are rebuilt from the object; after a selection they report the new truth."""
    first = img.ngff.translation["x"]
    sub = img.isel(x=slice(3, None))
    assert sub.ngff.translation["x"] == pytest.approx(first + 3 * img.ngff.scale["x"])
    assert not [k for k in vars(img.ngff) if k != "_obj"]


def test_tree_without_levels_is_an_error():
    tree = xr.DataTree.from_dict({"/": xr.Dataset(), "foo": xr.Dataset({"a": ("x", np.zeros(2))})})
    with pytest.raises(xn.NgffError, match="no multiscale levels"):
        _ = tree.ngff.levels


def test_mode_validation_of_tree_to_zarr(img, tmp_path):
    ms = img.ngff.to_multiscales(scale_factors=[2])
    with pytest.raises(xn.NgffError, match="mode='a'"):
        ms.ngff.to_zarr(tmp_path / "x.ome.zarr", mode="a")


def test_level_node_accessor_describes_the_level(img):
    ms = img.ngff.to_multiscales(scale_factors=[2], chunks=16)
    assert ms["scale1"].ngff.scale == ms.ngff.levels[1].ngff.scale
    assert ms["scale1"].ngff.scale["x"] == 2 * ms.ngff.scale["x"]


def test_dataarray_to_zarr_refuses_an_existing_store_by_default(img, tmp_path):
    path = tmp_path / "one.ome.zarr"
    img.ngff.to_zarr(path)
    before = sorted(p.name for p in path.rglob("*"))
    with pytest.raises(xn.errors.StoreExistsError):
        img.ngff.to_zarr(path)  # mode="w-", like the DataTree accessor
    assert sorted(p.name for p in path.rglob("*")) == before
    img.ngff.to_zarr(path, mode="w")
    with pytest.raises(xn.NgffError, match="mode='w'"):
        img.ngff.to_zarr(path, overwrite=True)
