"""Array-likes to labelled NGFF images, and geometry read back from coordinates.

An NGFF image is a plain :class:`xarray.DataArray`:

* dims are NGFF axis names from ``t, c, z, y, x`` (any order);
* every time and space dim has a float64 coordinate ``translation + scale * arange(n)`` with
  ``attrs["units"]`` (NGFF/UDUNITS-2 long name), the CF ``axis`` attribute and
  ``attrs["spacing"]``, the pixel spacing, kept so that a length-1 dim remembers it;
* the ``c`` dim carries the channel names as a string coordinate when they are known;
* ``name`` is the image name.

Geometry (scale, translation, units) is always derived from the coordinates, never from stale
attributes, so ``isel``/``sel`` with slices or steps keep it true.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from ._units import normalize_unit, unit_kind
from .errors import InvalidDimsError, InvalidGeometryError

__all__ = [
    "NGFF_DIMS",
    "SPATIAL_DIMS",
    "AXIS_TYPES",
    "to_ngff_image",
    "default_dims",
    "validate_dims",
    "ngff_order",
    "image_scale",
    "image_translation",
    "image_units",
    "image_channel_names",
    "image_axes",
    "check_regular_grid",
    "make_coords",
    "LEVEL_PREFIX",
    "level_name",
]

NGFF_DIMS = ("t", "c", "z", "y", "x")
SPATIAL_DIMS = ("z", "y", "x")
AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
_CF_AXIS = {"t": "T", "z": "Z", "y": "Y", "x": "X"}
#: prefix of a pyramid level's node in a tree (``scale0`` …); readers and builders share it
LEVEL_PREFIX = "scale"


def level_name(k: int) -> str:
    """Name of the tree node of level ``k``.

    Examples
    --------
    >>> level_name(0), level_name(3)
    ('scale0', 'scale3')
    """
    return f"{LEVEL_PREFIX}{k}"


def default_dims(ndim: int) -> tuple[str, ...]:
    """The seed's default dims for an array of ``ndim`` dimensions.

    Examples
    --------
    >>> default_dims(2), default_dims(4)
    (('y', 'x'), ('c', 'z', 'y', 'x'))
    """
    if not 2 <= ndim <= 5:
        raise InvalidDimsError(
            f"an NGFF image has 2 to 5 dimensions, got an array with {ndim}", field="dims"
        )
    return NGFF_DIMS[-ndim:]


def validate_dims(dims: Sequence[Hashable], ndim: int | None = None) -> tuple[str, ...]:
    """Check ``dims`` against the NGFF axis names and return them as a tuple.

    Raises :class:`~xarray_ngff.errors.InvalidDimsError` for unknown or duplicated names, a
    count that differs from ``ndim``, or an image without at least two spatial dims.

    Examples
    --------
    >>> validate_dims(["c", "y", "x"], 3)
    ('c', 'y', 'x')
    """
    dims = tuple(dims)
    if ndim is not None and len(dims) != ndim:
        raise InvalidDimsError(
            f"dims={list(dims)!r} has {len(dims)} names for an array with {ndim} dimensions",
            field="dims",
        )
    unknown = [d for d in dims if d not in NGFF_DIMS]
    if unknown:
        raise InvalidDimsError(
            f"dims={list(dims)!r} has names outside the NGFF axes {NGFF_DIMS}: {unknown}",
            field="dims",
        )
    dupes = sorted({d for d in dims if dims.count(d) > 1})
    if dupes:
        raise InvalidDimsError(f"dims={list(dims)!r} repeats {dupes}", field="dims")
    if sum(d in SPATIAL_DIMS for d in dims) < 2:
        raise InvalidDimsError(
            f"dims={list(dims)!r}: NGFF needs at least two spatial dims (y, x)", field="dims"
        )
    return dims  # type: ignore[return-value]


def ngff_order(dims: Sequence[Hashable]) -> tuple[str, ...]:
    """``dims`` sorted into the order NGFF requires (time, channel, space z-y-x).

    Examples
    --------
    >>> ngff_order(("x", "c", "y"))
    ('c', 'y', 'x')
    """
    return tuple(sorted(dims, key=NGFF_DIMS.index))  # type: ignore[arg-type]


class _View:
    """Read-only indexing proxy: dask's ``from_array`` copies anything with a ``copy`` method
    (a whole in-memory image!), so hand it an object without one; slices are views."""

    def __init__(self, array: Any) -> None:
        self._array = array
        self.shape = tuple(array.shape)
        self.dtype = array.dtype
        self.ndim = len(self.shape)

    def __getitem__(self, key):
        return self._array[key]


def _as_dask(data: Any) -> da.Array:
    """Wrap an array-like in dask without copying it."""
    if isinstance(data, da.Array):
        return data
    module = type(data).__module__.split(".")[0]
    if module == "torch":
        if getattr(data, "is_cuda", False):
            import cupy

            data = cupy.from_dlpack(data)
            module = "cupy"
        else:
            data = data.detach().numpy()  # zero-copy view on CPU
            module = "numpy"
    chunks = getattr(data, "chunks", None)
    if module == "zarr" and chunks is not None:
        return da.from_array(data, chunks=chunks)
    if module not in ("numpy", "cupy") and hasattr(data, "__dlpack__"):
        try:  # array-API objects on the CPU: a zero-copy NumPy view through DLPack
            data = np.from_dlpack(data)
            module = "numpy"
        except (BufferError, RuntimeError, TypeError):
            pass
    if not hasattr(data, "shape") or not hasattr(data, "dtype"):
        data = np.asarray(data)
    on_gpu = module == "cupy"
    meta = data[(slice(0, 0),) * data.ndim] if on_gpu else np.empty((0,) * data.ndim, data.dtype)
    return da.from_array(
        _View(data),
        chunks="auto",
        asarray=not on_gpu,
        meta=meta,
        name=f"array-{uuid.uuid4().hex}",  # tokenizing would hash every pixel; shows as "array"
    )


def _tidy(value: float, ref: float) -> float:
    """Round away float noise (``0.30000000000000004`` -> ``0.3``) relative to ``ref``."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    mag = max(abs(value), abs(ref))
    digits = 12 - math.ceil(math.log10(mag))
    return float(round(value, digits))


