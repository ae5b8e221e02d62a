"""Source discovery and the write-back matrix: writing onto what was read never loses it."""

from __future__ import annotations

import os
import pathlib
import warnings

import dask
import dask.array as da
import fsspec
import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_ngff as xn
from xarray_ngff._cli import main
from xarray_ngff._plate_read import open_plate_tree
from xarray_ngff._sources import (
    Location,
    find_sources,
    local_location,
    location_of_store,
    relation,
)
from xarray_ngff.errors import NgffError, WriteError

PIXELS = np.random.default_rng(7).integers(0, 4000, (24, 32)).astype("uint16")


def _image() -> xr.DataArray:
    return xn.to_ngff_image(PIXELS, dims=("y", "x"), scale={"y": 0.5, "x": 0.5})


def _write_source(kind: str, path: pathlib.Path) -> None:
    if kind == "ngff-zarr":
        nz = pytest.importorskip("ngff_zarr")
        img = nz.to_ngff_image(PIXELS, dims=["y", "x"], scale={"y": 0.5, "x": 0.5})
        nz.to_ngff_zarr(path, nz.to_multiscales(img, scale_factors=[2], chunks=8), version="0.5")
        return
    ms = xn.to_multiscales(_image(), scale_factors=[2], chunks=8)
    version, cps = {"0.4": ("0.4", None), "0.5": ("0.5", None), "sharded": ("0.5", 2)}[kind]
    xn.to_ngff_zarr(path, ms, version=version, chunks_per_shard=cps)


def _read(how: str, path: pathlib.Path):
    """A tree or an image, read lazily from ``path`` as a user would."""
    if how == "from_ngff_zarr":
        return xn.from_ngff_zarr(path)
    if how == "validate":
        return xn.from_ngff_zarr(path, validate=True)
    if how == "open_datatree":
        return xr.open_datatree(path, engine="ngff")
    if how == "chunks={}":
        return xr.open_datatree(path, engine="ngff", chunks={})
    if how == "repyramid":
        return xn.to_multiscales(xn.from_ngff_zarr(path).ngff.levels[0], scale_factors=[2])
    if how == "from_zarr":
        attrs = dict(zarr.open_group(path, mode="r").attrs)
        first = attrs.get("ome", attrs)["multiscales"][0]["datasets"][0]["path"]  # as stored
        arr = da.from_zarr(zarr.open_array(path / first, mode="r"))
        return xn.to_ngff_image(arr, dims=("y", "x"), scale={"y": 0.5, "x": 0.5})
    raise AssertionError(how)


def _as_tree(obj) -> xr.DataTree:
    return obj if isinstance(obj, xr.DataTree) else xn.to_multiscales(obj)


def _write(how: str, path: pathlib.Path, obj) -> None:
    if how == "0.4":
        xn.to_ngff_zarr(path, obj, version="0.4")
    elif how == "0.5":
        xn.to_ngff_zarr(path, obj)
    elif how == "sharded":
        xn.to_ngff_zarr(path, obj, chunks_per_shard=2)
    elif how == "tensorstore":
        pytest.importorskip("tensorstore")
        xn.to_ngff_zarr(path, obj, use_tensorstore=True)
    elif how == "ms.to_zarr":
        _as_tree(obj).ngff.to_zarr(path, mode="w")
    elif how == "img.to_zarr":
        image = obj.ngff.levels[0] if isinstance(obj, xr.DataTree) else obj
        image.ngff.to_zarr(path, mode="w")
    else:
        raise AssertionError(how)


