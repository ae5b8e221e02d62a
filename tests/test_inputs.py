"""Input readers of the command line (xarray_ngff._inputs): TIFF family, imageio, Zarr."""

from __future__ import annotations

import importlib
import json
import pickle

import dask.array as da
import numpy as np
import pytest
import zarr

import xarray_ngff as xn
from xarray_ngff._inputs import levels_to_multiscales, open_input, read_tiff, relabel
from xarray_ngff.errors import InputError, InvalidDimsError, NgffError, UnsupportedInputError

tifffile = pytest.importorskip("tifffile")
iio = pytest.importorskip("imageio.v3")


def _ramp(shape, dtype="uint16"):
    return (np.arange(np.prod(shape)) % 4000).reshape(shape).astype(dtype)


@pytest.fixture
def ome_tiff(tmp_path):
    """A czyx OME-TIFF with nanometer pixels, micrometer z, channel names and a 2x pyramid."""
    data = _ramp((2, 5, 64, 96))
    path = tmp_path / "scan.ome.tif"
    meta = {
        "axes": "CZYX",
        "PhysicalSizeX": 250.0,
        "PhysicalSizeXUnit": "nm",
        "PhysicalSizeY": 250.0,
        "PhysicalSizeYUnit": "nm",
        "PhysicalSizeZ": 1.5,
        "PhysicalSizeZUnit": "µm",
        "Channel": {"Name": ["DAPI", "GFP"]},
    }
    with tifffile.TiffWriter(path, ome=True) as tw:
        tw.write(data, subifds=1, metadata=meta, tile=(32, 32), photometric="minisblack")
        tw.write(data[..., ::2, ::2], subfiletype=1, tile=(32, 32), photometric="minisblack")
    return path, data


def test_ome_tiff_geometry_units_channels(ome_tiff):
    path, data = ome_tiff
    src = open_input(path)
    img = src.image
    assert src.format == "ome-tiff"
    assert img.dims == ("c", "z", "y", "x")
    assert img.ngff.scale == {"z": 1.5, "y": 250.0, "x": 250.0}
    assert img.ngff.axes_units == {"z": "micrometer", "y": "nanometer", "x": "nanometer"}
    assert img.ngff.channel_names == ["DAPI", "GFP"]
    assert img.name == "scan"
    assert isinstance(img.data, da.Array)
    np.testing.assert_array_equal(img.values, data)


def test_ome_tiff_pyramid_levels(ome_tiff):
    path, data = ome_tiff
    src = open_input(path)
    assert [lvl.shape for lvl in src.levels] == [(2, 5, 64, 96), (2, 5, 32, 48)]
    one = src.levels[1]
    # factor 2 in y/x, window-centred: translation (2 - 1) * 250 / 2
    assert one.ngff.scale == {"z": 1.5, "y": 500.0, "x": 500.0}
    assert one.ngff.translation == {"z": 0.0, "y": 125.0, "x": 125.0}
    assert one.ngff.channel_names == ["DAPI", "GFP"]
    np.testing.assert_array_equal(one.values, data[..., ::2, ::2])
    ms = levels_to_multiscales(src.levels, chunks=16)
    assert [d.scale for d in ms.ngff.metadata.datasets] == [
        (1.0, 1.5, 250.0, 250.0),
        (1.0, 1.5, 500.0, 500.0),
    ]
    assert ms["scale1"]["scan"].data.chunksize == (1, 5, 16, 16)


def test_tiff_level_spacing_is_the_readers_and_its_origin_window_centred(tmp_path):
    from ngff_stores import write_v03_odd_levels

    # 9 -> 5 rows is factor 2 (ceil): the shared rule; a plain size ratio would say 1.8
    path = tmp_path / "odd.ome.tif"
    data = _ramp((9, 10))
    meta = {"axes": "YX", "PhysicalSizeX": 0.5, "PhysicalSizeY": 0.5}
    with tifffile.TiffWriter(path, ome=True) as tw:
        tw.write(data, subifds=1, metadata=meta, photometric="minisblack")
        tw.write(data[::2, ::2], subfiletype=1, photometric="minisblack")
    one = open_input(path).levels[1]
    assert one.shape == (5, 5)
    write_v03_odd_levels(tmp_path / "odd.zarr", [(9, 10), (5, 5)])
    stored = xn.from_ngff_zarr(tmp_path / "odd.zarr")["scale1"]["image"].ngff
    # the same factor as the reader gives a 0.3 level of these shapes, times level 0's spacing
    assert stored.scale == {"y": 2.0, "x": 2.0}
    assert one.ngff.scale == {"y": 1.0, "x": 1.0}
    # what differs, on purpose: a reduced TIFF image is window-centred, (2 - 1) * 0.5 / 2,
    # where 0.1-0.3 writers subsampled [::f] and kept the origin
    assert stored.translation == {"y": 0.0, "x": 0.0}
    assert one.ngff.translation == {"y": 0.25, "x": 0.25}


