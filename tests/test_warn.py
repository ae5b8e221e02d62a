"""Warnings name the user's line, whichever path inside the libraries raised them."""

from __future__ import annotations

import ast
import pathlib
import warnings

import numpy as np
import pytest
import xarray as xr
import zarr
from ngff_stores import write_image, write_labels

import xarray_ngff as xn
from xarray_ngff._warn import emit_user_level_warning
from xarray_ngff.errors import NgffWarning, UnitWarning

PACKAGE = pathlib.Path(xn.__file__).parent


@pytest.fixture
def ghost_label(tmp_path):
    path = tmp_path / "a.ome.zarr"
    write_image(path, "0.4", dims="yx", shape=(8, 12))
    write_labels(path, "0.4", ["cells"])
    zarr.open_group(path / "labels", mode="a").attrs["labels"] = ["cells", "ghost"]
    return path


def test_unit_warning_points_here():
    with pytest.warns(UnitWarning) as seen:
        xn.to_ngff_image(np.zeros((4, 4)), dims=("y", "x"), axes_units={"y": "parsec-ish"})
    assert [w.filename for w in seen] == [__file__]


@pytest.mark.parametrize("how", ["from_ngff_zarr", "open_datatree"])
def test_reader_warning_points_here_through_any_entry(ghost_label, how):
    with pytest.warns(NgffWarning, match="ghost") as seen:
        if how == "from_ngff_zarr":
            xn.from_ngff_zarr(ghost_label)
        else:  # the same warning, under xarray's own frames
            xr.open_datatree(ghost_label, engine="ngff")
    assert {w.filename for w in seen} == {__file__}


def test_helper_called_from_user_code_points_at_the_call():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        emit_user_level_warning("here", NgffWarning)
    assert seen[0].filename == __file__


def test_package_warns_only_through_the_helper():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "_warn.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                named = isinstance(func, ast.Attribute) and func.attr == "warn"
                if named or any(k.arg == "stacklevel" for k in node.keywords):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []
