"""Pyramids: factor ladders, geometry, methods, laziness, chunks, selections."""

from __future__ import annotations

import itertools

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.ndimage as ndi
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xarray_ngff as xn
from xarray_ngff._methods import gaussian_sigma
from xarray_ngff._pyramid import normalize_chunks, plan_scale_factors
from xarray_ngff.errors import (
    InvalidChunksError,
    InvalidDimsError,
    InvalidMethodError,
    InvalidScaleFactorsError,
    NgffError,
)


def _raising_scheduler(dsk, keys, **kwargs):
    raise AssertionError("something was computed")


def _ramp(shape=(40, 52), scale=(0.5, 0.25), translation=(3.0, -1.0), dims=("y", "x")):
    """Image whose value is x + 1000 * y (both coordinates recoverable from one value)."""
    coords = [t + s * np.arange(n) for n, s, t in zip(shape, scale, translation, strict=True)]
    grids = np.meshgrid(*coords, indexing="ij")
    data = grids[-1] + 1000.0 * grids[-2]
    return xn.to_ngff_image(
        data,
        dims=dims,
        scale=dict(zip(dims, scale, strict=True)),
        translation=dict(zip(dims, translation, strict=True)),
    )


# -- structure -----------------------------------------------------------------------------


def test_tree_layout_and_root_metadata():
    img = xn.datasets.cells_3d()
    ms = xn.to_multiscales(img, scale_factors=[2, 4], chunks=32)
    assert list(ms.children) == ["scale0", "scale1", "scale2"]
    assert ms.dims == {} or len(ms.dims) == 0
    for k in range(3):
        ds = ms[f"scale{k}"].to_dataset()
        assert list(ds.data_vars) == ["cells"]
    meta = ms.attrs["multiscales"][0]
    assert "version" not in meta
    assert meta["name"] == "cells"
    assert meta["type"] == "gaussian"
    assert [a["name"] for a in meta["axes"]] == ["z", "y", "x"]
    assert meta["axes"][0]["unit"] == "micrometer"
    scales = [d["coordinateTransformations"][0]["scale"] for d in meta["datasets"]]
    assert scales == [[2.0, 0.5, 0.5], [4.0, 1.0, 1.0], [8.0, 2.0, 2.0]]


def test_seed_example_geometry():
    """The seed's 2D example: factors [2, 4] give scale 2/4 and translation 0.5/1.5."""
    img = xn.to_ngff_image(np.zeros((256, 256), "uint8"), dims=["y", "x"])
    ms = xn.to_multiscales(img, scale_factors=[2, 4], chunks=64)
    levels = ms.ngff.levels
    assert [lvl.shape for lvl in levels] == [(256, 256), (128, 128), (64, 64)]
    assert levels[1].ngff.scale == {"y": 2.0, "x": 2.0}
    assert levels[1].ngff.translation == {"y": 0.5, "x": 0.5}
    assert levels[2].ngff.translation == {"y": 1.5, "x": 1.5}
    for lvl in levels:
        assert lvl.data.chunksize == (64, 64)
        assert lvl.dtype == np.uint8


def test_int_factor_is_spatial_only():
    img = xn.datasets.cells_5d()
    ms = xn.to_multiscales(img, scale_factors=[2], chunks=16)
    lvl = ms.ngff.levels[1]
    assert lvl.sizes == {"t": 2, "c": 2, "z": 4, "y": 32, "x": 32}
    assert lvl.ngff.scale["t"] == 30.0
    assert lvl.ngff.channel_names == ["DAPI", "GFP"]
    np.testing.assert_array_equal(lvl.t.values, img.t.values)


def test_dict_factors_missing_dims_mean_one():
    img = xn.datasets.cells_3d()
    ms = xn.to_multiscales(img, scale_factors=[{"y": 2, "x": 2}, {"y": 4, "x": 4, "z": 2}])
    assert [lvl.shape for lvl in ms.ngff.levels] == [(32, 128, 128), (32, 64, 64), (16, 32, 32)]
    assert ms.ngff.levels[1].ngff.translation["z"] == img.ngff.translation["z"]


