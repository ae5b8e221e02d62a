"""The one ome-zarr-models adapter, shared by the validator and the plate rules."""

from __future__ import annotations

import warnings

import pytest

from xarray_ngff._metadata import models, plate_rules
from xarray_ngff._metadata.plate_rules import well_problems
from xarray_ngff._validate import _models as validator_models
from xarray_ngff.errors import NgffError

BAD_WELL = {"well": {"version": "0.4", "images": [{"path": "0", "acquisition": "x"}]}}


def test_both_users_report_the_adapters_verdict():
    pytest.importorskip("ome_zarr_models")
    (loc, msg), *_ = models.model_errors(
        models.model_class("0.4", "well", document=True), BAD_WELL["well"]
    )
    assert loc == ("images", 0, "acquisition")
    assert f"well.images.0.acquisition (ome-zarr-models): {msg}" in well_problems(BAD_WELL, "0.4")
    fields = [f for f, _ in validator_models.model_rules(BAD_WELL, "0.4", "well")]
    assert "well.images[0].acquisition" in fields


def test_without_the_models_plates_skip_and_the_validator_refuses(monkeypatch):
    def missing(*args, **kwargs):
        raise ModuleNotFoundError("no models", name="ome_zarr_models")

    monkeypatch.setattr(plate_rules, "model_class", missing)
    monkeypatch.setattr(validator_models, "model_class", missing)
    assert not any("(ome-zarr-models)" in p for p in well_problems(BAD_WELL, "0.4"))
    with pytest.raises(NgffError, match=r"'\.\[cli\]'.*missing: ome_zarr_models"):
        validator_models.model_rules(BAD_WELL, "0.4", "well")


def test_quiet_silences_the_models_warnings():
    class Loud:
        @staticmethod
        def model_validate(doc):
            warnings.warn("loud", UserWarning, stacklevel=1)

    pytest.importorskip("pydantic")
    with pytest.warns(UserWarning, match="loud"):
        assert models.model_errors(Loud, {}) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert models.model_errors(Loud, {}, quiet=True) == []
