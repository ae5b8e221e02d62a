"""Opening stores: local, zip, file://, zarr stores, HTTP and S3 on loopback servers."""

from __future__ import annotations

import pathlib
import shutil

import numpy as np
import pytest
import zarr
import zarr.storage
from ngff_stores import write_image, write_labels

from xarray_ngff._reader import from_ngff_zarr
from xarray_ngff._store import open_store
from xarray_ngff.errors import NotOmeZarrError, StoreError


def test_local_v2_and_v3_detection(tmp_path):
    write_image(tmp_path / "a.zarr", "0.4", dims="yx", shape=(4, 4), levels=1)
    write_image(tmp_path / "b.zarr", "0.5", dims="yx", shape=(4, 4), levels=1)
    assert open_store(tmp_path / "a.zarr").zarr_format == 2
    assert open_store(str(tmp_path / "b.zarr")).zarr_format == 3


def test_file_url_and_store_objects(tmp_path):
    path = tmp_path / "a.ome.zarr"
    data = write_image(path, "0.5", dims="yx", shape=(4, 6), levels=1)
    for location in (
        path.as_uri(),
        zarr.storage.LocalStore(path, read_only=True),
        zarr.open_group(path, mode="r"),
    ):
        tree = from_ngff_zarr(location)
        np.testing.assert_array_equal(tree["scale0"]["image"].values, data[0])


def test_memory_store():
    store = zarr.storage.MemoryStore()
    g = zarr.open_group(store, mode="w", zarr_format=3)
    data = write_image(None, "0.5", dims="yx", shape=(4, 6), levels=1, group=g)
    np.testing.assert_array_equal(from_ngff_zarr(store)["scale0"]["image"].values, data[0])


def test_missing_location_names_store(tmp_path):
    with pytest.raises(StoreError, match="no such file") as err:
        open_store(tmp_path / "nope.zarr")
    assert err.value.store == str(tmp_path / "nope.zarr")


