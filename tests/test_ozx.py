"""Writing RFC-9 ``.ozx`` / ``.zip`` archives of images and plates."""

from __future__ import annotations

import json
import zipfile

import dask
import dask.array as da
import numpy as np
import pytest
import zarr

import xarray_ngff as xn
from xarray_ngff._plate_read import open_plate_tree
from xarray_ngff.errors import StoreExistsError, UnsupportedVersionError

PIXELS = np.random.default_rng(3).integers(0, 4000, (24, 32)).astype("uint16")


def _pyramid():
    return xn.to_multiscales(xn.to_ngff_image(PIXELS), scale_factors=[2], chunks=8)


def _check_rfc9(path, version="0.5"):
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        meta = [n for n in names if n.rsplit("/", 1)[-1] == "zarr.json"]
        assert names[: len(meta)] == meta and meta[0] == "zarr.json"  # metadata first
        depths = [n.count("/") for n in meta]
        assert depths == sorted(depths)  # breadth-first
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        assert json.loads(zf.comment) == {
            "ome": {"version": version, "zipFile": {"centralDirectory": {"jsonFirst": True}}}
        }
        assert "multiscales" in json.dumps(json.loads(zf.read("zarr.json"))) or "plate" in str(
            json.loads(zf.read("zarr.json"))
        )


def test_image_ozx_opens_everywhere(tmp_path):
    path = tmp_path / "img.ozx"
    ms = _pyramid()
    xn.to_ngff_zarr(path, ms)
    _check_rfc9(path)
    assert [p.name for p in tmp_path.iterdir()] == ["img.ozx"]
    got = xn.from_ngff_zarr(path)
    for lvl, want in zip(got.ngff.levels, ms.ngff.levels, strict=True):
        np.testing.assert_array_equal(lvl.values, want.values)
    root = zarr.open_group(zarr.storage.ZipStore(path, mode="r"), mode="r")
    np.testing.assert_array_equal(root["0"][...], PIXELS)
    nz = pytest.importorskip("ngff_zarr")
    theirs = nz.from_ngff_zarr(str(path))
    np.testing.assert_array_equal(np.asarray(theirs.images[0].data), PIXELS)
    assert [d.path for d in theirs.metadata.datasets] == ["0", "1"]


def test_archive_written_back_onto_itself_and_failed_writes(tmp_path):
    path = tmp_path / "img.ozx"
    xn.to_ngff_zarr(path, _pyramid())
    xn.to_ngff_zarr(path, xn.from_ngff_zarr(path), chunks_per_shard=2)  # staged, swapped in
    np.testing.assert_array_equal(xn.from_ngff_zarr(path).ngff.levels[0].values, PIXELS)
    before = path.read_bytes()

    def fail(block, block_info=None):
        if block_info[None]["chunk-location"] == (1, 1):
            raise RuntimeError("disk on fire")
        return block

    bad = da.from_array(PIXELS, chunks=8).map_blocks(fail, dtype="uint16")
    with dask.config.set(scheduler="sync"), pytest.raises(RuntimeError, match="disk on fire"):
        xn.to_ngff_zarr(path, xn.to_ngff_image(bad))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["img.ozx"]


def test_image_ozx_v06(tmp_path):
    # RFC-9 archives hold every Zarr v3 version written: 0.6 as well as 0.5
    path = tmp_path / "img.ozx"
    ms = _pyramid()
    xn.to_ngff_zarr(path, ms, version="0.6")
    _check_rfc9(path, version="0.6")
    assert [p.name for p in tmp_path.iterdir()] == ["img.ozx"]
    with zipfile.ZipFile(path) as zf:
        ome = json.loads(zf.read("zarr.json"))["attributes"]["ome"]
    assert ome["version"] == "0.6"
    assert "coordinateSystems" in ome["multiscales"][0]
    got = xn.from_ngff_zarr(path)
    for lvl, want in zip(got.ngff.levels, ms.ngff.levels, strict=True):
        np.testing.assert_array_equal(lvl.values, want.values)
        np.testing.assert_allclose(lvl.x.values, want.x.values)


def test_archive_versions_and_refusals(tmp_path):
    with pytest.raises(UnsupportedVersionError, match="name the archive .zip"):
        xn.to_ngff_zarr(tmp_path / "old.ozx", _pyramid(), version="0.4")
    assert list(tmp_path.iterdir()) == []
    zipped = tmp_path / "old.zip"
    xn.to_ngff_zarr(zipped, _pyramid(), version="0.4")
    with zipfile.ZipFile(zipped) as zf:
        assert zf.namelist()[:2] == [".zgroup", ".zattrs"]
    np.testing.assert_array_equal(xn.from_ngff_zarr(zipped).ngff.levels[0].values, PIXELS)
    notes = tmp_path / "notes.zip"
    notes.write_text("not an archive")
    with pytest.raises(StoreExistsError, match="not a zip archive"):
        xn.to_ngff_zarr(notes, _pyramid())
    assert notes.read_text() == "not an archive"


def test_plate_ozx(tmp_path):
    path = tmp_path / "plate.ozx"
    ms = _pyramid()
    xn.to_hcs_zarr(path, {"A/1/0": ms, "B/2/0": ms, "B/2/1": ms})
    _check_rfc9(path)
    assert [p.name for p in tmp_path.iterdir()] == ["plate.ozx"]
    plate = xn.from_hcs_zarr(path)
    assert plate.well_paths == ["A/1", "B/2"]
    tree = open_plate_tree(path)
    xn.to_hcs_zarr(path, tree)  # written back onto itself
    np.testing.assert_array_equal(open_plate_tree(path)["B/2/1"].ngff.levels[0].values, PIXELS)
    with pytest.raises(StoreExistsError, match="cannot be added to an existing archive"):
        xn.HcsPlateWriter(path, rows=["A"], columns=["1"], overwrite=False)
    nz = pytest.importorskip("ngff_zarr")
    theirs = nz.from_hcs_zarr(str(path))
    assert len(theirs.metadata.wells) == 2


def test_cli_converts_an_archive_onto_itself(tmp_path, capsys):
    from xarray_ngff._cli import main

    path = tmp_path / "img.ozx"
    xn.to_ngff_zarr(path, _pyramid())
    assert main(["convert", str(path), str(path), "--overwrite", "-q"]) == 0, capsys.readouterr()
    _check_rfc9(path)
    np.testing.assert_array_equal(xn.from_ngff_zarr(path).ngff.levels[0].values, PIXELS)
    assert [p.name for p in tmp_path.iterdir()] == ["img.ozx"]
