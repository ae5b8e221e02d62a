"""Validation: official examples of 0.1–0.5, store rules, every problem at once."""

from __future__ import annotations

import json
import pathlib
import shutil

import numpy as np
import pytest
import zarr
from ngff_stores import write_image, write_labels

from xarray_ngff._reader import from_ngff_zarr
from xarray_ngff._validate import validate_attrs, validate_document, validate_store
from xarray_ngff.errors import ValidationError


def _load(path: pathlib.Path):
    # the 0.4/0.5 multiscales example has whole-line // comments
    text = "\n".join(
        line for line in path.read_text().splitlines() if not line.strip().startswith("//")
    )
    return json.loads(text)


def official_cases(spec: pathlib.Path):
    """(version, schema, expected_valid, id, document) as upstream marks them."""
    out = []
    for v in ("0.1", "0.2", "0.3"):
        for f in sorted((spec / v / "examples").glob("*/*/*.json")):
            kind, folder = f.parent.parent.name, f.parent.name
            out.append((v, kind, folder == "valid", f"{v}/{f.relative_to(spec / v)}", _load(f)))
    for v in ("0.4", "0.5"):
        for config in sorted((spec / v / "examples").glob("*/.config.json")):
            schema = pathlib.Path(json.loads(config.read_text())["schema"]).stem
            for f in sorted(config.parent.glob("*.json")):
                if f.name != ".config.json":
                    out.append((v, schema, True, f"{v}/{f.relative_to(spec / v)}", _load(f)))
        for f in sorted((spec / v / "tests").glob("*_suite.json")):
            suite = json.loads(f.read_text())
            schema = pathlib.Path(suite["schema"]["id"]).stem
            for t in suite["tests"]:
                out.append((v, schema, t["valid"], f"{v}/{f.name}#{t['formerly']}", t["data"]))
    return out


def test_official_examples(spec_dir):
    cases = official_cases(spec_dir)
    counts = {v: [0, 0] for v in ("0.1", "0.2", "0.3", "0.4", "0.5")}
    wrong = []
    for version, schema, valid, name, doc in cases:
        problems = validate_document(doc, version=version, schema=schema, spec_dir=spec_dir)
        counts[version][0 if valid else 1] += 1
        if (not problems) != valid:
            wrong.append((name, valid, problems[:2]))
    assert wrong == []
    # the README's totals: every document was seen
    assert counts == {
        "0.1": [10, 16],
        "0.2": [7, 7],
        "0.3": [7, 13],
        "0.4": [32, 70],
        "0.5": [31, 65],
    }


def test_rules_json_schema_cannot_express(spec_dir):
    doc = _load(spec_dir / "0.3/examples/image/invalid/invalid_axes_order.json")
    problems = validate_document(doc, version="0.3", schema="image", spec_dir=spec_dir)
    assert len(problems) == 1 and "order" in problems[0]
    suite = json.loads((spec_dir / "0.5/tests/plate_suite.json").read_text())
    case = next(t for t in suite["tests"] if "column_before_row" in t["formerly"])
    problems = validate_document(case["data"], version="0.5", schema="plate", spec_dir=spec_dir)
    assert problems and "column before row" in problems[0]  # the plate rules' wording


def test_runtime_attrs_rules_on_official_images(spec_dir):
    """The runtime validator (no schemas) on the image examples of 0.1–0.3 agrees with
    upstream, the two non-schema rules included."""
    for version, schema, valid, name, doc in official_cases(spec_dir):
        if version in ("0.1", "0.2", "0.3") and schema == "image":
            assert (not validate_attrs(doc, "image")) == valid, name


def test_runtime_attrs_rules_on_04_05_images(spec_dir):
    """ome-zarr-models plus the omero and JSON-type rules reject every invalid 0.4/0.5
    suite case (the valid ones include documents that break rules beyond the schema, such
    as an axes count that differs from the scale's)."""
    accepted_invalid = []
    for version, schema, valid, name, doc in official_cases(spec_dir):
        if version in ("0.4", "0.5") and schema in ("image", "label", "plate", "well"):
            if not valid and not validate_attrs(doc, schema):
                accepted_invalid.append(name)
    assert accepted_invalid == []