def _files(path: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _check_outcome(path: pathlib.Path, expected: list[np.ndarray], do) -> str:
    """``do()`` either raises an NgffError leaving every byte as it was, or writes a store
    whose level 0 is the original image and whose levels are the ones asked for."""
    before = _files(path)
    try:
        do()
    except NgffError:
        assert _files(path) == before
        return "refused"
    got = xn.from_ngff_zarr(path).ngff.levels
    np.testing.assert_array_equal(got[0].values, PIXELS)
    assert len(got) == len(expected)
    for lvl, want in zip(got, expected, strict=True):
        np.testing.assert_array_equal(lvl.values, want)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # nothing left beside it
    return "rewritten"


SOURCES = ["0.4", "0.5", "sharded", "ngff-zarr"]
READERS = ["from_ngff_zarr", "validate", "open_datatree", "chunks={}", "repyramid", "from_zarr"]
WRITERS = ["0.4", "0.5", "sharded", "tensorstore", "ms.to_zarr", "img.to_zarr"]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("reader", READERS)
def test_write_back_matrix(tmp_path, source, reader):
    """Every way of reading x every way of writing back onto the same path keeps the image."""
    for writer in WRITERS:
        path = tmp_path / writer / "img.ome.zarr"
        path.parent.mkdir()
        _write_source(source, path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            obj = _read(reader, path)
        if writer == "img.to_zarr":
            image = obj.ngff.levels[0] if isinstance(obj, xr.DataTree) else obj
            expected_tree = xn.to_multiscales(image)
        else:
            expected_tree = _as_tree(obj)
        expected = [lvl.values for lvl in expected_tree.ngff.levels]
        outcome = _check_outcome(path, expected, lambda w=writer, o=obj, p=path: _write(w, p, o))
        assert outcome == "rewritten", writer  # local stores are staged: the write works


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("chunks", [None, {}])
def test_plate_written_back_onto_itself(tmp_path, version, chunks):
    path = tmp_path / "plate.ome.zarr"
    ms = xn.to_multiscales(_image(), scale_factors=[2], chunks=8)
    xn.to_hcs_zarr(path, {"A/1/0": ms, "B/2/0": ms, "B/2/1": ms}, version=version)
    tree = open_plate_tree(path, chunks=chunks) if chunks is not None else open_plate_tree(path)
    assert any(path.as_posix() in str(s) for s in find_sources(tree))
    _plate_outcome(path, lambda: xn.to_hcs_zarr(path, tree, version=version))
    # a field of the plate written back into the plate as another field, by the plate writer
    with xn.HcsPlateWriter(
        path, rows=["A", "B"], columns=["1", "2"], overwrite=False, version=version
    ) as w:
        w.write_field("A", "1", 1, open_plate_tree(path)["A/1/0"])
    fields = xn.from_hcs_zarr(path).get_well("A", "1").images
    assert [f.path for f in fields] == ["0", "1"]


def _plate_outcome(path: pathlib.Path, do) -> None:
    before = _files(path)
    try:
        do()
    except NgffError:
        assert _files(path) == before
        return
    tree = open_plate_tree(path)
    for key in ("A/1/0", "B/2/0", "B/2/1"):
        np.testing.assert_array_equal(tree[key].ngff.levels[0].values, PIXELS)
        assert tree[key].ngff.levels[1].shape == (12, 16)
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_plate_writer_error_keeps_the_old_plate(tmp_path):
    path = tmp_path / "plate.ome.zarr"
    ms = xn.to_multiscales(_image(), scale_factors=[2], chunks=8)
    xn.to_hcs_zarr(path, {"A/1/0": ms})
    before = _files(path)
    with (
        pytest.raises(RuntimeError, match="camera"),
        xn.HcsPlateWriter(path, rows=["A"], columns=["1"]) as w,
    ):
        w.write_field("A", "1", 0, ms)
        raise RuntimeError("camera unplugged")
    assert _files(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["plate.ome.zarr"]


@pytest.mark.parametrize("source", ["0.4", "sharded"])
def test_cli_convert_onto_its_input(tmp_path, source, capsys):
    path = tmp_path / "img.ome.zarr"
    _write_source(source, path)
    expected = [lvl.values for lvl in xn.from_ngff_zarr(path).ngff.levels]
    code = main(["convert", str(path), str(path), "--overwrite", "--version", "0.5", "-q"])
    assert code == 0, capsys.readouterr().err
    _check_outcome(path, expected, lambda: None)
    before = _files(path)
    code = main(["convert", str(path), str(path / "inner.ome.zarr"), "-q"])
    assert code != 0 and "inside INPUT" in capsys.readouterr().err
    assert _files(path) == before


def test_remote_self_overwrite_is_refused_untouched():
    url = "memory://sources-matrix/img.ome.zarr"
    xn.to_ngff_zarr(url, xn.to_multiscales(_image(), scale_factors=[2], chunks=8))
    ms = xn.from_ngff_zarr(url)
    fs = fsspec.filesystem("memory")
    before = {k: fs.cat_file(k) for k in fs.find(url)}
    for do in (
        lambda: xn.to_ngff_zarr(url, ms),
        lambda: ms.ngff.to_zarr(url, mode="w"),
        lambda: xn.to_ngff_zarr(url, xn.to_multiscales(ms.ngff.levels[0])),
    ):
        with pytest.raises(WriteError, match="(?i)write to a new location") as err:
            do()
        assert err.value.store == url and err.value.field == "store"
    assert {k: fs.cat_file(k) for k in fs.find(url)} == before
    # a plate of fields read from the plate is refused the same way
    purl = "memory://sources-matrix/plate.ome.zarr"
    xn.to_hcs_zarr(purl, {"A/1/0": ms})
    with pytest.raises(WriteError, match="cannot be replaced atomically"):
        xn.to_hcs_zarr(purl, open_plate_tree(purl))
    np.testing.assert_array_equal(open_plate_tree(purl)["A/1/0"].ngff.levels[0].values, PIXELS)


def test_memory_store_object_is_known_by_identity():
    store = zarr.storage.MemoryStore()
    xn.to_ngff_zarr(store, xn.to_multiscales(_image(), scale_factors=[2], chunks=8))
    ms = xn.from_ngff_zarr(store)
    with pytest.raises(WriteError, match="destroy the source"):
        xn.to_ngff_zarr(store, ms)
    xn.to_ngff_zarr(zarr.storage.MemoryStore(), ms)  # another store: fine


# -- discovery --------------------------------------------------------------------------------


def test_sources_through_symlinks_optimised_and_nested_graphs(tmp_path):
    path = tmp_path / "img.ome.zarr"
    _write_source("0.5", path)
    os.symlink(path, tmp_path / "link.zarr")
    arr = xn.from_ngff_zarr(tmp_path / "link.zarr").ngff.levels[0].data
    want = local_location(path / "0")
    (optimised,) = dask.optimize((arr + 1) * 2)
    nested = da.map_blocks(lambda a, b: a, arr, {"deep": [(arr,)]}, dtype=arr.dtype)
    for obj in (arr, optimised, nested, da.stack([arr, arr])):
        assert want in find_sources(obj)
    assert find_sources(da.zeros((4, 4)), np.zeros(3)) == []
    assert relation(local_location(path), [want])[0] == "contains"
    assert relation(want, [want])[0] == "equal"


class _TsView:
    """How a user hands a tensorstore array to dask (its dtype is tensorstore's own)."""

    def __init__(self, arr):
        self.arr, self.shape, self.ndim = arr, tuple(arr.shape), arr.ndim
        self.dtype = np.dtype(arr.dtype.numpy_dtype)

    def __getitem__(self, key):
        return self.arr[key].read().result()


def test_sources_of_tensorstore_arrays(tmp_path):
    ts = pytest.importorskip("tensorstore")
    path = tmp_path / "img.ome.zarr"
    _write_source("0.5", path)
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path / "0")}}
    image = xn.to_ngff_image(da.from_array(_TsView(ts.open(spec).result()), chunks=8))
    assert local_location(path / "0") in find_sources(image)
    _check_outcome(
        path,
        [lvl.values for lvl in xn.to_multiscales(image).ngff.levels],
        lambda: xn.to_ngff_zarr(path, image),
    )


def test_store_locations_are_normalised(tmp_path):
    spellings = ["memory://x/y/", "memory://x//y", "memory:///x/y"]
    found = {location_of_store(zarr.storage.FsspecStore.from_url(u)) for u in spellings}
    assert found == {Location("memory", "x/y")}
    local = location_of_store(zarr.storage.FsspecStore.from_url(f"file://{tmp_path}/../a"))
    assert local == local_location(tmp_path.parent / "a")
    assert location_of_store(zarr.storage.LocalStore(tmp_path)) == local_location(tmp_path)


def test_location_urls_are_normalised():
    a = Location("s3", "bucket/data/img.zarr")
    b = Location("s3", "bucket/data/img.zarr/scale0/image")
    assert a.contains(b) and not b.contains(a) and not Location("gs", a.path).contains(b)
    assert not Location("s3", "bucket/data/img").contains(a)  # a prefix, not a parent
