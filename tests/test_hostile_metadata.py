"""Hostile metadata: any JSON anywhere in the OME metadata gives a result or an NgffError."""

from __future__ import annotations

import json
import pathlib
import shutil
import tempfile
import warnings

import numpy as np
import pytest
import xarray as xr
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xarray_ngff as xn
from xarray_ngff._plate_read import open_plate_tree
from xarray_ngff._validate import validate_document
from xarray_ngff.errors import MetadataError, NgffError, NotOmeZarrError, ValidationError

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, width=32)
    | st.sampled_from(["", "x", "2", "0.5", "space", "micrometer", "scale", "A", "0"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("ab"), inner),
    max_leaves=4,
)
SETTINGS = settings(
    max_examples=25,
    derandomize=True,  # the same examples on every run: CI stays reproducible
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_ROOT: list[pathlib.Path] = []  # set by the session fixture below
SPEC = pathlib.Path(__file__).resolve().parents[2] / "shared" / "ngff-spec"  # may be absent


@pytest.fixture(scope="module", autouse=True)
def _root(tmp_path_factory):
    _ROOT[:] = [tmp_path_factory.mktemp("hostile")]
    yield
    shutil.rmtree(_ROOT[0], ignore_errors=True)


def _source(kind: str) -> pathlib.Path:
    """A small valid store of each kind, made once per module."""
    path = _ROOT[0] / f"{kind}.zarr"
    if path.exists():
        return path
    img = xn.to_ngff_image(
        np.arange(2 * 16 * 16, dtype="uint16").reshape(2, 16, 16),
        dims=("c", "y", "x"),
        scale={"y": 0.5, "x": 0.5},
        translation={"y": 1.0, "x": 1.0},
        axes_units={"y": "micrometer", "x": "micrometer"},
        channel_names=["DAPI", "GFP"],
    )
    ms = xn.to_multiscales(img, scale_factors=[2], chunks=8)
    version = kind.split("-")[1]
    if kind.startswith("image"):
        xn.to_ngff_zarr(path, ms, version=version)
        _add_labels(path, version)
    else:
        xn.to_hcs_zarr(path, {"A/1/0": ms}, version=version, acquisitions=[{"id": 0}])
    return path


def _add_labels(path: pathlib.Path, version: str) -> None:
    """A ``labels/cells`` label image, so the fuzz reaches labels metadata too."""
    cells = xn.to_ngff_image((np.arange(16 * 16).reshape(16, 16) % 3).astype("uint8"))
    xn.to_ngff_zarr(path / "labels" / "cells", cells, version=version, omero=False)
    fmt = 3 if version == "0.5" else 2
    label = {
        "colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}],
        "source": {"image": "../../"},
    }
    node = zarr.open_group(path / "labels" / "cells", mode="a", zarr_format=fmt)
    group = zarr.open_group(path / "labels", mode="a", zarr_format=fmt)
    if version == "0.5":
        node.attrs["ome"] = {**node.attrs["ome"], "image-label": label}
        group.attrs["ome"] = {"version": "0.5", "labels": ["cells"]}
    else:
        node.attrs["image-label"] = {"version": "0.4", **label}
        group.attrs["labels"] = ["cells"]


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def _mutate(doc, where: tuple, value, delete: bool):
    node = doc
    for key in where[:-1]:
        node = node[key]
    if delete:
        del node[where[-1]]
    else:
        node[where[-1]] = value


def _attrs_key(path: pathlib.Path, node: str, version: str) -> pathlib.Path:
    return path / node / ("zarr.json" if version == "0.5" else ".zattrs")


def _mutated_copy(kind: str, node: str, data) -> tuple[pathlib.Path, dict]:
    version = kind.split("-")[1]
    path = pathlib.Path(tempfile.mkdtemp(dir=_ROOT[0])) / "m.zarr"
    shutil.copytree(_source(kind), path)
    key = _attrs_key(path, node, version)
    whole = json.loads(key.read_text())
    attrs = whole["attributes"] if version == "0.5" else whole
    places = [p for p in _paths(attrs) if p]
    where = data.draw(st.sampled_from(places))
    delete = data.draw(st.booleans()) and data.draw(st.booleans())
    _mutate(attrs, where, data.draw(JSON), delete)
    key.write_text(json.dumps(whole))
    return path, attrs


def _reads_or_ngff_error(read) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = read()
            if isinstance(result, xr.DataTree):
                for node in result.subtree:  # geometry and shapes are computed, pixels not
                    _ = [v.shape for v in node.variables.values()]
        except NgffError:
            return False
    return True


@pytest.mark.parametrize("kind", ["image-0.4", "image-0.5"])
@SETTINGS
@given(data=st.data())
def test_image_metadata_fuzz(kind, data):
    path, attrs = _mutated_copy(kind, "", data)
    _check_image(kind, path, attrs, "image")


@pytest.mark.parametrize("kind", ["image-0.4", "image-0.5"])
@pytest.mark.parametrize("node", ["labels", "labels/cells"])
@SETTINGS
@given(data=st.data())
def test_label_metadata_fuzz(kind, node, data):
    path, attrs = _mutated_copy(kind, node, data)
    _check_image(kind, path, attrs, "label" if node == "labels/cells" else None)


def _check_image(kind: str, path: pathlib.Path, attrs: dict, schema: str | None) -> None:
    """Reads give a result or an NgffError; what validate=True accepts, the official
    ``schema`` accepts too (when the spec folder is there)."""
    try:
        _reads_or_ngff_error(lambda: xn.from_ngff_zarr(path))
        _reads_or_ngff_error(lambda: xr.open_datatree(path, engine="ngff"))
        accepted = _reads_or_ngff_error(lambda: xn.from_ngff_zarr(path, validate=True))
        if accepted and schema and SPEC.is_dir():
            version = kind.split("-")[1]
            problems = validate_document(attrs, version=version, schema=schema, spec_dir=SPEC)
            assert problems == [], problems
    finally:
        shutil.rmtree(path.parent)


@pytest.mark.parametrize("kind", ["plate-0.4", "plate-0.5"])
@pytest.mark.parametrize("node", ["", "A/1", "A/1/0"])
@SETTINGS
@given(data=st.data())
def test_plate_metadata_fuzz(kind, node, data):
    path, attrs = _mutated_copy(kind, node, data)
    try:
        _reads_or_ngff_error(lambda: xn.from_hcs_zarr(path).get_well("A", "1"))
        _reads_or_ngff_error(lambda: xn.from_hcs_zarr(path).to_dataarray())
        _reads_or_ngff_error(lambda: open_plate_tree(path))
        accepted = _reads_or_ngff_error(lambda: xn.from_hcs_zarr(path, validate=True))
        if accepted and SPEC.is_dir():  # validate=True accepts nothing the schema rejects
            schema = {"": "plate", "A/1": "well", "A/1/0": "image"}[node]
            version = kind.split("-")[1]
            assert validate_document(attrs, version=version, schema=schema, spec_dir=SPEC) == []
    finally:
        shutil.rmtree(path.parent)


def test_axis_unit_that_is_a_list_names_the_field():
    path = pathlib.Path(tempfile.mkdtemp(dir=_ROOT[0])) / "m.zarr"
    shutil.copytree(_source("image-0.4"), path)
    attrs = json.loads((path / ".zattrs").read_text())
    attrs["multiscales"][0]["axes"][1]["unit"] = ["micrometer"]
    (path / ".zattrs").write_text(json.dumps(attrs))
    with pytest.raises(MetadataError, match=r'must be a string, got \["micrometer"\]') as err:
        xn.from_ngff_zarr(path)
    assert err.value.field == "multiscales[0].axes[1].unit" and err.value.store == str(path)


def test_validate_rejects_numbers_written_as_strings():
    path = pathlib.Path(tempfile.mkdtemp(dir=_ROOT[0])) / "m.zarr"
    shutil.copytree(_source("image-0.5"), path)
    doc = json.loads((path / "zarr.json").read_text())
    ct = doc["attributes"]["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"]
    ct[0]["scale"][1] = "0.5"
    doc["attributes"]["ome"]["omero"]["channels"][0]["window"]["min"] = True
    (path / "zarr.json").write_text(json.dumps(doc))
    with pytest.raises(ValidationError) as err:
        xn.from_ngff_zarr(path, validate=True)
    text = "\n".join(err.value.problems)
    assert "coordinateTransformations[0].scale[1]: must be a number" in text
    assert "omero.channels[0].window.min: must be a number" in text


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_array_at_the_root_says_so(tmp_path, zarr_format):
    path = tmp_path / "plain.zarr"
    zarr.create_array(path, shape=(4, 4), chunks=(2, 2), dtype="uint8", zarr_format=zarr_format)
    for read in (xn.from_ngff_zarr, xn.from_hcs_zarr, lambda p: xr.open_datatree(p, engine="ngff")):
        with pytest.raises(NotOmeZarrError, match="is a Zarr array, not an OME-Zarr group") as err:
            read(path)
        assert "xn.to_ngff_image(zarr.open_array(" in str(err.value)
        assert err.value.store == str(path) and err.value.field == "node_type"


@pytest.mark.parametrize(
    ("key", "field", "value", "quoted"),
    [
        ("zarr.json", "zarr_format", "3", '"zarr_format": "3" (a string)'),
        ("zarr.json", "node_type", ["group"], '"node_type": ["group"] (an array)'),
        (".zgroup", "zarr_format", "2", '"zarr_format": "2" (a string)'),
        ("0/zarr.json", "shape", "8", '"shape": "8" (a string)'),
    ],
)
def test_invalid_zarr_metadata_quotes_the_value(tmp_path, key, field, value, quoted):
    path = tmp_path / "bad.zarr"
    img = xn.to_ngff_image(np.zeros((8, 8), "uint8"))
    xn.to_ngff_zarr(path, img, version="0.4" if key == ".zgroup" else "0.5")
    doc = json.loads((path / key).read_text())
    doc[field] = value
    (path / key).write_text(json.dumps(doc))
    with pytest.raises(MetadataError) as err:
        xn.from_ngff_zarr(path)
    assert quoted in str(err.value) and err.value.field == field
