"""The ``ngff`` xarray engine: open_dataset, open_datatree, open_groups, guess_can_open."""

from __future__ import annotations

import os
import pathlib
import zipfile

import dask.array as da
import numpy as np
import pytest
import xarray as xr
import zarr
from ngff_stores import write_image, write_labels

from xarray_ngff.backend import NgffBackendEntrypoint
from xarray_ngff.errors import MetadataError, NgffError, PlateError


@pytest.fixture
def image_path(tmp_path):
    path = tmp_path / "img.ome.zarr"
    data = write_image(
        path,
        "0.4",
        dims="cyx",
        shape=(2, 8, 12),
        channel_names=["a", "b"],
        scale={"y": 0.5, "x": 0.5},
        units={"y": "micrometer", "x": "micrometer"},
    )
    write_labels(path, "0.4", ["cells"])
    return path, data


def test_engine_registered():
    assert "ngff" in xr.backends.list_engines()


def test_open_dataset_levels(image_path):
    path, data = image_path
    ds = xr.open_dataset(path, engine="ngff")
    np.testing.assert_array_equal(ds["image"].values, data[0])
    ds1 = xr.open_dataset(path, engine="ngff", level=1)
    np.testing.assert_array_equal(ds1["image"].values, data[1])
    assert ds1.x.values[:2].tolist() == [0.0, 1.0]
    assert ds1.c.values.tolist() == ["a", "b"]
    assert ds1.x.attrs["units"] == "micrometer"
    assert "multiscales" in ds1.attrs
    assert xr.open_dataset(path, engine="ngff", level="scale1")["image"].shape == (2, 4, 6)
    with pytest.raises(MetadataError, match="level 5"):
        xr.open_dataset(path, engine="ngff", level=5)


def test_open_dataset_label_image(image_path):
    path, _ = image_path
    ds = xr.open_dataset(path, engine="ngff", image="labels/cells")
    assert ds["image"].dims == ("y", "x")
    assert "image-label" in ds.attrs


def test_open_dataset_lazy_and_chunked(image_path):
    path, _ = image_path
    lazy = xr.open_dataset(path, engine="ngff")
    assert not isinstance(lazy["image"].variable._data, da.Array | np.ndarray)
    chunked = xr.open_dataset(path, engine="ngff", chunks={})
    assert chunked["image"].data.chunksize == (1, 4, 6)  # the stored chunks


def test_open_datatree_and_groups(image_path):
    path, data = image_path
    tree = xr.open_datatree(path, engine="ngff")
    assert set(tree.children) == {"scale0", "scale1", "labels"}
    np.testing.assert_array_equal(tree["scale1"]["image"].values, data[1])
    assert tree.ngff.scale == {"y": 0.5, "x": 0.5}
    groups = xr.open_groups(path, engine="ngff")
    assert "/labels/cells/scale0" in groups
    sub = xr.open_datatree(path, engine="ngff", group="labels/cells")
    assert list(sub.children) == ["scale0", "scale1"]
    chunked = xr.open_datatree(path, engine="ngff", chunks={})
    assert isinstance(chunked["scale0"]["image"].data, da.Array)


def test_autodetect_without_engine(image_path):
    path, data = image_path
    tree = xr.open_datatree(path)  # *.ome.zarr: the ngff engine is chosen
    np.testing.assert_array_equal(tree["scale0"]["image"].values, data[0])


def test_guess_can_open(tmp_path, image_path):
    backend = NgffBackendEntrypoint()
    assert backend.guess_can_open("anything.ome.zarr")
    assert backend.guess_can_open("https://host/x.ome.zarr/")
    assert backend.guess_can_open("data.ozx")
    assert not backend.guess_can_open("x.nc")
    assert not backend.guess_can_open(12)
    # other .zarr: only when the root metadata is OME
    plain = tmp_path / "plain.zarr"
    zarr.open_group(plain, mode="w", zarr_format=2).attrs["x"] = 1
    assert not backend.guess_can_open(str(plain))
    ome = tmp_path / "ome.zarr"
    write_image(ome, "0.5", dims="yx", shape=(4, 4), levels=1)
    assert backend.guess_can_open(ome)
    assert not backend.guess_can_open(str(tmp_path / "absent.zarr"))
    assert not backend.guess_can_open("https://host/unknown.zarr")


def test_plain_zarr_left_to_zarr_engine(tmp_path):
    plain = tmp_path / "plain.zarr"
    xr.Dataset({"v": ("t", np.arange(3))}).to_zarr(plain)
    ds = xr.open_dataset(plain)  # no engine: zarr's, not ours
    assert ds["v"].values.tolist() == [0, 1, 2]


def test_open_dataset_on_collection_explains(tmp_path):
    path = tmp_path / "bf.ome.zarr"
    root = zarr.open_group(path, mode="w", zarr_format=2)
    root.attrs["bioformats2raw.layout"] = 3
    for s in range(2):
        write_image(None, "0.4", dims="yx", shape=(4, 4), group=root.create_group(str(s)))
    with pytest.raises(MetadataError, match=r"image=.*\['0', '1'\]"):
        xr.open_dataset(path, engine="ngff")
    ds = xr.open_dataset(path, engine="ngff", image="1")
    assert ds["image"].shape == (4, 4)


