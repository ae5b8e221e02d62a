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

from . import accessors as _accessors  # noqa: F401  (registers the .ngff accessors)
from . import datasets, labels
from ._labels_writer import add_label
from ._options import get_options, set_options
from .errors import NgffError, NgffWarning
from .hcs import from_hcs_zarr, plate_to_dataarray
from .hcs_writer import HcsPlateWriter, to_hcs_zarr
from .image import to_ngff_image
from .pyramid import to_multiscales
from .reader import from_ngff_zarr
from .transforms import transform_points
from .validate import validate_store
from .writer import to_ngff_zarr

try:
    __version__ = version("xarray-ngff")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "unknown"

__all__ = [
    "NgffError",
    "NgffWarning",
    "__version__",
    "add_label",
    "datasets",
    "labels",
    "from_ngff_zarr",
    "validate_store",
    "to_multiscales",
    "to_ngff_image",
    "to_ngff_zarr",
    "from_hcs_zarr",
    "to_hcs_zarr",
    "plate_to_dataarray",
    "HcsPlateWriter",
    "get_options",
    "set_options",
    "transform_points",
]
