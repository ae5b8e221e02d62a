"""Label images written from the xarray API (``labels=``, ``add_label``), read back by us and
by ome-zarr-py, ngff-zarr and ome-zarr-models; peers' label stores round-trip."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_ngff as xn
from xarray_ngff._labels import image_label
from xarray_ngff.errors import NgffError, StoreExistsError, WriteError


@pytest.fixture(scope="module")
def image() -> xr.DataArray:
    data = np.arange(2 * 32 * 32, dtype="uint16").reshape(2, 32, 32)
    return xn.to_ngff_image(
        data,
        dims=("c", "y", "x"),
        scale={"y": 0.5, "x": 0.5},
        translation={"y": 3.0},
        axes_units={"y": "micrometer", "x": "micrometer"},
        channel_names=["DAPI", "GFP"],
    )


@pytest.fixture(scope="module")
def cells() -> np.ndarray:
    lab = np.zeros((32, 32), "uint8")
    lab[4:12, 4:12] = 3
    lab[20:30, 16:28] = 7
    return lab


def _attrs(path: pathlib.Path) -> dict:
    return dict(zarr.open_group(str(path), mode="r").attrs)


def _body(attrs: dict) -> dict:
    return dict(attrs["ome"]) if "ome" in attrs else dict(attrs)


@pytest.mark.parametrize("version", ["0.4", "0.5", "0.6"])
def test_labels_argument_writes_spec_layout(tmp_path, image, cells, version):
    path = tmp_path / "img.ome.zarr"
    ms = xn.to_multiscales(image, scale_factors=[2, 4])
    xn.to_ngff_zarr(path, ms, version=version, labels={"cells": cells})
    assert _body(_attrs(path / "labels"))["labels"] == ["cells"]
    lab_attrs = _body(_attrs(path / "labels" / "cells"))
    doc = lab_attrs["image-label"]
    assert doc["source"] == {"image": "../../"}
    assert ("version" in doc) == (version == "0.4")  # 0.5 carries it in the envelope
    ms_doc = lab_attrs["multiscales"][0]
    assert ms_doc["type"] == "mode"  # labels are reduced by the most frequent value
    assert [d["path"] for d in ms_doc["datasets"]] == ["0", "1", "2"]
    tree = xn.from_ngff_zarr(path)
    levels = [tree[f"labels/cells/scale{k}"]["cells"] for k in range(3)]
    # the label gets the image's dims (c of size 1), geometry and ladder
    assert levels[0].dims == ("c", "y", "x") and levels[0].sizes["c"] == 1
    np.testing.assert_array_equal(levels[0].values[0], cells)
    for k, lvl in enumerate(levels):
        assert lvl.ngff.scale == tree[f"scale{k}"]["image"].ngff.scale
        assert lvl.ngff.translation == tree[f"scale{k}"]["image"].ngff.translation
        assert lvl.dtype == np.uint8
    # mode keeps the label values (no new values from averaging)
    assert set(np.unique(levels[2].values)) <= {0, 3, 7}
    assert levels[1].values[0, 2, 2] == 3 and levels[1].values[0, 12, 10] == 7


@pytest.mark.parametrize("version", ["0.4", "0.5", "0.6"])
def test_add_label_colors_properties_and_listing(tmp_path, image, cells, version):
    path = tmp_path / "img.ome.zarr"
    xn.to_ngff_zarr(path, xn.to_multiscales(image, scale_factors=[2]), version=version)
    before = _attrs(path)
    xn.add_label(path, "cells", cells, colors={3: (255, 0, 0, 255)})
    xn.add_label(
        path, "nuclei", cells > 0, colors={1: (0, 255, 0, 128)}, properties={1: {"class": "n"}}
    )
    assert _attrs(path) == before  # the image's own metadata is not touched
    assert _body(_attrs(path / "labels"))["labels"] == ["cells", "nuclei"]
    tree = xn.from_ngff_zarr(path)
    meta = image_label(tree["labels/nuclei"])
    assert meta.colors == {1: (0, 255, 0, 128)} and meta.properties == {1: {"class": "n"}}
    assert image_label(tree["labels/cells"]).colors == {3: (255, 0, 0, 255)}
    assert tree["labels/nuclei/scale0"]["nuclei"].dtype == np.uint8  # bool -> uint8
    with pytest.raises(StoreExistsError, match="overwrite=True"):
        xn.add_label(path, "cells", cells)
    xn.add_label(path, "cells", cells * 2, overwrite=True)
    tree = xn.from_ngff_zarr(path)
    assert int(tree["labels/cells/scale0"]["cells"].max()) == 14
    assert _body(_attrs(path / "labels"))["labels"] == ["cells", "nuclei"]  # kept its place
    with pytest.warns(xn.NgffWarning, match="ome-zarr-models rejects"):
        xn.add_label(path, "odd", cells, colors={3: (1, 2, 3, 4)}, properties={7: {"a": 1}})


def test_add_label_refuses_to_replace_its_own_source(tmp_path, image, cells):
    path = tmp_path / "img.ome.zarr"
    xn.to_ngff_zarr(path, xn.to_multiscales(image, scale_factors=[2]), labels={"cells": cells})
    lazy = xn.from_ngff_zarr(path)["labels/cells/scale0"]["cells"]
    with pytest.raises(WriteError, match="read lazily from the label"):
        xn.add_label(path, "cells", lazy + 1, overwrite=True)
    np.testing.assert_array_equal(lazy.values[0], cells)  # still there, still listed
    assert _body(_attrs(path / "labels"))["labels"] == ["cells"]


def test_interrupted_label_is_never_listed(tmp_path, image, cells, monkeypatch):
    path = tmp_path / "img.ome.zarr"
    xn.to_ngff_zarr(path, xn.to_multiscales(image, scale_factors=[2]))
    from xarray_ngff import _image_writer as writer

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(writer, "_finalize", boom)
    with pytest.raises(OSError, match="disk full"):
        xn.add_label(path, "cells", cells)
    monkeypatch.undo()
    # pixels may be there, but no metadata and no listing: readers see no label
    labels = path / "labels"
    assert not labels.exists() or "cells" not in (_body(_attrs(labels)).get("labels") or [])
    assert "labels" not in xn.from_ngff_zarr(path).children or not list(
        xn.from_ngff_zarr(path)["labels"].children
    )


def test_bad_labels_fail_before_writing(tmp_path, image, cells):
    path = tmp_path / "never.zarr"
    ms = xn.to_multiscales(image, scale_factors=[2])
    cases = [
        ({"cells": cells.astype("float32")}, "integers"),
        ({"cells": cells[:10]}, "must match the image's dims"),
        ({"": cells}, "relative path"),
        ({"cells": xr.DataArray(cells, dims=("y", "q"))}, "not dims of the image"),
        ([cells], "must be a mapping"),
    ]
    for labels, message in cases:
        with pytest.raises(WriteError, match=message) as err:
            xn.to_ngff_zarr(path, ms, labels=labels)
        assert isinstance(err.value, NgffError) and str(path) in str(err.value)
    with pytest.raises(WriteError, match="four integers"):
        xn.to_ngff_zarr(path, ms, labels={"cells": _with_attrs(cells, [1, 2, 3])})
    assert not path.exists()


def _with_attrs(cells: np.ndarray, rgba: list[int]) -> xr.DataArray:
    lab = xr.DataArray(cells, dims=("y", "x"))
    lab.attrs["image-label"] = {"colors": [{"label-value": 3, "rgba": rgba}]}
    return lab


def test_labels_in_plate_fields(tmp_path, image, cells):
    path = tmp_path / "plate.ome.zarr"
    ms = xn.to_multiscales(image, scale_factors=[2])
    xn.to_hcs_zarr(path, {"A/1/0": ms, "A/1/1": ms}, labels={"A/1/1": {"cells": cells}})
    xn.add_label(path, "nuclei", cells, image="A/1/0")
    tree = xr.open_datatree(path, engine="ngff")
    assert list(tree["A/1/1/labels"].children) == ["cells"]
    assert list(tree["A/1/0/labels"].children) == ["nuclei"]
    # the plate tree written again keeps the fields' labels
    copy = tmp_path / "copy.ome.zarr"
    xn.to_hcs_zarr(copy, tree)
    back = xr.open_datatree(copy, engine="ngff")
    np.testing.assert_array_equal(
        back["A/1/1/labels/cells/scale1"]["cells"].values,
        tree["A/1/1/labels/cells/scale1"]["cells"].values,
    )


def test_official_label_schemas_and_validator(labelled, spec_dir):
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    version, path = labelled
    schemas = [json.loads(f.read_text()) for f in (spec_dir / version / "schemas").glob("*.schema")]
    registry = referencing.Registry().with_resources(
        (s["$id"], referencing.Resource.from_contents(s, referencing.jsonschema.DRAFT202012))
        for s in schemas
    )
    by_name = {s["$id"].rsplit("/", 1)[-1]: s for s in schemas}
    attrs = _attrs(path / "labels" / "cells")
    for name in ("label.schema", "strict_label.schema", "image.schema"):
        validator = jsonschema.Draft202012Validator(by_name[name], registry=registry)
        assert [e.message for e in validator.iter_errors(attrs)] == [], name
    assert xn.validate_store(path) == []


def test_labels_sharded_like_their_image_and_through_tensorstore(tmp_path, image, cells):
    ms = xn.to_multiscales(image, scale_factors=[2], chunks=8)
    xn.to_ngff_zarr(tmp_path / "s.zarr", ms, labels={"cells": cells}, chunks_per_shard=2)
    lab = xn.from_ngff_zarr(tmp_path / "s.zarr")["labels/cells/scale0"]["cells"]
    assert lab.encoding["shards"] == (1, 16, 16)
    np.testing.assert_array_equal(lab.values[0], cells)
    xn.add_label(tmp_path / "s.zarr", "added", cells)  # added to a sharded image: sharded too
    added = xn.from_ngff_zarr(tmp_path / "s.zarr")["labels/added/scale0"]["added"]
    assert added.encoding["shards"] == (1, 16, 16) and added.encoding["chunks"] == (1, 8, 8)
    pytest.importorskip("tensorstore")
    xn.to_ngff_zarr(tmp_path / "t.zarr", ms, labels={"cells": cells}, use_tensorstore=True)
    lab = xn.from_ngff_zarr(tmp_path / "t.zarr")["labels/cells/scale1"]["cells"]
    np.testing.assert_array_equal(
        lab.values, xn.from_ngff_zarr(tmp_path / "s.zarr")["labels/cells/scale1"]["cells"].values
    )


def test_writer_spellings_take_labels(tmp_path, image, cells):
    ms = xn.to_multiscales(image, scale_factors=[2])
    ms.ngff.to_zarr(tmp_path / "a.zarr", labels={"cells": cells})
    task = xn.to_ngff_zarr(tmp_path / "b.zarr", ms, labels={"cells": cells}, compute=False)
    assert not (tmp_path / "b.zarr").exists()  # staged beside the path until it is complete
    task.compute()
    for name in ("a.zarr", "b.zarr"):
        assert _body(_attrs(tmp_path / name / "labels"))["labels"] == ["cells"]
    label = xn.from_ngff_zarr(tmp_path / "a.zarr")["labels/cells/scale0"]["cells"].load()
    label.ngff.add_label_to(tmp_path / "b.zarr", "copy")
    assert _body(_attrs(tmp_path / "b.zarr" / "labels"))["labels"] == ["cells", "copy"]


# -- peers read our labels --------------------------------------------------------------------


@pytest.fixture(scope="module", params=["0.4", "0.5"])
def labelled(request, tmp_path_factory, image, cells) -> tuple[str, pathlib.Path]:
    path = tmp_path_factory.mktemp(f"lab{request.param}") / "img.ome.zarr"
    xn.to_ngff_zarr(path, xn.to_multiscales(image, scale_factors=[2]), version=request.param)
    xn.add_label(path, "cells", cells, colors={3: (255, 0, 0, 255)}, properties={3: {"a": 1}})
    return request.param, path


def test_ome_zarr_py_reads_our_labels(labelled, cells):
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Label, Reader

    _, path = labelled
    nodes = list(Reader(parse_url(str(path)))())
    found = [n for n in nodes if any(isinstance(s, Label) for s in n.specs)]
    assert len(found) == 1
    np.testing.assert_array_equal(np.asarray(found[0].data[0])[0], cells)
    assert 3 in found[0].metadata["color"]


def test_ome_zarr_models_validates_our_labels(labelled):
    pytest.importorskip("ome_zarr_models")
    version, path = labelled
    if version == "0.4":
        from ome_zarr_models.v04.image import Image
    else:
        from ome_zarr_models.v05.image import Image
    img = Image.from_zarr(zarr.open_group(str(path), mode="r"))
    assert img.labels is not None


def test_ngff_zarr_reads_our_label_image(labelled, cells):
    nz = pytest.importorskip("ngff_zarr")
    _, path = labelled
    ms = nz.from_ngff_zarr(str(path / "labels" / "cells"))
    np.testing.assert_array_equal(np.asarray(ms.images[0].data)[0], cells)
    assert ms.images[1].scale["x"] == 1.0


# -- peers' label stores round-trip -----------------------------------------------------------


def _normalized(attrs: dict) -> dict:
    """An OME body without its version keys and with all-zero translations dropped (how
    peers and we differ in spelling the same document)."""
    body = _body(attrs)
    body.pop("version", None)
    out = json.loads(json.dumps(body))
    for ms in out.get("multiscales", []):
        ms.pop("version", None)
        for ds in ms["datasets"]:
            ds["coordinateTransformations"] = [
                t
                for t in ds["coordinateTransformations"]
                if not (t["type"] == "translation" and not any(t["translation"]))
            ]
    if "image-label" in out:
        out["image-label"].pop("version", None)
    return out


def _assert_round_trip(src: pathlib.Path, dst: pathlib.Path) -> None:
    for sub in ("", "labels", "labels/cells"):
        a, b = _normalized(_attrs(src / sub)), _normalized(_attrs(dst / sub))
        a.pop("omero", None)
        assert a == b, sub
    src_tree, dst_tree = xn.from_ngff_zarr(src), xn.from_ngff_zarr(dst)
    for node in src_tree.subtree:
        if node.has_data:
            np.testing.assert_array_equal(
                node.to_dataset().to_array().values, dst_tree[node.path].to_dataset().to_array()
            )


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_ome_zarr_py_label_store_round_trips(tmp_path, version, cells):
    pytest.importorskip("ome_zarr")
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.writer import write_image, write_labels

    fmt = FormatV04() if version == "0.4" else FormatV05()
    src = tmp_path / "src.zarr"
    group = zarr.open_group(str(src), mode="w", zarr_format=fmt.zarr_format)
    write_image(np.arange(2 * 32 * 32, dtype="u2").reshape(2, 32, 32), group, axes="cyx", fmt=fmt)
    write_labels(
        cells[None],
        group,
        name="cells",
        axes="cyx",
        fmt=fmt,
        label_metadata={
            "colors": [{"label-value": 3, "rgba": [255, 0, 0, 255]}],
            "properties": [{"label-value": 3, "class": "cell", "area": 120}],
        },
    )
    dst = tmp_path / "dst.zarr"
    xn.to_ngff_zarr(dst, xn.from_ngff_zarr(src), version=version, layout="as-read", omero=False)
    _assert_round_trip(src, dst)


def test_ngff_zarr_label_store_round_trips(tmp_path, image, cells):
    nz = pytest.importorskip("ngff_zarr")
    src = tmp_path / "src.zarr"
    img = nz.to_ngff_image(
        np.asarray(image.values), dims=["c", "y", "x"], scale={"y": 0.5, "x": 0.5}
    )
    nz.to_ngff_zarr(str(src), nz.to_multiscales(img, scale_factors=[2]), version="0.5")
    lab = nz.to_ngff_image(cells, dims=["y", "x"], scale={"y": 0.5, "x": 0.5}, name="cells")
    lms = nz.to_multiscales(lab, scale_factors=[2], method=nz.Methods.ITKWASM_LABEL_IMAGE)
    nz.to_ngff_zarr(str(src / "labels" / "cells"), lms, version="0.5")
    labels = zarr.open_group(str(src / "labels"), mode="a", zarr_format=3)
    labels.attrs["ome"] = {"version": "0.5", "labels": ["cells"]}
    cell_group = zarr.open_group(str(src / "labels" / "cells"), mode="a", zarr_format=3)
    ome = dict(cell_group.attrs["ome"])
    ome["image-label"] = {"colors": [{"label-value": 7, "rgba": [0, 0, 255, 255]}]}
    cell_group.attrs["ome"] = ome
    with pytest.warns(UserWarning):  # zarr: consolidated metadata is not in the v3 spec
        zarr.consolidate_metadata(str(src))  # ngff-zarr's root lists its nodes
    dst = tmp_path / "dst.zarr"
    xn.to_ngff_zarr(dst, xn.from_ngff_zarr(src), layout="as-read", omero=False)
    _assert_round_trip(src, dst)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_add_label_to_consolidated_ngff_zarr_store(tmp_path, cells, version):
    nz = pytest.importorskip("ngff_zarr")
    path = tmp_path / "nz.zarr"
    img = nz.to_ngff_image(np.zeros((32, 32), "u2"), dims=["y", "x"])
    nz.to_ngff_zarr(str(path), nz.to_multiscales(img, scale_factors=[2]), version=version)
    xn.add_label(path, "cells", cells)
    # ngff-zarr consolidates metadata: it is refreshed, so every reader sees the label
    tree = xn.from_ngff_zarr(path)
    np.testing.assert_array_equal(tree["labels/cells/scale0"]["cells"].values, cells)
    assert list(nz.from_ngff_zarr(str(path / "labels" / "cells")).images[0].dims) == ["y", "x"]