def test_ome_tiff_time_increment_and_default_unit(tmp_path):
    path = tmp_path / "movie.ome.tif"
    tifffile.imwrite(
        path,
        _ramp((3, 8, 8)),
        metadata={"axes": "TYX", "PhysicalSizeX": 0.1, "PhysicalSizeY": 0.1, "TimeIncrement": 5},
    )
    img = open_input(path).image
    assert img.dims == ("t", "y", "x")
    assert img.ngff.scale == {"t": 5.0, "y": 0.1, "x": 0.1}
    # OME's default units: micrometer for sizes, second for time
    assert img.ngff.axes_units == {"t": "second", "y": "micrometer", "x": "micrometer"}


def test_tiff_levels_pickle_for_distributed(ome_tiff):
    path, data = ome_tiff
    arr = open_input(path).levels[1].data
    clone = pickle.loads(pickle.dumps(arr))
    np.testing.assert_array_equal(clone.compute(), data[..., ::2, ::2])


def test_imagej_spacing_unit_finterval(tmp_path):
    path = tmp_path / "hyper.tif"
    tifffile.imwrite(
        path,
        _ramp((2, 3, 8, 10), "uint8"),
        imagej=True,
        resolution=(4.0, 4.0),
        metadata={"axes": "TZYX", "spacing": 0.75, "unit": "um", "finterval": 2.5},
    )
    src = read_tiff(path)
    assert src.format == "imagej-tiff"
    assert src.image.dims == ("t", "z", "y", "x")
    assert src.image.ngff.scale == {"t": 2.5, "z": 0.75, "y": 0.25, "x": 0.25}
    assert src.image.ngff.axes_units == {
        "t": "second",
        "z": "micrometer",
        "y": "micrometer",
        "x": "micrometer",
    }


def test_plain_tiff_metric_resolution_used_inch_ignored(tmp_path):
    cm = tmp_path / "cm.tif"
    tifffile.imwrite(cm, _ramp((8, 8)), resolution=(10000, 10000), resolutionunit="CENTIMETER")
    img = open_input(cm).image
    assert img.ngff.scale == {"y": 1.0, "x": 1.0}
    assert img.ngff.axes_units == {"y": "micrometer", "x": "micrometer"}
    inch = tmp_path / "inch.tif"
    tifffile.imwrite(inch, _ramp((8, 8)), resolution=(72, 72), resolutionunit="INCH")
    img = open_input(inch).image
    assert img.ngff.axes_units == {"y": None, "x": None}


def test_rgb_tiff_samples_become_channels(tmp_path):
    path = tmp_path / "rgb.tif"
    data = _ramp((6, 7, 3), "uint8")
    tifffile.imwrite(path, data, photometric="rgb")
    img = open_input(path).image
    assert img.dims == ("c", "y", "x")
    np.testing.assert_array_equal(img.values, np.moveaxis(data, -1, 0))


def test_page_stack_becomes_z_and_dims_override(tmp_path):
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, _ramp((4, 8, 8)), photometric="minisblack", metadata=None)
    assert open_input(path).image.dims == ("z", "y", "x")
    img = open_input(path, dims=["t", "y", "x"]).image
    assert img.dims == ("t", "y", "x")
    with pytest.raises(InvalidDimsError, match="3 dimensions"):
        open_input(path, dims=["y", "x"])


def test_png_grey_rgb_and_jpeg(tmp_path):
    grey = tmp_path / "grey.png"
    iio.imwrite(grey, _ramp((10, 12), "uint16"))
    img = open_input(grey).image
    assert (img.dims, img.dtype, img.name) == (("y", "x"), np.uint16, "grey")
    rgb = tmp_path / "rgb.png"
    data = _ramp((10, 12, 3), "uint8")
    iio.imwrite(rgb, data)
    img = open_input(rgb).image
    assert img.ngff.channel_names == ["R", "G", "B"]
    np.testing.assert_array_equal(img.sel(c="G").values, data[..., 1])
    jpg = tmp_path / "photo.jpg"
    iio.imwrite(jpg, data)
    assert open_input(jpg).image.shape == (3, 10, 12)


def test_zarr_arrays_v2_v3_dims(tmp_path):
    v3 = zarr.create_array(
        tmp_path / "v3.zarr", shape=(3, 8, 9), dtype="uint8", dimension_names=("c", "y", "x")
    )
    v3[:] = 7
    img = open_input(tmp_path / "v3.zarr").image
    assert img.dims == ("c", "y", "x") and int(img.max()) == 7
    v2 = zarr.create_array(tmp_path / "v2.zarr", shape=(8, 9), dtype="uint8", zarr_format=2)
    v2.attrs["_ARRAY_DIMENSIONS"] = ["y", "x"]
    assert open_input(tmp_path / "v2.zarr").image.dims == ("y", "x")
    # names outside the NGFF vocabulary fall back to the default dims
    odd = zarr.create_array(
        tmp_path / "odd.zarr", shape=(4, 8, 9), dtype="uint8", dimension_names=("a", "b", "c")
    )
    assert odd is not None
    assert open_input(tmp_path / "odd.zarr").image.dims == ("z", "y", "x")