def test_open_dataset_on_plate_explains(tmp_path):
    path = tmp_path / "p.ome.zarr"
    zarr.open_group(path, mode="w", zarr_format=2).attrs["plate"] = {
        "version": "0.4",
        "rows": [{"name": "A"}],
        "columns": [{"name": "1"}],
        "wells": [{"path": "A/1", "rowIndex": 0, "columnIndex": 0}],
    }
    with pytest.raises(PlateError, match="HCS plate") as err:
        xr.open_dataset(path, engine="ngff")
    assert "from_hcs_zarr" in str(err.value)


def test_drop_variables(image_path):
    path, _ = image_path
    assert "image" not in xr.open_dataset(path, engine="ngff", drop_variables="image")


# -- group= and closing (the first hour) ----------------------------------------------------


@pytest.fixture
def written(tmp_path):
    import xarray_ngff as xn

    path = tmp_path / "g.ome.zarr"
    ms = xn.to_multiscales(xn.datasets.blobs_2d((64, 64)), [2, 4], chunks=32)
    xn.to_ngff_zarr(path, ms)
    return path, ms


@pytest.mark.parametrize(
    ("group", "k"),
    [("scale1", 1), ("/scale2", 2), ("0", 0), ("/1", 1), ("/", 0), ("", 0)],
)
def test_open_dataset_group_names_a_level(written, group, k):
    path, ms = written
    ds = xr.open_dataset(path, engine="ngff", group=group)
    assert ds["blobs"].shape == ms.ngff.levels[k].shape
    np.testing.assert_allclose(ds.x.values, ms.ngff.levels[k].x.values)


def test_open_dataset_group_of_a_scale_groups_path(tmp_path):
    import xarray_ngff as xn

    ms = xn.to_multiscales(xn.datasets.blobs_2d((32, 32)), [2], chunks=16)
    xn.to_ngff_zarr(tmp_path / "s.zarr", ms, layout="scale-groups")  # arrays at scaleK/blobs
    for group, k in [("scale1/blobs", 1), ("scale0", 0)]:
        ds = xr.open_dataset(tmp_path / "s.zarr", engine="ngff", group=group)
        assert ds["blobs"].shape == ms.ngff.levels[k].shape


def test_open_dataset_group_of_a_stored_dataset_path(tmp_path):
    write_image(tmp_path / "o.zarr", "0.4", levels=2)  # dataset paths "0", "1"
    ds = xr.open_dataset(tmp_path / "o.zarr", engine="ngff", group="1")
    assert ds["image"].shape == (2, 4, 6)


def test_open_dataset_bad_group_lists_the_levels(written):
    path, _ = written
    with pytest.raises(NgffError, match=r"levels are \['scale0', 'scale1', 'scale2'\]") as info:
        xr.open_dataset(path, engine="ngff", group="scale7")
    assert info.value.field == "group"
    with pytest.raises(NgffError, match="not both"):
        xr.open_dataset(path, engine="ngff", group="scale1", level=1)


def _open_handles(path) -> int:
    fds = pathlib.Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd) == str(path)
        except OSError:
            pass
    return count


@pytest.mark.parametrize("layout", ["root", "folder"])
def test_backend_objects_close_their_zip(written, tmp_path, layout):
    if not pathlib.Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to count open files")
    src, ms = written
    archive = tmp_path / "g.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(src.rglob("*")):
            if f.is_file():
                rel = f.relative_to(src if layout == "root" else src.parent)
                zf.write(f, str(rel))
    archive = archive.resolve()
    base = _open_handles(archive)
    ds = xr.open_dataset(archive, engine="ngff", group="scale1")
    assert _open_handles(archive) > base
    np.testing.assert_array_equal(ds["blobs"].values, ms.ngff.levels[1].values)
    ds.close()
    assert _open_handles(archive) == base
    tree = xr.open_datatree(archive, engine="ngff")
    assert tree["scale2"]["blobs"].shape == (16, 16)
    assert _open_handles(archive) > base
    tree.close()
    assert _open_handles(archive) == base
    with xr.open_dataset(archive, engine="ngff") as ds:
        assert ds["blobs"].shape == (64, 64)
    assert _open_handles(archive) == base


def test_open_dataset_group_below_a_plate(tmp_path):
    import xarray_ngff as xn
    from xarray_ngff.datasets import synthetic_plate

    path = tmp_path / "p.ome.zarr"
    xn.to_hcs_zarr(path, synthetic_plate(rows=1, columns=2, fields=2))
    ds = xr.open_dataset(path, engine="ngff", group="A/2/1/scale1")
    assert ds["image"].shape == (2, 16, 16)
    assert int(ds["image"][1].max()) == 100 + 10 + 1  # well A/2, field 1, channel 1
    assert xr.open_dataset(path, engine="ngff", group="A/1/0")["image"].shape == (2, 32, 32)
