"""Zarr arrays (dims from their dimension names) and OME-Zarr images (through the reader)."""

from __future__ import annotations

import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

import dask.array as da

from .._hierarchy import bf2raw_series_paths, node_kind
from .._image import NGFF_DIMS
from .._store import open_store
from ..errors import InputError, UnsupportedInputError
from ._common import InputImage, build_image, stem, to_ngff_order

__all__ = ["read_zarr"]


def _zarr_dims(array: Any) -> list[str] | None:
    names = getattr(array.metadata, "dimension_names", None)
    if not names:
        names = array.attrs.get("_ARRAY_DIMENSIONS")
    if names and all(isinstance(n, str) and n in NGFF_DIMS for n in names):
        return list(names)
    return None


def _series_path(source: str, series: int, storage_options: Mapping[str, Any] | None) -> str:
    """The path of image ``series`` of a bioformats2raw collection (as the reader finds them)."""
    nstore = open_store(source, storage_options)
    try:
        paths = bf2raw_series_paths(nstore, "")
    finally:
        nstore.close()
    if not 0 <= series < len(paths):
        raise InputError(
            f"series={series} is out of range: {source!r} holds {len(paths)} series {paths}",
            field="series",
        )
    return paths[series]


def read_zarr(
    store: str | pathlib.Path,
    dims: Sequence[str] | None = None,
    series: int = 0,
    storage_options: Mapping[str, Any] | None = None,
) -> InputImage:
    """Read a Zarr array, or an OME-Zarr image through :mod:`xarray_ngff._reader`.

    A bioformats2raw store picks image ``series``; an HCS plate is refused (read its
    images one by one).

    Examples
    --------
    >>> import numpy as np, zarr, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "raw.zarr"
    >>> z = zarr.create_array(path, shape=(8, 10), dtype="uint8", dimension_names=("y", "x"))
    >>> src = read_zarr(path)
    >>> src.format, src.image.dims, src.image.shape
    ('zarr', ('y', 'x'), (8, 10))
    """
    import zarr

    source = str(store)
    try:
        if "://" not in source and source.lower().endswith((".zip", ".ozx")):
            node = zarr.open(zarr.storage.ZipStore(source, mode="r"), mode="r")  # an archive
        else:
            node = zarr.open(source, mode="r", storage_options=dict(storage_options or {}) or None)
    except Exception as err:  # zarr raises FileNotFoundError, KeyError, ValueError...
        raise InputError(f"cannot open {source!r} as Zarr: {err}", field="input") from err
    if isinstance(node, zarr.Array):
        if dims is None:
            dims = _zarr_dims(node) or list(NGFF_DIMS[-node.ndim :] if 2 <= node.ndim <= 5 else ())
        data = da.from_zarr(node)
        image = build_image(data, list(dims), name=stem(source))
        return InputImage([image], "zarr", source)
    attrs = dict(node.attrs)
    kind = node_kind(attrs, store=source, path="/")
    if kind is None:
        arrays = sorted(name for name, _ in node.arrays())
        hint = f"; its arrays are {arrays[:5]}" if arrays else ""
        raise UnsupportedInputError(
            f"{source!r} is a Zarr group without OME-NGFF metadata: point at an array "
            f"inside it{hint}",
            field="input",
        )
    if kind in ("plate", "well"):
        raise UnsupportedInputError(
            f"{source!r} is an HCS plate or well; read one image at a time (e.g. "
            f"{source.rstrip('/')}/A/1/0)",
            field="input",
        )
    if kind == "labels":
        raise UnsupportedInputError(
            f"{source!r} is a labels group; point at one label image inside it",
            field="input",
        )
    path = None
    if kind == "bioformats2raw":
        path = _series_path(source, series, storage_options)
    from .._reader import from_ngff_zarr

    location = f"{source.rstrip('/')}/{path}" if path else source
    tree = from_ngff_zarr(location, storage_options=storage_options)
    levels = [to_ngff_order(level) for level in tree.ngff.levels]
    notes = [f"{location}: {len(levels)} stored resolution levels"] if len(levels) > 1 else []
    return InputImage(levels, "ome-zarr", location, notes)