def _mapping(arg: Any, dims: tuple[str, ...], name: str) -> dict[str, Any]:
    if arg is None:
        return {}
    if not isinstance(arg, Mapping):
        raise InvalidGeometryError(
            f"{name} must be a mapping from dim name to value, got {arg!r}", field=name
        )
    unknown = [k for k in arg if k not in dims]
    if unknown:
        raise InvalidGeometryError(
            f"{name}={dict(arg)!r} names {unknown}, which are not dims of the image {dims}",
            field=name,
        )
    return dict(arg)


def make_coords(
    dims: Sequence[str],
    shape: Sequence[int],
    scale: Mapping[str, float],
    translation: Mapping[str, float],
    units: Mapping[str, str | None],
    channel_names: Sequence[str] | None = None,
) -> dict[str, xr.Variable]:
    """Coordinates of an NGFF image (no validation; see :func:`to_ngff_image`).

    Examples
    --------
    >>> c = make_coords(("y", "x"), (2, 3), {"x": 0.5}, {"x": 1.0}, {"x": "micrometer"})
    >>> c["x"].values.tolist(), c["x"].attrs["units"]
    ([1.0, 1.5, 2.0], 'micrometer')
    """
    coords: dict[str, xr.Variable] = {}
    for dim, n in zip(dims, shape, strict=True):
        if dim == "c":
            if channel_names is not None:
                coords["c"] = xr.Variable("c", np.asarray([str(c) for c in channel_names]))
            continue
        s = float(scale.get(dim, 1.0))
        t = float(translation.get(dim, 0.0))
        values = t + s * np.arange(n, dtype=np.float64)
        attrs: dict[str, Any] = {"spacing": s}
        if dim in _CF_AXIS:  # custom axis names (readers meet them) get no CF axis
            attrs["axis"] = _CF_AXIS[dim]
            attrs["long_name"] = "time" if dim == "t" else dim
        unit = units.get(dim)
        if unit:
            attrs["units"] = unit
        coords[dim] = xr.Variable(dim, values, attrs)
    return coords


def _check_positive_finite(values: Mapping[str, float], field: str, positive: bool) -> None:
    for dim, v in values.items():
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise InvalidGeometryError(
                f"{field}[{dim!r}]={v!r} is not a number", field=field
            ) from None
        if not math.isfinite(f) or (positive and f <= 0):
            need = "a positive finite number" if positive else "a finite number"
            raise InvalidGeometryError(f"{field}[{dim!r}]={v!r} must be {need}", field=field)


