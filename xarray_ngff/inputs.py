"""Readers for the images the command line converts: TIFF, OME-TIFF, PNG/JPEG, Zarr, OME-Zarr.

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
* **OME-Zarr** (any version the reader supports), through :mod:`xarray_ngff.reader`.

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
"""

from __future__ import annotations

import math
import pathlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from .errors import InputError, InvalidDimsError, UnsupportedInputError
from .image import (
    NGFF_DIMS,
    image_channel_names,
    image_scale,
    image_translation,
    image_units,
    ngff_order,
    to_ngff_image,
    validate_dims,
)

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

TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf8", ".tf2")
_TIFF_AXES = {"T": "t", "C": "c", "Z": "z", "Y": "y", "X": "x", "S": "c"}
# Pixel size in micrometer of one unit of the TIFF ResolutionUnit tag (2 = inch is skipped).
_RESOLUTION_UNIT_UM = {3: 1e4, 4: 1e3, 5: 1.0}


@dataclass
class InputImage:
    """An image read from a file or store.

    Attributes
    ----------
    levels
        NGFF images, finest first; more than one when the source stores a pyramid.
    format
        What was read: ``"ome-tiff"``, ``"imagej-tiff"``, ``"tiff"``, ``"imageio"``,
        ``"zarr"`` or ``"ome-zarr"``.
    source
        The path or URL, as given.
    notes
        Things the reader decided that a user may want to know (printed by the CLI).
    """

    levels: list[xr.DataArray]
    format: str
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def image(self) -> xr.DataArray:
        """The full-resolution level."""
        return self.levels[0]


# -- helpers ------------------------------------------------------------------------------


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


def _lazy(array: Any, previous_chunks: Sequence[int] | None = None) -> da.Array:
    """Wrap a lazily indexable array in dask, with chunks that are multiples of its own."""
    chunks = da.core.normalize_chunks(
        "auto", array.shape, dtype=array.dtype, previous_chunks=previous_chunks
    )
    return da.from_array(array, chunks=chunks, name=False)


def _to_ngff_order(image: xr.DataArray) -> xr.DataArray:
    order = ngff_order(image.dims)
    return image if tuple(image.dims) == order else image.transpose(*order)


def _build_image(
    data: Any,
    dims: Sequence[str],
    drop: Sequence[int] = (),
    scale: Mapping[str, float] | None = None,
    translation: Mapping[str, float] | None = None,
    units: Mapping[str, str | None] | None = None,
    channel_names: Sequence[str] | None = None,
    name: str = "image",
) -> xr.DataArray:
    if drop:
        data = data[tuple(0 if i in drop else slice(None) for i in range(data.ndim))]
    dims = validate_dims(dims, data.ndim)
    scale = {d: v for d, v in (scale or {}).items() if d in dims and d != "c"}
    translation = {d: v for d, v in (translation or {}).items() if d in dims and d != "c"}
    units = {d: u for d, u in (units or {}).items() if d in dims and d != "c" and u}
    if channel_names is not None and (
        "c" not in dims or len(channel_names) != data.shape[dims.index("c")]
    ):
        channel_names = None
    image = to_ngff_image(
        data,
        dims=dims,
        scale=scale,
        translation=translation,
        axes_units=units,
        channel_names=channel_names,
        name=name,
    )
    return _to_ngff_order(image)


def _level_geometry(
    base: xr.DataArray, shape: Mapping[str, int]
) -> tuple[dict[str, float], dict[str, float]]:
    """Scale and translation of a stored lower-resolution level whose geometry is implicit.

    The factor per dim is the size ratio to level 0; pixels are taken to sit at the centre of
    the window they summarise (as every window-averaging pyramid does).
    """
    scale0, trans0 = image_scale(base), image_translation(base)
    scale, translation = {}, {}
    for d in scale0:
        ratio = base.sizes[d] / shape[d]
        f = round(ratio) if math.isclose(ratio, round(ratio), rel_tol=0.02) else ratio
        scale[d] = scale0[d] * f
        translation[d] = trans0[d] + (f - 1) * scale0[d] / 2
    return scale, translation