def test_third_party_invalid_samples(spec_dir):
    base = spec_dir / "third-party/ome-ngff-validator/test_samples/invalid"
    for sample in ("invalid_version.zarr", "missing_min.zarr"):
        doc = json.loads((base / sample / ".zattrs").read_text())
        assert validate_attrs(doc, "image"), sample


# -- stores --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["0.1", "0.2", "0.3", "0.4", "0.5"])
def test_valid_stores_have_no_problems(tmp_path, version):
    path = tmp_path / "a.ome.zarr"
    shape = (1, 2, 2, 8, 12) if version in ("0.1", "0.2") else (2, 8, 12)
    write_image(path, version, shape=shape, channel_names=["a", "b"])
    if version in ("0.4", "0.5"):
        write_labels(path, version, ["cells"])
    assert validate_store(path) == []
    assert from_ngff_zarr(path, validate=True)["scale0"]["image"].shape == shape


def test_all_structural_problems_at_once(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.5", dims="cyx", shape=(2, 8, 12), channel_names=["a", "b", "c"])
    write_labels(path, "0.5", ["cells"], dtype="float32")
    # the array of level 1 is missing
    shutil.rmtree(path / "1")
    # dimension_names of level 0 disagree with the axes
    meta = json.loads((path / "0" / "zarr.json").read_text())
    meta["dimension_names"] = ["c", "x", "y"]
    (path / "0" / "zarr.json").write_text(json.dumps(meta))
    problems = validate_store(path)
    text = "\n".join(problems)
    assert "datasets[1].path: array '1' is not in the store" in text
    assert "dimension_names ['c', 'x', 'y'] must equal the axis names ['c', 'y', 'x']" in text
    assert "omero.channels: lists 3 channels but the image has 2" in text
    assert "labels are integers" in text and ":/labels/cells:" in text
    assert all(p.startswith(f"{path}:/") for p in problems)
    with pytest.raises(ValidationError) as err:
        from_ngff_zarr(path, validate=True)
    assert err.value.problems == problems


def test_ndim_and_order_rules(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    attrs = json.loads((path / ".zattrs").read_text())
    datasets = attrs["multiscales"][0]["datasets"]
    attrs["multiscales"][0]["datasets"] = datasets[::-1]  # lowest resolution first
    (path / ".zattrs").write_text(json.dumps(attrs))
    g = zarr.open_group(path, mode="a")
    g.create_array("extra", data=np.zeros((2, 2, 2), "u2"), chunks=(2, 2, 2))
    problems = validate_store(path)
    assert any("highest to lowest resolution" in p and "datasets[1]" in p for p in problems)
    attrs["multiscales"][0]["datasets"].append(
        {"path": "extra", "coordinateTransformations": [{"type": "scale", "scale": [9, 9]}]}
    )
    (path / ".zattrs").write_text(json.dumps(attrs))
    problems = validate_store(path)
    assert any("has 3 dimensions but there are 2 axes" in p for p in problems)


def test_version_and_zarr_format_mismatch(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    attrs = json.loads((path / ".zattrs").read_text())
    (path / ".zattrs").write_text(json.dumps({"ome": {"version": "0.5", **attrs}}))
    problems = validate_store(path)
    assert any("requires Zarr v3" in p for p in problems)


def test_legacy_rules(tmp_path):
    path = tmp_path / "a.zarr"
    write_image(path, "0.3", dims="zyx", shape=(4, 8, 8))
    attrs = json.loads((path / ".zattrs").read_text())
    attrs["multiscales"][0]["axes"] = ["y", "z", "x"]
    attrs["omero"] = {"channels": [{"color": 255, "window": {"start": 0}}]}
    (path / ".zattrs").write_text(json.dumps(attrs))
    problems = validate_store(path)
    fields = [p.split(": ")[1] for p in problems]
    assert "multiscales[0].axes" in fields
    assert "omero.channels[0].color" in fields
    assert "omero.channels[0].window.end" in fields


def test_bioformats2raw_missing_series(tmp_path):
    path = tmp_path / "bf.ome.zarr"
    root = zarr.open_group(path, mode="w", zarr_format=2)
    root.attrs["bioformats2raw.layout"] = 3
    root.create_group("OME").attrs["series"] = ["0", "1"]
    write_image(None, "0.4", dims="yx", shape=(4, 4), group=root.create_group("0"))
    problems = validate_store(path)
    assert problems == [f"{path}:/: series: series '1' is not in the store"]


def test_labels_listed_but_missing(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    write_labels(path, "0.4", ["cells"])
    zarr.open_group(path / "labels", mode="a").attrs["labels"] = ["cells", "ghost"]
    assert validate_store(path) == [
        f"{path}:/labels: labels[1]: label image 'ghost' is not in the store"
    ]


def test_validate_document_accepts_zarr_json(spec_dir):
    doc = {"zarr_format": 3, "node_type": "group", "attributes": {"ome": {"version": "0.5"}}}
    problems = validate_document(doc, version="0.5", schema="image", spec_dir=spec_dir)
    assert any("multiscales" in p for p in problems)


@pytest.mark.parametrize("missing", ["pydantic", "ome_zarr_models"])
def test_without_the_models_validation_names_the_extra(tmp_path, monkeypatch, missing):
    import sys

    from xarray_ngff.errors import NgffError

    write_image(tmp_path / "v.zarr", "0.4")
    for name in list(sys.modules):
        if name == missing or name.startswith(missing + "."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # import fails as if not installed
    with pytest.raises(NgffError, match=r"\.\[cli\]") as info:
        validate_store(tmp_path / "v.zarr")
    assert missing in str(info.value)


def _broken_plates(tmp_path: pathlib.Path, version: str) -> list[pathlib.Path]:
    """A few broken plates of ``version``: bad index, unknown acquisition, missing field,
    missing well, swapped row/column path."""
    import xarray_ngff as xn
    from xarray_ngff.datasets import synthetic_plate

    plate = synthetic_plate(rows=1, columns=2, fields=1, shape=(8, 8), dims=("y", "x"))
    good = tmp_path / f"good{version}.ome.zarr"
    xn.to_hcs_zarr(good, plate, version=version)
    meta = "zarr.json" if version == "0.5" else ".zattrs"

    def edit(path: pathlib.Path, node: str, change) -> None:
        f = path / node / meta
        doc = json.loads(f.read_text())
        body = doc["attributes"]["ome"] if version == "0.5" else doc
        change(body)
        f.write_text(json.dumps(doc))

    out = []
    for name, node, change, remove in (
        ("index", "", lambda b: b["plate"]["wells"][0].update(columnIndex=7), None),
        ("acq", "A/1", lambda b: b["well"]["images"][0].update(acquisition=5), None),
        ("field", "", lambda b: None, "A/2/0"),
        ("well", "", lambda b: None, "A/1"),
        ("swap", "", lambda b: b["plate"]["wells"][1].update(path="2/A"), None),
    ):
        path = tmp_path / f"{name}{version}.ome.zarr"
        shutil.copytree(good, path)
        edit(path, node, change)
        if remove:
            shutil.rmtree(path / remove)
        out.append(path)
    return out


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_one_plate_validator(tmp_path, version):
    import xarray_ngff as xn
    from xarray_ngff._validate import Problem, store_problems

    for path in _broken_plates(tmp_path, version):
        problems = store_problems(path)
        assert problems and all(isinstance(p, Problem) for p in problems), path
        assert validate_store(path) == [p.text(str(path)) for p in problems]
        with pytest.raises(ValidationError) as err:
            xn.from_hcs_zarr(path, validate=True)
        assert err.value.problems == [p.text() for p in problems]
    fields = {
        p.field
        for path in _broken_plates(tmp_path / "again", version)
        for p in store_problems(path)
    }
    assert {"plate.wells[0].columnIndex", "well.images[0].acquisition"} <= fields
    assert {"well.images[0].path", "plate.wells[0].path", "plate.wells[1].path"} <= fields
