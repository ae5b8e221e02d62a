"""Write -> read round trips through our own writer and reader, every version and method."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import xarray as xr

import xarray_ngff as xn
from xarray_ngff.testing import assert_ngff_equal

writer = importlib.import_module("xarray_ngff._writer")
reader = importlib.import_module("xarray_ngff._reader")

VERSIONS = [("0.4", None), ("0.5", None), ("0.5", 2)]


@pytest.mark.parametrize(("version", "shards"), VERSIONS)
@pytest.mark.parametrize("method", ["gaussian", "mean", "nearest", "min", "max"])
def test_roundtrip_every_version_and_method(tmp_path, version, shards, method):
    img = xn.datasets.cells_5d()
    ms = xn.to_multiscales(img, scale_factors=[2, 4], method=method, chunks=16)
    path = tmp_path / "img.ome.zarr"
    writer.to_ngff_zarr(path, ms, version=version, chunks_per_shard=shards)
    back = reader.from_ngff_zarr(path)
    assert_ngff_equal(ms, back)


@pytest.mark.parametrize(("version", "shards"), VERSIONS)
def test_roundtrip_labels_with_mode(tmp_path, version, shards):
    labels = xn.datasets.nuclei_labels()
    ms = xn.to_multiscales(labels, scale_factors=[2, 4], method="mode", chunks=64)
    path = tmp_path / "labels.ome.zarr"
    writer.to_ngff_zarr(path, ms, version=version, chunks_per_shard=shards)
    back = reader.from_ngff_zarr(path)
    assert_ngff_equal(ms, back)
    assert back.ngff.levels[2].dtype == np.uint32


def test_roundtrip_through_the_backend(tmp_path):
    img = xn.datasets.cells_3d()
    ms = xn.to_multiscales(img, scale_factors=[2], chunks=32)
    path = tmp_path / "cells.ome.zarr"
    writer.to_ngff_zarr(path, ms, version="0.5")
    tree = xr.open_datatree(path, engine="ngff")
    assert_ngff_equal(ms, tree)
    level1 = xr.open_dataset(path, engine="ngff", level=1)
    assert_ngff_equal(ms.ngff.levels[1], level1["cells"])


def test_non_ngff_dim_order_is_written_in_ngff_order(tmp_path):
    img = xn.to_ngff_image(
        np.arange(2 * 6 * 8, dtype="uint16").reshape(8, 2, 6),
        dims=("x", "c", "y"),
        scale={"x": 0.5, "y": 0.25},
        channel_names=["a", "b"],
    )
    ms = xn.to_multiscales(img, scale_factors=[2], chunks=4)
    path = tmp_path / "t.ome.zarr"
    writer.to_ngff_zarr(path, ms, version="0.4")
    back = reader.from_ngff_zarr(path)
    assert back.ngff.levels[0].dims == ("c", "y", "x")
    assert_ngff_equal(ms, back)


@pytest.mark.parametrize(("source", "target"), [("0.4", "0.5"), ("0.5", "0.4")])
def test_version_conversion(tmp_path, source, target):
    ms = xn.to_multiscales(xn.datasets.cells_5d(), scale_factors=[2], chunks=16)
    first, second = tmp_path / "a.ome.zarr", tmp_path / "b.ome.zarr"
    writer.to_ngff_zarr(first, ms, version=source)
    writer.to_ngff_zarr(second, reader.from_ngff_zarr(first), version=target)
    assert_ngff_equal(ms, reader.from_ngff_zarr(second))
