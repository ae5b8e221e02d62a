"""Readers for images to convert: TIFF, OME-TIFF, PNG/JPEG, Zarr, OME-Zarr.

:func:`open_input` turns a file or store into an :class:`InputImage`: its levels as NGFF
images (finest first; one level unless the source holds a pyramid), with the physical
geometry, units and channel names the source records:

* **OME-TIFF** (tifffile): ``PhysicalSizeX/Y/Z`` with their units (OME's default is
  micrometer), ``TimeIncrement``, channel names from ``Channel/@Name``, and the pyramid levels
  stored as sub-resolutions;
* **ImageJ TIFF**: the X/Y resolution tags, ``spacing`` (z), ``unit`` and ``finterval`` (t);
* **plain TIFF**: the resolution tags when their unit is metric (centimeter, millimeter,
  micrometer). Inch-based resolutions are screen or print DPI, not a pixel size, and are
  ignored;
* **PNG, JPEG, BMP, GIF…** (imageio): 2D greyscale or RGB(A) (channels ``R, G, B, A``);
  several frames become ``t``;
* **Zarr arrays**: dims from ``dimension_names`` (Zarr v3) or ``_ARRAY_DIMENSIONS`` (v2) when
  they are NGFF names;
* **OME-Zarr** (any version the reader supports), through :mod:`xarray_ngff._reader`.

The readers live in the private package :mod:`xarray_ngff._inputs`, one module per format;
this module is their public face.

Pixels are never loaded here: every level is a lazy dask array (TIFF tiles are read on
demand, from a picklable handle so a ``dask.distributed`` cluster can read them too). Only
imageio formats are decoded eagerly; they are single 2D images.

TIFF axes map to NGFF dims as ``T→t, C→c, Z→z, Y→y, X→x`` and ``S`` (samples, e.g. RGB)
→ ``c``; other axes of length 1 are dropped, and one other axis (``I``, ``Q``: a plain page
stack) becomes ``z`` (or ``t`` when ``z`` exists). ``dims=`` overrides all of this with one
NGFF name per axis of the source array. Images are returned in NGFF order (``t, c, z, y,
x``), transposed lazily.

Examples
--------
>>> import numpy as np, tifffile, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cells.ome.tif"
>>> tifffile.imwrite(path, np.zeros((2, 16, 16), "uint16"), metadata={
...     "axes": "CYX", "PhysicalSizeX": 0.25, "PhysicalSizeY": 0.25,
...     "Channel": {"Name": ["DAPI", "GFP"]}})
>>> src = open_input(path)
>>> src.format, src.image.dims, src.image.ngff.scale, src.image.ngff.channel_names
('ome-tiff', ('c', 'y', 'x'), {'y': 0.25, 'x': 0.25}, ['DAPI', 'GFP'])
>>> src.image.x.attrs["units"]
'micrometer'

Layout of this package:

One module per format:

* ``_common``: :class:`InputImage` and what every reader shares (building an NGFF image from
  a source array, lazy wrapping, the geometry of stored lower levels);
* ``_tiff``, ``_imageio``, ``_zarr``: one reader per format family;
* ``_open``: :func:`open_input`, which picks the reader from the path;
* ``_levels``: reshaping what was read (:func:`relabel`, :func:`levels_to_multiscales`,
  :func:`check_dims_arg`).

A new format is a new module here with a ``read_<format>(path, dims=None, ...) ->
InputImage`` function, one branch in ``_open.open_input`` and one name in
:mod:`xarray_ngff._inputs`. Errors name the parameter (``field="dims"``); the command line
turns that into its flag when it reports.
"""

from __future__ import annotations

from ._common import TIFF_SUFFIXES, InputImage
from ._imageio import read_imageio
from ._levels import check_dims_arg, levels_to_multiscales, relabel
from ._open import open_input
from ._tiff import read_tiff
from ._zarr import read_zarr

__all__ = [
    "InputImage",
    "open_input",
    "read_tiff",
    "read_imageio",
    "read_zarr",
    "relabel",
    "levels_to_multiscales",
    "TIFF_SUFFIXES",
    "check_dims_arg",
]
