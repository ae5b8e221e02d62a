"""The OME-Zarr writer: layout, metadata, codecs, shards, safety and validation."""

from __future__ import annotations

import json
import pathlib
import warnings

import dask
import dask.array as da
import numcodecs
import numpy as np
import pytest
import xarray as xr
import zarr
import zarr.codecs
from dask.delayed import Delayed

import xarray_ngff as xn
from xarray_ngff import datasets
from xarray_ngff._writer import default_compressors, to_ngff_zarr
from xarray_ngff.errors import (
    InvalidChunksError,
    InvalidDimsError,
    InvalidGeometryError,
    NgffError,
    StoreExistsError,
    UnsupportedVersionError,
    WriteError,
)


def _root_attrs(path: pathlib.Path) -> dict:
    if (path / "zarr.json").exists():
        return json.loads((path / "zarr.json").read_text()).get("attributes", {})
    zattrs = path / ".zattrs"
    return json.loads(zattrs.read_text()) if zattrs.exists() else {}


def _open_level(path, k: int) -> xr.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no consolidated metadata
        return xr.open_dataset(path, engine="ngff", level=k)


@pytest.fixture(scope="module")
def pyramid3d() -> xr.DataTree:
    return xn.to_multiscales(datasets.cells_3d((16, 48, 40)), scale_factors=[2, 4], chunks=16)


# -- metadata per version ---------------------------------------------------------------------


def test_v04_layout_and_metadata(tmp_path, pyramid3d):
    path = tmp_path / "a.ome.zarr"
    to_ngff_zarr(path, pyramid3d, version="0.4")
    assert (path / ".zgroup").exists() and not (path / "zarr.json").exists()
    attrs = _root_attrs(path)
    ms = attrs["multiscales"][0]
    assert ms["version"] == "0.4"
    assert ms["name"] == "cells"
    assert ms["axes"] == [
        {"name": n, "type": "space", "unit": "micrometer"} for n in ("z", "y", "x")
    ]
    assert [d["path"] for d in ms["datasets"]] == ["0", "1", "2"]
    t1 = ms["datasets"][1]["coordinateTransformations"]
    assert t1[0] == {"type": "scale", "scale": [4.0, 1.0, 1.0]}
    # translation_k = translation_0 + (F - 1) * scale_0 / 2
    assert t1[1] == {"type": "translation", "translation": [11.0, -4.75, 3.5]}
    assert "omero" not in attrs  # 0.4 without channel names
    zarray = json.loads((path / "0" / ".zarray").read_text())
    assert zarray["compressor"]["id"] == "blosc" and zarray["compressor"]["shuffle"] == 2
    assert zarray["chunks"] == [16, 16, 16]
    dims = json.loads((path / "0" / ".zattrs").read_text())["_ARRAY_DIMENSIONS"]
    assert dims == ["z", "y", "x"]


def test_v05_layout_and_metadata(tmp_path, pyramid3d):
    path = tmp_path / "a.ome.zarr"
    to_ngff_zarr(path, pyramid3d)
    root = json.loads((path / "zarr.json").read_text())
    assert root["zarr_format"] == 3 and root["node_type"] == "group"
    ome = root["attributes"]["ome"]
    assert ome["version"] == "0.5"
    assert "version" not in ome["multiscales"][0]  # 0.5 puts the version under "ome" only
    assert ome["multiscales"][0]["type"] == "gaussian"
    assert len(ome["omero"]["channels"]) == 1  # 0.5 always gets omero
    arr = json.loads((path / "1" / "zarr.json").read_text())
    assert arr["dimension_names"] == ["z", "y", "x"]
    assert arr["codecs"][-1]["name"] == "blosc"
    assert arr["codecs"][-1]["configuration"]["shuffle"] == "bitshuffle"


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_levels_open_with_plain_xarray(tmp_path, pyramid3d, version):
    path = tmp_path / "a.ome.zarr"
    to_ngff_zarr(path, pyramid3d, version=version, layout="scale-groups")
    assert sorted(p.name for p in path.iterdir() if p.is_dir()) == ["scale0", "scale1", "scale2"]
    for k, level in enumerate(pyramid3d.ngff.levels):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # no consolidated metadata
            ds = xr.open_dataset(path, engine="zarr", group=f"scale{k}")
        assert ds["cells"].dims == ("z", "y", "x")
        np.testing.assert_array_equal(ds["cells"].values, level.values)
        # the coordinate arrays give plain xarray the physical grid and units
        np.testing.assert_allclose(ds.x.values, level.x.values)
        assert ds.z.attrs["units"] == "micrometer"
        assert ds["cells"].dtype == np.uint16


