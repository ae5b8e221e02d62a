"""OME-Zarr 0.6 images, labels and plates: read, write, convert, validate, interop."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st
from v06_stores import YX, write_v06_image

import xarray_ngff as xn
from xarray_ngff._cli import main
from xarray_ngff._transforms import TRANSFORMS_ATTR
from xarray_ngff.errors import NgffError, UnsupportedVersionError, ValidationError

WORLD = {"name": "world", "axes": YX}


def _attrs(path):
    return json.loads((path / "zarr.json").read_text())["attributes"]


def _ms(path):
    return _attrs(path)["ome"]["multiscales"][0]


def test_read_geometry_and_pixels(tmp_path):
    path = tmp_path / "a.ome.zarr"
    data = write_v06_image(path, shape=(6, 8), scale=(0.5, 0.25), translation=(10.0, -3.0))
    tree = xn.from_ngff_zarr(path)
    img0, img1 = tree["scale0"]["img"], tree["scale1"]["img"]
    np.testing.assert_array_equal(img0.values, data[0])
    np.testing.assert_array_equal(img1.values, data[1])
    assert img0.ngff.scale == {"y": 0.5, "x": 0.25}
    assert img0.ngff.translation == {"y": 10.0, "x": -3.0}
    assert img1.ngff.scale == {"y": 1.0, "x": 0.5}
    assert img1.ngff.translation == {"y": 10.25, "x": -2.875}
    assert img0.ngff.axes_units == {"y": "micrometer", "x": "micrometer"}
    assert img0.attrs[TRANSFORMS_ATTR]["intrinsic"] == "physical"
    assert xn.validate_store(path) == []
    info = json.loads(_cli_json(["info", "--json", str(path)]))
    assert info["version"] == "0.6"
    assert info["images"][0]["levels"][1]["translation"] == [10.25, -2.875]


def _cli_json(argv):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(argv)
    return out.getvalue()


def test_in_system_axis_aligned_and_not(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_v06_image(
        path,
        translation=(0.0, 0.0),
        systems=[WORLD, {"name": "tilted", "axes": YX}, {"name": "swapped", "axes": YX[::-1]}],
        transforms=[
            {
                "type": "sequence",
                "transformations": [
                    {"type": "scale", "scale": [2, 2]},
                    {"type": "translation", "translation": [100, 0]},
                ],
                "input": {"name": "physical"},
                "output": {"name": "world"},
            },
            {
                "type": "affine",
                "affine": [[1, 0.5, 0], [0, 1, 0]],
                "input": {"name": "world"},
                "output": {"name": "tilted"},
            },
            {
                "type": "mapAxis",
                "mapAxis": [1, 0],
                "input": {"name": "physical"},
                "output": {"name": "swapped"},
            },
        ],
    )
    tree = xn.from_ngff_zarr(path)
    img = tree["scale0"]["img"]
    world = img.ngff.in_system("world")
    np.testing.assert_allclose(world.y.values, 100 + 2 * img.y.values)
    np.testing.assert_allclose(world.x.values, 2 * img.x.values)
    # the same numbers as transform_points on the pixel centres
    pts = np.stack([img.y.values[:3], img.x.values[:3]], axis=1)
    np.testing.assert_allclose(
        xn.transform_points(path, "physical", "world", pts),
        np.stack([world.y.values[:3], world.x.values[:3]], axis=1),
    )
    # mapAxis only reorders the system's axes: named dims keep their values
    swapped = img.ngff.in_system("swapped")
    xr.testing.assert_equal(swapped.x, img.x)
    assert swapped.attrs[TRANSFORMS_ATTR]["intrinsic"] == "swapped"
    with pytest.raises(NgffError, match="transform_points"):
        img.ngff.in_system("tilted")
    systems = {c["name"] for c in tree.ngff.coordinate_systems}
    assert systems == {"physical", "world", "tilted", "swapped"}


def test_round_trip_is_lossless(tmp_path):
    src, dst = tmp_path / "src.ome.zarr", tmp_path / "dst.ome.zarr"
    extra = [
        {
            "type": "affine",
            "affine": [[1, 0.5, 3], [0, 1, 4]],
            "name": "register",
            "input": {"name": "physical"},
            "output": {"name": "world"},
        }
    ]
    data = write_v06_image(src, systems=[WORLD], transforms=extra)
    tree = xn.from_ngff_zarr(src)
    xn.to_ngff_zarr(dst, tree, version="0.6", omero=False)
    a, b = _ms(src), _ms(dst)
    assert b["coordinateSystems"] == a["coordinateSystems"]
    assert b["coordinateTransformations"] == a["coordinateTransformations"]
    # level transforms equal up to the array paths (our writer's layout decides those)
    for da_, db in zip(a["datasets"], b["datasets"], strict=True):
        (ta,), (tb,) = da_["coordinateTransformations"], db["coordinateTransformations"]
        assert tb["input"] == {"path": db["path"]}
        assert {**tb, "input": None} == {**ta, "input": None}
    back = xn.from_ngff_zarr(dst)
    for k, level in enumerate(data):
        np.testing.assert_array_equal(back[f"scale{k}"]["img"].values, level)
        assert (
            back[f"scale{k}"]["img"].ngff.translation == tree[f"scale{k}"]["img"].ngff.translation
        )
    # our own document survives a second trip byte for byte
    again = tmp_path / "again.ome.zarr"
    xn.to_ngff_zarr(again, back, version="0.6", omero=False)
    assert _attrs(again) == _attrs(dst)
    assert xn.validate_store(dst) == []


def test_convert_down_refuses_what_05_cannot_express(tmp_path):
    src = tmp_path / "src.ome.zarr"
    write_v06_image(
        src,
        systems=[WORLD],
        transforms=[
            {
                "type": "affine",
                "affine": [[1, 0.5, 0], [0, 1, 0]],
                "input": {"name": "physical"},
                "output": {"name": "world"},
            }
        ],
    )
    tree = xn.from_ngff_zarr(src)
    with pytest.raises(UnsupportedVersionError, match="drop_transforms"):
        xn.to_ngff_zarr(tmp_path / "a.ome.zarr", tree, version="0.5")
    assert not (tmp_path / "a.ome.zarr").exists()
    xn.to_ngff_zarr(tmp_path / "b.ome.zarr", tree, version="0.5", drop_transforms=True)
    down = xn.from_ngff_zarr(tmp_path / "b.ome.zarr", validate=True)
    assert down["scale1"]["img"].ngff.translation == tree["scale1"]["img"].ngff.translation
    # and up again: 0.5 -> 0.6 keeps geometry and pixels
    xn.to_ngff_zarr(tmp_path / "c.ome.zarr", down, version="0.6")
    up = xn.from_ngff_zarr(tmp_path / "c.ome.zarr", validate=True)
    xr.testing.assert_identical(
        up["scale1"]["img"].drop_attrs(), down["scale1"]["img"].drop_attrs()
    )
    assert _ms(tmp_path / "c.ome.zarr")["coordinateSystems"][0]["name"] == "intrinsic"


def test_cli_convert_and_validate_json(tmp_path, capsys):
    out = tmp_path / "s.ome.zarr"
    assert main(["convert", "-q", "--sample", "cells_3d", str(out), "--version", "0.6"]) == 0
    assert _attrs(out)["ome"]["version"] == "0.6"
    assert main(["validate", str(out)]) == 0
    capsys.readouterr()
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps(_attrs(out)))
    assert main(["validate", "--json", str(doc)]) == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "problems": []}
    bad = _attrs(out)
    bad["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["type"] = "warp"
    doc.write_text(json.dumps(bad))
    assert main(["validate", "--json", str(doc)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["problems"]
    doc.write_text("{not json")
    assert main(["validate", "--json", str(doc)]) == 2


@pytest.mark.parametrize("version", ["0.6.dev1", "0.6.dev2", "0.6.dev3", "0.6.dev4", "0.6rc0"])
def test_prerelease_versions_read_but_flagged(tmp_path, version):
    path = tmp_path / "a.ome.zarr"
    data = write_v06_image(path, version=version)
    np.testing.assert_array_equal(xn.from_ngff_zarr(path)["scale0"]["img"].values, data[0])
    problems = xn.validate_store(path)
    assert (problems == []) == (version == "0.6rc0"), problems


def test_snake_case_drafts_read_but_non_conformant(tmp_path):
    path = tmp_path / "a.ome.zarr"
    by_dim = {
        "type": "byDimension",
        "input": {"name": "physical"},
        "output": {"name": "world"},
        "transformations": [
            {
                "transformation": {"type": "scale", "scale": [2.0]},
                "input_axes": [0],
                "output_axes": [0],
            },
            {
                "transformation": {"type": "translation", "translation": [5.0]},
                "input_axes": [1],
                "output_axes": [1],
            },
        ],
    }
    write_v06_image(path, systems=[WORLD], transforms=[by_dim])
    np.testing.assert_allclose(xn.transform_points(path, "physical", "world", [[1, 1]]), [[2, 6]])
    assert any("coordinateTransformations" in p for p in xn.validate_store(path))


def test_string_refs_read_but_non_conformant(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_v06_image(path, systems=[WORLD])
    attrs = _attrs(path)
    entry = attrs["ome"]["multiscales"][0]
    for d in entry["datasets"]:
        t = d["coordinateTransformations"][0]
        t["input"], t["output"] = d["path"], "physical"
    entry["coordinateTransformations"] = [
        {"type": "scale", "scale": [2, 2], "input": "physical", "output": "world"}
    ]
    zarr.open_group(str(path), mode="r+").attrs.put(attrs)
    tree = xn.from_ngff_zarr(path)
    assert tree["scale0"]["img"].ngff.scale == {"y": 0.5, "x": 0.25}
    np.testing.assert_allclose(xn.transform_points(path, "physical", "world", [[1, 1]]), [[2, 2]])
    assert xn.validate_store(path)
    with pytest.raises(ValidationError):
        xn.from_ngff_zarr(path, validate=True)


def test_orientation_kept_and_written_back(tmp_path):
    path = tmp_path / "a.ome.zarr"
    axes = [
        {**YX[0], "orientation": {"type": "anatomical", "value": "anterior-to-posterior"}},
        {**YX[1], "orientation": {"type": "anatomical", "value": "left-to-right"}},
    ]
    write_v06_image(path, axes=axes, version="0.9.dev1")
    img = xn.from_ngff_zarr(path)["scale0"]["img"]
    assert img.y.attrs["orientation"]["value"] == "anterior-to-posterior"
    assert img.ngff.axes[1]["orientation"] == axes[1]["orientation"]
    out = tmp_path / "b.ome.zarr"
    xn.to_ngff_zarr(out, img, version="0.6")
    written = _ms(out)["coordinateSystems"][0]["axes"]
    assert [a.get("orientation") for a in written] == [a["orientation"] for a in axes]
    # 0.5 too (ngff-zarr writes orientation into 0.4/0.5 axes)
    xn.to_ngff_zarr(tmp_path / "c.ome.zarr", img, version="0.5")
    back = xn.from_ngff_zarr(tmp_path / "c.ome.zarr")["scale0"]["img"]
    assert back.x.attrs["orientation"] == axes[1]["orientation"]


def test_labels_in_06(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_v06_image(path)
    root = zarr.open_group(str(path), mode="r+")
    labels = root.create_group("labels")
    labels.attrs["ome"] = {"version": "0.6", "labels": ["cells"]}
    g = labels.create_group("cells")
    data = write_v06_image(None, group=g, name="cells")
    attrs = dict(g.attrs["ome"])
    attrs["image-label"] = {"colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}]}
    g.attrs["ome"] = attrs
    tree = xn.from_ngff_zarr(path)
    np.testing.assert_array_equal(tree["labels/cells/scale0"]["cells"].values, data[0])
    assert xn.validate_store(path) == []


def test_plate_06_round_trip(tmp_path):
    img = xn.to_ngff_image(np.arange(64, dtype="uint8").reshape(8, 8), scale={"y": 2.0, "x": 2.0})
    ms = xn.to_multiscales(img, scale_factors=[2])
    path = tmp_path / "p.ome.zarr"
    xn.to_hcs_zarr(path, {"A/1/0": ms, "B/2/0": ms}, version="0.6")
    assert _attrs(path)["ome"]["version"] == "0.6"
    plate = xn.from_hcs_zarr(path)
    assert plate.metadata.version == "0.6"
    field = plate.image("B/2/0")
    np.testing.assert_array_equal(field["scale0"]["image"].values, img.values)
    assert field["scale1"]["image"].ngff.scale == {"y": 4.0, "x": 4.0}
    assert xn.validate_store(path) == []
    nz = pytest.importorskip("ngff_zarr")
    theirs = nz.from_hcs_zarr(str(path))
    assert [w.path for w in theirs.metadata.wells] == ["A/1", "B/2"]
    ms_nz = theirs.get_well("B", "2").get_image(0)
    np.testing.assert_array_equal(np.asarray(ms_nz.images[0].data), img.values)
    assert ms_nz.images[1].scale == {"y": 4.0, "x": 4.0}


def test_spatialdata_variants_read_as_geometry(tmp_path):
    from ngff_stores import write_image

    path = tmp_path / "sd.zarr"
    write_image(path, "0.4", dims="cyx", shape=(1, 8, 8))
    attrs = json.loads((path / ".zattrs").read_text())
    entry = attrs["multiscales"][0]
    entry["version"] = "0.4-dev-spatialdata"
    cyx = {"name": "cyx", "axes": [{"name": n} for n in "cyx"]}
    entry["coordinateTransformations"] = [
        {
            "type": "sequence",
            "input": cyx,
            "output": {"name": "global", "axes": cyx["axes"]},
            "transformations": [
                {"type": "scale", "scale": [1.0, 2.0, 2.0]},
                {"type": "translation", "translation": [0.0, 5.0, 1.0]},
            ],
        },
        {"type": "identity", "input": cyx, "output": {"name": "aligned", "axes": cyx["axes"]}},
    ]
    (path / ".zattrs").write_text(json.dumps(attrs))
    tree = xn.from_ngff_zarr(path)
    img = tree["scale0"]["image"]
    assert img.ngff.scale == {"y": 2.0, "x": 2.0} and img.ngff.translation == {"y": 5.0, "x": 1.0}
    names = [t["output"]["name"] for t in tree.attrs["multiscales"][0]["coordinateTransformations"]]
    assert names == ["global", "aligned"]
    assert xn.validate_store(path)  # still not conformant 0.4


def test_ngff_zarr_06_interop(tmp_path):
    nz = pytest.importorskip("ngff_zarr")
    data = np.arange(2 * 16 * 20, dtype="uint16").reshape(2, 16, 20)
    image = nz.to_ngff_image(
        data,
        dims=("c", "y", "x"),
        scale={"y": 0.5, "x": 0.25},
        translation={"y": 10.0, "x": -3.0},
        axes_units={"y": "micrometer", "x": "micrometer"},
    )
    theirs = tmp_path / "theirs.ome.zarr"
    nz.to_ngff_zarr(theirs, nz.to_multiscales(image, scale_factors=[2]), version="0.6")
    ref = nz.from_ngff_zarr(theirs)
    tree = xn.from_ngff_zarr(theirs, validate=True)
    for k, im in enumerate(ref.images):
        ours = tree[f"scale{k}"]["image"]
        np.testing.assert_array_equal(ours.values, np.asarray(im.data))
        assert ours.ngff.scale == {d: v for d, v in im.scale.items() if d != "c"}
        assert ours.ngff.translation == {d: v for d, v in im.translation.items() if d != "c"}
    mine = tmp_path / "mine.ome.zarr"
    xn.to_ngff_zarr(mine, tree, version="0.6")
    back = nz.from_ngff_zarr(mine)
    for k, im in enumerate(back.images):
        np.testing.assert_array_equal(np.asarray(im.data), np.asarray(ref.images[k].data))
        assert im.scale == ref.images[k].scale and im.translation == ref.images[k].translation


def test_official_schema_accepts_our_documents(tmp_path):
    from xarray_ngff._validate._v06 import problems_v06

    img = xn.to_ngff_image(
        np.zeros((4, 6, 6), "uint8"), dims=("c", "y", "x"), translation={"y": 1.0}
    )
    img.ngff.to_zarr(tmp_path / "a.ome.zarr", version="0.6")
    assert problems_v06(_attrs(tmp_path / "a.ome.zarr"), "image", strict=True) == []
    xn.to_multiscales(img, scale_factors=[2]).ngff.to_zarr(tmp_path / "b.ome.zarr", version="0.6")
    assert problems_v06(_attrs(tmp_path / "b.ome.zarr"), "image", strict=True) == []


_step = st.one_of(
    st.tuples(st.just("scale"), st.lists(st.floats(0.25, 4.0), min_size=2, max_size=2)),
    st.tuples(st.just("translation"), st.lists(st.floats(-50, 50), min_size=2, max_size=2)),
    st.tuples(st.just("identity"), st.none()),
)


@settings(max_examples=15, deadline=None)
@given(
    level=st.tuples(st.floats(0.1, 3.0), st.floats(-20, 20)),
    chain=st.lists(_step, min_size=1, max_size=4),
)
def test_random_axis_aligned_chains(tmp_path_factory, level, chain):
    path = tmp_path_factory.mktemp("h") / "a.ome.zarr"
    steps = [{"type": k, **({k: list(v)} if v is not None else {})} for k, v in chain]
    write_v06_image(
        path,
        scale=(level[0], level[0] * 2),
        translation=(level[1], 0.0),
        systems=[WORLD],
        transforms=[
            {
                "type": "sequence",
                "transformations": steps,
                "input": {"name": "physical"},
                "output": {"name": "world"},
            }
        ],
    )
    img = xn.from_ngff_zarr(path)["scale1"]["img"]
    yy, xx = np.meshgrid(img.y.values, img.x.values, indexing="ij")
    pts = np.stack([yy.ravel(), xx.ravel()], axis=1)
    # the reader's coordinates are the level's transform applied to the array indices
    iy, ix = np.meshgrid(np.arange(img.sizes["y"]), np.arange(img.sizes["x"]), indexing="ij")
    index = np.stack([iy.ravel(), ix.ravel()], axis=1)
    np.testing.assert_allclose(xn.transform_points(path, "s1/", "physical", index), pts, atol=1e-9)
    mapped = xn.transform_points(path, "physical", "world", pts)
    world = img.ngff.in_system("world")
    wy, wx = np.meshgrid(world.y.values, world.x.values, indexing="ij")
    np.testing.assert_allclose(
        mapped, np.stack([wy.ravel(), wx.ravel()], axis=1), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(
        xn.transform_points(path, "world", "physical", mapped), pts, atol=1e-7
    )


def test_bioformats2raw_06(tmp_path):
    path = tmp_path / "bf.ome.zarr"
    root = zarr.open_group(str(path), mode="w", zarr_format=3)
    root.attrs["ome"] = {"version": "0.6", "bioformats2raw.layout": 3}
    root.create_group("OME").attrs["ome"] = {"version": "0.6", "series": ["0", "1"]}
    data = [write_v06_image(None, group=root.create_group(s), name=f"s{s}") for s in "01"]
    tree = xn.from_ngff_zarr(path)
    np.testing.assert_array_equal(tree["1/scale1"]["s1"].values, data[1][1])
    assert tree["0/scale0"]["s0"].ngff.translation == {"y": 10.0, "x": -3.0}
    assert xn.validate_store(path) == []


def test_ngff_zarr_scene_and_orientation(tmp_path):
    nz = pytest.importorskip("ngff_zarr")
    from ngff_zarr import CoordinateSystemIdentifier as Ref
    from ngff_zarr.v06.zarr_metadata import Affine, Axis, CoordinateSystem, Translation

    data = np.arange(16 * 20, dtype="uint16").reshape(16, 20)
    images = {
        name: nz.to_multiscales(
            nz.to_ngff_image(pixels, dims=("y", "x"), scale={"y": 0.5, "x": 0.5}),
            scale_factors=[2],
        )
        for name, pixels in (("a", data), ("b", data[::-1].copy()))
    }
    world = CoordinateSystem(
        name="world", axes=[Axis(name="y", type="space"), Axis(name="x", type="space")]
    )
    transforms = [
        Translation(
            input=Ref(name="intrinsic", path="a"), output=Ref(name="world"), translation=[10.0, 0.0]
        ),
        Affine(
            input=Ref(name="intrinsic", path="b"),
            output=Ref(name="world"),
            affine=[[0.0, 1.0, 0.0], [1.0, 0.0, 5.0]],
        ),
    ]
    path = tmp_path / "scene.ome.zarr"
    nz.to_ngff_zarr(str(path), nz.NgffScene(images, transforms, [world]), version="0.6")
    tree = xr.open_datatree(path, engine="ngff")
    np.testing.assert_array_equal(tree["b/scale0"]["image"].values, data[::-1])
    np.testing.assert_allclose(
        xn.transform_points(tree, "b/intrinsic", "world", [[1, 2]]), [[2, 6]]
    )
    np.testing.assert_allclose(
        xn.transform_points(path, "a/intrinsic", "b/intrinsic", [[11, 2]]), [[-3, 21]]
    )
    assert xn.validate_store(path) == []
    # RFC-4 orientation as ngff-zarr writes it into 0.5 axes
    oriented = nz.to_multiscales(
        nz.to_ngff_image(np.zeros((4, 6, 8), "uint8"), dims=("z", "y", "x")),
        scale_factors=[],
        orientation="LPS",
    )
    nz.to_ngff_zarr(str(tmp_path / "o.ome.zarr"), oriented, version="0.5")
    axes = _attrs(tmp_path / "o.ome.zarr")["ome"]["multiscales"][0]["axes"]
    img = xn.from_ngff_zarr(tmp_path / "o.ome.zarr")["scale0"]["image"]
    assert [a.get("orientation") for a in img.ngff.axes] == [a.get("orientation") for a in axes]
    assert any(a.get("orientation") for a in axes)


def test_info_lists_scene_images_and_systems(tmp_path):
    from v06_stores import write_scene

    path = tmp_path / "scene.ome.zarr"
    write_scene(path)
    info = json.loads(_cli_json(["info", "--json", str(path)]))
    assert info["layout"] == "scene" and info["version"] == "0.6"
    assert [im["path"] for im in info["images"]] == ["tileA", "tileB"]
    assert info["images"][0]["coordinate_systems"] == ["physical"]
    assert main(["validate", str(path)]) == 0


def test_early_draft_with_axes_reads(tmp_path):
    from ngff_stores import write_image

    path = tmp_path / "a.ome.zarr"
    data = write_image(path, "0.5", dims="yx", shape=(8, 12), scale={"y": 0.5, "x": 0.5})
    attrs = _attrs(path)
    attrs["ome"]["version"] = "0.6.dev1"
    zarr.open_group(str(path), mode="r+").attrs.put(attrs)
    img = xn.from_ngff_zarr(path)["scale1"]["image"]
    np.testing.assert_array_equal(img.values, data[1])
    assert img.ngff.scale == {"y": 1.0, "x": 1.0}
    assert xn.validate_store(path)  # not a conformant 0.6 document


def test_store_rules_for_06(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_v06_image(path)
    root = zarr.open_group(str(path), mode="r+")
    del root["s1"]
    root.create_array("s1", shape=(3, 4, 1), dtype="uint16", dimension_names=["y", "x", "q"])
    problems = xn.validate_store(path)
    assert any("3 dimensions" in p for p in problems), problems
    assert any("dimension_names" in p for p in problems), problems
    # an intrinsic system that no coordinateSystems entry defines
    attrs = _attrs(path)
    attrs["ome"]["multiscales"][0]["coordinateSystems"][0]["name"] = "other"
    root.attrs.put(attrs)
    with pytest.raises(NgffError, match="same coordinate system"):
        xn.from_ngff_zarr(path)
    assert any("not in coordinateSystems" in p for p in xn.validate_store(path))


def test_cli_convert_keeps_or_drops_systems(tmp_path, capsys):
    src = tmp_path / "src.ome.zarr"
    affine = {
        "type": "affine",
        "affine": [[1, 0.5, 0], [0, 1, 0]],
        "input": {"name": "physical"},
        "output": {"name": "world"},
    }
    write_v06_image(src, systems=[WORLD], transforms=[affine])
    same = tmp_path / "same.ome.zarr"
    assert main(["convert", "-q", str(src), str(same), "--version", "0.6"]) == 0
    assert _ms(same)["coordinateTransformations"] == _ms(src)["coordinateTransformations"]
    down = tmp_path / "down.ome.zarr"
    assert main(["convert", "-q", str(src), str(down), "--version", "0.5"]) == 2
    assert "drop_transforms" in capsys.readouterr().err and not down.exists()
    assert (
        main(["convert", "-q", str(src), str(down), "--version", "0.5", "--drop-transforms"]) == 0
    )
    assert xn.validate_store(down) == []
