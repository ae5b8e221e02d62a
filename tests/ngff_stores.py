"""Small OME-Zarr stores of every version, written with zarr-python directly for reader tests."""

from __future__ import annotations

import json
import pathlib
import shutil

import numpy as np
import zarr

DIMS = {"0.1": "tczyx", "0.2": "tczyx"}


def level_data(data: np.ndarray, dims: str, k: int) -> np.ndarray:
    """Level ``k``: every ``2**k``-th pixel of the spatial dims (nearest subsampling)."""
    step = 2**k
    return data[tuple(slice(None, None, step) if d in "zyx" else slice(None) for d in dims)]


def write_image(
    root: pathlib.Path | str,
    version: str,
    *,
    dims: str = "cyx",
    shape: tuple[int, ...] = (2, 8, 12),
    levels: int = 2,
    scale: dict[str, float] | None = None,
    translation: dict[str, float] | None = None,
    units: dict[str, str] | None = None,
    channel_names: list[str] | None = None,
    name: str | None = None,
    separator: str = "/",
    declare_separator: bool = True,
    ms_transform: tuple[list[float], list[float]] | None = None,
    chunks: tuple[int, ...] | None = None,
    shards: tuple[int, ...] | None = None,
    dtype: str = "uint16",
    paths: list[str] | None = None,
    group: zarr.Group | None = None,
    extra_attrs: dict | None = None,
) -> list[np.ndarray]:
    """Write an image group; returns the pixel data of each level."""
    if version in DIMS:
        dims = DIMS[version]
    data = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    scale = scale or {}
    translation = translation or {}
    units = units or {}
    zarr_format = 3 if version == "0.5" else 2
    if group is None:
        shutil.rmtree(root, ignore_errors=True)
        group = zarr.open_group(str(root), mode="w", zarr_format=zarr_format)
    paths = paths or [str(k) for k in range(levels)]
    datasets = []
    out = []
    for k, path in enumerate(paths):
        arr = level_data(data, dims, k)
        out.append(arr)
        kwargs: dict = {}
        if zarr_format == 2:
            kwargs["chunk_key_encoding"] = {"name": "v2", "separator": separator}
        else:
            kwargs["dimension_names"] = list(dims)
            if shards is not None:
                kwargs["shards"] = tuple(min(s, n) for s, n in zip(shards, arr.shape, strict=True))
        ch = chunks or tuple(max(1, n // 2) for n in arr.shape)
        if shards is not None:
            sh = kwargs["shards"]
            ch = tuple(
                c if s % c == 0 else s
                for c, s in zip((max(1, s // 2) for s in sh), sh, strict=True)
            )
        z = group.create_array(path, shape=arr.shape, dtype=arr.dtype, chunks=ch, **kwargs)
        z[...] = arr
        entry = {"path": path}
        if version in ("0.4", "0.5"):
            f = 2**k
            s = [scale.get(d, 1.0) * (f if d in "zyx" else 1) for d in dims]
            tr = [translation.get(d, 0.0) for d in dims]
            entry["coordinateTransformations"] = [{"type": "scale", "scale": s}]
            if any(tr):
                entry["coordinateTransformations"].append(
                    {"type": "translation", "translation": tr}
                )
        datasets.append(entry)
    ms: dict = {"datasets": datasets}
    if name is not None:
        ms["name"] = name
    if version == "0.3":
        ms["axes"] = list(dims)
    elif version in ("0.4", "0.5"):
        types = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
        ms["axes"] = [
            {"name": d, "type": types[d], **({"unit": units[d]} if d in units else {})}
            for d in dims
        ]
        if ms_transform is not None:
            ms["coordinateTransformations"] = [
                {"type": "scale", "scale": ms_transform[0]},
                {"type": "translation", "translation": ms_transform[1]},
            ]
    body: dict = {"multiscales": [ms]}
    if channel_names is not None:
        body["omero"] = {
            "channels": [
                {
                    "label": c,
                    "color": "FF0000",
                    "window": {"start": 0, "end": 100, "min": 0, "max": 100},
                }
                for c in channel_names
            ]
        }
    body.update(extra_attrs or {})
    if version == "0.5":
        group.attrs.update({"ome": {"version": "0.5", **body}})
    else:
        ms["version"] = version
        group.attrs.update(body)
    if zarr_format == 2 and not declare_separator:
        for path in paths:
            meta_path = pathlib.Path(root, group.path, path, ".zarray")
            meta = json.loads(meta_path.read_text())
            meta.pop("dimension_separator", None)
            meta_path.write_text(json.dumps(meta))
    return out


def write_labels(
    image_root: pathlib.Path | str,
    version: str,
    names: list[str],
    *,
    shape: tuple[int, ...] = (8, 12),
    list_in_attrs: bool = True,
    image_label: dict | None = None,
    dtype: str = "uint8",
) -> dict[str, np.ndarray]:
    """Add a labels group with 2D (y, x) label images; returns level-0 data per name."""
    zarr_format = 3 if version == "0.5" else 2
    labels = zarr.open_group(
        str(pathlib.Path(image_root) / "labels"), mode="w", zarr_format=zarr_format
    )
    if list_in_attrs:
        if version == "0.5":
            labels.attrs["ome"] = {"version": "0.5", "labels": names}
        else:
            labels.attrs["labels"] = names  # 0.4 labels groups carry no version
    out = {}
    for n in names:
        g = labels.create_group(n)
        data = write_image(None, version, dims="yx", shape=shape, group=g, dtype=dtype, levels=2)
        meta = image_label or {
            "colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}],
            "properties": [{"label-value": 1, "class": "cell"}],
            "source": {"image": "../../"},
        }
        if version == "0.5":
            attrs = dict(g.attrs["ome"])
            attrs["image-label"] = meta
            g.attrs["ome"] = attrs
        else:
            g.attrs["image-label"] = {"version": version, **meta}
        out[n] = data[0]
    return out


def write_v03_odd_levels(root: pathlib.Path | str, shapes: list[tuple[int, int]]) -> None:
    """A 0.3 (y, x) pyramid with levels of ``shapes``: 0.3 stores no scale, so readers
    derive each level's factor from the shapes (odd sizes floor, as downsampling does)."""
    g = zarr.open_group(str(root), mode="w", zarr_format=2)
    datasets = [{"path": str(k)} for k in range(len(shapes))]
    g.attrs["multiscales"] = [{"version": "0.3", "axes": ["y", "x"], "datasets": datasets}]
    for k, shape in enumerate(shapes):
        g.create_array(str(k), data=np.zeros(shape, "u1"), chunks=shape)