def to_ngff_image(
    data: Any,
    dims: Sequence[str] | None = None,
    scale: Mapping[str, float] | None = None,
    translation: Mapping[str, float] | None = None,
    name: str = "image",
    axes_units: Mapping[str, str] | None = None,
    channel_names: Sequence[str] | None = None,
) -> xr.DataArray:
    """Turn an array-like into a labelled NGFF image.

    Parameters
    ----------
    data
        numpy, dask, zarr, CuPy or torch arrays (wrapped lazily with dask, never copied), any
        object with ``shape``/``dtype``/``__array__``, or an :class:`xarray.DataArray`, whose data
        is kept; for a DataArray, arguments left as ``None`` are taken from its own dims and
        coordinates.
    dims
        NGFF axis names, any order. Default: the last ``ndim`` of ``t, c, z, y, x``.
    scale, translation
        Pixel spacing and the position of the first pixel's centre, per time/space dim.
        Missing dims get 1 and 0.
    name
        The image name (becomes ``DataArray.name``).
    axes_units
        Units per time/space dim; common spellings (``"um"``, ``"µm"``, ``"ms"``) are
        normalised to NGFF names.
    channel_names
        Names for the ``c`` dim, stored as its coordinate.

    Returns
    -------
    xarray.DataArray
        Dask-backed, with physical coordinates.

    Examples
    --------
    >>> import numpy as np
    >>> img = to_ngff_image(np.zeros((4, 6), "uint8"), scale={"y": 0.5, "x": 0.5},
    ...                     translation={"x": 10.0}, axes_units={"x": "um", "y": "um"})
    >>> img.dims, img.x.values[:3].tolist(), img.x.attrs["units"]
    (('y', 'x'), [10.0, 10.5, 11.0], 'micrometer')
    """
    existing: xr.DataArray | None = data if isinstance(data, xr.DataArray) else None
    if existing is not None:
        array = _as_dask(existing.data)
        if dims is None:
            dims = tuple(str(d) for d in existing.dims)
    else:
        array = _as_dask(data)
    dims = validate_dims(dims if dims is not None else default_dims(array.ndim), array.ndim)
    scale = _mapping(scale, dims, "scale")
    translation = _mapping(translation, dims, "translation")
    axes_units = _mapping(axes_units, dims, "axes_units")
    if existing is not None and set(existing.dims) == set(dims):
        # keep what the DataArray already knows unless an argument overrides it
        scale = {**image_scale(existing), **scale}
        translation = {**image_translation(existing), **translation}
        axes_units = {**image_units(existing), **axes_units}
        if channel_names is None:
            channel_names = image_channel_names(existing)
    for field, values, default in (("scale", scale, 1.0), ("translation", translation, 0.0)):
        if "c" in values:
            if float(values.pop("c")) != default:
                raise InvalidGeometryError(
                    f"{field} of the channel dim 'c' must be {default}: channels have no "
                    "physical spacing",
                    field=field,
                )
    _check_positive_finite(scale, "scale", positive=True)
    _check_positive_finite(translation, "translation", positive=False)
    units: dict[str, str | None] = {}
    for dim, unit in axes_units.items():
        if dim == "c":
            continue
        unit = normalize_unit(unit)
        expected = "time" if dim == "t" else "space"
        kind = unit_kind(unit)
        if kind is not None and kind != expected:
            raise InvalidGeometryError(
                f"axes_units[{dim!r}]={unit!r} is a {kind} unit but {dim!r} is a {expected} axis",
                field="axes_units",
            )
        units[dim] = unit
    if channel_names is not None:
        channel_names = [str(c) for c in channel_names]
        if "c" not in dims:
            raise InvalidDimsError(
                "channel_names given but the image has no 'c' dim", field="channel_names"
            )
        n_c = array.shape[dims.index("c")]
        if len(channel_names) != n_c:
            raise InvalidDimsError(
                f"channel_names has {len(channel_names)} names for {n_c} channels",
                field="channel_names",
            )
    coords = make_coords(dims, array.shape, scale, translation, units, channel_names)
    attrs = dict(existing.attrs) if existing is not None else {}
    return xr.DataArray(array, dims=dims, coords=coords, name=name, attrs=attrs)


# -- geometry read back from coordinates ---------------------------------------------------


