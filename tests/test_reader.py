"""Reading OME-Zarr 0.1–0.5 written with zarr-python directly: pixels, geometry, laziness."""

from __future__ import annotations

import json
import pathlib

import dask
import dask.array as da
import numpy as np
import pytest
import xarray as xr
import zarr
import zarr.storage
from ngff_stores import write_image, write_labels, write_v03_odd_levels

import xarray_ngff as xn
from xarray_ngff._reader import from_ngff_zarr, open_ngff_groups
from xarray_ngff.errors import (
    InvalidDimsError,
    MetadataError,
    MissingArrayError,
    NgffError,
    NotOmeZarrError,
    PlateError,
    UnsupportedVersionError,
)

SHAPE5 = (1, 2, 3, 8, 12)


@pytest.mark.parametrize("version", ["0.1", "0.2"])
@pytest.mark.parametrize("separator", [".", "/"])
def test_legacy_5d_versions(tmp_path, version, separator):
    path = tmp_path / "a.zarr"
    data = write_image(path, version, shape=SHAPE5, separator=separator)
    tree = from_ngff_zarr(path)
    img = tree["scale0"]["image"]
    assert img.dims == ("t", "c", "z", "y", "x")
    np.testing.assert_array_equal(img.values, data[0])
    np.testing.assert_array_equal(tree["scale1"]["image"].values, data[1])
    # no transforms: level 0 unit-spaced, level 1 spacing from the shape ratio
    assert tree["scale0"].x.values.tolist() == list(map(float, range(12)))
    lvl1 = tree["scale1"]["image"]
    assert lvl1.ngff.scale == {"t": 1.0, "z": 2.0, "y": 2.0, "x": 2.0}
    assert lvl1.ngff.translation == {"t": 0.0, "z": 0.0, "y": 0.0, "x": 0.0}


def test_undeclared_slash_separator_is_detected(tmp_path):
    # early writers used "/" chunk keys without dimension_separator in .zarray
    path = tmp_path / "a.zarr"
    data = write_image(path, "0.2", shape=SHAPE5, separator="/", declare_separator=False)
    assert "dimension_separator" not in json.loads((path / "0" / ".zarray").read_text())
    tree = from_ngff_zarr(path)
    np.testing.assert_array_equal(tree["scale0"]["image"].values, data[0])
    assert tree["scale0"]["image"].values.any()


def test_v03_string_axes(tmp_path):
    path = tmp_path / "a.zarr"
    data = write_image(path, "0.3", dims="zyx", shape=(4, 8, 12))
    tree = from_ngff_zarr(path)
    assert tree["scale1"]["image"].dims == ("z", "y", "x")
    np.testing.assert_array_equal(tree["scale1"]["image"].values, data[1])
    assert tree["scale1"]["image"].ngff.scale == {"z": 2.0, "y": 2.0, "x": 2.0}


def test_odd_shapes_get_integer_factor(tmp_path):
    path = tmp_path / "a.zarr"
    write_v03_odd_levels(path, [(9, 10), (4, 5)])  # floor(9 / 2) = 4
    assert from_ngff_zarr(path)["scale1"]["image"].ngff.scale == {"y": 2.0, "x": 2.0}


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_transforms_units_channels(tmp_path, version):
    path = tmp_path / "a.ome.zarr"
    data = write_image(
        path,
        version,
        dims="tcyx",
        shape=(2, 3, 8, 12),
        scale={"t": 0.1, "y": 0.5, "x": 0.25},
        translation={"y": 10.0, "x": -3.0},
        units={"t": "second", "y": "micrometer", "x": "micrometer"},
        channel_names=["DAPI", "GFP", "RFP"],
        name="cells",
    )
    tree = from_ngff_zarr(path)
    assert list(tree.children) == ["scale0", "scale1"]
    img = tree["scale1"]["cells"]
    np.testing.assert_array_equal(img.values, data[1])
    assert img.ngff.scale == {"t": 0.1, "y": 1.0, "x": 0.5}
    assert img.ngff.translation == {"t": 0.0, "y": 10.0, "x": -3.0}
    assert img.ngff.axes_units == {"t": "second", "y": "micrometer", "x": "micrometer"}
    assert img.c.values.tolist() == ["DAPI", "GFP", "RFP"]
    # root attrs keep the original metadata, omero included
    body = tree.attrs["ome"] if version == "0.5" else tree.attrs
    assert body["omero"]["channels"][1]["label"] == "GFP"
    assert tree.ngff.metadata.name == "cells"
    assert img.encoding["ngff_path"] == "1"


