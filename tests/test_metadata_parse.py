"""Metadata parsers used by the reader: images of every version, labels, bioformats2raw."""

from __future__ import annotations

import json

import pytest

from xarray_ngff._metadata import parse_multiscales
from xarray_ngff._metadata.bf2raw import bf2raw_layout, bf2raw_series
from xarray_ngff._metadata.labels import parse_image_label, parse_labels_group
from xarray_ngff.errors import MetadataError, NotOmeZarrError, UnsupportedVersionError


def test_v01_default_axes_and_suffix_versions():
    v, ms, _ = parse_multiscales({"multiscales": [{"version": "0.1", "datasets": [{"path": "0"}]}]})
    assert v == "0.1" and ms[0].axis_names == ("t", "c", "z", "y", "x")
    v, _, _ = parse_multiscales(
        {
            "ome": {
                "version": "0.5-dev2",
                "multiscales": [
                    {"axes": [{"name": "y"}, {"name": "x"}], "datasets": [{"path": "0"}]}
                ],
            }
        }
    )
    assert v == "0.5"


def test_v04_transforms_compose():
    _, ms, _ = parse_multiscales(
        {
            "multiscales": [
                {
                    "version": "0.4",
                    "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                    "datasets": [
                        {
                            "path": "0",
                            "coordinateTransformations": [
                                {"type": "scale", "scale": [2, 3]},
                                {"type": "translation", "translation": [1, 1]},
                            ],
                        }
                    ],
                    "coordinateTransformations": [{"type": "scale", "scale": [10, 10]}],
                }
            ]
        }
    )
    assert ms[0].datasets[0].scale == (2.0, 3.0)
    assert ms[0].datasets[0].translation == (1.0, 1.0)
    assert ms[0].scale == (10.0, 10.0)


@pytest.mark.parametrize(
    ("attrs", "error", "field"),
    [
        ({"foo": 1}, NotOmeZarrError, "multiscales"),
        ({"multiscales": []}, MetadataError, "multiscales"),
        (
            {"multiscales": [{"version": "9.9", "datasets": [{"path": "0"}]}]},
            UnsupportedVersionError,
            "version",
        ),
        (
            {"multiscales": [{"version": "0.4", "datasets": [{"path": "0"}]}]},
            MetadataError,
            "multiscales[0].axes",
        ),
        (
            {
                "multiscales": [
                    {
                        "version": "0.4",
                        "axes": [{"name": "x"}, {"name": "y"}],
                        "datasets": [
                            {
                                "path": "0",
                                "coordinateTransformations": [{"type": "scale", "scale": [1]}],
                            }
                        ],
                    }
                ]
            },
            MetadataError,
            "multiscales[0].datasets[0].coordinateTransformations[0]",
        ),
    ],
)
def test_bad_metadata_names_field(attrs, error, field):
    with pytest.raises(error) as err:
        parse_multiscales(attrs, store="s.zarr", path="p")
    assert err.value.field == field
    assert err.value.store == "s.zarr" and err.value.path == "p"


def test_official_valid_image_examples_parse(spec_dir):
    """Every valid image example of 0.1–0.3 parses (0.4/0.5 ones are checked by the reader)."""
    for version in ("0.1", "0.2", "0.3"):
        for f in sorted((spec_dir / version / "examples/image/valid").glob("*.json")):
            v, ms, _ = parse_multiscales(json.loads(f.read_text()))
            assert ms[0].datasets, f


def test_labels_group():
    assert parse_labels_group({"labels": ["a/", "b"]}) == ["a", "b"]
    with pytest.raises(MetadataError) as err:
        parse_labels_group({"labels": "a"}, store="s", path="labels")
    assert err.value.field == "labels"


def test_image_label():
    lab = parse_image_label(
        {
            "ome": {
                "version": "0.5",
                "image-label": {
                    "colors": [{"label-value": 3, "rgba": [1, 2, 3, 4]}],
                    "properties": [{"label-value": 3, "area (pixels)": 7}],
                },
                "multiscales": [],
            }
        }
    )
    assert lab.version == "0.5" and lab.colors == {3: (1, 2, 3, 4)}
    assert lab.properties == {3: {"area (pixels)": 7}} and lab.source is None
    assert parse_image_label({"multiscales": []}) is None
    with pytest.raises(MetadataError) as err:
        parse_image_label({"image-label": {"colors": [{"rgba": [1, 2, 3, 4]}]}}, path="l")
    assert err.value.field == "image-label.colors[0]"


def test_bf2raw():
    assert bf2raw_layout({"ome": {"version": "0.5", "bioformats2raw.layout": 3}}) == 3
    with pytest.raises(MetadataError):
        bf2raw_layout({"bioformats2raw.layout": "3"})
    assert bf2raw_series({"ome": {"version": "0.5", "series": ["0", "a/"]}}) == ["0", "a"]
    with pytest.raises(MetadataError):
        bf2raw_series({"series": [0]})
