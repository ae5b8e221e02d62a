"""The input readers behind :mod:`xarray_ngff.inputs`, one module per format.

* ``_common``: :class:`InputImage` and what every reader shares (building an NGFF image from
  a source array, lazy wrapping, the geometry of stored lower levels);
* ``_tiff``, ``_imageio``, ``_zarr``: one reader per format family;
* ``_open``: :func:`open_input`, which picks the reader from the path;
* ``_levels``: reshaping what was read (:func:`relabel`, :func:`levels_to_multiscales`,
  :func:`check_dims_arg`).

A new format is a new module here with a ``read_<format>(path, dims=None, ...) ->
InputImage`` function, one branch in ``_open.open_input`` and one name in
:mod:`xarray_ngff.inputs`. Errors name the parameter (``field="dims"``); the command line
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
