"""Plate and well rules follow the version table: what differs between versions is a row's
field (``plate_grid``, ``plate_integer_ids``, ``models``), not a literal."""

from __future__ import annotations

import dataclasses

import pytest

from xarray_ngff._metadata import plate as pm
from xarray_ngff._metadata import plate_rules
from xarray_ngff._metadata.plate_rules import plate_problems, well_problems
from xarray_ngff._metadata.versions import VERSIONS, WRITABLE


def _plate(version: str, *, path: str = "run1/A/1", acq_id: object = 0) -> dict:
    return {
        "plate": {
            "version": version,
            "rows": [{"name": "A"}],
            "columns": [{"name": "1"}],
            "wells": [{"path": path}],
            "acquisitions": [{"id": acq_id}],
        }
    }


@pytest.mark.parametrize("version", [v for v in VERSIONS if VERSIONS[v].envelope is False])
def test_well_paths_follow_plate_grid(version):
    found = plate_problems(_plate(version), version, models=False)
    path_rule = [p for p in found if "must be '<row>/<column>'" in p]
    assert bool(path_rule) is VERSIONS[version].plate_grid, found


def test_number_ids_follow_plate_integer_ids():
    # 0.1's schema types the acquisition id as any JSON number; 0.2 on want integers
    assert not VERSIONS["0.1"].plate_integer_ids and VERSIONS["0.2"].plate_integer_ids
    assert plate_problems(_plate("0.1", acq_id=1.0), "0.1", models=False) == []
    assert plate_problems(_plate("0.2", acq_id=1.0), "0.2", models=False) == [
        "plate.acquisitions[0].id: must be a non-negative integer, got 1.0"
    ]


def test_rows_without_grid_rules_are_the_pre_0_4_ones():
    assert [v for v, info in VERSIONS.items() if not info.plate_grid] == ["0.1", "0.2", "0.3"]


def test_models_run_only_where_the_table_names_a_subpackage(monkeypatch):
    pytest.importorskip("ome_zarr_models")
    bad = {"well": {"version": "0.4", "images": [{"path": "0", "acquisition": "x"}]}}
    assert any("(ome-zarr-models)" in p for p in well_problems(bad, "0.4"))
    # the same document with the row's subpackage removed: the own rules only
    row = dataclasses.replace(VERSIONS["0.4"], models=None)
    monkeypatch.setitem(plate_rules.VERSIONS, "0.4", row)
    found = well_problems(bad, "0.4")
    assert found and not any("(ome-zarr-models)" in p for p in found)


@pytest.mark.parametrize("version", WRITABLE)
def test_emitted_documents_wrap_as_the_table_says(version):
    info = VERSIONS[version]
    plate = pm.PlateMetadata([pm.PlateRow("A")], [pm.PlateColumn("1")], [pm.PlateWell("A/1", 0, 0)])
    well = pm.WellMetadata([pm.WellImage("0")])
    attrs = {"plate": pm.plate_attrs(plate, version), "well": pm.well_attrs(well, version)}
    for key, doc in attrs.items():
        if info.envelope:
            assert doc["ome"]["version"] == info.written_as and key in doc["ome"]
        else:
            assert doc[key]["version"] == info.written_as
    assert plate_problems(attrs["plate"], version) == []
    assert well_problems(attrs["well"], version) == []
