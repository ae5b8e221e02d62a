"""Choosing the reader for a path: Zarr, TIFF or imageio."""

from __future__ import annotations

import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InputError, UnsupportedInputError
from ._common import TIFF_SUFFIXES, InputImage
from ._imageio import read_imageio
from ._tiff import read_tiff
from ._zarr import read_zarr

__all__ = ["open_input"]


def _looks_like_zarr(source: str) -> bool:
    if "://" in source:
        return True
    p = pathlib.Path(source)
    if p.suffix.lower() in (".zarr", ".zip", ".ozx"):
        return True
    return p.is_dir() and any(
        (p / m).exists() for m in ("zarr.json", ".zarray", ".zgroup", ".zattrs")
    )


def open_input(
    source: str | pathlib.Path,
    dims: Sequence[str] | None = None,
    series: int = 0,
    storage_options: Mapping[str, Any] | None = None,
) -> InputImage:
    """Open any supported input, choosing the reader from the path.

    Parameters
    ----------
    source
        A TIFF/OME-TIFF file, an image file imageio reads, a Zarr array, or an OME-Zarr (local
        path or fsspec URL).
    dims
        NGFF dim names, one per axis of the source array, to override the automatic choice.
    series
        The image of a multi-image TIFF or a bioformats2raw OME-Zarr.
    storage_options
        fsspec options for remote Zarr stores.

    Raises
    ------
    InputError
        Missing or unreadable input.
    UnsupportedInputError
        A format or layout that none of the readers handles.

    Examples
    --------
    >>> open_input("no/such/file.tif")
    Traceback (most recent call last):
    ...
    xarray_ngff.errors.InputError: input 'no/such/file.tif' does not exist (field='input')
    """
    source = str(source)
    if "://" not in source and not pathlib.Path(source).exists():
        raise InputError(f"input {source!r} does not exist", field="input")
    if _looks_like_zarr(source):
        return read_zarr(source, dims, series, storage_options)
    if source.lower().endswith(TIFF_SUFFIXES):
        return read_tiff(source, dims, series)
    if pathlib.Path(source).is_dir():
        raise UnsupportedInputError(
            f"{source!r} is a directory but not a Zarr store", field="input"
        )
    return read_imageio(source, dims)
