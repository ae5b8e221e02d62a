"""Small deterministic synthetic images for tests, docs and the quick start.

Every function returns an NGFF image (:class:`xarray.DataArray`) built from a seeded random
generator, so the same call gives the same pixels on every machine. Nothing is downloaded.
:func:`synthetic_plate` builds a small HCS plate (a DataTree of such images) the same way.

Examples
--------
>>> from xarray_ngff import datasets
>>> img = datasets.cells_3d()
>>> img.dims, img.ngff.scale["z"], img.z.attrs["units"]
(('z', 'y', 'x'), 2.0, 'micrometer')
>>> sorted(datasets.SAMPLES)
['blobs_2d', 'cells_3d', 'cells_5d', 'nuclei_labels', 'ramp_2d']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ._image import to_ngff_image
from ._util import join

__all__ = [
    "blobs_2d",
    "cells_3d",
    "cells_5d",
    "nuclei_labels",
    "ramp_2d",
    "sample",
    "SAMPLES",
    "synthetic_plate",
]


def _blobs(shape: tuple[int, ...], n: int, radius: float, rng: np.random.Generator) -> np.ndarray:
    """Sum of isotropic Gaussian blobs (in pixel units) on a float32 grid."""
    grids = np.ogrid[tuple(slice(0, s) for s in shape)]
    out = np.zeros(shape, np.float32)
    centres = rng.uniform(0, 1, size=(n, len(shape))) * np.array(shape)
    amplitudes = rng.uniform(0.5, 1.0, size=n)
    radii = radius * rng.uniform(0.6, 1.4, size=n)
    for c, a, r in zip(centres, amplitudes, radii, strict=True):
        d2 = sum(((g - ci) / r) ** 2 for g, ci in zip(grids, c, strict=True))
        out += (a * np.exp(-0.5 * d2)).astype(np.float32)
    return out


def _to_uint16(x: np.ndarray, rng: np.random.Generator, noise: float = 0.02) -> np.ndarray:
    x = x / max(float(x.max()), 1e-9)
    x = x + rng.normal(0, noise, size=x.shape).astype(np.float32)
    return np.clip(x * 4000 + 100, 0, 65535).astype(np.uint16)


def blobs_2d(shape: tuple[int, int] = (256, 256), seed: int = 0) -> xr.DataArray:
    """2D uint16 fluorescence-like image, 0.25 micrometer pixels."""
    rng = np.random.default_rng(seed)
    data = _to_uint16(_blobs(shape, 40, shape[0] / 30, rng), rng)
    return to_ngff_image(
        data,
        dims=("y", "x"),
        scale={"y": 0.25, "x": 0.25},
        axes_units={"y": "micrometer", "x": "micrometer"},
        name="blobs",
    )


def cells_3d(shape: tuple[int, int, int] = (32, 128, 128), seed: int = 1) -> xr.DataArray:
    """Anisotropic uint16 volume: z spacing 2 um, y/x spacing 0.5 um, offset origin."""
    rng = np.random.default_rng(seed)
    data = _to_uint16(_blobs(shape, 30, shape[1] / 16, rng), rng)
    return to_ngff_image(
        data,
        dims=("z", "y", "x"),
        scale={"z": 2.0, "y": 0.5, "x": 0.5},
        translation={"z": 10.0, "y": -5.0, "x": 3.25},
        axes_units=dict.fromkeys(("z", "y", "x"), "micrometer"),
        name="cells",
    )


def cells_5d(shape: tuple[int, ...] = (2, 2, 8, 64, 64), seed: int = 2) -> xr.DataArray:
    """tczyx uint16 image with channel names ``DAPI`` and ``GFP`` and 30 s between frames."""
    rng = np.random.default_rng(seed)
    t, c = shape[:2]
    frames = [_blobs(shape[2:], 12, shape[3] / 12, rng) for _ in range(t * c)]
    data = _to_uint16(np.stack(frames).reshape(shape), rng)
    return to_ngff_image(
        data,
        dims=("t", "c", "z", "y", "x"),
        scale={"t": 30.0, "z": 1.5, "y": 0.4, "x": 0.4},
        axes_units={"t": "second", "z": "micrometer", "y": "micrometer", "x": "micrometer"},
        channel_names=["DAPI", "GFP", "mCherry", "Cy5"][:c] + [f"ch{i}" for i in range(4, c)],
        name="cells5d",
    )


def nuclei_labels(shape: tuple[int, int] = (256, 256), seed: int = 3) -> xr.DataArray:
    """uint32 label image: disjoint discs numbered 1..n on background 0, 0.25 um pixels."""
    rng = np.random.default_rng(seed)
    yy, xx = np.ogrid[: shape[0], : shape[1]]
    labels = np.zeros(shape, np.uint32)
    for i in range(1, 25):
        cy, cx = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        r = rng.uniform(shape[0] / 40, shape[0] / 14)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        labels[disc & (labels == 0)] = i
    return to_ngff_image(
        labels,
        dims=("y", "x"),
        scale={"y": 0.25, "x": 0.25},
        axes_units={"y": "micrometer", "x": "micrometer"},
        name="nuclei",
    )


def ramp_2d(shape: tuple[int, int] = (64, 96), scale: float = 0.5, offset: float = 2.0):
    """float64 image whose value at every pixel equals its own x coordinate (geometry tests)."""
    x = offset + scale * np.arange(shape[1], dtype=np.float64)
    data = np.broadcast_to(x, shape).copy()
    return to_ngff_image(
        data,
        dims=("y", "x"),
        scale={"y": scale, "x": scale},
        translation={"y": offset, "x": offset},
        name="ramp",
    )


SAMPLES: dict[str, Callable[[], xr.DataArray]] = {
    "blobs_2d": blobs_2d,
    "cells_3d": cells_3d,
    "cells_5d": cells_5d,
    "nuclei_labels": nuclei_labels,
    "ramp_2d": ramp_2d,
}


def sample(name: str) -> xr.DataArray:
    """A bundled sample by name (see ``SAMPLES``)."""
    from .errors import NgffError

    if name not in SAMPLES:
        raise NgffError(f"unknown sample {name!r}; choose one of {sorted(SAMPLES)}", field="sample")
    return SAMPLES[name]()


# -- plates -----------------------------------------------------------------------------------


def synthetic_plate(
    rows: int = 2,
    columns: int = 3,
    fields: int = 2,
    *,
    shape: tuple[int, ...] = (2, 32, 32),
    dims: tuple[str, ...] = ("c", "y", "x"),
    dtype: str = "uint16",
    missing: Iterable[str] = (),
    acquisitions: int = 1,
    scale_factors: Sequence[int] = (2,),
    name: str = "synthetic",
) -> xr.DataTree:
    """A small deterministic plate as a DataTree ``<row>/<column>/<field>`` of pyramids.

    Pixel ``(y, x)`` of channel ``c`` in field ``f`` of well ``(r, k)`` (0-based grid
    indices) is ``1000 * r + 100 * k + 10 * f + c``, so every value says where it came from.
    ``missing`` lists well paths (``"B/3"``) or field paths (``"B/3/1"``) to leave out
    (sparse plates). With several ``acquisitions``, field ``f`` belongs to acquisition
    ``f % acquisitions``. The root attrs hold the ``plate`` document (rows, columns, name,
    acquisitions) that :func:`to_hcs_zarr` picks up; well nodes hold ``well`` metadata.

    Examples
    --------
    >>> p = synthetic_plate(rows=1, columns=2, fields=1)
    >>> sorted(p["A"].children), int(p["A/2/0/scale0/image"].max())
    (['1', '2'], 101)
    """
    import dask.array as da

    from ._pyramid import to_multiscales

    row_names = [_row_name(i) for i in range(rows)]
    col_names = [str(i + 1) for i in range(columns)]
    skip = {m.strip("/") for m in missing}
    acq = [{"id": i, "name": f"acquisition {i}"} for i in range(acquisitions)]
    nodes: dict[str, Any] = {}
    c_axis = dims.index("c") if "c" in dims else None
    for r, rn in enumerate(row_names):
        for k, cn in enumerate(col_names):
            wpath = f"{rn}/{cn}"
            if wpath in skip:
                continue
            images = []
            for f in range(fields):
                if f"{wpath}/{f}" in skip:
                    continue
                base = 1000 * r + 100 * k + 10 * f
                data = da.full(shape, base, dtype=dtype, chunks=shape)
                if c_axis is not None:
                    ramp = np.arange(shape[c_axis]).reshape(
                        [-1 if i == c_axis else 1 for i in range(len(shape))]
                    )
                    data = (data + ramp.astype(dtype)).astype(dtype)
                img = to_ngff_image(data, dims=dims, name="image")
                ms = to_multiscales(img, scale_factors=list(scale_factors), method="nearest")
                for key, node in _subtree(ms):
                    nodes[join(wpath, str(f), key)] = node
                images.append({"path": str(f), "acquisition": f % acquisitions})
            if images:
                nodes[wpath] = xr.Dataset(attrs={"well": {"images": images}})
    root = {
        "plate": {
            "name": name,
            "rows": [{"name": n} for n in row_names],
            "columns": [{"name": n} for n in col_names],
            "acquisitions": acq,
        }
    }
    nodes["/"] = xr.Dataset(attrs=root)
    return xr.DataTree.from_dict({("/" + k if k != "/" else k): v for k, v in nodes.items()})


def _subtree(tree: xr.DataTree) -> list[tuple[str, xr.Dataset]]:
    return [
        (node.relative_to(tree) if node is not tree else "", node.to_dataset(inherit=False))
        for node in tree.subtree
    ]


def _row_name(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (plate row naming)."""
    name = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        name = chr(65 + rem) + name
    return name
