"""Both on-disk layouts (``flat`` default, ``scale-groups``) open in the peers that the test
extra installs, per level with ``engine="ngff"``; ``benchmarks/interop_matrix.py`` adds iohub
and prints the whole table (docs/decisions.md)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_ngff as xn
from xarray_ngff import datasets


@pytest.fixture(scope="module")
def pyramid():
    return xn.to_multiscales(datasets.cells_3d((8, 32, 24)), scale_factors=[2], chunks=16)


@pytest.fixture(scope="module", params=[("flat", "0.4"), ("flat", "0.5"), ("scale-groups", "0.5")])
def store(request, tmp_path_factory, pyramid):
    layout, version = request.param
    path = tmp_path_factory.mktemp(layout) / "img.ome.zarr"
    label = (pyramid["scale0"]["cells"] > 800).astype("uint8")
    xn.to_ngff_zarr(path, pyramid, version=version, layout=layout, labels={"cells": label})
    return layout, version, path


def test_flat_layout_holds_only_level_arrays(store):
    layout, _, path = store
    group = zarr.open_group(str(path), mode="r")
    arrays = sorted(k for k, _ in group.arrays())
    groups = sorted(k for k, _ in group.groups())
    if layout == "flat":
        # what iohub needs: every level array directly under the image group, nothing else
        assert arrays == ["0", "1"] and groups == ["labels"]
        assert sorted(k for k, _ in group["labels/cells"].arrays()) == ["0", "1"]
    else:
        assert arrays == [] and groups == ["labels", "scale0", "scale1"]


def test_every_level_opens_with_the_ngff_engine(store, pyramid):
    _, _, path = store
    for k, level in enumerate(pyramid.ngff.levels):
        ds = xr.open_dataset(path, engine="ngff", level=k)
        xr.testing.assert_equal(ds["cells"].reset_coords(drop=True), level.reset_coords(drop=True))
        np.testing.assert_allclose(ds.x.values, level.x.values)
    lab = xr.open_dataset(path, engine="ngff", image="labels/cells", level=1)
    assert lab["cells"].shape == pyramid.ngff.levels[1].shape


def test_ngff_zarr_reads_both_layouts(store, pyramid):
    nz = pytest.importorskip("ngff_zarr")
    _, _, path = store
    ms = nz.from_ngff_zarr(str(path))
    for img, level in zip(ms.images, pyramid.ngff.levels, strict=True):
        np.testing.assert_array_equal(np.asarray(img.data), level.values)
        assert img.scale["x"] == pytest.approx(level.ngff.scale["x"])


def test_ome_zarr_py_reads_both_layouts(store, pyramid):
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Label, Reader

    _, _, path = store
    nodes = list(Reader(parse_url(str(path)))())
    np.testing.assert_array_equal(np.asarray(nodes[0].data[1]), pyramid.ngff.levels[1].values)
    assert sum(any(isinstance(s, Label) for s in n.specs) for n in nodes) == 1


def test_ome_zarr_models_validates_the_default_layout(store):
    pytest.importorskip("ome_zarr_models")
    layout, version, path = store
    if layout != "flat":
        pytest.skip("ome-zarr-models 0.5 label checks need array paths without '/'")
    if version == "0.4":
        from ome_zarr_models.v04 import Image
    else:
        from ome_zarr_models.v05 import Image
    image = Image.from_zarr(zarr.open_group(str(path), mode="r"))
    assert image.labels is not None


def test_tensorstore_and_plain_xarray(store, pyramid):
    layout, version, path = store
    if layout == "scale-groups":
        # plain xarray opens a level group with its physical coordinates
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ds = xr.open_dataset(path, engine="zarr", group="scale1", consolidated=False)
        np.testing.assert_allclose(ds.x.values, pyramid.ngff.levels[1].x.values)
        return
    ts = pytest.importorskip("tensorstore")
    driver = "zarr" if version == "0.4" else "zarr3"
    spec = {"driver": driver, "kvstore": {"driver": "file", "path": f"{path}/1/"}}
    data = ts.open(spec, open=True).result().read().result()
    np.testing.assert_array_equal(np.asarray(data), pyramid.ngff.levels[1].values)