def test_dataarray_gets_default_pyramid_and_accessors(tmp_path):
    img = datasets.blobs_2d((600, 520))
    to_ngff_zarr(tmp_path / "a.zarr", img)
    img.ngff.to_zarr(tmp_path / "b.zarr")
    for p in ("a.zarr", "b.zarr"):
        paths = [d["path"] for d in _root_attrs(tmp_path / p)["ome"]["multiscales"][0]["datasets"]]
        assert paths == ["0", "1", "2"]
    np.testing.assert_array_equal(_open_level(tmp_path / "a.zarr", 0)["blobs"].values, img.values)


def test_datatree_accessor_modes(tmp_path, pyramid3d):
    path = tmp_path / "m.zarr"
    pyramid3d.ngff.to_zarr(path)
    with pytest.raises(StoreExistsError) as err:
        pyramid3d.ngff.to_zarr(path)  # default mode="w-" refuses an existing store
    assert str(path) in str(err.value)
    pyramid3d.ngff.to_zarr(path, mode="w", version="0.4")
    assert "multiscales" in _root_attrs(path)


def test_axes_transposed_to_ngff_order(tmp_path):
    img = datasets.cells_5d()
    shuffled = img.transpose("x", "c", "z", "t", "y")
    ms = xn.to_multiscales(shuffled, scale_factors=[2], chunks=32)
    path = tmp_path / "t.zarr"
    to_ngff_zarr(path, ms, version="0.4")
    attrs = _root_attrs(path)
    assert [a["name"] for a in attrs["multiscales"][0]["axes"]] == ["t", "c", "z", "y", "x"]
    assert attrs["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"] == [
        30.0,
        1.0,
        1.5,
        0.4,
        0.4,
    ]
    ds = _open_level(path, 0)
    assert ds["cells5d"].dims == ("t", "c", "z", "y", "x")
    np.testing.assert_array_equal(ds["cells5d"].values, img.values)


# -- omero ------------------------------------------------------------------------------------


def test_omero_from_channel_names(tmp_path):
    img = datasets.cells_5d()
    path = tmp_path / "o.zarr"
    to_ngff_zarr(path, xn.to_multiscales(img, scale_factors=[2]), version="0.4")
    omero = _root_attrs(path)["omero"]
    assert [c["label"] for c in omero["channels"]] == ["DAPI", "GFP"]
    assert [c["color"] for c in omero["channels"]] == ["0000FF", "00FF00"]
    for i, ch in enumerate(omero["channels"]):
        w = ch["window"]
        assert (w["min"], w["max"]) == (0, 65535)
        values = img.isel(c=i).values
        assert values.min() <= w["start"] < w["end"] <= values.max()
    assert omero["rdefs"]["defaultZ"] == 4


def test_omero_window_uses_low_resolution_level(tmp_path):
    # 2**23 pixels at level 0: the window must come from the 2**21-pixel level
    data = np.zeros((4096, 2048), "uint8")
    data[:2048] = 200  # level 0 is half 200; level 1 too, so both give the same quantiles
    img = xn.to_ngff_image(da.from_array(data, chunks=1024))
    path = tmp_path / "w.zarr"
    to_ngff_zarr(path, xn.to_multiscales(img, scale_factors=[2], chunks=1024))
    window = _root_attrs(path)["ome"]["omero"]["channels"][0]["window"]
    assert window["start"] == 0 and window["end"] == 200


