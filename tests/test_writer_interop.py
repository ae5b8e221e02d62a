"""Stores written by xarray-ngff validate with the official schemas and ome-zarr-models, and read
back with ngff-zarr and ome-zarr-py with identical pixels, scales and translations."""

from __future__ import annotations

import importlib
import json
import warnings

import numpy as np
import pytest
import zarr

import xarray_ngff as xn
from xarray_ngff import datasets
from xarray_ngff.testing import assert_ngff_equal

CASES = [("0.4", None), ("0.5", None), ("0.5", 2)]
IDS = ["0.4", "0.5", "0.5-sharded"]


@pytest.fixture(scope="module")
def pyramids():
    return {
        "cells5d": xn.to_multiscales(datasets.cells_5d(), scale_factors=[2, 4], chunks=16),
        "cells": xn.to_multiscales(datasets.cells_3d((16, 64, 48)), scale_factors=[2], chunks=16),
    }


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def written(request, tmp_path_factory, pyramids):
    version, cps = request.param
    out = {}
    for name, ms in pyramids.items():
        path = tmp_path_factory.mktemp("interop") / f"{name}.ome.zarr"
        xn.to_ngff_zarr(path, ms, version=version, chunks_per_shard=cps)
        out[name] = path
    return version, out


def _attrs(path) -> dict:
    if (path / "zarr.json").exists():
        return json.loads((path / "zarr.json").read_text())["attributes"]
    return json.loads((path / ".zattrs").read_text())


def _expected(ms):
    meta = ms.ngff.metadata
    return [
        (lvl.values, d.scale, d.translation)
        for lvl, d in zip(ms.ngff.levels, meta.datasets, strict=True)
    ]


def test_official_json_schemas(written, spec_dir):
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    version, paths = written
    schemas = {}
    for f in sorted((spec_dir / version / "schemas").glob("*.schema")):
        schemas[f.name] = json.loads(f.read_text())
    registry = referencing.Registry().with_resources(
        (
            s["$id"],
            referencing.Resource.from_contents(
                s, default_specification=referencing.jsonschema.DRAFT202012
            ),
        )
        for s in schemas.values()
    )

    def never_fetch(uri):  # every $ref must resolve from the local copies
        raise referencing.exceptions.NoSuchResource(ref=uri)

    registry = registry.combine(referencing.Registry(retrieve=never_fetch))
    for path in paths.values():
        attrs = _attrs(path)
        for name in ("image.schema", "strict_image.schema"):
            validator = jsonschema.Draft202012Validator(schemas[name], registry=registry)
            errors = [e.message for e in validator.iter_errors(attrs)]
            assert errors == [], f"{path.name} vs {name}: {errors}"


def test_ome_zarr_models(written):
    pytest.importorskip("ome_zarr_models")
    version, paths = written
    if version == "0.4":
        from ome_zarr_models.v04.image import Image
    else:
        from ome_zarr_models.v05.image import Image
    for path in paths.values():
        image = Image.from_zarr(zarr.open_group(path, mode="r"))
        ms = image.attributes.multiscales[0] if version == "0.4" else None
        ms = ms or image.attributes.ome.multiscales[0]
        assert [d.path for d in ms.datasets][0] == "0"


def test_ngff_zarr_reads_back(written, pyramids):
    nz = pytest.importorskip("ngff_zarr")
    _, paths = written
    for name, path in paths.items():
        ms = nz.from_ngff_zarr(str(path))
        expected = _expected(pyramids[name])
        assert len(ms.images) == len(expected)
        for img, (values, scale, translation) in zip(ms.images, expected, strict=True):
            np.testing.assert_array_equal(np.asarray(img.data), values)
            dims = list(img.dims)
            assert [img.scale[d] for d in dims] == pytest.approx(list(scale))
            assert [img.translation[d] for d in dims] == pytest.approx(list(translation))
        if name == "cells5d":
            assert [c.label for c in ms.metadata.omero.channels] == ["DAPI", "GFP"]


def test_ome_zarr_py_reads_back(written, pyramids):
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Multiscales, Reader

    _, paths = written
    for name, path in paths.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nodes = list(Reader(parse_url(str(path)))())
        node = next(n for n in nodes if n.load(Multiscales))
        expected = _expected(pyramids[name])
        assert len(node.data) == len(expected)
        transforms = node.metadata["coordinateTransformations"]
        for k, (values, scale, translation) in enumerate(expected):
            np.testing.assert_array_equal(np.asarray(node.data[k]), values)
            by_type = {t["type"]: t[t["type"]] for t in transforms[k]}
            assert by_type["scale"] == pytest.approx(list(scale))
            assert by_type.get("translation", [0.0] * len(scale)) == pytest.approx(
                list(translation)
            )
        if name == "cells5d":
            assert node.metadata["channel_names"] == ["DAPI", "GFP"]


def test_version_conversion_round_trip(tmp_path, pyramids):
    reader = importlib.import_module("xarray_ngff._reader")
    ms = pyramids["cells5d"]
    xn.to_ngff_zarr(tmp_path / "a.zarr", ms, version="0.4")
    a = reader.from_ngff_zarr(tmp_path / "a.zarr")
    assert_ngff_equal(ms, a)
    xn.to_ngff_zarr(tmp_path / "b.zarr", a, version="0.5")
    b = reader.from_ngff_zarr(tmp_path / "b.zarr")
    assert_ngff_equal(ms, b)
    xn.to_ngff_zarr(tmp_path / "c.zarr", b, version="0.4")
    c = reader.from_ngff_zarr(tmp_path / "c.zarr")
    assert_ngff_equal(ms, c)
    first, last = _attrs(tmp_path / "a.zarr"), _attrs(tmp_path / "c.zarr")
    assert first["multiscales"][0]["datasets"] == last["multiscales"][0]["datasets"]
    assert first["multiscales"][0]["axes"] == last["multiscales"][0]["axes"]
    assert [ch["label"] for ch in last["omero"]["channels"]] == ["DAPI", "GFP"]
    assert (
        json.loads((tmp_path / "b.zarr" / "zarr.json").read_text())["attributes"]["ome"]["version"]
        == "0.5"
    )


def test_z_keeping_pyramid_for_vizarr(tmp_path):
    # docs/viewers.md: viv shows no level downsampled in z past the first; vizarr opens at
    # omero.rdefs.defaultZ
    img = datasets.cells_3d((16, 64, 64))
    ms = xn.to_multiscales(img, scale_factors=[{"y": 2, "x": 2}, {"y": 4, "x": 4}])
    assert [lvl.sizes["z"] for lvl in ms.ngff.levels] == [16, 16, 16]
    path = tmp_path / "vizarr.ome.zarr"
    xn.to_ngff_zarr(path, ms)
    ome = _attrs(path)["ome"]
    z_scales = {
        d["coordinateTransformations"][0]["scale"][0] for d in ome["multiscales"][0]["datasets"]
    }
    assert z_scales == {img.ngff.scale["z"]}
    rdefs = ome["omero"]["rdefs"]
    assert rdefs["defaultZ"] == 8 and rdefs["defaultT"] == 0
    assert [c["label"] for c in ome["omero"]["channels"]] == ["cells"]
