"""The worked scene of the coordinate-systems page: two tiles placed in a ``world`` system.

Used by the page's example and by the figure drawn in ``hooks.py``.
"""

from __future__ import annotations

import numpy as np

import xarray_ngff as xn


def write_example_scene(path) -> None:
    """Write two 0.6 images and a scene group relating them."""
    import zarr

    root = zarr.open_group(str(path), mode="w", zarr_format=3)
    yy, xx = np.mgrid[0:32, 0:48]
    tiles = {
        "tileA": (np.sin(xx / 4.0) * np.cos(yy / 5.0) * 100 + 100).astype("uint8"),
        "tileB": ((xx + yy) % 16 * 12).astype("uint8"),
    }
    for name, data in tiles.items():
        img = xn.to_ngff_image(
            data, scale={"y": 0.5, "x": 0.5}, axes_units={"y": "um", "x": "um"}, name="image"
        )
        # the image's intrinsic system is called "physical", as the scene refers to it
        img.attrs["ngff_transforms"] = {"intrinsic": "physical"}
        xn.to_ngff_zarr(f"{path}/{name}", img, version="0.6")
    yx = [
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"},
    ]
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    root.attrs["ome"] = {
        "version": "0.6",
        "scene": {
            "coordinateSystems": [{"name": "world", "axes": yx}],
            "coordinateTransformations": [
                {
                    "type": "translation",
                    "translation": [0.0, 0.0],
                    "input": {"path": "tileA", "name": "physical"},
                    "output": {"name": "world"},
                },
                {
                    "type": "sequence",
                    "transformations": [
                        {"type": "rotation", "rotation": [[c, -s], [s, c]]},
                        {"type": "translation", "translation": [6.0, 26.0]},
                    ],
                    "input": {"path": "tileB", "name": "physical"},
                    "output": {"name": "world"},
                },
            ],
        },
    }