def _stem(path: str) -> str:
    name = pathlib.PurePath(path.rstrip("/")).name
    for suffix in (".ome.tiff", ".ome.tif", ".ome.zarr", *TIFF_SUFFIXES, ".zarr"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or "image"
    return pathlib.PurePath(name).stem or "image"


# -- TIFF ---------------------------------------------------------------------------------


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
    name = _stem(path)
    levels: list[xr.DataArray] = []
    for k in range(n_levels):
        handle = _TiffLevel(path, series, k)
        data = _lazy(handle, handle.chunks)
        if k == 0:
            levels.append(_build_image(data, dims, drop, scale, None, units, channel_names, name))
            continue
        kept = [n for i, n in enumerate(level_shapes[k]) if i not in drop]
        sizes = dict(zip(dims, kept, strict=True))
        lscale, ltrans = _level_geometry(levels[0], sizes)
        levels.append(
            _build_image(
                data, dims, drop, lscale, ltrans, image_units(levels[0]), channel_names, name
            )
        )
    notes = []
    if n_levels > 1:
        notes.append(f"{path}: {n_levels} stored resolution levels")
    return InputImage(levels, fmt, path, notes)


# -- imageio ------------------------------------------------------------------------------


def read_imageio(path: str | pathlib.Path, dims: Sequence[str] | None = None) -> InputImage:
    """Read a PNG, JPEG, BMP, GIF… with imageio (eagerly: these are single 2D images).

    RGB(A) pixels become a ``c`` dim named ``R, G, B(, A)``; several frames become ``t``.

    Examples
    --------
    >>> import numpy as np, imageio.v3 as iio, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "photo.png"
    >>> iio.imwrite(path, np.zeros((12, 16, 3), "uint8"))
    >>> src = read_imageio(path)
    >>> src.image.dims, src.image.shape, src.image.ngff.channel_names
    (('c', 'y', 'x'), (3, 12, 16), ['R', 'G', 'B'])
    """
    import imageio.v3 as iio

    path = str(path)
    try:
        data = np.asarray(iio.imread(path))
    except Exception as err:  # imageio raises many types; all mean "cannot read this file"
        raise InputError(f"cannot read {path!r} as an image: {err}", field="input") from err
    channel_names = None
    if dims is None:
        if data.ndim == 2:
            dims = ("y", "x")
        elif data.ndim == 3 and data.shape[-1] in (3, 4):
            dims = ("y", "x", "c")
            channel_names = list("RGBA"[: data.shape[-1]])
        elif data.ndim == 3:
            dims = ("t", "y", "x")
        elif data.ndim == 4 and data.shape[-1] in (3, 4):
            dims = ("t", "y", "x", "c")
            channel_names = list("RGBA"[: data.shape[-1]])
        else:
            raise InvalidDimsError(
                f"{path!r}: cannot guess dims for shape {data.shape}; pass dims=",
                field="dims",
            )
    image = _build_image(data, list(dims), channel_names=channel_names, name=_stem(path))
    return InputImage([image], "imageio", path)


# -- Zarr and OME-Zarr --------------------------------------------------------------------


def _zarr_dims(array: Any) -> list[str] | None:
    names = getattr(array.metadata, "dimension_names", None)
    if not names:
        names = array.attrs.get("_ARRAY_DIMENSIONS")
    if names and all(isinstance(n, str) and n in NGFF_DIMS for n in names):
        return list(names)
    return None


def _is_ome(attrs: Mapping[str, Any]) -> bool:
    body = attrs.get("ome", attrs)
    return isinstance(body, Mapping) and any(
        k in body for k in ("multiscales", "plate", "well", "bioformats2raw.layout")
    )


def read_zarr(
    store: str | pathlib.Path,
    dims: Sequence[str] | None = None,
    series: int = 0,
    storage_options: Mapping[str, Any] | None = None,
) -> InputImage:
    """Read a Zarr array, or an OME-Zarr image through :mod:`xarray_ngff.reader`.

    A bioformats2raw store picks image ``series``; an HCS plate is refused (convert its
    images one by one).

    Examples
    --------
    >>> import numpy as np, zarr, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "raw.zarr"
    >>> z = zarr.create_array(path, shape=(8, 10), dtype="uint8", dimension_names=("y", "x"))
    >>> src = read_zarr(path)
    >>> src.format, src.image.dims, src.image.shape
    ('zarr', ('y', 'x'), (8, 10))
    """
    import zarr

    source = str(store)
    try:
        if "://" not in source and source.lower().endswith((".zip", ".ozx")):
            node = zarr.open(zarr.storage.ZipStore(source, mode="r"), mode="r")  # an archive
        else:
            node = zarr.open(source, mode="r", storage_options=dict(storage_options or {}) or None)
    except Exception as err:  # zarr raises FileNotFoundError, KeyError, ValueError...
        raise InputError(f"cannot open {source!r} as Zarr: {err}", field="input") from err
    if isinstance(node, zarr.Array):
        if dims is None:
            dims = _zarr_dims(node) or list(NGFF_DIMS[-node.ndim :] if 2 <= node.ndim <= 5 else ())
        data = da.from_zarr(node)
        image = _build_image(data, list(dims), name=_stem(source))
        return InputImage([image], "zarr", source)
    attrs = dict(node.attrs)
    if not _is_ome(attrs):
        arrays = sorted(name for name, _ in node.arrays())
        hint = f"; its arrays are {arrays[:5]}" if arrays else ""
        raise UnsupportedInputError(
            f"{source!r} is a Zarr group without OME-NGFF metadata: point at an array "
            f"inside it{hint}",
            field="input",
        )
    body = attrs.get("ome", attrs)
    if "plate" in body or "well" in body:
        raise UnsupportedInputError(
            f"{source!r} is an HCS plate or well; convert one image at a time (e.g. "
            f"{source.rstrip('/')}/A/1/0)",
            field="input",
        )
    path = None
    if "bioformats2raw.layout" in body and "multiscales" not in body:
        path = str(series)
    from .reader import from_ngff_zarr

    location = f"{source.rstrip('/')}/{path}" if path else source
    tree = from_ngff_zarr(location, storage_options=storage_options)
    levels = [_to_ngff_order(level) for level in tree.ngff.levels]
    notes = [f"{location}: {len(levels)} stored resolution levels"] if len(levels) > 1 else []
    return InputImage(levels, "ome-zarr", location, notes)


# -- dispatch -----------------------------------------------------------------------------


def _looks_like_zarr(source: str) -> bool:
    if "://" in source:
        return True
    p = pathlib.Path(source)
    if p.suffix.lower() in (".zarr", ".zip", ".ozx"):
        return True
    return p.is_dir() and any(
        (p / m).exists() for m in ("zarr.json", ".zarray", ".zgroup", ".zattrs")
    )


def open_input(
    source: str | pathlib.Path,
    dims: Sequence[str] | None = None,
    series: int = 0,
    storage_options: Mapping[str, Any] | None = None,
) -> InputImage:
    """Open any supported input, choosing the reader from the path.

    Parameters
    ----------
    source
        A TIFF/OME-TIFF file, an image file imageio reads, a Zarr array, or an OME-Zarr (local
        path or fsspec URL).
    dims
        NGFF dim names, one per axis of the source array, to override the automatic choice.
    series
        The image of a multi-image TIFF or a bioformats2raw OME-Zarr.
    storage_options
        fsspec options for remote Zarr stores.

    Raises
    ------
    InputError
        Missing or unreadable input.
    UnsupportedInputError
        A format or layout ``convert`` cannot read.

    Examples
    --------
    >>> open_input("no/such/file.tif")
    Traceback (most recent call last):
    ...
    xarray_ngff.errors.InputError: input 'no/such/file.tif' does not exist (field='input')
    """
    source = str(source)
    if "://" not in source and not pathlib.Path(source).exists():
        raise InputError(f"input {source!r} does not exist", field="input")
    if _looks_like_zarr(source):
        return read_zarr(source, dims, series, storage_options)
    if source.lower().endswith(TIFF_SUFFIXES):
        return read_tiff(source, dims, series)
    if pathlib.Path(source).is_dir():
        raise UnsupportedInputError(
            f"{source!r} is a directory but not a Zarr store", field="input"
        )
    return read_imageio(source, dims)


# -- reshaping inputs ---------------------------------------------------------------------


def relabel(
    levels: Sequence[xr.DataArray],
    scale: Mapping[str, float] | None = None,
    translation: Mapping[str, float] | None = None,
    units: Mapping[str, str] | None = None,
    name: str | None = None,
    channel_names: Sequence[str] | None = None,
) -> list[xr.DataArray]:
    """Override the geometry of level 0 and carry it through every level.

    Each lower level keeps its position relative to level 0: with level-0 spacing changed
    from ``s`` to ``s'`` and origin from ``t`` to ``t'``, a level with spacing ``S`` and
    origin ``T`` gets ``S * s'/s`` and ``t' + (T - t) * s'/s``.

    Examples
    --------
    >>> import numpy as np, xarray_ngff as xn
    >>> levels = xn.to_multiscales(np.zeros((8, 8)), scale_factors=[2]).ngff.levels
    >>> new = relabel(levels, scale={"x": 0.5}, units={"x": "um"})
    >>> [lvl.ngff.scale["x"] for lvl in new], [lvl.ngff.translation["x"] for lvl in new]
    ([0.5, 1.0], [0.0, 0.25])
    """
    scale, translation, units = dict(scale or {}), dict(translation or {}), dict(units or {})
    base = levels[0]
    dims = [str(d) for d in base.dims]
    for arg, values in (("scale", scale), ("translation", translation), ("units", units)):
        unknown = [d for d in values if d not in dims]
        if unknown:
            raise InvalidDimsError(
                f"--{arg} names {unknown}, which are not dims of the image {tuple(dims)}",
                field=arg,
            )
    s0, t0 = image_scale(base), image_translation(base)
    new_s0 = {**s0, **scale}
    new_t0 = {**t0, **translation}
    out = []
    for level in levels:
        s, t = image_scale(level), image_translation(level)
        ratio = {d: new_s0[d] / s0[d] for d in s0 if d != "c"}
        out.append(
            to_ngff_image(
                level,
                scale={d: s[d] * ratio[d] for d in s if d in ratio},
                translation={d: new_t0[d] + (t[d] - t0[d]) * ratio[d] for d in t if d in ratio},
                axes_units={**{d: u for d, u in image_units(level).items() if u}, **units},
                name=name or str(level.name or "image"),
                channel_names=channel_names
                if channel_names is not None
                else image_channel_names(level),
            )
        )
    return out


def levels_to_multiscales(levels: Sequence[xr.DataArray], chunks: Any = None) -> xr.DataTree:
    """A multiscales DataTree (as :func:`~xarray_ngff.to_multiscales` builds) from levels that
    already exist, e.g. the sub-resolutions stored in an OME-TIFF; nothing is recomputed.

    Parameters
    ----------
    levels
        NGFF images with the same dims, finest first.
    chunks
        Dask chunks for every level (see :func:`xarray_ngff.pyramid.normalize_chunks`).

    Examples
    --------
    >>> import numpy as np, xarray_ngff as xn
    >>> img = xn.to_ngff_image(np.zeros((8, 8)))
    >>> half = xn.to_ngff_image(np.zeros((4, 4)), scale={"y": 2.0, "x": 2.0},
    ...                         translation={"y": 0.5, "x": 0.5})
    >>> ms = levels_to_multiscales([img, half], chunks=4)
    >>> ms.ngff.metadata.datasets[1].scale, ms["scale1"]["image"].chunks
    ((2.0, 2.0), ((4,), (4,)))
    """
    from .pyramid import multiscales_tree, normalize_chunks

    name = str(levels[0].name or "image")
    dims = [str(d) for d in levels[0].dims]
    sizes = normalize_chunks(chunks, dims)
    rechunked = []
    for k, level in enumerate(levels):
        if [str(d) for d in level.dims] != dims:
            raise InvalidDimsError(
                f"level {k} has dims {level.dims}, level 0 has {tuple(dims)}", field="levels"
            )
        target = tuple(min(sizes[d], level.sizes[d]) for d in dims)
        rechunked.append(level.copy(data=level.data.rechunk(target)))
    return multiscales_tree(rechunked, name)


def check_dims_arg(dims: Sequence[str] | None) -> list[str] | None:
    """Validate a ``--dims`` value early (names only; the count is checked against the data).

    Examples
    --------
    >>> check_dims_arg(["c", "y", "x"])
    ['c', 'y', 'x']
    """
    if dims is None:
        return None
    bad = [d for d in dims if d not in NGFF_DIMS]
    if bad:
        raise InvalidDimsError(
            f"dims={list(dims)!r} has names outside the NGFF axes {NGFF_DIMS}: {bad}",
            field="dims",
        )
    return list(dims)
