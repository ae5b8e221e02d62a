"""The ome-zarr-models adapter: which versions it judges, and the error without the models."""

from __future__ import annotations

import sys

import pytest

from xarray_ngff._validate import validate_attrs
from xarray_ngff._validate._models import model_rules, model_versions
from xarray_ngff.errors import NgffError

AXES = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]


def test_model_versions_come_from_the_table():
    assert model_versions() == ("0.4", "0.5")


def test_missing_models_name_the_versions_and_the_extra(monkeypatch):
    # a None entry in sys.modules makes the import fail as if the package were absent
    monkeypatch.setitem(sys.modules, "ome_zarr_models.v04.image", None)
    with pytest.raises(NgffError, match=r"OME-NGFF 0\.4/0\.5 needs ome-zarr-models") as err:
        model_rules({"multiscales": []}, "0.4", "image")
    assert "'.[cli]'" in str(err.value) and "ome_zarr_models.v04.image" in str(err.value)


def test_envelope_versions_report_under_ome():
    pytest.importorskip("ome_zarr_models")
    doc = {"ome": {"version": "0.5", "multiscales": [{"axes": AXES, "datasets": []}]}}
    fields = [field for field, _ in model_rules(doc, "0.5", "image")]
    assert fields and all(f.startswith("ome.multiscales[0]") for f in fields)
    assert model_rules({"multiscales": []}, "0.5", "image") == [
        ("ome", "0.5 metadata must be under the 'ome' key")
    ]


def test_json_types_the_models_let_through_are_reported():
    pytest.importorskip("ome_zarr_models")
    doc = {
        "multiscales": [
            {
                "version": "0.4",
                "axes": AXES,
                "datasets": [
                    {
                        "path": "0",
                        "coordinateTransformations": [{"type": "scale", "scale": [1, "2"]}],
                    }
                ],
            }
        ],
        "omero": {"channels": [{"color": 3}]},
    }
    problems = validate_attrs(doc, "image")
    assert (
        'multiscales[0].datasets[0].coordinateTransformations[0].scale[1]: must be a number, got "2"'
        in problems
    )
    # 0.4's omero needs window and a string colour (the models leave omero loose)
    assert "omero.channels[0].color: must be a string, got 3" in problems
    assert "omero.channels[0].window: must be an object" in problems
