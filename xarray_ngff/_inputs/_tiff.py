"""TIFF, OME-TIFF and ImageJ TIFF, read lazily with tifffile (tiles on demand)."""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .._image import image_units
from ..errors import InputError, InvalidDimsError
from ._common import InputImage, build_image, lazy, level_geometry, stem

__all__ = ["read_tiff"]

_TIFF_AXES = {"T": "t", "C": "c", "Z": "z", "Y": "y", "X": "x", "S": "c"}
# Pixel size in micrometer of one unit of the TIFF ResolutionUnit tag (2 = inch is skipped).
_RESOLUTION_UNIT_UM = {3: 1e4, 4: 1e3, 5: 1.0}


def _map_axes(axes: str, shape: Sequence[int], source: str) -> tuple[list[str], list[int]]:
    """NGFF dims for tifffile axes letters; also the indices of length-1 axes to drop."""
    dims: list[str | None] = []
    drop: list[int] = []
    for i, (letter, n) in enumerate(zip(axes.upper(), shape, strict=True)):
        dim = _TIFF_AXES.get(letter)
        if dim == "c" and letter == "S" and "C" in axes.upper():
            if n == 1:
                drop.append(i)
                dims.append(None)
                continue
            c_size = shape[axes.upper().index("C")]
            if c_size == 1:
                dims[axes.upper().index("C")] = None
                drop.append(axes.upper().index("C"))
            else:
                raise InvalidDimsError(
                    f"{source}: both channel (C={c_size}) and sample (S={n}) axes; pass "
                    f"dims= with one NGFF name per axis of {axes!r}",
                    field="dims",
                )
        if dim is None:
            if n == 1:
                drop.append(i)
            dims.append(None)
        else:
            dims.append(dim)
    for i, d in enumerate(dims):
        if d is None and i not in drop:
            free = [c for c in ("z", "t", "c") if c not in dims]
            if not free:
                raise InvalidDimsError(
                    f"{source}: cannot map TIFF axis {axes[i]!r} (axes {axes!r}) to an NGFF "
                    "dim; pass dims= with one name per axis",
                    field="dims",
                )
            dims[i] = free[0]
    return [d for d in dims if d is not None], sorted(drop)


class _TiffLevel:
    """One level of one TIFF series, indexable like an array and picklable by path.

    The file is opened on first access in each process, so dask graphs that read it can be
    sent to ``dask.distributed`` workers.
    """

    def __init__(self, path: str, series: int, level: int) -> None:
        self.path, self.series, self.level = path, series, level
        self._lock = threading.Lock()
        self._array = None
        array = self._open()
        self.shape = tuple(array.shape)
        self.dtype = np.dtype(array.dtype)
        self.ndim = len(self.shape)
        self.chunks = tuple(array.chunks)

    def _open(self):
        with self._lock:
            if self._array is None:
                import tifffile
                import zarr

                tif = tifffile.TiffFile(self.path)
                store = tif.series[self.series].aszarr(level=self.level)
                self._array = zarr.open_array(store, mode="r")
            return self._array

    def __getitem__(self, key):
        return self._open()[key]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_array"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _ome_pixels(ome_xml: str, series: int) -> dict[str, Any]:
    import tifffile

    ome = tifffile.xml2dict(ome_xml).get("OME", {})
    images = ome.get("Image", [])
    images = images if isinstance(images, list) else [images]
    if not images:
        return {}
    return dict(images[min(series, len(images) - 1)].get("Pixels", {}))


def _ome_geometry(pixels: Mapping[str, Any]):
    scale, units = {}, {}
    for dim in ("x", "y", "z"):
        key = f"PhysicalSize{dim.upper()}"
        if pixels.get(key) is not None:
            scale[dim] = float(pixels[key])
            units[dim] = str(pixels.get(f"{key}Unit", "µm"))
    if pixels.get("TimeIncrement") is not None:
        scale["t"] = float(pixels["TimeIncrement"])
        units["t"] = str(pixels.get("TimeIncrementUnit", "s"))
    channels = pixels.get("Channel", [])
    channels = channels if isinstance(channels, list) else [channels]
    names = [c.get("Name") if isinstance(c, Mapping) else None for c in channels]
    channel_names = [str(n) for n in names] if names and all(n is not None for n in names) else None
    return scale, units, channel_names


