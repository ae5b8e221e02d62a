"""Small OME-Zarr 0.6 stores (images with further systems, scenes, vector fields), written
with zarr-python directly for the 0.6 tests."""

from __future__ import annotations

import pathlib
import shutil

import numpy as np
import zarr

YX = [
    {"name": "y", "type": "space", "unit": "micrometer"},
    {"name": "x", "type": "space", "unit": "micrometer"},
]


def level_transform(path: str, scale, translation=None, output: str = "physical") -> dict:
    io = {"input": {"path": path}, "output": {"name": output}}
    s = {"type": "scale", "scale": list(scale)}
    if translation is None:
        return {**s, **io}
    t = {"type": "translation", "translation": list(translation)}
    return {"type": "sequence", "transformations": [s, t], **io}


def write_v06_image(
    root: pathlib.Path | str | None,
    *,
    group: zarr.Group | None = None,
    shape: tuple[int, int] = (6, 8),
    scale=(0.5, 0.25),
    translation=(10.0, -3.0),
    systems: list[dict] | None = None,
    transforms: list[dict] | None = None,
    version: str = "0.6",
    levels: int = 2,
    name: str = "img",
    intrinsic: str = "physical",
    axes: list[dict] | None = None,
    extra: dict | None = None,
) -> list[np.ndarray]:
    """A 2D (y, x) 0.6 image; returns the level data."""
    if group is None:
        shutil.rmtree(root, ignore_errors=True)
        group = zarr.open_group(str(root), mode="w", zarr_format=3)
    axes = axes or YX
    data = np.arange(int(np.prod(shape)), dtype="uint16").reshape(shape)
    out, datasets = [], []
    for k in range(levels):
        f = 2**k
        arr = data[::f, ::f]
        path = f"s{k}"
        z = group.create_array(
            path, shape=arr.shape, dtype=arr.dtype, chunks=arr.shape, dimension_names=["y", "x"]
        )
        z[...] = arr
        out.append(arr)
        s = [v * f for v in scale]
        t = [tr + (f - 1) * v / 2 for tr, v in zip(translation, scale, strict=True)]
        datasets.append(
            {"path": path, "coordinateTransformations": [level_transform(path, s, t, intrinsic)]}
        )
    entry = {
        "name": name,
        "coordinateSystems": [{"name": intrinsic, "axes": axes}, *(systems or [])],
        "datasets": datasets,
    }
    if transforms:
        entry["coordinateTransformations"] = transforms
    group.attrs["ome"] = {"version": version, "multiscales": [entry], **(extra or {})}
    return out


def write_field(group: zarr.Group, path: str, values: np.ndarray, scale, kind: str) -> None:
    """A displacement/coordinate field as a 0.6 multiscale image: vector axis first."""
    g = group.require_group(path)
    z = g.create_array("s0", shape=values.shape, dtype="float64", chunks=values.shape)
    z[...] = values
    axes = [{"name": "v", "type": kind, "discrete": True}, *YX]
    g.attrs["ome"] = {
        "version": "0.6",
        "multiscales": [
            {
                "coordinateSystems": [{"name": "physical", "axes": axes}],
                "datasets": [
                    {
                        "path": "s0",
                        "coordinateTransformations": [
                            level_transform("s0", [1.0, *scale], None, "physical")
                        ],
                    }
                ],
            }
        ],
    }


def write_scene(root: pathlib.Path | str) -> dict[str, list[np.ndarray]]:
    """A scene of two tiles placed in a ``world`` system: tileA by a translation, tileB by a
    rotation (90 degrees) then a translation; plus an affine to a ``tilted`` system."""
    shutil.rmtree(root, ignore_errors=True)
    g = zarr.open_group(str(root), mode="w", zarr_format=3)
    out = {
        "tileA": write_v06_image(None, group=g.create_group("tileA"), translation=(0.0, 0.0)),
        "tileB": write_v06_image(None, group=g.create_group("tileB"), translation=(0.0, 0.0)),
    }
    g.attrs["ome"] = {
        "version": "0.6",
        "scene": {
            "coordinateSystems": [
                {"name": "world", "axes": YX},
                {"name": "tilted", "axes": YX},
            ],
            "coordinateTransformations": [
                {
                    "type": "translation",
                    "translation": [100.0, 0.0],
                    "input": {"path": "tileA", "name": "physical"},
                    "output": {"name": "world"},
                },
                {
                    "type": "sequence",
                    "transformations": [
                        {"type": "rotation", "rotation": [[0.0, -1.0], [1.0, 0.0]]},
                        {"type": "translation", "translation": [0.0, 50.0]},
                    ],
                    "input": {"path": "tileB", "name": "physical"},
                    "output": {"name": "world"},
                },
                {
                    "type": "affine",
                    "affine": [[1.0, 0.5, 0.0], [0.0, 1.0, 0.0]],
                    "input": {"name": "world"},
                    "output": {"name": "tilted"},
                },
            ],
        },
    }
    return out