def test_zarr_group_without_ome_is_refused(tmp_path):
    g = zarr.open_group(tmp_path / "g.zarr", mode="w")
    g.create_array("raw", shape=(4, 4), dtype="uint8")
    with pytest.raises(UnsupportedInputError, match=r"point at an array.*\['raw'\]"):
        open_input(tmp_path / "g.zarr")


def test_plate_is_refused(tmp_path):
    path = tmp_path / "plate.ome.zarr"
    zarr.open_group(path, mode="w", zarr_format=2).attrs["plate"] = {
        "rows": [{"name": "A"}],
        "columns": [{"name": "1"}],
        "wells": [{"path": "A/1", "rowIndex": 0, "columnIndex": 0}],
    }
    with pytest.raises(UnsupportedInputError, match="HCS plate"):
        open_input(path)


def test_missing_and_corrupt_inputs(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        open_input(tmp_path / "nope.tif")
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff at all")
    with pytest.raises(InputError, match="cannot read"):
        open_input(bad)
    junk = tmp_path / "junk.png"
    junk.write_text(json.dumps({"a": 1}))
    with pytest.raises(NgffError, match="cannot read"):
        open_input(junk)
    with pytest.raises(InputError, match="series=3"):
        read_tiff(_tiny_tiff(tmp_path), series=3)


def _tiny_tiff(tmp_path):
    path = tmp_path / "ok.tif"
    tifffile.imwrite(path, _ramp((4, 4)))
    return path


def test_relabel_carries_geometry_through_levels():
    levels = xn.to_multiscales(xn.datasets.cells_3d(), scale_factors=[2, 4]).ngff.levels
    new = relabel(levels, scale={"x": 1.0}, translation={"x": 0.0}, units={"z": "nm"}, name="n")
    # level k keeps its factor and window-centred offset relative to the new level 0
    assert [lvl.ngff.scale["x"] for lvl in new] == [1.0, 2.0, 4.0]
    assert [lvl.ngff.translation["x"] for lvl in new] == [0.0, 0.5, 1.5]
    assert [lvl.ngff.scale["z"] for lvl in new] == [lvl.ngff.scale["z"] for lvl in levels]
    assert new[2].z.attrs["units"] == "nanometer" and new[2].name == "n"
    with pytest.raises(InvalidDimsError, match="scale names \\['t'\\]") as err:
        relabel(levels, scale={"t": 2.0})
    # the library names its parameter; only the command line speaks of flags
    assert err.value.field == "scale" and "--" not in str(err.value)


def test_ome_zarr_input_through_reader(tmp_path):
    importlib.import_module("xarray_ngff._reader")
    nz = pytest.importorskip("ngff_zarr")
    img = nz.to_ngff_image(
        _ramp((16, 24)),
        dims=["y", "x"],
        scale={"y": 0.5, "x": 0.5},
        translation={"y": 1.0, "x": 2.0},
        axes_units={"y": "micrometer", "x": "micrometer"},
    )
    path = tmp_path / "in.ome.zarr"
    nz.to_ngff_zarr(path, nz.to_multiscales(img, scale_factors=[2]), version="0.4")
    src = open_input(path)
    assert src.format == "ome-zarr"
    assert [lvl.shape for lvl in src.levels] == [(16, 24), (8, 12)]
    assert src.image.ngff.scale == {"y": 0.5, "x": 0.5}
    assert src.image.ngff.translation == {"y": 1.0, "x": 2.0}
    np.testing.assert_array_equal(src.image.values, _ramp((16, 24)))


def test_bioformats2raw_series_follow_the_listed_order(tmp_path):
    from ngff_stores import write_image

    # the OME group lists the series: series=0 is the image at "1", as the reader orders them
    path = tmp_path / "collection.ome.zarr"
    root = zarr.open_group(path, mode="w", zarr_format=2)
    root.attrs["bioformats2raw.layout"] = 3
    for s in range(2):
        write_image(None, "0.4", dims="yx", shape=(8, 4 + 4 * s), group=root.create_group(str(s)))
    root.create_group("OME").attrs["series"] = ["1", "0"]
    assert open_input(path, series=0).image.shape == (8, 8)
    assert open_input(path, series=1).image.shape == (8, 4)
    with pytest.raises(InputError, match="series=2 is out of range") as err:
        open_input(path, series=2)
    assert err.value.field == "series"


def test_labels_group_is_refused_by_kind(tmp_path):
    path = tmp_path / "labels.zarr"
    zarr.open_group(path, mode="w", zarr_format=2).attrs["labels"] = ["cells"]
    with pytest.raises(UnsupportedInputError, match="labels group") as err:
        open_input(path)
    assert err.value.field == "input"