def test_level_size_is_floor():
    img = xn.to_ngff_image(np.ones((33, 35), "float32"))
    ms = xn.to_multiscales(img, scale_factors=[2, 4, 8], chunks=8)
    assert [lvl.shape for lvl in ms.ngff.levels] == [(33, 35), (16, 17), (8, 8), (4, 4)]
    for lvl in ms.ngff.levels:
        np.testing.assert_allclose(lvl.values, 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    ("factors", "match"),
    [
        ([0], "positive integer"),
        ([4, 2], "smaller than the previous"),
        ([{"y": 2, "x": 2}, {"y": 3, "x": 1}], "smaller than the previous"),
        ([{"t": 2}], "never downsampled"),
        ([{"q": 2}], "spatial dims"),
        ([2, 2], "repeats"),
        ([2.5], "positive integer"),
        ([1024], "leaves no pixel"),
        ("2", "list of ints"),
        ([True], "positive integer"),
    ],
)
def test_bad_scale_factors_raise(factors, match):
    img = xn.to_ngff_image(np.zeros((2, 64, 64)), dims=("t", "y", "x"))
    with pytest.raises(InvalidScaleFactorsError, match=match) as info:
        xn.to_multiscales(img, scale_factors=factors)
    assert info.value.field == "scale_factors"


def test_unknown_method_raises_before_anything_else():
    with pytest.raises(InvalidMethodError, match="'bicubic' is unknown"):
        xn.to_multiscales(np.zeros((8, 8)), method="bicubic")
    with pytest.raises(InvalidMethodError, match="integer dtype"):
        xn.to_multiscales(np.zeros((8, 8), "float32"), method="mode")


@pytest.mark.parametrize(
    ("chunks", "match"),
    [(0, "positive"), ((4,), "1 sizes for 2 dims"), ({"q": 4}, "not dims"), ("big", "not an int")],
)
def test_bad_chunks_raise(chunks, match):
    with pytest.raises(InvalidChunksError, match=match):
        xn.to_multiscales(np.zeros((8, 8)), chunks=chunks)


def test_bad_dims_of_a_dataarray_raise():
    with pytest.raises(InvalidDimsError):
        xn.to_multiscales(xr.DataArray(np.zeros((4, 4)), dims=("a", "b")))


def test_errors_are_value_errors_with_one_root():
    with pytest.raises(ValueError):
        xn.to_multiscales(np.zeros((8, 8)), method="nope")
    assert issubclass(InvalidChunksError, NgffError)


# -- chunks ----------------------------------------------------------------------------------


def test_default_chunks():
    assert normalize_chunks(None, ("t", "c", "z", "y", "x")) == {
        "t": 1,
        "c": 1,
        "z": 128,
        "y": 128,
        "x": 128,
    }
    assert normalize_chunks(None, ("c", "y", "x")) == {"c": 1, "y": 256, "x": 256}


@pytest.mark.parametrize("chunks", [16, (1, 16, 16), {"c": 1, "y": 16, "x": 16}])
def test_every_level_has_the_requested_chunks(chunks):
    img = xn.to_ngff_image(np.random.default_rng(0).random((2, 100, 70)), dims=("c", "y", "x"))
    ms = xn.to_multiscales(img, scale_factors=[2, 4], chunks=chunks)
    for lvl in ms.ngff.levels:
        c, y, x = lvl.data.chunks
        assert set(c) == {1}
        assert y[:-1] == (16,) * (len(y) - 1) and y[-1] <= 16
        assert x[:-1] == (16,) * (len(x) - 1) and x[-1] <= 16


# -- laziness ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["gaussian", "mean", "nearest", "mode", "min", "max"])
def test_building_computes_nothing(method):
    data = da.random.randint(0, 5, size=(64, 64), chunks=16).astype("uint8")
    with dask.config.set(scheduler=_raising_scheduler):
        ms = xn.to_multiscales(xn.to_ngff_image(data), scale_factors=[2, 4], method=method)
        _ = ms.ngff.metadata
    with pytest.raises(AssertionError, match="computed"):
        with dask.config.set(scheduler=_raising_scheduler):
            _ = ms.ngff.levels[2].values


