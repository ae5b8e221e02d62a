"""The writer against real components: a moto S3 server and dask.distributed clusters."""

from __future__ import annotations

import numpy as np
import pytest
import zarr

import xarray_ngff as xn
from xarray_ngff import datasets
from xarray_ngff.errors import StoreExistsError


@pytest.fixture(scope="module")
def small():
    return xn.to_multiscales(datasets.cells_5d(), scale_factors=[2], chunks=16)


@pytest.mark.parametrize("version, cps", [("0.4", None), ("0.5", 2)])
def test_write_to_s3(s3_server, small, version, cps):
    url = f"s3://{s3_server['bucket']}/w-{version}-{cps}.ome.zarr"
    opts = s3_server["storage_options"]
    xn.to_ngff_zarr(url, small, version=version, chunks_per_shard=cps, storage_options=opts)
    store = zarr.storage.FsspecStore.from_url(url, storage_options=opts, read_only=True)
    root = zarr.open_group(store, mode="r")
    attrs = dict(root.attrs)
    body = attrs["ome"] if version == "0.5" else attrs
    assert [d["path"] for d in body["multiscales"][0]["datasets"]] == ["0", "1"]
    assert [c["label"] for c in body["omero"]["channels"]] == ["DAPI", "GFP"]
    for k, level in enumerate(small.ngff.levels):
        np.testing.assert_array_equal(root[str(k)][...], level.values)
    # overwrite=False refuses the existing hierarchy, overwrite=True replaces it
    with pytest.raises(StoreExistsError):
        xn.to_ngff_zarr(url, small, version=version, storage_options=opts, overwrite=False)
    xn.to_ngff_zarr(url, small, version="0.5", storage_options=opts)
    assert zarr.open_group(store, mode="r").metadata.zarr_format == 3


def test_s3_prefix_that_is_not_zarr_is_kept(s3_server, small):
    import s3fs

    opts = s3_server["storage_options"]
    fs = s3fs.S3FileSystem(**opts)
    key = f"{s3_server['bucket']}/notes/readme.txt"
    fs.pipe(key, b"keep me")
    with pytest.raises(StoreExistsError, match="no Zarr metadata"):
        xn.to_ngff_zarr(f"s3://{s3_server['bucket']}/notes", small, storage_options=opts)
    fs.invalidate_cache()
    assert fs.cat(key) == b"keep me"


def _check(path, ms):
    root = zarr.open_group(path, mode="r")
    assert root.attrs["ome"]["multiscales"][0]["name"] == "cells5d"
    for k, level in enumerate(ms.ngff.levels):
        np.testing.assert_array_equal(root[str(k)][...], level.values)


def test_distributed_threads(tmp_path, small):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        xn.to_ngff_zarr(tmp_path / "a.zarr", small, chunks_per_shard=2)
        task = xn.to_ngff_zarr(tmp_path / "b.zarr", small, compute=False, progress=True)
        task.compute()
        xn.to_ngff_zarr(tmp_path / "c.zarr", small, progress=True)
    for name in ("a.zarr", "b.zarr", "c.zarr"):
        _check(tmp_path / name, small)


def test_distributed_processes(tmp_path, small):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        xn.to_ngff_zarr(tmp_path / "p.zarr", small)
        pytest.importorskip("tensorstore")
        xn.to_ngff_zarr(tmp_path / "t.zarr", small, use_tensorstore=True, version="0.4")
    _check(tmp_path / "p.zarr", small)
    root = zarr.open_group(tmp_path / "t.zarr", mode="r")
    np.testing.assert_array_equal(root["1"][...], small.ngff.levels[1].values)