def _coord_geometry(obj: xr.DataArray | xr.Dataset, dim: str) -> tuple[float, float]:
    if dim not in obj.coords:
        return 1.0, 0.0
    coord = obj.coords[dim]
    values = np.asarray(coord.values, dtype=np.float64)
    n = values.size
    if n >= 2:
        step = (values[-1] - values[0]) / (n - 1)
        return _tidy(step, step), _tidy(values[0], step)
    spacing = float(coord.attrs.get("spacing", 1.0))
    return spacing, (_tidy(values[0], spacing) if n else 0.0)


def _spatiotemporal(obj: xr.DataArray | xr.Dataset) -> list[str]:
    return [str(d) for d in obj.dims if d in NGFF_DIMS and d != "c"]


def image_scale(obj: xr.DataArray | xr.Dataset) -> dict[str, float]:
    """Pixel spacing per time/space dim, read from the coordinates.

    Examples
    --------
    >>> import numpy as np
    >>> img = to_ngff_image(np.zeros((4, 6)), scale={"x": 0.5})
    >>> image_scale(img.isel(x=slice(None, None, 2)))
    {'y': 1.0, 'x': 1.0}
    """
    return {d: _coord_geometry(obj, d)[0] for d in _spatiotemporal(obj)}


def image_translation(obj: xr.DataArray | xr.Dataset) -> dict[str, float]:
    """Position of the first pixel's centre per time/space dim, read from the coordinates.

    Examples
    --------
    >>> import numpy as np
    >>> img = to_ngff_image(np.zeros((4, 6)), scale={"x": 0.5})
    >>> image_translation(img.isel(x=slice(2, None)))
    {'y': 0.0, 'x': 1.0}
    """
    return {d: _coord_geometry(obj, d)[1] for d in _spatiotemporal(obj)}


def image_units(obj: xr.DataArray | xr.Dataset) -> dict[str, str | None]:
    """Units per time/space dim from the coordinates' ``units`` attribute (``None`` if absent)."""
    return {
        d: (obj.coords[d].attrs.get("units") if d in obj.coords else None)
        for d in _spatiotemporal(obj)
    }


def image_channel_names(obj: xr.DataArray | xr.Dataset) -> list[str] | None:
    """The ``c`` coordinate as a list of strings, or ``None``."""
    if "c" in obj.dims and "c" in obj.coords:
        return [str(v) for v in np.asarray(obj.coords["c"].values).tolist()]
    return None


def image_axes(obj: xr.DataArray | xr.Dataset, order: Sequence[str] | None = None) -> list[dict]:
    """NGFF axis objects (``name``, ``type``, ``unit`` when known) in ``order`` (default: dims).

    Examples
    --------
    >>> import numpy as np
    >>> image_axes(to_ngff_image(np.zeros((2, 4, 4)), dims=("c", "y", "x"),
    ...                          axes_units={"x": "nm", "y": "nm"}))[1]
    {'name': 'y', 'type': 'space', 'unit': 'nanometer'}
    """
    units = image_units(obj)
    axes = []
    for d in order or [str(d) for d in obj.dims if d in NGFF_DIMS]:
        axis = {"name": d, "type": AXIS_TYPES[d]}
        if units.get(d):
            axis["unit"] = units[d]
        if d in obj.coords and obj.coords[d].attrs.get("orientation") is not None:
            axis["orientation"] = obj.coords[d].attrs["orientation"]  # RFC-4
        axes.append(axis)
    return axes


def check_regular_grid(obj: xr.DataArray | xr.Dataset, where: str | None = None) -> None:
    """Raise :class:`~xarray_ngff.errors.InvalidGeometryError` unless every time/space
    coordinate is evenly spaced and increasing (what NGFF scale + translation can express)."""
    for dim in _spatiotemporal(obj):
        if dim not in obj.coords or obj.sizes[dim] < 2:
            continue
        values = np.asarray(obj.coords[dim].values, dtype=np.float64)
        steps = np.diff(values)
        step = (values[-1] - values[0]) / (values.size - 1)
        if not np.isfinite(step) or step <= 0:
            raise InvalidGeometryError(
                f"coordinate {dim!r} must increase (spacing {step!r})", path=where, field=dim
            )
        if not np.allclose(steps, step, rtol=1e-6, atol=0):
            raise InvalidGeometryError(
                f"coordinate {dim!r} is not evenly spaced (steps from {steps.min()!r} to "
                f"{steps.max()!r}); NGFF can only express a regular grid",
                path=where,
                field=dim,
            )
