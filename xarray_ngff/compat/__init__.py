"""ngff-zarr's Python interface on xarray-ngff: switch with one line.

``import xarray_ngff.compat as nz`` in place of ``import ngff_zarr as nz`` gives the same
names, dataclasses (fields in ngff-zarr 0.50's order) and functions, and reprs that print as
ngff-zarr's documentation shows. It is a bridge, not a second implementation: every function
calls xarray-ngff's own, and the dataclasses are views of the xarray objects, which stay the
source of truth (:meth:`NgffImage.to_xarray`, :meth:`NgffMultiscales.to_datatree`,
:meth:`NgffImage.from_xarray`, :meth:`NgffMultiscales.from_datatree`; no pixel is copied).
xarray-ngff's own functions accept these objects too.

Examples
--------
>>> import numpy as np
>>> import xarray_ngff.compat as nz
>>> image = nz.to_ngff_image(np.zeros((256, 256), "uint8"), dims=["y", "x"])
>>> multiscales = nz.to_multiscales(image, scale_factors=[2, 4], chunks=64)
>>> [img.data.shape for img in multiscales.images]
[(256, 256), (128, 128), (64, 64)]
>>> multiscales.images[2].scale, multiscales.images[2].translation
({'y': 4.0, 'x': 4.0}, {'y': 1.5, 'x': 1.5})
>>> multiscales.metadata.datasets[1].path, multiscales.method
('scale1/image', <Methods.ITKWASM_GAUSSIAN: 'itkwasm_gaussian'>)
>>> multiscales.to_datatree()["scale1"]["image"].shape
(128, 128)
"""

from .._bridge import register_methods, register_view
from ._image import (
    OURS,
    Methods,
    Multiscales,
    NgffImage,
    NgffMultiscales,
    method_name,
    to_multiscales,
    to_ngff_image,
)
from ._io import (
    HCSPlate,
    HCSWell,
    from_hcs_zarr,
    from_ngff_zarr,
    from_ome_zarr,
    to_ngff_zarr,
    to_ome_zarr,
    validate,
)
from ._model import (
    Axis,
    Dataset,
    Identity,
    Metadata,
    MethodMetadata,
    Omero,
    OmeroChannel,
    OmeroWindow,
    Plate,
    PlateAcquisition,
    PlateColumn,
    PlateRow,
    PlateWell,
    Scale,
    Translation,
    Well,
    WellImage,
)

# the core recognises these without importing compat (xarray_ngff._bridge)
register_view(NgffMultiscales, NgffMultiscales.to_datatree)
register_view(NgffImage, NgffImage.to_xarray)
register_view(HCSPlate, lambda view: view.plate)
register_methods(Methods)

__all__ = [
    "OURS",
    "Axis",
    "Dataset",
    "HCSPlate",
    "HCSWell",
    "Identity",
    "Metadata",
    "MethodMetadata",
    "Methods",
    "Multiscales",
    "NgffImage",
    "NgffMultiscales",
    "Omero",
    "OmeroChannel",
    "OmeroWindow",
    "Plate",
    "PlateAcquisition",
    "PlateColumn",
    "PlateRow",
    "PlateWell",
    "Scale",
    "Translation",
    "Well",
    "WellImage",
    "from_hcs_zarr",
    "from_ngff_zarr",
    "from_ome_zarr",
    "method_name",
    "to_multiscales",
    "to_ngff_image",
    "to_ngff_zarr",
    "to_ome_zarr",
    "validate",
]
