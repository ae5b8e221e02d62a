"""The plate writer's plan and well documents (xarray_ngff._hcs_layout), without writing pixels."""

from __future__ import annotations

import pytest
import zarr.storage

from xarray_ngff import _hcs_layout as layout
from xarray_ngff._metadata.plate import PlateWell, WellImage
from xarray_ngff.errors import PlateError, WriteError


def test_plan_refuses_bad_paths_and_labels_before_writing(tmp_path):
    target = tmp_path / "p.zarr"
    with pytest.raises(WriteError, match="'<row>/<column>/<field>'") as err:
        layout.plan_plate(target, {"A/1": 0})
    assert err.value.field == "plate"
    with pytest.raises(WriteError, match="labels name fields") as err:
        layout.plan_plate(target, {"A/1/0": 0}, labels={"B/1/0": {}})
    assert err.value.field == "labels"
    assert not target.exists()


def test_plan_orders_fields_by_well_then_given_order():
    plan = layout.plan_plate("p.zarr", {"B/1/1": 0, "A/1/f": 1, "B/1/0": 2}, name="n")
    assert (plan.rows, plan.columns, plan.name) == (["A", "B"], ["1"], "n")
    assert plan.order == ["A/1/f", "B/1/1", "B/1/0"]


def test_grid_and_acquisitions_are_checked():
    assert layout.grid_names(["A", "B"], "rows") == ["A", "B"]
    with pytest.raises(PlateError, match="unique alphanumeric"):
        layout.grid_names(["A", "A"], "rows")
    assert [a.id for a in layout.as_acquisitions([0, {"id": 2, "name": "x"}])] == [0, 2]
    with pytest.raises(PlateError, match="unique non-negative"):
        layout.as_acquisitions([1, 1])


@pytest.mark.parametrize(("version", "zarr_format"), [("0.4", 2), ("0.5", 3)])
def test_well_documents_round_trip(tmp_path, version, zarr_format):
    store = zarr.storage.LocalStore(tmp_path)
    assert layout.well_images(store, zarr_format, "A/1", "s") is None
    layout.ensure_group(store, zarr_format, "A/1")
    attrs: dict = {"other": 1}
    for entry in (WellImage("1"), WellImage("0"), WellImage("1", 3)):
        attrs = layout.add_field(attrs, entry, version, label="s", path="A/1")
    layout.write_attrs(store, zarr_format, "A/1", attrs)
    # numeric fields in numeric order; a field written again keeps one entry, the last one
    assert layout.well_images(store, zarr_format, "A/1", "s") == [WellImage("0"), WellImage("1", 3)]
    assert layout.read_attrs(store, zarr_format, "A/1")["other"] == 1
    meta = layout.plate_metadata(
        ["A", "B"],
        ["1", "2"],
        {"B/2": [WellImage("0"), WellImage("1")]},
        acquisitions=None,
        field_count=None,
        name=None,
        version=version,
    )
    assert meta.wells == [PlateWell("B/2", 1, 1)] and meta.field_count == 2
