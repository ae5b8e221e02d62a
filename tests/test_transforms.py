"""Every 0.6 transformation type: parse, apply, invert, reduce; the graph; the official
transformation examples; transform_points over stores and scenes (and the CLI)."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from v06_stores import write_field, write_scene, write_v06_image

import xarray_ngff as xn
from xarray_ngff._cli import main
from xarray_ngff._metadata.transforms import TRANSFORM_TYPES, parse_transform
from xarray_ngff._transform_graph import (
    NotConnectedError,
    NotInvertibleError,
    apply,
    axis_aligned,
    inverse,
)
from xarray_ngff.errors import MetadataError, NgffError

SPEC = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "ngff-spec" / "0.6"


def T(doc):  # noqa: N802 - reads like the JSON it stands for
    return parse_transform(doc)


P = np.array([[1.0, 2.0], [-3.0, 0.5]])
CASES = {
    "identity": ({"type": "identity"}, P),
    "mapAxis": ({"type": "mapAxis", "mapAxis": [1, 0]}, P[:, ::-1]),
    "translation": ({"type": "translation", "translation": [9, -1.42]}, P + [9, -1.42]),
    "scale": ({"type": "scale", "scale": [3.12, 2]}, P * [3.12, 2]),
    "affine": (
        {"type": "affine", "affine": [[1, 2, 3], [4, 5, 6]]},
        np.stack([P[:, 0] + 2 * P[:, 1] + 3, 4 * P[:, 0] + 5 * P[:, 1] + 6], axis=1),
    ),
    "rotation": (
        {"type": "rotation", "rotation": [[0, -1], [1, 0]]},
        np.stack([-P[:, 1], P[:, 0]], 1),
    ),
    "sequence": (
        {
            "type": "sequence",
            "transformations": [
                {"type": "translation", "translation": [0.1, 0.9]},
                {"type": "scale", "scale": [2, 3]},
            ],
        },
        (P + [0.1, 0.9]) * [2, 3],
    ),
    "byDimension": (
        {
            "type": "byDimension",
            "transformations": [
                {
                    "transformation": {"type": "translation", "translation": [-1.0]},
                    "inputAxes": [1],
                    "outputAxes": [1],
                },
                {
                    "transformation": {"type": "scale", "scale": [2.0]},
                    "inputAxes": [0],
                    "outputAxes": [0],
                },
            ],
        },
        np.stack([2 * P[:, 0], P[:, 1] - 1], axis=1),
    ),
    "bijection": (
        {
            "type": "bijection",
            "forward": {"type": "scale", "scale": [2, 4]},
            "inverse": {"type": "scale", "scale": [0.5, 0.25]},
        },
        P * [2, 4],
    ),
    "projectAxis": (
        {"type": "projectAxis", "createdOutputs": [0]},
        np.column_stack([np.zeros(2), P]),
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_apply_and_invert(kind):
    doc, expected = CASES[kind]
    t = T(doc)
    np.testing.assert_allclose(apply(t, P), expected)
    back = apply(inverse(t), expected)
    np.testing.assert_allclose(back, P, atol=1e-12)
    # the 0.6 JSON we write parses to the same transform
    assert T(t.to_dict()).to_dict() == t.to_dict()


def test_every_type_is_covered():
    covered = {doc["type"] for doc, _ in CASES.values()} | {"displacements", "coordinates"}
    assert covered == set(TRANSFORM_TYPES)


def test_not_invertible():
    with pytest.raises(NotInvertibleError):
        inverse(T({"type": "projectAxis", "droppedInputs": [0]}))
    with pytest.raises(NotInvertibleError):
        inverse(T({"type": "scale", "scale": [0, 1]}))
    with pytest.raises(NotInvertibleError):
        inverse(T({"type": "affine", "affine": [[1, 1, 0], [1, 1, 0]]}))
    with pytest.raises(NotInvertibleError, match="displacements"):
        inverse(T({"type": "displacements", "path": "f"}))


def test_drop_project_and_axis_aligned():
    t = T({"type": "projectAxis", "droppedInputs": [0], "createdOutputs": [0]})
    np.testing.assert_allclose(apply(t, [[5.0, 1.0, 2.0]]), [[0.0, 1.0, 2.0]])
    perm, s, tr = axis_aligned(
        T(
            {
                "type": "sequence",
                "transformations": [
                    {"type": "mapAxis", "mapAxis": [1, 0]},
                    {"type": "scale", "scale": [2, 3]},
                    {"type": "translation", "translation": [1, 1]},
                ],
            }
        ),
        2,
    )
    assert perm == (1, 0) and s.tolist() == [2.0, 3.0] and tr.tolist() == [1.0, 1.0]
    assert axis_aligned(T(CASES["rotation"][0]), 2) is None
    # a diagonal affine is axis-aligned
    assert axis_aligned(T({"type": "affine", "affine": [[2, 0, 1], [0, 3, 2]]}), 2)[1].tolist() == [
        2,
        3,
    ]


def test_lenient_forms_are_read_and_listed():
    notes: list[str] = []
    t = parse_transform(
        {
            "type": "byDimension",
            "input": "a",
            "output": "b",
            "transformations": [
                {
                    "transformation": {"type": "scale", "scale": [2]},
                    "input_axes": [0],
                    "output_axes": [0],
                }
            ],
        },
        lenient=notes,
    )
    assert t.input.name == "a" and t.axes == (((0,), (0,)),)
    assert any("string" in n for n in notes) and any("input_axes" in n for n in notes)
    with pytest.raises(MetadataError, match="unknown coordinate transformation type"):
        parse_transform({"type": "warp"})
    with pytest.raises(MetadataError, match="permutation"):
        parse_transform({"type": "mapAxis", "mapAxis": [0, 2]})


def _image_with_system(path, name, transform):
    """A 0.6 image with one more (y, x) system, ``name``, reached from "physical" by
    ``transform``; its root group, open for writing the arrays the transform names."""
    import zarr

    yx = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
    link = {"input": {"name": "physical"}, "output": {"name": name}}
    write_v06_image(path, systems=[{"name": name, "axes": yx}], transforms=[transform | link])
    return zarr.open_group(str(path), mode="r+")


def test_displacement_field_from_zarr(tmp_path):
    # the spec's table: field spacing 2, vector (1, 2) at (0, 0) and (0.5, 1.2) at (2, 0)
    path = tmp_path / "img.ome.zarr"
    root = _image_with_system(
        path, "output", {"type": "displacements", "path": "coordinateTransformations/dfield"}
    )
    field = np.zeros((2, 2, 2))
    field[:, 0, :] = [[1.0], [2.0]]
    field[:, 1, :] = [[0.5], [1.2]]
    write_field(
        root,
        "coordinateTransformations/dfield",
        field,
        (2.0, 2.0),
        "displacement",
    )
    out = xn.transform_points(path, "physical", "output", [[0.0, 0.0], [2.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(out, [[1.0, 2.0], [2.5, 1.2], [1.75, 1.6]])
    with pytest.raises(NotInvertibleError, match="cannot be inverted"):
        xn.transform_points(path, "output", "physical", [[0.0, 0.0]])


def test_coordinates_field_and_bijection(tmp_path):
    path = tmp_path / "img.ome.zarr"
    forward = {"type": "coordinates", "path": "fields/fwd", "interpolation": "nearest"}
    inverse = {"type": "scale", "scale": [0.5, 0.5]}
    root = _image_with_system(
        path, "warped", {"type": "bijection", "forward": forward, "inverse": inverse}
    )
    yy, xx = np.meshgrid(np.arange(3.0), np.arange(3.0), indexing="ij")
    write_field(
        root,
        "fields/fwd",
        np.stack([2 * yy, 2 * xx]),
        (1.0, 1.0),
        "coordinate",
    )
    np.testing.assert_allclose(
        xn.transform_points(path, "physical", "warped", [[1.0, 2.0]]), [[2.0, 4.0]]
    )
    np.testing.assert_allclose(
        xn.transform_points(path, "warped", "physical", [[2.0, 4.0]]), [[1.0, 2.0]]
    )


def test_scene_points_cli_and_errors(tmp_path, capsys):
    path = tmp_path / "scene.ome.zarr"
    write_scene(path)
    pts = [[1.0, 2.0]]
    np.testing.assert_allclose(
        xn.transform_points(path, "tileA/physical", "world", pts), [[101.0, 2.0]]
    )
    # tileB: rotate (y, x) -> (-x, y), then shift x by 50
    np.testing.assert_allclose(
        xn.transform_points(path, "tileB/physical", "world", pts), [[-2.0, 51.0]]
    )
    # across images: tileA -> world -> (inverse) tileB
    np.testing.assert_allclose(
        xn.transform_points(path, "tileA/physical", "tileB/physical", pts), [[2.0 - 50.0, -101.0]]
    )
    np.testing.assert_allclose(
        xn.transform_points(path, "world", "tilted", [[2.0, 4.0]]), [[4.0, 4.0]]
    )
    np.testing.assert_allclose(
        xn.transform_points(path, "tilted", "world", [[4.0, 4.0]]), [[2.0, 4.0]]
    )
    with pytest.raises(NgffError, match="several groups"):
        xn.transform_points(path, "physical", "world", pts)
    assert main(["transform", str(path), "tileA/physical", "world", "[[1, 2], [3, 4]]"]) == 0
    assert json.loads(capsys.readouterr().out) == {"coordinates": [[101.0, 2.0], [103.0, 4.0]]}
    # the tree opened from the scene maps the same points
    import xarray as xr

    tree = xr.open_datatree(path, engine="ngff")
    assert {"tileA", "tileB"} <= set(tree.children)
    assert tree.attrs["ome"]["scene"]["coordinateSystems"][0]["name"] == "world"
    np.testing.assert_allclose(
        xn.transform_points(tree, "tileB/physical", "world", pts), [[-2.0, 51.0]]
    )
    names = {(c["path"], c["name"]) for c in tree.ngff.coordinate_systems}
    assert names == {("", "world"), ("", "tilted"), ("tileA", "physical"), ("tileB", "physical")}


def test_cli_not_connected_exits_1(tmp_path, capsys):
    path = tmp_path / "img.ome.zarr"
    write_v06_image(path, systems=[{"name": "lonely", "axes": [{"name": "x", "type": "space"}]}])
    assert main(["transform", str(path), "physical", "lonely", "[[1, 2]]"]) == 1
    assert "no chain of coordinate transformations" in capsys.readouterr().err
    with pytest.raises(NotConnectedError):
        xn.transform_points(path, "physical", "lonely", [[1.0, 2.0]])
    assert main(["transform", str(path), "physical", "physical", "not json"]) == 2


@pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/ngff-spec absent")
def test_official_transformation_examples_parse_and_apply():
    folder = SPEC / "examples" / "transformations"
    seen = set()
    for path in sorted(folder.glob("*.json")):
        if "Invalid" in path.name:  # the spec's own counter-examples
            continue
        doc = json.loads(path.read_text())
        for raw in doc.get("coordinateTransformations", []):
            t = parse_transform(raw)
            seen.add(t.type)
            if any(c.path for c in (t, *t.children)) or t.path:
                continue  # parameters in arrays that the example does not include
            n_in = len(
                next(c for c in doc["coordinateSystems"] if c["name"] == t.input.name)["axes"]
            )
            out = apply(t, np.ones((1, n_in)))
            n_out = len(
                next(c for c in doc["coordinateSystems"] if c["name"] == t.output.name)["axes"]
            )
            assert out.shape == (1, n_out), path.name
    assert seen >= set(TRANSFORM_TYPES) - {"displacements", "coordinates"}


def test_docs_scene_example(tmp_path, monkeypatch):
    import sys

    import xarray as xr

    monkeypatch.syspath_prepend(str(pathlib.Path(__file__).resolve().parents[1] / "docs"))
    sys.modules.pop("scene_example", None)
    from scene_example import write_example_scene

    path = tmp_path / "scene.ome.zarr"
    write_example_scene(path)
    tree = xr.open_datatree(path, engine="ngff")
    assert sorted(tree.children) == ["tileA", "tileB"]
    out = xn.transform_points(tree, "tileB/physical", "world", [[0.0, 0.0], [0.0, 10.0]])
    np.testing.assert_allclose(out, [[6.0, 26.0], [1.0, 34.660254]], atol=1e-6)
    back = xn.transform_points(tree, "tileA/physical", "tileB/physical", [[6.0, 26.0]])
    np.testing.assert_allclose(back, [[0.0, 0.0]], atol=1e-12)
    assert xn.validate_store(path) == []


def test_link_to_a_label_image(tmp_path):
    import zarr

    path = tmp_path / "img.ome.zarr"
    write_v06_image(
        path,
        transforms=[
            {
                "type": "translation",
                "translation": [1.0, 2.0],
                "input": {"name": "physical"},
                "output": {"name": "physical", "path": "labels/cells"},
            }
        ],
    )
    labels = zarr.open_group(str(path), mode="r+").create_group("labels")
    labels.attrs["ome"] = {"version": "0.6", "labels": ["cells"]}
    write_v06_image(None, group=labels.create_group("cells"), name="cells")
    out = xn.transform_points(path, "/physical", "labels/cells/physical", [[0.0, 0.0]])
    np.testing.assert_allclose(out, [[1.0, 2.0]])
    # the label's own levels are nodes too
    np.testing.assert_allclose(
        xn.transform_points(path, "labels/cells/s1/", "physical", [[0.0, 0.0]]),
        [[10.25 - 1.0, -2.875 - 2.0]],
    )


def test_affine_from_a_zarr_array_both_ways(tmp_path):
    path = tmp_path / "img.ome.zarr"
    root = _image_with_system(
        path, "world", {"type": "affine", "path": "coordinateTransformations/aff"}
    )
    matrix = np.array([[2.0, 1.0, 3.0], [0.0, 1.0, -1.0]])
    root.create_array("coordinateTransformations/aff", data=matrix)
    out = xn.transform_points(path, "physical", "world", [[1.0, 2.0]])
    np.testing.assert_allclose(out, [[2 + 2 + 3, 2 - 1]])
    np.testing.assert_allclose(xn.transform_points(path, "world", "physical", out), [[1.0, 2.0]])