def test_multiscale_level_transform_applied_after(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(
        path,
        "0.4",
        dims="yx",
        shape=(8, 12),
        scale={"y": 0.5, "x": 0.5},
        translation={"y": 1.0, "x": 2.0},
        ms_transform=([2.0, 3.0], [100.0, 200.0]),
    )
    lvl = from_ngff_zarr(path)["scale1"]["image"]
    # world = ms_scale * (ds_scale * i + ds_translation) + ms_translation
    assert lvl.ngff.scale == {"y": 2.0, "x": 3.0}
    assert lvl.ngff.translation == {"y": 102.0, "x": 206.0}


def test_dataset_paths_and_nested_paths(tmp_path):
    path = tmp_path / "a.ome.zarr"
    data = write_image(path, "0.4", dims="yx", shape=(8, 12), paths=["s0/image", "s1/image"])
    tree = from_ngff_zarr(path)
    assert list(tree.children) == ["scale0", "scale1"]
    np.testing.assert_array_equal(tree["scale1"]["image"].values, data[1])
    assert tree["scale1"]["image"].encoding["ngff_path"] == "s1/image"


def test_chunks_semantics_and_shards(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.5", dims="yx", shape=(16, 16), shards=(16, 16), levels=1)
    tree = from_ngff_zarr(path)
    img = tree["scale0"]["image"]
    assert isinstance(img.data, da.Array)
    assert img.data.chunksize == (8, 8)  # inner chunks of the 16 x 16 shard
    assert img.encoding["shards"] == (16, 16)
    assert img.encoding["chunks"] == (8, 8)
    lazy = from_ngff_zarr(path, chunks=None)["scale0"]["image"]
    assert not isinstance(lazy.variable._data, da.Array | np.ndarray)
    assert int(lazy[3, 5]) == 3 * 16 + 5
    np.testing.assert_array_equal(lazy.isel(x=[1, 3]).values, img.isel(x=[1, 3]).values)


class CountingStore(zarr.storage.WrapperStore):
    """Records every key read."""

    def __init__(self, store):
        super().__init__(store)
        self.reads: list[str] = []

    async def get(self, key, prototype, byte_range=None):
        self.reads.append(key)
        return await self._store.get(key, prototype, byte_range)

    async def get_partial_values(self, prototype, key_ranges):
        key_ranges = list(key_ranges)
        self.reads.extend(k for k, _ in key_ranges)
        return await self._store.get_partial_values(prototype, key_ranges)


METADATA_KEYS = ("zarr.json", ".zattrs", ".zgroup", ".zarray", ".zmetadata")


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_open_reads_metadata_only(tmp_path, version):
    path = tmp_path / "a.ome.zarr"
    write_image(path, version, channel_names=["a", "b"])
    write_labels(path, version, ["cells"])
    store = CountingStore(zarr.storage.LocalStore(path, read_only=True))

    def refuse(*args, **kwargs):
        raise AssertionError("something was computed at open")

    with dask.config.set(scheduler=refuse):
        tree = from_ngff_zarr(store)
    assert store.reads and all(k.rsplit("/", 1)[-1] in METADATA_KEYS for k in store.reads)
    tree["labels/cells/scale0"]["image"].values  # noqa: B018 - reads now
    assert any(k.rsplit("/", 1)[-1] not in METADATA_KEYS for k in store.reads)


def test_consolidated_metadata_is_used(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", channel_names=["a", "b"])
    write_labels(path, "0.4", ["cells", "nuclei"])
    zarr.consolidate_metadata(str(path))
    store = CountingStore(zarr.storage.LocalStore(path, read_only=True))
    from_ngff_zarr(store)
    # below the root, the whole hierarchy comes from .zmetadata: no node document is read
    assert ".zmetadata" in store.reads
    assert not [k for k in store.reads if "/" in k and k.endswith(METADATA_KEYS)]


def test_missing_chunks_read_as_fill_value(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12), levels=1)
    (path / "0" / "1" / "1").unlink()  # the chunk rows 4-7, cols 6-11
    img = from_ngff_zarr(path)["scale0"]["image"].values
    assert (img[4:, 6:] == 0).all()
    assert img[:4, :6].any()


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_labels(tmp_path, version):
    path = tmp_path / "a.ome.zarr"
    write_image(path, version, dims="yx", shape=(8, 12))
    data = write_labels(path, version, ["cells", "nuclei"])
    tree = from_ngff_zarr(path)
    assert set(tree["labels"].children) == {"cells", "nuclei"}
    cells = tree["labels/cells"]
    np.testing.assert_array_equal(cells["scale0"]["image"].values, data["cells"])
    assert list(cells.children) == ["scale0", "scale1"]
    body = cells.attrs["ome"] if version == "0.5" else cells.attrs
    assert body["image-label"]["colors"][0]["rgba"] == [255, 0, 0, 255]
    # the image's own levels are unaffected by the labels subtree
    assert [lvl.shape for lvl in tree.ngff.levels] == [(8, 12), (4, 6)]
    from xarray_ngff._labels import image_label

    info = image_label(cells)
    assert info.colors == {1: (255, 0, 0, 255)}
    assert info.properties == {1: {"class": "cell"}}
    assert info.source == "../../"


def test_labels_group_without_listing(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    write_labels(path, "0.4", ["cells"], list_in_attrs=False)
    assert "cells" in from_ngff_zarr(path)["labels"].children


def test_listed_label_missing_warns(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    write_labels(path, "0.4", ["cells"])
    zarr.open_group(path / "labels", mode="a").attrs["labels"] = ["cells", "ghost"]
    with pytest.warns(xn.NgffWarning, match="ghost"):
        tree = from_ngff_zarr(path)
    assert list(tree["labels"].children) == ["cells"]


@pytest.mark.parametrize("listed", [True, False])
def test_bioformats2raw_every_series(tmp_path, listed):
    path = tmp_path / "bf.ome.zarr"
    root = zarr.open_group(path, mode="w", zarr_format=2)
    root.attrs["bioformats2raw.layout"] = 3
    ome = root.create_group("OME")
    if listed:
        ome.attrs["series"] = ["0", "1", "2"]
    datas = []
    for s in range(3):
        g = root.create_group(str(s))
        datas.append(write_image(None, "0.4", dims="yx", shape=(8, 4 + 4 * s), group=g))
    tree = from_ngff_zarr(path)
    assert tree.attrs == {"bioformats2raw.layout": 3}
    for s in range(3):
        np.testing.assert_array_equal(tree[f"{s}/scale0"]["image"].values, datas[s][0])


def test_plate_root_is_refused_with_real_field_paths(tmp_path):
    path = tmp_path / "p.ome.zarr"
    ms = xn.to_multiscales(np.zeros((8, 8), "uint8"), scale_factors=[2])
    xn.to_hcs_zarr(path, {"B/3/0": ms}, version="0.4")
    with pytest.raises(PlateError, match="from_hcs_zarr") as err:
        from_ngff_zarr(path)
    assert err.value.field == "plate"
    assert "B/3/0" in str(err.value)


def test_zip_store(tmp_path):
    import shutil

    path = tmp_path / "a.ome.zarr"
    data = write_image(path, "0.4", dims="yx", shape=(8, 12))
    archive = shutil.make_archive(str(tmp_path / "flat"), "zip", path)  # root at the top
    np.testing.assert_array_equal(from_ngff_zarr(archive)["scale0"]["image"].values, data[0])
    nested = shutil.make_archive(str(tmp_path / "nested"), "zip", tmp_path, "a.ome.zarr")
    ozx = pathlib.Path(nested).rename(tmp_path / "nested.ozx")
    np.testing.assert_array_equal(from_ngff_zarr(ozx)["scale1"]["image"].values, data[1])


# -- bad input ---------------------------------------------------------------------------


def _image_attrs(path, attrs):
    (path / ".zattrs").write_text(json.dumps(attrs))


def test_not_ome_zarr(tmp_path):
    zarr.open_group(tmp_path / "plain.zarr", mode="w", zarr_format=2).attrs["foo"] = 1
    with pytest.raises(NotOmeZarrError) as err:
        from_ngff_zarr(tmp_path / "plain.zarr")
    assert err.value.store.endswith("plain.zarr") and err.value.path == "/"
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotOmeZarrError):
        from_ngff_zarr(tmp_path / "empty")


def test_missing_array(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    import shutil

    shutil.rmtree(path / "1")
    with pytest.raises(MissingArrayError) as err:
        from_ngff_zarr(path)
    assert err.value.path == "1" and str(path) in str(err.value)


def test_truncated_json(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    text = (path / ".zattrs").read_text()
    (path / ".zattrs").write_text(text[: len(text) // 2])
    with pytest.raises(MetadataError, match="JSON") as err:
        from_ngff_zarr(path)
    assert err.value.store == str(path)


def test_unknown_version(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    attrs = json.loads((path / ".zattrs").read_text())
    attrs["multiscales"][0]["version"] = "0.7"
    _image_attrs(path, attrs)
    with pytest.raises(UnsupportedVersionError) as err:
        from_ngff_zarr(path)
    assert err.value.field == "version"


def test_shape_disagrees_with_axes(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    attrs = json.loads((path / ".zattrs").read_text())
    ms = attrs["multiscales"][0]
    ms["axes"].insert(0, {"name": "z", "type": "space"})
    for d in ms["datasets"]:
        d["coordinateTransformations"][0]["scale"].insert(0, 1.0)
    _image_attrs(path, attrs)
    with pytest.raises(InvalidDimsError, match="3 axes") as err:
        from_ngff_zarr(path)
    assert err.value.path == "0"


def test_errors_are_ngff_errors_not_key_errors(tmp_path):
    path = tmp_path / "a.ome.zarr"
    zarr.open_group(path, mode="w", zarr_format=2).attrs["multiscales"] = [{"version": "0.4"}]
    with pytest.raises(NgffError) as err:
        from_ngff_zarr(path)
    assert not isinstance(err.value, KeyError)


def test_open_ngff_groups_paths(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    write_labels(path, "0.4", ["cells"])
    groups = open_ngff_groups(path)
    assert sorted(groups) == [
        "/",
        "/labels",
        "/labels/cells",
        "/labels/cells/scale0",
        "/labels/cells/scale1",
        "/scale0",
        "/scale1",
    ]
    assert isinstance(xr.DataTree.from_dict(groups), xr.DataTree)


def test_custom_axis_names(tmp_path):
    path = tmp_path / "a.ome.zarr"
    g = zarr.open_group(path, mode="w", zarr_format=2)
    g.attrs["multiscales"] = [
        {
            "version": "0.4",
            "axes": [
                {"name": "lambda", "type": "spectral"},
                {"name": "y", "type": "space"},
                {"name": "x", "type": "space"},
            ],
            "datasets": [
                {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 2, 2]}]}
            ],
        }
    ]
    g.create_array("0", data=np.ones((3, 4, 4), "u1"), chunks=(3, 4, 4))
    img = from_ngff_zarr(path)["scale0"]["image"]
    assert img.dims == ("lambda", "y", "x")
    assert img.x.values.tolist() == [0.0, 2.0, 4.0, 6.0]


def test_validate_true_raises_all_problems(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    import shutil

    shutil.rmtree(path / "1")
    attrs = json.loads((path / ".zattrs").read_text())
    attrs["multiscales"][0]["axes"][0]["type"] = 7  # not a string
    _image_attrs(path, attrs)
    with pytest.raises(xn.errors.ValidationError) as err:
        from_ngff_zarr(path, validate=True)
    problems = err.value.problems
    assert len(problems) >= 2
    assert any("axes[0].type" in p for p in problems)
    assert any("datasets[1].path" in p and "not in the store" in p for p in problems)
    assert all(p.startswith(str(path)) for p in problems)


def test_shared_coordinates_do_not_leak_between_opens(tmp_path):
    """Coordinates are built once per geometry and shared; edits stay with their object."""
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.5", dims="yx", shape=(4, 6), levels=1, units={"x": "micrometer"})
    first = from_ngff_zarr(path)["scale0"].to_dataset()
    first["x"].attrs["units"] = "nanometer"
    first = first.assign_coords(y=first["y"] * 10)
    second = from_ngff_zarr(path)["scale0"].to_dataset()
    assert second["x"].attrs["units"] == "micrometer"
    np.testing.assert_array_equal(second["y"].values, np.arange(4.0))
    with pytest.raises(ValueError, match="read-only"):
        second["x"].values[0] = 5.0  # shared index values cannot be edited in place