def test_omero_given_and_disabled(tmp_path, pyramid3d):
    mine = {"channels": [{"color": "FF0000", "window": {"min": 0, "max": 9, "start": 1, "end": 8}}]}
    to_ngff_zarr(tmp_path / "a.zarr", pyramid3d, omero=mine)
    assert _root_attrs(tmp_path / "a.zarr")["ome"]["omero"] == mine
    to_ngff_zarr(tmp_path / "b.zarr", pyramid3d, omero=False)
    assert "omero" not in _root_attrs(tmp_path / "b.zarr")["ome"]
    with pytest.raises(WriteError, match="2 entries for 1 channel"):
        to_ngff_zarr(tmp_path / "c.zarr", pyramid3d, omero={"channels": mine["channels"] * 2})
    assert not (tmp_path / "c.zarr").exists()


# -- codecs and shards ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "compressors, version, expect",
    [
        ([zarr.codecs.ZstdCodec(level=5)], "0.4", {"id": "zstd", "level": 5}),
        ([numcodecs.GZip(level=2)], "0.5", {"name": "gzip", "configuration": {"level": 2}}),
        ([], "0.5", None),
    ],
)
def test_compressors_passthrough(tmp_path, compressors, version, expect):
    img = datasets.blobs_2d((64, 64))
    path = tmp_path / "c.zarr"
    to_ngff_zarr(path, xn.to_multiscales(img, [2]), version=version, compressors=compressors)
    if version == "0.4":
        meta = json.loads((path / "0" / ".zarray").read_text())
        assert {k: meta["compressor"][k] for k in expect} == expect
    else:
        meta = json.loads((path / "0" / "zarr.json").read_text())
        names = [c["name"] for c in meta["codecs"]]
        if expect is None:
            assert names == ["bytes"]
        else:
            assert meta["codecs"][-1] == expect
    np.testing.assert_array_equal(_open_level(path, 0)["blobs"].values, img.values)


def test_default_compressor_same_for_both_versions():
    v2, v3 = default_compressors("0.4")[0], default_compressors("0.5")[0]
    assert (v2.cname, v2.clevel, v2.shuffle) == ("zstd", 1, numcodecs.Blosc.BITSHUFFLE)
    assert (v3.cname.value, v3.clevel, v3.shuffle.value) == ("zstd", 1, "bitshuffle")


@pytest.mark.parametrize(
    "cps, shard",
    [(2, [8, 32, 32]), ((1, 2, 1), [8, 32, 16]), ({"x": 3}, [8, 16, 48])],
)
def test_shards(tmp_path, cps, shard):
    # z has 8 planes in chunks of 8: a count of 2 must not make a shard of empty chunks
    img = datasets.cells_3d((8, 64, 40))
    ms = xn.to_multiscales(img, scale_factors=[2], chunks=(8, 16, 16))
    path = tmp_path / "s.zarr"
    to_ngff_zarr(path, ms, chunks_per_shard=cps)
    meta = json.loads((path / "0" / "zarr.json").read_text())
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == shard
    sharding = meta["codecs"][0]
    assert sharding["name"] == "sharding_indexed"
    assert sharding["configuration"]["chunk_shape"] == [8, 16, 16]
    np.testing.assert_array_equal(_open_level(path, 0)["cells"].values, img.values)
    np.testing.assert_array_equal(_open_level(path, 1)["cells"].values, ms["scale1"]["cells"])


def test_dask_chunks_aligned_to_shards(tmp_path):
    # irregular input chunks: every dask block handed to the store must cover whole shards
    data = da.from_array(np.arange(96 * 80, dtype="uint16").reshape(96, 80), chunks=(40, 30))
    ms = xn.to_multiscales(xn.to_ngff_image(data), scale_factors=[2], chunks=16)
    seen = []
    from xarray_ngff import _image_writer as writer

    real = writer.da.store

    def spy(sources, targets, **kw):
        many = isinstance(sources, list)
        for s, t in zip(
            sources if many else [sources], targets if many else [targets], strict=True
        ):
            t = getattr(t, "array", t)  # the zarr array behind a ChunkWriter
            shard = t.shards or t.chunks
            for axis, sizes in enumerate(s.chunks):
                assert all(c % shard[axis] == 0 for c in sizes[:-1])
            seen.append(shard)
        return real(sources, targets, **kw)

    from xarray_ngff import _staged

    real_staged = _staged._reduce_store

    def staged_spy(token, before, source, target, *args):
        shard = target.array.shards  # the staged level's blocks, stored by their own tasks
        for axis, (a, b) in enumerate(args[-1]):
            assert a % shard[axis] == 0 and (b % shard[axis] == 0 or b == target.shape[axis])
        seen.append(shard)
        return real_staged(token, before, source, target, *args)

    writer.da.store, _staged._reduce_store = spy, staged_spy
    try:
        to_ngff_zarr(tmp_path / "a.zarr", ms, chunks_per_shard=3)
    finally:
        writer.da.store, _staged._reduce_store = real, real_staged
    assert seen[0] == (48, 48) and set(seen[1:]) == {(48, 48)} and len(seen) > 1
    np.testing.assert_array_equal(_open_level(tmp_path / "a.zarr", 0)["image"].values, data)


