"""Image reading on its own: the levels of one image group, one level by index or name, and
the labels under it, from a store handle and a path (no dispatch)."""

from __future__ import annotations

import numpy as np
import pytest
from ngff_stores import write_image, write_labels

from xarray_ngff._image_read import NgffBackendArray, image_level, image_levels, image_nodes
from xarray_ngff._store import open_store
from xarray_ngff.errors import MetadataError


@pytest.fixture
def stored(tmp_path):
    path = tmp_path / "img.ome.zarr"
    data = write_image(path, "0.4", dims="yx", shape=(8, 12))
    return open_store(path), data


def test_levels_of_one_image(stored):
    nstore, data = stored
    levels = image_levels(nstore, "", nstore.attrs(""), {})
    assert list(levels) == [f"scale{k}" for k in range(len(data))]
    for k, level in enumerate(levels.values()):
        np.testing.assert_array_equal(level["image"].values, data[k])
    lazy = image_levels(nstore, "", nstore.attrs(""), None)["scale0"]["image"].variable._data
    assert isinstance(lazy.array, NgffBackendArray)


def test_one_level_by_index_or_name(stored):
    nstore, data = stored
    attrs = nstore.attrs("")
    by_index, by_name = (
        image_level(nstore, "", attrs, 1, {}),
        image_level(nstore, "", attrs, "scale1", {}),
    )
    assert by_index.identical(by_name) and by_index.attrs == attrs
    np.testing.assert_array_equal(by_index["image"].values, data[1])
    with pytest.raises(MetadataError, match="the image has levels") as err:
        image_level(nstore, "", attrs, len(data), {})
    assert err.value.field == "level" and err.value.store == nstore.name


def test_nodes_hold_the_group_attrs_the_levels_and_the_labels(tmp_path):
    path = tmp_path / "img.ome.zarr"
    data = write_image(path, "0.4", dims="yx", shape=(8, 12))
    cells = write_labels(path, "0.4", ["cells"])["cells"]
    nstore = open_store(path)
    nodes = image_nodes(nstore, "", {})
    assert list(nodes) == [
        "",
        *(f"scale{k}" for k in range(len(data))),
        "labels",
        "labels/cells",
        "labels/cells/scale0",
        "labels/cells/scale1",
    ]
    assert nodes[""].attrs == nstore.attrs("") and not nodes[""].data_vars
    np.testing.assert_array_equal(nodes["labels/cells/scale0"]["image"].values, cells)
    assert list(image_nodes(nstore, "", {}, with_labels=False)) == ["", "scale0", "scale1"]
