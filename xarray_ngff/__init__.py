"""xarray-ngff: OME-Zarr (OME-NGFF) images as plain xarray objects.

Examples
--------
>>> import numpy as np, xarray_ngff as xn
>>> img = xn.to_ngff_image(np.zeros((64, 64), "uint16"), scale={"y": 0.5, "x": 0.5},
...                        axes_units={"y": "um", "x": "um"})
>>> ms = xn.to_multiscales(img, scale_factors=[2, 4])
>>> [lvl.shape for lvl in ms.ngff.levels]
[(64, 64), (32, 32), (16, 16)]
"""

from importlib.metadata import PackageNotFoundError, version

# The public surface is this namespace plus the modules ``accessors``, ``backend``, ``compat``,
# ``datasets``, ``testing`` and ``errors``; every other module is internal (leading underscore)
# and its public functions are re-exported here.
from . import accessors as _accessors  # noqa: F401  (registers the .ngff accessors)
from . import datasets, errors
from ._cli import convert, describe_store
from ._hcs_writer import HcsPlateWriter, to_hcs_zarr
from ._image import to_ngff_image
from ._inputs import levels_to_multiscales, open_input
from ._labels import ImageLabel, image_label, label_names
from ._labels_writer import add_label
from ._options import get_options, set_options
from ._plate_read import from_hcs_zarr, plate_to_dataarray
from ._pyramid import to_multiscales
from ._reader import from_ngff_zarr
from ._transforms import coordinate_systems, in_system, transform_points
from ._units import normalize_unit
from ._validate import validate_store
from ._writer import to_ngff_zarr
from .errors import NgffError, NgffWarning

try:
    __version__ = version("xarray-ngff")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "unknown"

__all__ = [
    "HcsPlateWriter",
    "ImageLabel",
    "NgffError",
    "NgffWarning",
    "__version__",
    "add_label",
    "convert",
    "coordinate_systems",
    "datasets",
    "describe_store",
    "errors",
    "from_hcs_zarr",
    "from_ngff_zarr",
    "get_options",
    "image_label",
    "in_system",
    "label_names",
    "levels_to_multiscales",
    "normalize_unit",
    "open_input",
    "plate_to_dataarray",
    "set_options",
    "to_hcs_zarr",
    "to_multiscales",
    "to_ngff_image",
    "to_ngff_zarr",
    "transform_points",
    "validate_store",
]