# -- compute=False, progress, tensorstore, stores ---------------------------------------------


def test_compute_false_returns_delayed(tmp_path, pyramid3d):
    path = tmp_path / "d.zarr"
    task = to_ngff_zarr(path, pyramid3d, compute=False)
    assert isinstance(task, Delayed)
    # the staged plan: levels 1 and 2 are read back from the levels written before them
    assert any("_reduce_store" in str(key) for key in dict(task.__dask_graph__()))
    assert "ome" not in _root_attrs(path)  # arrays exist, metadata waits for the data
    task.compute()
    assert _root_attrs(path)["ome"]["version"] == "0.5"
    np.testing.assert_array_equal(_open_level(path, 2)["cells"], pyramid3d["scale2"]["cells"])


def test_progress_bar(tmp_path, pyramid3d, capsys):
    to_ngff_zarr(tmp_path / "p.zarr", pyramid3d, progress=True)
    out = capsys.readouterr()
    assert "100%" in out.out + out.err


@pytest.mark.parametrize("version, cps", [("0.4", None), ("0.5", None), ("0.5", 2)])
def test_tensorstore_matches_zarr_python(tmp_path, pyramid3d, version, cps):
    pytest.importorskip("tensorstore")
    a, b = tmp_path / "zp.zarr", tmp_path / "ts.zarr"
    to_ngff_zarr(a, pyramid3d, version=version, chunks_per_shard=cps)
    to_ngff_zarr(b, pyramid3d, version=version, chunks_per_shard=cps, use_tensorstore=True)
    assert _root_attrs(a) == _root_attrs(b)
    for k in range(3):
        np.testing.assert_array_equal(_open_level(a, k)["cells"], _open_level(b, k)["cells"])
        np.testing.assert_array_equal(_open_level(b, k)["cells"], pyramid3d[f"scale{k}"]["cells"])


def test_tensorstore_refuses_remote_store(pyramid3d):
    pytest.importorskip("tensorstore")
    with pytest.raises(WriteError, match="local paths only"):
        to_ngff_zarr("memory://ts.zarr", pyramid3d, use_tensorstore=True)


def test_memory_url_and_store_object(pyramid3d):
    to_ngff_zarr("memory://w/a.zarr", pyramid3d, version="0.4")
    g = zarr.open_group("memory://w/a.zarr", mode="r")
    assert g.attrs["multiscales"][0]["name"] == "cells"
    store = zarr.storage.MemoryStore()
    to_ngff_zarr(store, pyramid3d)
    g = zarr.open_group(store, mode="r")
    np.testing.assert_array_equal(g["1"][...], pyramid3d["scale1"]["cells"].values)
    assert g.attrs["ome"]["multiscales"][0]["datasets"][2]["path"] == "2"


def test_file_url(tmp_path, pyramid3d):
    to_ngff_zarr(f"file://{tmp_path}/f.zarr", pyramid3d)
    assert _root_attrs(tmp_path / "f.zarr")["ome"]["version"] == "0.5"


# -- safety -----------------------------------------------------------------------------------


