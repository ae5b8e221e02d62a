"""Axes by type, names kept: stores with axis names other than t, c, z, y, x (iohub's
``T, C, Z, Y, X``) read with full geometry and write back with their names."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
import zarr

import xarray_ngff as xn
from xarray_ngff._axes import AXIS_NAMES_ATTR, dims_for_axes, stored_axis_names
from xarray_ngff.errors import InvalidDimsError

IOHUB_AXES = [
    {"name": "T", "type": "time", "unit": "second"},
    {"name": "C", "type": "channel"},
    {"name": "Z", "type": "space", "unit": "micrometer"},
    {"name": "Y", "type": "space", "unit": "micrometer"},
    {"name": "X", "type": "space", "unit": "micrometer"},
]
SCALE = [2.0, 1.0, 0.5, 0.25, 0.25]


def _store(path: pathlib.Path, axes: list[dict], version: str, shape=(2, 2, 3, 8, 8)) -> np.ndarray:
    """An image as iohub writes it: one level ``0``, the axis names in dimension_names."""
    zarr_format = 2 if version == "0.4" else 3
    group = zarr.open_group(str(path), mode="w", zarr_format=zarr_format)
    names = [a["name"] for a in axes]
    data = np.arange(np.prod(shape), dtype="uint16").reshape(shape)
    kw = {"dimension_names": names} if zarr_format == 3 else {}
    group.create_array("0", data=data, chunks=shape, **kw)
    n = len(axes)
    ms = {
        "axes": axes,
        "datasets": [
            {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": SCALE[-n:]}]}
        ],
        "name": "0",
    }
    body = {"multiscales": [ms]}
    if any(a.get("type") == "channel" for a in axes):
        body["omero"] = {
            "channels": [
                {
                    "label": lab,
                    "color": "FFFFFF",
                    "window": {"start": 0, "end": 1, "min": 0, "max": 1},
                }
                for lab in ("DAPI", "GFP")
            ],
            "rdefs": {"defaultZ": 0, "defaultT": 0},
        }
    if version == "0.4":
        ms["version"] = "0.4"
        group.attrs.update(body)
    else:
        group.attrs["ome"] = {"version": "0.5", **body}
    return data


def test_rule_by_type_names_kept():
    assert dims_for_axes([(a["name"], a["type"]) for a in IOHUB_AXES]) == dict(
        zip("TCZYX", "tczyx", strict=True)
    )
    # names that are already NGFF dims never move, even listed x before y
    assert dims_for_axes([("x", "space"), ("y", "space")]) == {}
    assert dims_for_axes([("lat", "space"), ("lon", "space")]) == {"lat": "y", "lon": "x"}
    # a custom-typed axis keeps its name; the others are still mapped
    assert dims_for_axes([("angle", "angle"), ("Y", "space"), ("X", "space")]) == {
        "Y": "y",
        "X": "x",
    }
    # two time axes: nothing can be mapped, names stay
    assert dims_for_axes([("T1", "time"), ("T2", "time"), ("Y", "space"), ("X", "space")]) == {}


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_iohub_axes_read_with_geometry_units_and_channels(tmp_path, version):
    path = tmp_path / "iohub.zarr"
    data = _store(path, IOHUB_AXES, version)
    assert xn.validate_store(path) == []  # the validator accepts these names...
    img = xn.from_ngff_zarr(path)["scale0"]["0"]  # ...and the reader opens them fully
    assert img.dims == ("t", "c", "z", "y", "x")
    assert img.attrs[AXIS_NAMES_ATTR] == dict(zip("tczyx", "TCZYX", strict=True))
    assert img.ngff.scale == {"t": 2.0, "z": 0.5, "y": 0.25, "x": 0.25}
    assert img.ngff.axes_units == {
        "t": "second",
        "z": "micrometer",
        "y": "micrometer",
        "x": "micrometer",
    }
    assert img.ngff.channel_names == ["DAPI", "GFP"]
    np.testing.assert_array_equal(img.sel(c="GFP").values, data[:, 1])
    level = xn.from_ngff_zarr(path)["scale0"].to_dataset()
    assert level.x.attrs["axis"] == "X"  # the CF attributes of a canonical dim


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_iohub_axes_write_back_with_their_names(tmp_path, version):
    src, dst = tmp_path / "iohub.zarr", tmp_path / "back.zarr"
    data = _store(src, IOHUB_AXES, version)
    tree = xn.from_ngff_zarr(src)
    xn.to_ngff_zarr(dst, tree, version=version)
    attrs = dict(zarr.open_group(str(dst), mode="r").attrs)
    ms = (attrs["ome"] if version == "0.5" else attrs)["multiscales"][0]
    assert ms["axes"] == IOHUB_AXES
    assert ms["datasets"][0]["coordinateTransformations"][0]["scale"] == SCALE
    if version == "0.5":
        arr = json.loads((dst / "0" / "zarr.json").read_text())
        assert arr["dimension_names"] == list("TCZYX")
    else:
        arr = json.loads((dst / "0" / ".zattrs").read_text())
        assert arr["_ARRAY_DIMENSIONS"] == list("TCZYX")
    assert xn.validate_store(dst) == []
    back = xn.from_ngff_zarr(dst)["scale0"]["0"]
    np.testing.assert_array_equal(back.values, data)
    assert back.ngff.channel_names == ["DAPI", "GFP"]
    # a pyramid built from the read image keeps the names at every level
    xn.to_ngff_zarr(tmp_path / "pyr.zarr", tree["scale0"]["0"].ngff.to_multiscales([2]))
    pyr = json.loads((tmp_path / "pyr.zarr" / "1" / "zarr.json").read_text())
    assert pyr["dimension_names"] == list("TCZYX")


def test_peers_accept_the_names_written_back(tmp_path):
    src, dst = tmp_path / "iohub.zarr", tmp_path / "back.zarr"
    data = _store(src, IOHUB_AXES, "0.5")
    xn.to_ngff_zarr(dst, xn.from_ngff_zarr(src), labels={"cells": np.ones(data.shape, "u1")})
    models = pytest.importorskip("ome_zarr_models.v05.image")
    # ome-zarr-models checks that dimension_names equal the axis names, labels included
    image = models.Image.from_zarr(zarr.open_group(str(dst), mode="r"))
    assert [a.name for a in image.ome_attributes.multiscales[0].axes] == list("TCZYX")
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    node = next(iter(Reader(parse_url(str(dst)))()))
    np.testing.assert_array_equal(np.asarray(node.data[0]), data)


@pytest.mark.parametrize(
    "axes, dims",
    [
        (IOHUB_AXES[2:], ("z", "y", "x")),
        ([{"name": "lat", "type": "space"}, {"name": "lon", "type": "space"}], ("y", "x")),
        (
            [{"name": "angle", "type": "angle"}, IOHUB_AXES[3], IOHUB_AXES[4]],
            ("angle", "y", "x"),
        ),
    ],
)
def test_validator_and_reader_agree(tmp_path, axes, dims):
    path = tmp_path / "a.zarr"
    shape = (2, 8, 8)[-len(axes) :]
    _store(path, axes, "0.5", shape=shape)
    assert xn.validate_store(path) == []
    img = xn.from_ngff_zarr(path)["scale0"]["0"]
    assert img.dims == dims
    assert set(img.ngff.scale) == {d for d in dims if d in "zyx"}


def test_stored_names_are_checked():
    img = xn.to_ngff_image(np.zeros((4, 4), "u1"))
    img.attrs[AXIS_NAMES_ATTR] = {"y": "x"}  # would give two axes named x
    with pytest.raises(InvalidDimsError, match="repeated axis names"):
        stored_axis_names(img)
    img.attrs[AXIS_NAMES_ATTR] = ["Y", "X"]
    with pytest.raises(InvalidDimsError, match="must map dims"):
        stored_axis_names(img)
