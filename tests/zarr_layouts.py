"""Helpers shared by the chunk reader and writer tests: zarr layouts and guarded imports."""

from __future__ import annotations

import ast
import importlib.util
import pathlib
import sys
from types import ModuleType

from hypothesis import strategies as st
from numcodecs import Blosc, Zstd
from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec

COMPRESSORS = {
    "none": None,
    "zstd": ZstdCodec(level=1),
    "blosc-lz4": BloscCodec(cname="lz4", clevel=1, shuffle="bitshuffle"),
    "blosc-zstd": BloscCodec(cname="zstd", clevel=1, shuffle="bitshuffle"),
    "gzip": GzipCodec(level=1),
}
V2_COMPRESSORS = {
    "none": None,
    "zstd": Zstd(level=1),
    "blosc-lz4": Blosc(cname="lz4", clevel=1, shuffle=Blosc.BITSHUFFLE),
    "blosc-zstd": Blosc(cname="zstd", clevel=1, shuffle=Blosc.BITSHUFFLE),
    "gzip": Zstd(level=3),
}
DTYPES = ["u1", "<i2", ">u2", "<f4", ">f8", "bool", "c8"]


def draw_layout(draw: st.DrawFn, max_side: int) -> dict:
    """The layout keys both tests draw: shape, chunks, shards, dtype, codecs, order, seed."""
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, max_side)) for _ in range(ndim))
    chunks = tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    sharded = draw(st.booleans())
    shards = tuple(c * draw(st.integers(1, 3)) for c in chunks) if sharded else None
    return {
        "shape": shape,
        "chunks": chunks,
        "shards": shards,
        "dtype": draw(st.sampled_from(DTYPES)),
        "compressor": draw(st.sampled_from(sorted(COMPRESSORS))),
        "zarr_format": 3 if sharded else draw(st.sampled_from([2, 3])),
        "index_location": draw(st.sampled_from(["start", "end"])),
        "order": draw(st.sampled_from(["C", "F"])),
        "seed": draw(st.integers(0, 2**16)),
    }


def create_kwargs(layout: dict) -> dict:
    """``zarr.create_array`` arguments for a drawn layout (with a ``fill_value`` key)."""
    kwargs = {
        "shape": layout["shape"],
        "chunks": layout["chunks"],
        "dtype": layout["dtype"],
        "zarr_format": layout["zarr_format"],
        "fill_value": layout["fill_value"],
    }
    if layout["zarr_format"] == 3:
        if kwargs["fill_value"] is None:
            kwargs["fill_value"] = 0
        kwargs["compressors"] = COMPRESSORS[layout["compressor"]]
        if layout["shards"]:
            kwargs["shards"] = {
                "shape": layout["shards"],
                "index_location": layout["index_location"],
            }
    else:
        kwargs["order"] = layout["order"]
        kwargs["compressors"] = V2_COMPRESSORS[layout["compressor"]]
    return kwargs


def zarr_imports_outside_guards(module: ModuleType) -> list[int]:
    """The lines of ``module`` that import a zarr internal outside a top-level ``try``."""
    tree = ast.parse(pathlib.Path(module.__file__).read_text())
    guarded = {id(n) for t in tree.body if isinstance(t, ast.Try) for n in ast.walk(t)}
    return [
        n.lineno
        for n in ast.walk(tree)
        if id(n) not in guarded
        and (
            (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("zarr"))
            or (isinstance(n, ast.Import) and any(a.name.startswith("zarr.") for a in n.names))
        )
    ]


def import_without(monkeypatch, module: ModuleType, missing: str) -> ModuleType:
    """A private copy of ``module``, imported while the zarr module ``missing`` is absent."""
    monkeypatch.setitem(sys.modules, missing, None)
    spec = importlib.util.spec_from_file_location(f"{module.__name__}_probe", module.__file__)
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    return probe
