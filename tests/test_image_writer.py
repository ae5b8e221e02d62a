"""One image's plan, arrays and metadata (xarray_ngff._image_writer), as both writers use them."""

from __future__ import annotations

import dask
import numpy as np
import pytest
import zarr

import xarray_ngff as xn
from xarray_ngff._image_writer import image_finalize, image_stored, prepare_image
from xarray_ngff.errors import UnsupportedVersionError


def _tree():
    image = xn.to_ngff_image(np.arange(64, dtype="uint8").reshape(8, 8), dims=("y", "x"))
    return xn.to_multiscales(image, scale_factors=[2])


def test_plan_refuses_before_the_store_is_touched(tmp_path):
    with pytest.raises(UnsupportedVersionError, match="cannot write"):
        prepare_image(_tree(), "0.3", str(tmp_path / "x.zarr"))
    assert not (tmp_path / "x.zarr").exists()


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_arrays_first_metadata_last(tmp_path, version):
    path = tmp_path / "img.zarr"
    plan = prepare_image(_tree(), version, str(path), omero=False)
    stored = image_stored(str(path), plan)
    root = zarr.open_group(path, mode="r")
    # the arrays exist before the metadata is written: no reader takes the group for an image
    assert [a.shape for _, a in sorted(root.arrays())] == [(8, 8), (4, 4)]
    assert not dict(root.attrs)
    dask.compute(image_finalize(stored, str(path), plan))
    back = xn.from_ngff_zarr(path)
    np.testing.assert_array_equal(back["scale0"]["image"].values, _tree()["scale0"]["image"])
    assert back["scale1"]["image"].shape == (4, 4)
