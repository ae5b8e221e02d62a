"""Node kinds, bioformats2raw series and label names (xarray_ngff._hierarchy)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import zarr
from ngff_stores import write_image

import xarray_ngff as xn
from xarray_ngff._hierarchy import (
    KINDS,
    PRECEDENCE,
    bf2raw_series_paths,
    label_names,
    node_kind,
)
from xarray_ngff._store import open_store


@pytest.mark.parametrize(("first", "second"), itertools.combinations(PRECEDENCE, 2))
@pytest.mark.parametrize("envelope", [False, True])
def test_one_precedence_for_every_pair_of_keys(first, second, envelope):
    body = {second[1]: {}, first[1]: {}}
    attrs = {"ome": {"version": "0.5", **body}} if envelope else body
    assert node_kind(attrs) == first[0]


def test_spec_rule_plate_over_bioformats2raw():
    # OME-NGFF 0.4-0.6: a bioformats2raw root with `plate` is read as a plate
    assert KINDS.index("plate") < KINDS.index("bioformats2raw")
    assert node_kind({"bioformats2raw.layout": 3, "plate": {"wells": []}}) == "plate"


def test_not_ome():
    assert node_kind({}) is None
    assert node_kind({"_ARRAY_DIMENSIONS": ["y", "x"]}) is None
    assert node_kind({"ome": {"version": "0.5"}}) is None


def test_reader_kinds_follow_node_kind(tmp_path):
    from xarray_ngff._reader import _kind

    path = tmp_path / "c.ome.zarr"
    zarr.open_group(path, mode="w", zarr_format=2)
    nstore = open_store(path)
    for attrs in ({"multiscales": []}, {"well": {}}, {"plate": {}, "bioformats2raw.layout": 3}):
        assert _kind(nstore, "", attrs) == node_kind(attrs)
    # a bioformats2raw root that also has multiscales is a collection for both
    both = {"bioformats2raw.layout": 3, "multiscales": []}
    assert _kind(nstore, "", both) == node_kind(both) == "bioformats2raw"


def test_bf2raw_series_listed_or_consecutive(tmp_path):
    path = tmp_path / "c.ome.zarr"
    root = zarr.open_group(path, mode="w", zarr_format=2)
    root.attrs["bioformats2raw.layout"] = 3
    for s in ("0", "1", "3"):
        root.create_group(s)
    assert bf2raw_series_paths(open_store(path), "") == ["0", "1"]  # stops at the first gap
    root.create_group("OME").attrs["series"] = ["3", "0"]
    assert bf2raw_series_paths(open_store(path), "") == ["3", "0"]


def test_label_names_listed_or_found(tmp_path):
    path = tmp_path / "img.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 8))
    root = zarr.open_group(path, mode="a")
    labels = root.create_group("labels")
    write_image(None, "0.4", dims="yx", shape=(8, 8), group=labels.create_group("b"))
    write_image(None, "0.4", dims="yx", shape=(8, 8), group=labels.create_group("a"))
    labels.create_group("not-an-image")
    nstore = open_store(path)
    # nothing listed: the child groups that are images, by name
    assert label_names(nstore, "labels", {}) == ["a", "b"]
    assert label_names(nstore, "labels", {"labels": ["b"]}) == ["b"]


def test_synthetic_plate_moved_to_datasets():
    plate = xn.datasets.synthetic_plate(rows=1, columns=1, fields=1, shape=(4, 4), dims=("y", "x"))
    np.testing.assert_array_equal(plate["A/1/0/scale0/image"].values, np.zeros((4, 4)))
