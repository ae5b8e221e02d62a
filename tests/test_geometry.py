"""One geometry for reader, ``info`` and validator: transforms compose in listed order."""

from __future__ import annotations

import numpy as np
import pytest
import zarr
from ngff_stores import write_image, write_labels, write_v03_odd_levels

import xarray_ngff as xn
from xarray_ngff._cli import describe_store
from xarray_ngff._reader import from_ngff_zarr


def _translation_then_scale(path, version: str = "0.4"):
    g = zarr.open_group(path, mode="w", zarr_format=2)
    g.create_array("0", data=np.arange(12, dtype="u1").reshape(3, 4), chunks=(3, 4))
    g.attrs["multiscales"] = [
        {
            "version": version,
            "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
            "datasets": [
                {
                    "path": "0",
                    "coordinateTransformations": [
                        {"type": "translation", "translation": [10.0, 10.0]},
                        {"type": "scale", "scale": [2.0, 2.0]},
                    ],
                }
            ],
        }
    ]


def test_translation_before_scale_is_scaled(tmp_path):
    path = tmp_path / "n5u.ome.zarr"
    _translation_then_scale(path)
    img = from_ngff_zarr(path)["scale0"]["image"]
    # index i -> 2 * (i + 10): first coordinate 20, spacing 2
    assert img.ngff.translation == {"y": 20.0, "x": 20.0}
    assert img.x.values.tolist() == [20.0, 22.0, 24.0, 26.0]
    level = describe_store(path)["images"][0]["levels"][0]
    assert level["translation"] == [20.0, 20.0] and level["scale"] == [2.0, 2.0]
    # the spec allows only [scale, translation]: the validator still says so
    problems = xn.validate_store(path)
    assert any("coordinateTransformations" in p for p in problems), problems
    with pytest.raises(xn.errors.ValidationError):
        from_ngff_zarr(path, validate=True)


def test_v03_odd_level_info_matches_reader(tmp_path):
    path = tmp_path / "odd.zarr"
    write_v03_odd_levels(path, [(5, 5), (3, 3)])
    assert describe_store(path)["images"][0]["levels"][1]["scale"] == [2.0, 2.0]
    assert from_ngff_zarr(path)["scale1"]["image"].ngff.scale == {"y": 2.0, "x": 2.0}


def _suite_stores(root):
    """The kinds of store the suite builds with ``ngff_stores``: every version and option."""
    write_image(root / "v01", "0.1", shape=(1, 2, 3, 8, 12))
    yield "v01", root / "v01"
    write_image(root / "v03", "0.3", dims="zyx", shape=(5, 9, 11), levels=3)
    yield "v03", root / "v03"
    for version in ("0.4", "0.5"):
        p = root / f"v{version}"
        write_image(
            p,
            version,
            dims="tcyx",
            shape=(2, 3, 8, 12),
            scale={"t": 0.1, "y": 0.5, "x": 0.25},
            translation={"y": 10.0, "x": -3.0},
            ms_transform=([1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 7.0, -1.0]),
        )
        yield version, p
        lp = root / f"l{version}"
        write_image(lp, version, dims="cyx", shape=(2, 8, 12))
        write_labels(lp, version, ["cells"])
        yield f"labels{version}", lp


def _more_suite_stores(root):
    """Plates (``datasets.synthetic_plate``, 0.4 and 0.5), a bioformats2raw collection and
    a 0.2 image: the other layouts the suite builds."""
    from xarray_ngff.datasets import synthetic_plate

    write_image(root / "v02", "0.2", shape=(1, 2, 3, 8, 12))
    yield "v02", root / "v02"
    plate = synthetic_plate(rows=1, columns=2, fields=2, shape=(2, 8, 8))
    for version in ("0.4", "0.5"):
        p = root / f"plate{version}"
        xn.to_hcs_zarr(p, plate, version=version)
        yield f"plate{version}", p
    bf = root / "bf2raw"
    group = zarr.open_group(bf, mode="w", zarr_format=2)
    group.attrs["bioformats2raw.layout"] = 3
    for s in range(2):
        write_image(None, "0.4", dims="yx", shape=(4, 4), group=group.create_group(str(s)))
    yield "bf2raw", bf


def _stored_kinds(path) -> dict[str, str | None]:
    """Every group of the store and its kind by ``_hierarchy.node_kind``."""
    from xarray_ngff._hierarchy import node_kind

    root = zarr.open_group(path, mode="r")
    out = {"": node_kind(dict(root.attrs))}
    for name, group in _all_groups(root):
        out[name] = node_kind(dict(group.attrs))
    return out


def _all_groups(group, prefix=""):
    for name, child in group.groups():
        full = f"{prefix}/{name}" if prefix else name
        yield full, child
        yield from _all_groups(child, full)


def _reader_kind(tree, path: str, stored: str | None) -> str | None:
    """What the reader made of a group: an image is a node with ``scale0`` child datasets;
    the other kinds are containers whose attributes keep the stored metadata."""
    from xarray_ngff._hierarchy import node_kind

    node = tree[path] if path else tree
    if "scale0" in node.children:
        return "image"
    return node_kind(dict(node.attrs))


def test_reader_info_and_validator_agree_on_suite_stores(tmp_path):
    import itertools

    import xarray as xr

    from xarray_ngff._validate import _guess_kind

    stores = itertools.chain(_suite_stores(tmp_path), _more_suite_stores(tmp_path))
    for name, path in stores:
        info = describe_store(path)
        tree = xr.open_datatree(path, engine="ngff")
        assert xn.validate_store(path) == [], name
        kinds = _stored_kinds(path)
        assert info["layout"] == kinds[""], name
        if name.startswith("plate"):  # every well and field is compared, not only the root
            assert list(kinds.values()).count("well") == 2, kinds
            assert list(kinds.values()).count("image") == 4, kinds
        for node_path, kind in kinds.items():
            if kind is None:  # a level's group in 0.1-0.3 stores, or OME/
                continue
            attrs = (
                dict(zarr.open_group(path, mode="r")[node_path].attrs)
                if node_path
                else (dict(zarr.open_group(path, mode="r").attrs))
            )
            body = attrs.get("ome", attrs)
            validator = {"label": "image"}.get(_guess_kind(body), _guess_kind(body))
            assert validator == kind, (name, node_path)
            assert _reader_kind(tree, node_path, kind) == kind, (name, node_path)
        images = {im["path"]: im for im in info["images"]}
        assert images and all(kinds[p] == "image" for p in images), name
        for prefix, im in images.items():
            axes = [a["name"] for a in im["axes"]]
            types = [a.get("type") for a in im["axes"]]
            for k, level in enumerate(im["levels"]):
                node = tree[f"{prefix}/scale{k}" if prefix else f"scale{k}"]
                (var,) = node.data_vars
                img = node[var]
                for d, kind, s, t in zip(
                    axes, types, level["scale"], level["translation"], strict=True
                ):
                    if kind not in ("space", "time") and d not in "tzyx":
                        continue
                    coord = img[d]
                    assert coord.attrs["spacing"] == pytest.approx(s), (name, prefix, k, d)
                    assert float(coord.values[0]) == pytest.approx(t), (name, prefix, k, d)