def _resolution_spacing(page) -> float | None:
    """Pixel spacing from the X resolution tag, or ``None`` when it is absent or not a size."""
    tag = page.tags.get("XResolution")
    if tag is None:
        return None
    num, den = tag.value
    return (den / num) if num else None


def read_tiff(
    path: str | pathlib.Path, dims: Sequence[str] | None = None, series: int = 0
) -> InputImage:
    """Read a TIFF, OME-TIFF or ImageJ TIFF lazily, with its geometry and pyramid levels.

    Parameters
    ----------
    path
        A local file.
    dims
        One NGFF dim per axis of the source array (tifffile's ``series.axes``), overriding the
        automatic mapping.
    series
        Which image of a multi-image file.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "stack.tif"
    >>> tifffile.imwrite(path, np.zeros((4, 8, 8), "uint8"), imagej=True,
    ...                  resolution=(2.0, 2.0), metadata={"axes": "ZYX", "spacing": 1.5, "unit": "um"})
    >>> src = read_tiff(path)
    >>> src.format, src.image.ngff.scale, src.image.ngff.axes_units["z"]
    ('imagej-tiff', {'z': 1.5, 'y': 0.5, 'x': 0.5}, 'micrometer')
    """
    import tifffile

    path = str(path)
    try:
        tif = tifffile.TiffFile(path)
    except (OSError, ValueError, tifffile.TiffFileError) as err:
        raise InputError(f"cannot read {path!r} as TIFF: {err}", field="input") from err
    with tif:
        if not tif.series:
            raise InputError(f"{path!r} holds no image", field="input")
        if not 0 <= series < len(tif.series):
            raise InputError(
                f"series={series} is out of range: {path!r} has {len(tif.series)} series",
                field="series",
            )
        s = tif.series[series]
        axes, shape = s.axes, tuple(s.shape)
        n_levels = len(s.levels)
        scale: dict[str, float] = {}
        units: dict[str, str] = {}
        channel_names = None
        if tif.is_ome and tif.ome_metadata:
            fmt = "ome-tiff"
            scale, units, channel_names = _ome_geometry(_ome_pixels(tif.ome_metadata, series))
        elif tif.is_imagej and tif.imagej_metadata is not None:
            fmt = "imagej-tiff"
            meta = tif.imagej_metadata
            unit = meta.get("unit")
            unit = (
                None if unit in (None, "", "pixel", "pixels") else str(unit).replace("\\u00B5", "µ")
            )
            spacing = _resolution_spacing(s.pages[0] if s.pages else tif.pages[0])
            if spacing is not None and unit:
                scale.update(x=spacing, y=spacing)
                units.update(x=unit, y=unit)
            if meta.get("spacing") and unit:
                scale["z"], units["z"] = float(meta["spacing"]), unit
            if meta.get("finterval"):
                scale["t"], units["t"] = float(meta["finterval"]), "second"
        else:
            fmt = "tiff"
            page = tif.pages[0]
            um = (
                _RESOLUTION_UNIT_UM.get(int(page.tags["ResolutionUnit"].value), None)
                if "ResolutionUnit" in page.tags
                else None
            )
            spacing = _resolution_spacing(page)
            if um is not None and spacing is not None:
                scale.update(x=spacing * um, y=spacing * um)
                units.update(x="micrometer", y="micrometer")
        level_shapes = [tuple(level.shape) for level in s.levels]

    if dims is not None:
        dims, drop = list(dims), []
    else:
        dims, drop = _map_axes(axes, shape, path)
    name = stem(path)
    levels: list[xr.DataArray] = []
    for k in range(n_levels):
        handle = _TiffLevel(path, series, k)
        data = lazy(handle, handle.chunks)
        if k == 0:
            levels.append(build_image(data, dims, drop, scale, None, units, channel_names, name))
            continue
        kept = [n for i, n in enumerate(level_shapes[k]) if i not in drop]
        sizes = dict(zip(dims, kept, strict=True))
        lscale, ltrans = level_geometry(levels[0], sizes)
        levels.append(
            build_image(
                data, dims, drop, lscale, ltrans, image_units(levels[0]), channel_names, name
            )
        )
    notes = []
    if n_levels > 1:
        notes.append(f"{path}: {n_levels} stored resolution levels")
    return InputImage(levels, fmt, path, notes)
