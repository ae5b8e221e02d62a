"""Plate field paths beyond digits (``A/1/A1f0``, as ome-writers and iohub write them): read and
written in the well's order, and read by the peers."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_ngff as xn
from xarray_ngff.errors import PlateError, WriteError


@pytest.fixture(scope="module")
def field() -> xr.DataTree:
    img = xn.to_ngff_image(np.arange(16 * 16, dtype="uint16").reshape(16, 16))
    return xn.to_multiscales(img, scale_factors=[2])


def _well_paths(path, well: str) -> list[str]:
    attrs = dict(zarr.open_group(str(path), mode="r")[well].attrs)
    body = attrs.get("ome", attrs)
    return [i["path"] for i in body["well"]["images"]]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_alphanumeric_fields_written_in_the_given_order(tmp_path, field, version):
    path = tmp_path / "plate.ome.zarr"
    fields = {"A/1/A1f1": field, "A/1/A1f0": field * 2, "B/2/0": field}
    xn.to_hcs_zarr(path, fields, version=version)
    assert _well_paths(path, "A/1") == ["A1f1", "A1f0"]
    plate = xn.from_hcs_zarr(path)
    assert [i.path for i in plate.well("A", "1").images] == ["A1f1", "A1f0"]
    np.testing.assert_array_equal(
        plate.image("A/1/A1f0")["scale0"]["image"].values, 2 * field["scale0"]["image"].values
    )
    tree = xr.open_datatree(path, engine="ngff")
    assert list(tree["A/1"].children) == ["A1f1", "A1f0"]
    # the tree written again keeps the well's order
    copy = tmp_path / "copy.ome.zarr"
    xn.to_hcs_zarr(copy, tree, version=version)
    assert _well_paths(copy, "A/1") == ["A1f1", "A1f0"]


def test_ome_writers_style_plate_read_in_the_wells_order(tmp_path, field):
    path = tmp_path / "ow.ome.zarr"
    group = zarr.open_group(str(path), mode="w", zarr_format=3)
    for f in ("A1f2", "A1f0"):
        xn.to_ngff_zarr(path / "A" / "1" / f, field)
    group.attrs["ome"] = {
        "version": "0.5",
        "plate": {
            "rows": [{"name": "A"}],
            "columns": [{"name": "1"}],
            "wells": [{"path": "A/1", "rowIndex": 0, "columnIndex": 0}],
        },
    }
    zarr.open_group(str(path / "A"), mode="a", zarr_format=3)
    well = zarr.open_group(str(path / "A" / "1"), mode="a", zarr_format=3)
    well.attrs["ome"] = {"version": "0.5", "well": {"images": [{"path": "A1f2"}, {"path": "A1f0"}]}}
    assert xn.validate_store(path) == []
    assert [i.path for i in xn.from_hcs_zarr(path).well("A", "1").images] == ["A1f2", "A1f0"]
    assert list(xr.open_datatree(path, engine="ngff")["A/1"].children) == ["A1f2", "A1f0"]


def test_writer_takes_named_fields_and_replaces_in_place(tmp_path, field):
    path = tmp_path / "w.ome.zarr"
    with xn.HcsPlateWriter(path, rows=["A"], columns=["1"]) as writer:
        writer.write_field("A", "1", "A1f1", field)
        writer.write_field("A", "1", "A1f0", field)
        writer.write_field("A", "1", "A1f1", field * 3)  # rewritten: keeps its place
        with pytest.raises(PlateError, match="alphanumeric"):
            writer.write_field("A", "1", "f-0", field)
    assert _well_paths(path, "A/1") == ["A1f1", "A1f0"]
    img = xn.from_hcs_zarr(path).image("A/1/A1f1")["scale0"]["image"]
    np.testing.assert_array_equal(img.values, 3 * field["scale0"]["image"].values)


def test_bad_field_paths_refused_before_writing(tmp_path, field):
    path = tmp_path / "never.ome.zarr"
    for bad in ("A/1", "A/1/f_0", "A/1/0/extra"):
        with pytest.raises(WriteError, match="alphanumeric"):
            xn.to_hcs_zarr(path, {bad: field})
    with pytest.raises(WriteError, match="does not have"):
        xn.to_hcs_zarr(path, {"A/1/0": field}, labels={"A/1/1": {"cells": np.ones((16, 16), "u1")}})
    assert not path.exists()


@pytest.fixture(scope="module")
def named_plate(tmp_path_factory, field):
    path = tmp_path_factory.mktemp("named") / "plate.ome.zarr"
    # ome-zarr-py's plate view takes the first well's field paths for every well, so the
    # wells share their field names here (ome-writers' A1f0, B2f0... show only well A/1 there)
    xn.to_hcs_zarr(path, {"A/1/f0": field, "A/1/f1": field * 2, "B/2/f0": field})
    return path


def test_peers_read_named_fields(named_plate, field):
    models = pytest.importorskip("ome_zarr_models.v05")
    models.HCS.from_zarr(zarr.open_group(str(named_plate), mode="r"))
    nz = pytest.importorskip("ngff_zarr")
    plate = nz.from_hcs_zarr(str(named_plate))
    well = plate.get_well("A", "1")
    assert [i.path for i in well.images] == ["f0", "f1"]
    np.testing.assert_array_equal(
        np.asarray(well.get_image(1).images[0].data), 2 * field["scale0"]["image"].values
    )
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    node = next(iter(Reader(parse_url(str(named_plate)))()))
    assert int(np.asarray(node.data[0]).sum()) == 2 * int(field["scale0"]["image"].sum())