def test_not_a_zip(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("hello")
    with pytest.raises(NotOmeZarrError):
        open_store(f)
    bad = tmp_path / "x.zip"
    bad.write_text("not a zip")
    with pytest.raises(StoreError, match="zip"):
        open_store(bad)


def test_unsupported_object():
    with pytest.raises(StoreError, match="int"):
        open_store(42)


def test_zip_of_plain_files_without_zarr(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "readme.txt").write_text("x")
    archive = shutil.make_archive(str(tmp_path / "z"), "zip", tmp_path / "d")
    with pytest.raises(NotOmeZarrError, match="zip"):
        open_store(archive)


def test_s3_anonymous_default(monkeypatch):
    pytest.importorskip("s3fs")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    from xarray_ngff._store import _to_store

    store, name = _to_store("s3://some-bucket/img.ome.zarr", None)
    assert store.fs.anon is True and name == "s3://some-bucket/img.ome.zarr"
    store, _ = _to_store("s3://some-bucket/img.ome.zarr", {"key": "k", "secret": "s"})
    assert store.fs.anon is False


def test_http(http_server):
    directory, base = http_server
    data = write_image(
        directory / "img.ome.zarr",
        "0.4",
        dims="cyx",
        shape=(2, 8, 12),
        channel_names=["a", "b"],
        scale={"y": 0.5, "x": 0.5},
    )
    write_labels(directory / "img.ome.zarr", "0.4", ["cells"])
    tree = from_ngff_zarr(base + "/img.ome.zarr")
    np.testing.assert_array_equal(tree["scale1"]["image"].values, data[1])
    assert tree["scale0"].c.values.tolist() == ["a", "b"]
    assert tree["scale1"]["image"].ngff.scale == {"y": 1.0, "x": 1.0}
    assert "cells" in tree["labels"].children
    v5 = write_image(directory / "v5.ome.zarr", "0.5", dims="yx", shape=(8, 8))
    np.testing.assert_array_equal(
        from_ngff_zarr(base + "/v5.ome.zarr")["scale0"]["image"].values, v5[0]
    )


def test_http_sharded_without_range_support_is_an_error(http_server):
    # python -m http.server ignores Range headers, which shard reads need: an error naming
    # the array, never wrong pixels
    directory, base = http_server
    write_image(directory / "s.ome.zarr", "0.5", dims="yx", shape=(8, 8), shards=(8, 8))
    tree = from_ngff_zarr(base + "/s.ome.zarr")
    with pytest.raises(StoreError, match="chunk data") as err:
        tree["scale0"]["image"].values  # noqa: B018
    assert err.value.path == "0"


def test_http_missing_and_unreachable(http_server):
    _, base = http_server
    with pytest.raises(NotOmeZarrError) as err:
        from_ngff_zarr(base + "/nothing.ome.zarr")
    assert err.value.store == base + "/nothing.ome.zarr"
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.ome.zarr"
    with pytest.raises(StoreError) as err:
        from_ngff_zarr(url)
    assert err.value.store == url


def test_s3(s3_server, tmp_path):
    import s3fs

    local = tmp_path / "img.ome.zarr"
    data = write_image(local, "0.5", dims="cyx", shape=(2, 8, 8), channel_names=["x1", "x2"])
    fs = s3fs.S3FileSystem(**s3_server["storage_options"])
    fs.put(str(local), f"{s3_server['bucket']}/img.ome.zarr", recursive=True)
    url = f"s3://{s3_server['bucket']}/img.ome.zarr"
    tree = from_ngff_zarr(url, storage_options=s3_server["storage_options"])
    np.testing.assert_array_equal(tree["scale1"]["image"].values, data[1])
    assert tree["scale0"].c.values.tolist() == ["x1", "x2"]
    with pytest.raises(NotOmeZarrError):
        from_ngff_zarr(
            f"s3://{s3_server['bucket']}/absent.ome.zarr",
            storage_options=s3_server["storage_options"],
        )


def test_zip_nested_root_paths(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(4, 4), levels=1)
    archive = pathlib.Path(shutil.make_archive(str(tmp_path / "n"), "zip", tmp_path, "a.ome.zarr"))
    assert open_store(archive).zarr_format == 2


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_prefetch_fills_the_cache(tmp_path, version, monkeypatch):
    path = tmp_path / "a.ome.zarr"
    write_image(path, version, dims="yx", shape=(4, 6), levels=2, separator=".")
    nstore = open_store(path)
    nstore.prefetch(["0", "/1", "missing", "0"])
    assert nstore._nodes["missing"] is None
    if version == "0.4":  # the chunk-key check of early writers' arrays is prefetched too
        assert set(nstore._keys) == {"0/0.0", "1/0.0"} and nstore._keys["0/0.0"]

    def refuse(*args, **kwargs):
        raise AssertionError("metadata fetched again")

    monkeypatch.setattr(zarr.Group, "__getitem__", refuse)
    monkeypatch.setattr(type(nstore.store), "exists", refuse)
    assert nstore.array("0").shape == (4, 6)
    assert not nstore.has_group("missing")


def test_prefetch_leaves_errors_to_the_regular_path(tmp_path):
    from xarray_ngff.errors import MetadataError

    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.5", dims="yx", shape=(4, 6), levels=2)
    (path / "1" / "zarr.json").write_text("{not json")
    nstore = open_store(path)
    nstore.prefetch(["0", "1"])  # does not raise
    assert "1" not in nstore._nodes
    with pytest.raises(MetadataError) as err:
        nstore.array("1")
    assert err.value.path == "1" and str(path) in str(err.value)


def test_plate_open_fetches_all_metadata_in_batches(tmp_path, monkeypatch):
    import xarray_ngff as xn
    from xarray_ngff._plate_read import open_plate_groups
    from xarray_ngff.datasets import synthetic_plate

    path = tmp_path / "p.ome.zarr"
    xn.to_hcs_zarr(path, synthetic_plate(rows=2, columns=2, fields=2))
    calls = []
    getitem = zarr.Group.__getitem__
    monkeypatch.setattr(
        zarr.Group, "__getitem__", lambda self, key: calls.append(key) or getitem(self, key)
    )
    nodes = open_plate_groups(path)
    assert len([k for k in nodes if k.endswith("scale1")]) == 8
    assert calls == []  # every well, field, labels group and level came from prefetch
