"""Stores written in the tests by ngff-zarr, ome-zarr-py and our own writer, read back exactly."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import zarr

import xarray_ngff as xn
from xarray_ngff._reader import from_ngff_zarr
from xarray_ngff.testing import assert_ngff_equal


def _ramp(shape, dtype="uint16"):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


@pytest.mark.parametrize(
    ("version", "shards"),
    [("0.4", None), ("0.5", None), ("0.5", 2)],
    ids=["0.4", "0.5", "0.5-sharded"],
)
def test_ngff_zarr(tmp_path, version, shards):
    nz = pytest.importorskip("ngff_zarr")
    data = _ramp((2, 16, 20))
    image = nz.to_ngff_image(
        data,
        dims=["c", "y", "x"],
        scale={"y": 0.5, "x": 0.25},
        translation={"y": 1.0, "x": 2.0},
        axes_units={"y": "micrometer", "x": "micrometer"},
        name="cells",
    )
    ms = nz.to_multiscales(image, scale_factors=[2, 4], chunks=8)
    path = tmp_path / "nz.ome.zarr"
    kwargs = {"chunks_per_shard": shards} if shards else {}
    nz.to_ngff_zarr(str(path), ms, version=version, **kwargs)
    tree = from_ngff_zarr(path)
    levels = tree.ngff.levels
    assert len(levels) == len(ms.images) == 3
    for ours, theirs in zip(levels, ms.images, strict=True):
        np.testing.assert_array_equal(ours.values, np.asarray(theirs.data))
        assert ours.ngff.scale == pytest.approx(theirs.scale)
        assert ours.ngff.translation == pytest.approx(theirs.translation)
        assert ours.ngff.axes_units == {"y": "micrometer", "x": "micrometer"}
        assert ours.name == "cells"
    enc = levels[0].encoding
    if shards:
        assert enc["shards"] == (2, 16, 16) and enc["chunks"] == (2, 8, 8)
        assert levels[0].data.chunksize == (2, 8, 8)
    else:
        assert enc["shards"] is None


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_ome_zarr_py(tmp_path, version):
    pytest.importorskip("ome_zarr")
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader
    from ome_zarr.writer import write_image, write_labels

    fmt = FormatV04() if version == "0.4" else FormatV05()
    path = tmp_path / "oz.ome.zarr"
    group = zarr.open_group(path, mode="w", zarr_format=fmt.zarr_format)
    data = _ramp((2, 16, 20))
    omero = {
        "channels": [
            {"label": name, "color": color, "window": {"start": 0, "end": 9, "min": 0, "max": 9}}
            for name, color in (("DAPI", "0000FF"), ("GFP", "00FF00"))
        ]
    }
    write_image(
        data,
        group,
        scale_factors=[2],
        axes="cyx",
        fmt=fmt,
        scale={"y": 0.5, "x": 0.25},
        axes_units={"y": "micrometer", "x": "micrometer"},
        omero=omero,
    )
    labels = (_ramp((16, 20)) % 5).astype("uint8")
    write_labels(
        labels,
        group,
        name="cells",
        scale_factors=[2],
        axes="yx",
        fmt=fmt,
        label_metadata={"colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}]},
    )
    tree = from_ngff_zarr(path)
    # pixels as ome-zarr-py's own reader sees them
    reference = list(Reader(parse_url(str(path)))())
    image_node = reference[0]
    for k, ours in enumerate(tree.ngff.levels):
        np.testing.assert_array_equal(ours.values, np.asarray(image_node.data[k]))
    level0, level1 = tree.ngff.levels
    assert level0.ngff.scale == {"y": 0.5, "x": 0.25}
    assert level1.ngff.scale == {"y": 1.0, "x": 0.5}
    # geometry as written in the store's transforms
    body = tree.attrs["ome"] if version == "0.5" else tree.attrs
    written = body["multiscales"][0]["datasets"][1]["coordinateTransformations"]
    trans = next((t["translation"] for t in written if t["type"] == "translation"), [0, 0, 0])
    assert level1.ngff.translation == {"y": trans[1], "x": trans[2]}
    assert level0.ngff.axes_units == {"y": "micrometer", "x": "micrometer"}
    assert level0.c.values.tolist() == ["DAPI", "GFP"]
    cells = tree["labels/cells"]
    np.testing.assert_array_equal(cells.ngff.levels[0].values, labels)
    label_body = cells.attrs["ome"] if version == "0.5" else cells.attrs
    assert label_body["image-label"]["colors"][0]["label-value"] == 1
    assert cells.ngff.levels[0].dtype == np.uint8


# -- round trip with our own writer (runs once xarray_ngff._writer is merged) ---------------


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("method", ["gaussian", "mean", "nearest", "mode", "min", "max"])
def test_round_trip(tmp_path, version, method):
    writer = importlib.import_module("xarray_ngff._writer")
    data = _ramp((2, 16, 24), "uint8")
    image = xn.to_ngff_image(
        data,
        dims=("c", "y", "x"),
        scale={"y": 0.5, "x": 0.25},
        translation={"y": 1.0, "x": -2.0},
        axes_units={"y": "um", "x": "um"},
        channel_names=["a", "b"],
        name="img",
    )
    ms = xn.to_multiscales(image, scale_factors=[2, 4], method=method, chunks=8)
    path = tmp_path / "rt.ome.zarr"
    writer.to_ngff_zarr(path, ms, version=version)
    back = from_ngff_zarr(path)
    assert_ngff_equal(ms, back)