def test_overwrite_rules(tmp_path, pyramid3d):
    path = tmp_path / "x.zarr"
    to_ngff_zarr(path, pyramid3d, version="0.4")
    (path / "stale").mkdir()
    to_ngff_zarr(path, pyramid3d, version="0.5")  # replaces the whole old hierarchy
    assert not (path / ".zattrs").exists() and not (path / "stale").exists()
    with pytest.raises(StoreExistsError, match="overwrite=True"):
        to_ngff_zarr(path, pyramid3d, overwrite=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    to_ngff_zarr(empty, pyramid3d, overwrite=False)  # an empty directory is fine
    assert (empty / "zarr.json").exists()


def test_never_deletes_a_non_zarr_directory(tmp_path, pyramid3d):
    home = tmp_path / "thesis"
    home.mkdir()
    (home / "chapter1.tex").write_text("precious")
    with pytest.raises(StoreExistsError, match="not a Zarr hierarchy") as err:
        to_ngff_zarr(home, pyramid3d, overwrite=True)
    assert err.value.store == str(home) and err.value.field == "store"
    assert (home / "chapter1.tex").read_text() == "precious"
    assert sorted(p.name for p in home.iterdir()) == ["chapter1.tex"]
    afile = tmp_path / "file.zarr"
    afile.write_text("x")
    with pytest.raises(StoreExistsError):
        to_ngff_zarr(afile, pyramid3d)
    assert afile.read_text() == "x"
    store = zarr.storage.MemoryStore()
    import asyncio

    from zarr.core.buffer import default_buffer_prototype

    asyncio.run(store.set("notes.txt", default_buffer_prototype().buffer.from_bytes(b"hi")))
    with pytest.raises(StoreExistsError, match="no Zarr metadata"):
        to_ngff_zarr(store, pyramid3d)


def _failing_pyramid(fail_block=(1, 1)):
    def fill(block, block_info=None):
        if block_info[None]["chunk-location"] == fail_block:
            raise RuntimeError("disk on fire")
        return block

    data = da.ones((64, 64), chunks=16, dtype="uint16").map_blocks(fill, dtype="uint16")
    return xn.to_multiscales(xn.to_ngff_image(data), scale_factors=[2], chunks=16)


def _files(path: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_failed_write_leaves_the_old_store(tmp_path, version):
    path = tmp_path / "broken.zarr"
    with dask.config.set(scheduler="sync"), pytest.raises(RuntimeError, match="disk on fire"):
        to_ngff_zarr(path, _failing_pyramid(), version=version)
    # a new store is written beside the path: nothing appears there, nothing is left over
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    to_ngff_zarr(path, _failing_pyramid(fail_block=(9, 9)), version=version)
    before = _files(path)
    with dask.config.set(scheduler="sync"), pytest.raises(RuntimeError, match="disk on fire"):
        to_ngff_zarr(path, _failing_pyramid(), version=version)
    assert _files(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.zarr"]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_interrupted_remote_write_is_not_an_image(version):
    url = f"memory://interrupted-{version}/broken.zarr"
    with dask.config.set(scheduler="sync"), pytest.raises(RuntimeError, match="disk on fire"):
        to_ngff_zarr(url, _failing_pyramid(), version=version)
    # stores that cannot rename: some chunks were written, yet the root claims nothing
    root = zarr.open_group(url, mode="r")
    assert "multiscales" not in json.dumps(dict(root.attrs))
    with pytest.raises(NgffError):
        xn.from_ngff_zarr(url)
    # a plain Zarr group remains, which a retry may replace
    to_ngff_zarr(url, _failing_pyramid(fail_block=(9, 9)), version=version)
    assert "multiscales" in json.dumps(dict(zarr.open_group(url, mode="r").attrs))


def test_writes_back_onto_its_own_source(tmp_path, pyramid3d):
    path = tmp_path / "src.zarr"
    to_ngff_zarr(path, pyramid3d, layout="scale-groups")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lazy = xr.open_dataset(path, engine="zarr", group="scale0", chunks={})["cells"]
    to_ngff_zarr(path, xn.to_multiscales(lazy, scale_factors=[2]))  # staged, then swapped in
    np.testing.assert_array_equal(_open_level(path, 0)["cells"], pyramid3d["scale0"]["cells"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.zarr"]
    with pytest.raises(WriteError, match="change the source store") as err:
        to_ngff_zarr(path / "scale0" / "cells", xn.to_multiscales(lazy, scale_factors=[2]))
    assert err.value.field == "store"


# -- validation before anything is written ----------------------------------------------------


def _irregular():
    img = datasets.blobs_2d((32, 32))
    x = img.x.values.copy()
    x[5:] += 0.1
    return _with_level0_x(xn.to_multiscales(img, scale_factors=[2]), x)


def _with_level0_x(ms, x):
    nodes = {k: v.to_dataset() for k, v in ms.subtree_with_keys if k != "."}
    nodes["scale0"] = nodes["scale0"].assign_coords(x=x)
    nodes["/"] = xr.Dataset(attrs=ms.attrs)
    return xr.DataTree.from_dict(nodes)


@pytest.mark.parametrize(
    "kwargs, error, field",
    [
        ({"version": "0.3"}, UnsupportedVersionError, "version"),
        ({"version": 0.5}, UnsupportedVersionError, "version"),
        ({"version": "0.4", "chunks_per_shard": 2}, InvalidChunksError, "chunks_per_shard"),
        ({"chunks_per_shard": (2, 2)}, InvalidChunksError, "chunks_per_shard"),
        ({"chunks_per_shard": {"t": 2}}, InvalidChunksError, "chunks_per_shard"),
        ({"chunks_per_shard": 0}, InvalidChunksError, "chunks_per_shard"),
        ({"compressors": ["zstd please"]}, WriteError, "compressors"),
        ({"omero": "yes"}, WriteError, "omero"),
        ({"storage_options": {"anon": True}}, WriteError, "storage_options"),
    ],
)
def test_bad_requests_write_nothing(tmp_path, pyramid3d, kwargs, error, field):
    path = tmp_path / "never.zarr"
    with pytest.raises(error) as err:
        to_ngff_zarr(path, pyramid3d, **kwargs)
    assert err.value.field == field
    assert err.value.store == str(path)
    assert isinstance(err.value, NgffError)
    assert not path.exists()


def test_irregular_coordinates_rejected(tmp_path):
    path = tmp_path / "never.zarr"
    with pytest.raises(InvalidGeometryError, match="not evenly spaced") as err:
        to_ngff_zarr(path, _irregular())
    assert (err.value.store, err.value.path, err.value.field) == (str(path), "scale0", "x")
    assert not path.exists()


def test_level_without_coordinates_rejected(tmp_path, pyramid3d):
    nodes = {k: v.to_dataset() for k, v in pyramid3d.subtree_with_keys if k != "."}
    nodes["scale1"] = nodes["scale1"].drop_vars("x")
    nodes["/"] = xr.Dataset(attrs=pyramid3d.attrs)
    path = tmp_path / "never.zarr"
    with pytest.raises(InvalidGeometryError, match="scale is unknown") as err:
        to_ngff_zarr(path, xr.DataTree.from_dict(nodes))
    assert (err.value.path, err.value.field) == ("scale1", "x")
    assert not path.exists()


def test_bad_dims_and_names_rejected(tmp_path):
    path = tmp_path / "never.zarr"
    bad = xr.DataArray(np.zeros((4, 4, 4)), dims=("q", "y", "x"))
    tree = xr.DataTree.from_dict({"scale0": bad.to_dataset(name="image")})
    with pytest.raises(InvalidDimsError) as err:
        to_ngff_zarr(path, tree)
    assert err.value.store == str(path) and err.value.path == "scale0"
    named_x = datasets.blobs_2d((16, 16)).rename("t")
    with pytest.raises(InvalidDimsError, match="cannot be a Zarr array name") as err:
        to_ngff_zarr(path, xn.to_multiscales(named_x, scale_factors=[2]), layout="scale-groups")
    assert err.value.field == "name"
    with pytest.raises(WriteError, match="layout='nested' is unknown"):
        to_ngff_zarr(path, xn.to_multiscales(named_x, scale_factors=[2]), layout="nested")
    with pytest.raises(WriteError, match="DataTree pyramid or an NGFF DataArray"):
        to_ngff_zarr(path, np.zeros((4, 4)))
    assert not path.exists()


def test_existing_store_untouched_when_request_is_bad(tmp_path, pyramid3d):
    path = tmp_path / "keep.zarr"
    to_ngff_zarr(path, pyramid3d, version="0.4")
    before = sorted(str(p.relative_to(path)) for p in path.rglob("*"))
    with pytest.raises(InvalidChunksError):
        to_ngff_zarr(path, pyramid3d, version="0.4", chunks_per_shard=2)
    assert sorted(str(p.relative_to(path)) for p in path.rglob("*")) == before


# -- staged writes: level k+1 from level k as written -----------------------------------------


def test_staged_plan_only_for_untouched_pyramids(pyramid3d):
    from xarray_ngff._staged import staged_plan as _staged_plan

    levels = pyramid3d.ngff.levels
    assert _staged_plan(pyramid3d, levels, "gaussian") == [
        (0, {"z": 2, "y": 2, "x": 2}),
        (1, {"z": 2, "y": 2, "x": 2}),
    ]
    edited = pyramid3d.copy()
    edited["scale1"] = (pyramid3d["scale1"].to_dataset() + 1).astype("uint16")
    assert _staged_plan(edited, edited.ngff.levels, "gaussian") is None
    nearest = xn.to_multiscales(datasets.blobs_2d((32, 32)), scale_factors=[2], method="nearest")
    assert _staged_plan(nearest, nearest.ngff.levels, "nearest") is None


@pytest.mark.parametrize("method", ["gaussian", "mean"])
def test_staged_write_of_a_non_multiple_ladder(tmp_path, method):
    from xarray_ngff._staged import staged_plan as _staged_plan

    ms = xn.to_multiscales(
        datasets.blobs_2d((90, 70)), scale_factors=[3, 4, 8], method=method, chunks=16
    )
    # 3 and 4 come from level 0, 8 from level 2 (the 4): each staged from what it came from
    assert _staged_plan(ms, ms.ngff.levels, method) == [
        (0, {"y": 3, "x": 3}),
        (0, {"y": 4, "x": 4}),
        (2, {"y": 2, "x": 2}),
    ]
    path = tmp_path / "n.zarr"
    to_ngff_zarr(path, ms)
    back = xn.from_ngff_zarr(path)
    for k, level in enumerate(ms.ngff.levels):
        got = back[f"scale{k}"].to_dataset()[level.name]
        assert got.shape == level.shape
        np.testing.assert_array_equal(got.values, level.values)
        np.testing.assert_allclose(got.x.values, level.x.values)


@pytest.mark.parametrize("method", ["gaussian", "mean", "mode", "max"])
@pytest.mark.parametrize("cps", [None, 2])
def test_staged_write_matches_the_pyramid(tmp_path, method, cps):
    # odd sizes, anisotropic factors and chunks that do not divide the shape
    img = datasets.nuclei_labels((90, 70)) if method == "mode" else datasets.blobs_2d((90, 70))
    ms = xn.to_multiscales(
        img, scale_factors=[{"y": 2, "x": 1}, {"y": 4, "x": 2}, 8], method=method, chunks=(16, 12)
    )
    path = tmp_path / "s.zarr"
    to_ngff_zarr(path, ms, chunks_per_shard=cps)
    for k, level in enumerate(ms.ngff.levels):
        np.testing.assert_array_equal(_open_level(path, k)[img.name].values, level.values)


def test_edited_pyramid_is_written_as_given(tmp_path, pyramid3d):
    edited = pyramid3d.copy()
    edited["scale1"] = (pyramid3d["scale1"].to_dataset() + 1).astype("uint16")
    to_ngff_zarr(tmp_path / "e.zarr", edited)
    got = _open_level(tmp_path / "e.zarr", 1)["cells"].values
    np.testing.assert_array_equal(got, pyramid3d["scale1"]["cells"].values + 1)
    np.testing.assert_array_equal(
        _open_level(tmp_path / "e.zarr", 2)["cells"].values, pyramid3d["scale2"]["cells"].values
    )


def test_refuses_to_overwrite_its_own_remote_source(pyramid3d):
    url = "memory://self-source/a.zarr"
    to_ngff_zarr(url, pyramid3d, layout="scale-groups")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lazy = xr.open_dataset(url, engine="zarr", group="scale1", chunks={})["cells"]
    with pytest.raises(WriteError, match="would destroy the source") as err:
        to_ngff_zarr(url, xn.to_multiscales(lazy, scale_factors=[2]))
    assert err.value.store == url
    np.testing.assert_array_equal(lazy.values, pyramid3d["scale1"]["cells"].values)


@pytest.mark.parametrize("edit", [False, True], ids=["staged", "fused"])
def test_each_source_block_computed_once(tmp_path, edit):
    calls = []

    def source(block):
        calls.append(1)  # list.append is atomic under the GIL
        return block

    base = da.arange(64 * 48, dtype="uint16", chunks=16 * 48).reshape(64, 48).rechunk(16)
    data = base.map_blocks(source, dtype="uint16", meta=np.empty((0, 0), "uint16"))
    ms = xn.to_multiscales(xn.to_ngff_image(data), scale_factors=[2, 4], chunks=16)
    if edit:  # not a plain to_multiscales tree any more: written through the fused graph
        ms["scale2"] = (ms["scale2"].to_dataset() * 1).astype("uint16")
    to_ngff_zarr(tmp_path / "once.zarr", ms)
    assert len(calls) == data.npartitions
    np.testing.assert_array_equal(
        _open_level(tmp_path / "once.zarr", 2)["image"], ms["scale2"]["image"]
    )


# -- errors from the steps of a write are extended, not rebuilt ---------------------------------


def test_errors_keep_their_type_and_traceback_and_gain_a_note(tmp_path, monkeypatch):
    from xarray_ngff import _image_writer as writer
    from xarray_ngff.errors import ValidationError

    def refuse(*args, **kwargs):
        raise ValidationError(["scale0: shape is odd", "scale1: missing"])

    monkeypatch.setattr(writer, "to_multiscales", refuse)
    path = tmp_path / "v.ome.zarr"
    with pytest.raises(ValidationError) as info:  # rebuilding it raised TypeError
        to_ngff_zarr(path, xn.to_ngff_image(np.zeros((4, 4)), dims=("y", "x")))
    err = info.value
    assert err.problems == ["scale0: shape is odd", "scale1: missing"]
    assert err.store == str(path)
    assert err.__notes__ == [f"while writing (store={str(path)!r})"]
    assert info.traceback[-1].name == "refuse"  # where it was raised, not a rebuilt copy


def test_a_located_error_names_the_level_in_its_note(tmp_path):
    path = tmp_path / "d.ome.zarr"
    ms = xn.to_multiscales(xn.to_ngff_image(np.zeros((8, 8)), dims=("y", "x")), [2])
    ms["scale1"] = xr.DataTree(ms["scale1"].to_dataset().assign_coords(y=[0.5, 2.5, 4.5, 7.0]))
    with pytest.raises(InvalidGeometryError, match="not evenly spaced") as info:
        to_ngff_zarr(path, ms)
    err = info.value
    assert (err.store, err.path, err.field) == (str(path), "scale1", "y")
    assert err.__notes__ == [f"while writing (store={str(path)!r}, path='scale1')"]


@pytest.mark.parametrize("version", ["0.3", "0.9", 0.5, "0.6.dev2"])
def test_every_writer_refuses_a_version_the_same_way(tmp_path, version):
    # one helper (metadata.versions.writable_version) words the refusal for every writer
    img = xn.to_ngff_image(np.zeros((8, 8), "uint8"))
    from xarray_ngff._metadata.emit import image_attrs
    from xarray_ngff._metadata.parse import parse_multiscales

    multiscale = parse_multiscales(xn.to_multiscales(img, scale_factors=[]).attrs)[1][0]
    attempts = {
        "image": lambda: to_ngff_zarr(tmp_path / "a.ome.zarr", img, version=version),
        "archive": lambda: to_ngff_zarr(tmp_path / "a.ozx", img, version=version),
        "plate": lambda: xn.to_hcs_zarr(tmp_path / "p.ome.zarr", {"A/1/0": img}, version=version),
        "attrs": lambda: image_attrs([multiscale], version),
        "codec": lambda: default_compressors(version),
    }
    for what, attempt in attempts.items():
        with pytest.raises(UnsupportedVersionError) as info:
            attempt()
        assert str(info.value).startswith(
            f"cannot write OME-NGFF version {version!r}; choose one of ('0.4', '0.5', '0.6')"
        ), what
        assert info.value.field == "version", what
    assert list(tmp_path.iterdir()) == []  # refused before anything was written
