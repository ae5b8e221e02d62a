"""The core takes compat views and ngff-zarr's methods without importing xarray_ngff.compat."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from xarray_ngff import _bridge
from xarray_ngff.errors import InvalidMethodError


def test_ngff_zarr_methods_work_without_compat():
    pytest.importorskip("ngff_zarr")
    code = (
        "import sys, numpy as np, ngff_zarr, xarray_ngff as xn\n"
        "tree = xn.to_multiscales(np.zeros((8, 8), 'uint8'), [2],"
        " method=ngff_zarr.Methods.DASK_IMAGE_MODE)\n"
        "print(tree.attrs['multiscales'][0]['type'], 'xarray_ngff.compat' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["mode", "False"]


def test_compat_registers_its_views_on_import():
    import xarray_ngff.compat as nz

    image = nz.to_ngff_image(np.zeros((4, 4)))
    assert isinstance(_bridge.as_native(image), xr.DataArray)
    assert isinstance(_bridge.as_native(nz.to_multiscales(image, [2])), xr.DataTree)
    assert _bridge.is_method_member(nz.Methods.DASK_IMAGE_MODE)


def test_registered_views_cover_subclasses(monkeypatch):
    class View:
        def __init__(self, obj):
            self.obj = obj

    class Sub(View):
        pass

    monkeypatch.setattr(_bridge, "_VIEWS", {View: lambda v: v.obj})
    assert _bridge.as_native(Sub(7)) == 7
    assert _bridge.as_native("x") == "x"


def test_unknown_methods_name_both_vocabularies():
    with pytest.raises(InvalidMethodError, match="itkwasm_gaussian.*'gaussian'"):
        _bridge.method_name("itk_label_gaussian")