# -- values and geometry -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["gaussian", "mean", "nearest"])
def test_ramp_values_equal_their_coordinates(method):
    img = _ramp()
    ms = xn.to_multiscales(img, scale_factors=[2, 4, 8], method=method, chunks=8)
    for k, lvl in enumerate(ms.ngff.levels):
        values = lvl.values
        expected = lvl.x.values[None, :] + 1000.0 * lvl.y.values[:, None]
        m = 2 if k else 0  # edge windows see the boundary; interior must be exact
        inner = (slice(m, values.shape[0] - m), slice(m, values.shape[1] - m))
        np.testing.assert_allclose(values[inner], expected[inner], rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("method", ["gaussian", "mean", "nearest"])
def test_ramp_non_multiple_ladder(method):
    # [3, 4, 8, 12]: 3 and 4 from level 0, 8 from 4, 12 from 4 (not from 3: 12/8 is no integer)
    img = _ramp((96, 100))
    ms = xn.to_multiscales(img, scale_factors=[3, 4, 8, 12], method=method, chunks=16)
    levels = ms.ngff.levels
    assert [lvl.shape for lvl in levels] == [(96, 100), (32, 33), (24, 25), (12, 12), (8, 8)]
    assert [lvl.encoding["ngff_reduced_from"]["level"] for lvl in levels[1:]] == [0, 0, 2, 2]
    for k, lvl in enumerate(levels):
        values = lvl.values
        expected = lvl.x.values[None, :] + 1000.0 * lvl.y.values[:, None]
        m = 3 if k else 0  # edge windows see the boundary (a wider Gaussian for factor 3)
        inner = (slice(m, values.shape[0] - m), slice(m, values.shape[1] - m))
        np.testing.assert_allclose(values[inner], expected[inner], rtol=1e-9, atol=1e-6)
    assert [lvl.ngff.scale["x"] for lvl in levels] == [0.25, 0.75, 1.0, 2.0, 3.0]


def test_non_multiple_level_shapes_match_ngff_zarr():
    nz = pytest.importorskip("ngff_zarr")
    data = np.zeros((256, 256), "uint8")
    theirs = nz.to_multiscales(nz.to_ngff_image(data), scale_factors=[3, 4], chunks=64)
    ours = xn.to_multiscales(xn.to_ngff_image(data), scale_factors=[3, 4], chunks=64)
    assert [lvl.shape for lvl in ours.ngff.levels] == [i.data.shape for i in theirs.images]
    assert [lvl.shape for lvl in ours.ngff.levels] == [(256, 256), (85, 85), (64, 64)]
    assert [lvl.ngff.scale for lvl in ours.ngff.levels] == [i.scale for i in theirs.images]
    assert [lvl.ngff.translation for lvl in ours.ngff.levels] == [
        i.translation for i in theirs.images
    ]


def test_ramp_3d_anisotropic_factors():
    img = _ramp((12, 20, 24), (2.0, 0.5, 0.5), (1.0, 0.0, 5.0), ("z", "y", "x"))
    ms = xn.to_multiscales(
        img, scale_factors=[{"y": 2, "x": 2}, {"z": 2, "y": 4, "x": 4}], chunks=8
    )
    for lvl in ms.ngff.levels[1:]:
        expected = lvl.x.values[None, None, :] + 1000.0 * lvl.y.values[None, :, None]
        expected = np.broadcast_to(expected, lvl.shape)
        np.testing.assert_allclose(
            lvl.values[1:-1, 2:-2, 2:-2], expected[1:-1, 2:-2, 2:-2], atol=1e-6
        )


def test_gaussian_is_a_real_anti_aliasing_filter():
    rng = np.random.default_rng(3)
    x = rng.random((48, 48)).astype("float32")
    ms = xn.to_multiscales(xn.to_ngff_image(x), scale_factors=[2], chunks=12)
    ref = ndi.gaussian_filter(x, gaussian_sigma(2), mode="nearest").reshape(24, 2, 24, 2)
    np.testing.assert_allclose(ms.ngff.levels[1].values, ref.mean(axis=(1, 3)), atol=1e-5)


def test_chunk_seams_are_invisible():
    x = np.random.default_rng(4).random((64, 80)).astype("float32")
    small = xn.to_multiscales(xn.to_ngff_image(x), scale_factors=[2, 4], chunks=8)
    whole = xn.to_multiscales(xn.to_ngff_image(x), scale_factors=[2, 4], chunks=256)
    for a, b in zip(small.ngff.levels, whole.ngff.levels, strict=True):
        np.testing.assert_allclose(a.values, b.values, atol=1e-6)


def test_integers_are_rounded_not_truncated():
    x = np.array([[0, 1], [1, 1]], "uint8")  # mean 0.75
    ms = xn.to_multiscales(xn.to_ngff_image(x), scale_factors=[2], method="mean")
    assert ms.ngff.levels[1].values.tolist() == [[1]]
    assert ms.ngff.levels[1].dtype == np.uint8
    sat = xn.to_multiscales(np.full((8, 8), 65535, "uint16"), scale_factors=[2])
    assert int(sat.ngff.levels[1].max()) == 65535


def test_min_max_and_mode():
    x = np.array([[1, 5, 2, 2], [5, 3, 7, 7]], "uint16")
    lo = xn.to_multiscales(x, scale_factors=[2], method="min").ngff.levels[1].values
    hi = xn.to_multiscales(x, scale_factors=[2], method="max").ngff.levels[1].values
    mo = xn.to_multiscales(x, scale_factors=[2], method="mode").ngff.levels[1].values
    assert lo.tolist() == [[1, 2]]
    assert hi.tolist() == [[5, 7]]
    assert mo.tolist() == [[5, 2]]  # 5 twice; tie 2 vs 7 (twice each) -> smallest


def test_mode_keeps_label_values():
    labels = xn.datasets.nuclei_labels()
    ms = xn.to_multiscales(labels, scale_factors=[2, 4], method="mode", chunks=64)
    valid = set(np.unique(labels.values))
    for lvl in ms.ngff.levels[1:]:
        assert lvl.dtype == np.uint32
        assert set(np.unique(lvl.values)) <= valid


def test_nearest_reports_the_pixels_it_picked():
    img = _ramp((30, 30), (1.0, 1.0), (0.0, 0.0))
    ms = xn.to_multiscales(img, scale_factors=[3, 9], method="nearest")
    lvl = ms.ngff.levels[2]
    assert lvl.ngff.scale == {"y": 9.0, "x": 9.0}
    np.testing.assert_array_equal(lvl.values, lvl.x.values[None] + 1000 * lvl.y.values[:, None])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.tuples(st.integers(8, 40), st.integers(8, 40)),
    scale=st.tuples(st.floats(0.01, 100), st.floats(0.01, 100)),
    translation=st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)),
    steps=st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=3),
    method=st.sampled_from(["gaussian", "mean", "nearest", "max"]),
)
def test_geometry_property(shape, scale, translation, steps, method):
    """Level k: scale_k = scale_0 * F_k; translation per method; size floor(N / F)."""
    factors, f = [], 1
    for s in steps:
        f *= 2 * s if s > 1 else 2
        factors.append(f)
    factors = [f for f in factors if min(shape) // f >= 1]
    if not factors:
        return
    img = xn.to_ngff_image(
        np.zeros(shape, "float32"),
        scale={"y": scale[0], "x": scale[1]},
        translation={"y": translation[0], "x": translation[1]},
    )
    ms = xn.to_multiscales(img, scale_factors=factors, method=method, chunks=8)
    meta = ms.ngff.metadata
    for k, (lvl, ds) in enumerate(zip(ms.ngff.levels, meta.datasets, strict=True)):
        fk = 1 if k == 0 else factors[k - 1]
        assert lvl.shape == (shape[0] // fk, shape[1] // fk)
        for i, d in enumerate(("y", "x")):
            assert lvl.ngff.scale[d] == pytest.approx(scale[i] * fk, rel=1e-9)
            assert ds.scale[i] == pytest.approx(scale[i] * fk, rel=1e-9)
            if method == "nearest":
                assert lvl.ngff.translation[d] >= translation[i] - 1e-9
                offset = (lvl.ngff.translation[d] - translation[i]) / scale[i]
                assert offset == pytest.approx(round(offset), abs=1e-6)
            else:
                expected = translation[i] + (fk - 1) * scale[i] / 2
                assert lvl.ngff.translation[d] == pytest.approx(expected, rel=1e-9, abs=1e-9)


# -- automatic ladders ---------------------------------------------------------------------


def test_auto_levels_stop_when_one_chunk_fits():
    img = xn.to_ngff_image(np.zeros((1024, 600), "uint8"))
    ms = xn.to_multiscales(img, chunks=128)
    shapes = [lvl.shape for lvl in ms.ngff.levels]
    assert shapes == [(1024, 600), (512, 300), (256, 150), (128, 75)]


def test_auto_levels_are_anisotropy_aware():
    plan = plan_scale_factors(
        {"z": 64, "y": 256, "x": 256}, {"z": 4.0, "y": 1.0, "x": 1.0}, {"z": 16, "y": 32, "x": 32}
    )
    assert plan[0] == {"z": 1, "y": 2, "x": 2}  # z waits: already 4x coarser
    assert plan[1] == {"z": 1, "y": 4, "x": 4}
    assert plan[2] == {"z": 2, "y": 8, "x": 8}  # caught up: all shrink together
    assert plan[-1] == {"z": 4, "y": 8, "x": 8}


def test_auto_on_single_chunk_image_gives_one_level():
    ms = xn.to_multiscales(np.zeros((16, 16)))
    assert len(ms.ngff.levels) == 1


# -- selections ----------------------------------------------------------------------------


def test_sel_crops_every_level_consistently():
    img = _ramp((64, 64), (1.0, 1.0), (0.0, 0.0))
    ms = xn.to_multiscales(img, scale_factors=[2, 4], chunks=16)
    sub = ms.sel(x=slice(10.0, 40.0))
    for lvl in sub.ngff.levels:
        assert lvl.x.values.min() >= 10.0
        assert lvl.x.values.max() <= 40.0
    assert sub.ngff.metadata.datasets[1].translation[1] == pytest.approx(10.5)
    assert sub.ngff.levels[2].ngff.scale["x"] == 4.0


def test_metadata_reads_geometry_from_coordinates():
    ms = xn.to_multiscales(_ramp(), scale_factors=[2])
    moved = ms.map_over_datasets(
        lambda ds: ds.assign_coords(x=ds.x + 100.0) if "x" in ds.dims else ds
    )
    assert moved.ngff.metadata.datasets[0].translation[1] == pytest.approx(99.0)
    assert moved.ngff.metadata.type == "gaussian"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    method=st.sampled_from(["mean", "nearest", "gaussian"]),
)
def test_any_increasing_ladder(steps, method):
    """Non-multiple ladders: size floor(N / F), the source is the nearest earlier level whose
    factor divides F, and (mean, nearest) the values sit exactly at their coordinates."""
    factors = list(itertools.accumulate(steps, initial=1))[1:]
    img = _ramp((61, 67), (1.0, 1.0), (0.0, 0.0))
    ms = xn.to_multiscales(img, scale_factors=factors, method=method, chunks=16)
    levels = ms.ngff.levels
    for k, (f, lvl) in enumerate(zip(factors, levels[1:], strict=True), start=1):
        assert lvl.shape == (61 // f, 67 // f)
        j = lvl.encoding["ngff_reduced_from"]["level"]
        earlier = [1, *factors[: k - 1]]
        assert j == max(i for i, e in enumerate(earlier) if f % e == 0)
        assert lvl.ngff.scale == {"y": float(f), "x": float(f)}
        if method != "nearest":
            assert lvl.ngff.translation == {"y": (f - 1) / 2, "x": (f - 1) / 2}
        if method != "gaussian":
            expected = lvl.x.values[None, :] + 1000.0 * lvl.y.values[:, None]
            np.testing.assert_allclose(lvl.values, expected, rtol=1e-12, atol=1e-9)
