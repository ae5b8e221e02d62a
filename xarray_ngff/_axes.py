"""Axes by type, names kept: the dims a store's axes get, and the names they are written with.

NGFF lets axes have any names (iohub writes ``T, C, Z, Y, X``); the DataArray always gets the
dims ``t, c, z, y, x`` so that every function of the package (geometry, pyramids, writers,
``sel(c="DAPI")``) works the same for every store. The rule, applied by the reader:

1. an axis whose name, lower-cased, is one of ``t, c, z, y, x`` and whose type agrees (or is
   absent) gets that dim (``T`` -> ``t``, ``Y`` -> ``y``);
2. the remaining axes of type ``time``, ``channel`` and ``space`` get the free dims of their
   type in NGFF order (``t``; ``c``; ``z, y, x`` for space axes in the order they are listed);
3. nothing is renamed when the axes cannot be mapped that way (more than one time or channel
   axis, more than three space axes); axes of other types always keep their names.

Original names are kept in the DataArray's ``attrs["ngff_axis_names"]`` (dim -> stored name,
only for renamed dims) and written back by the writers, in the array ``dimension_names`` and
the ``multiscales`` axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import InvalidDimsError

__all__ = ["AXIS_NAMES_ATTR", "dims_for_axes", "stored_axis_names"]

AXIS_NAMES_ATTR = "ngff_axis_names"
_BY_TYPE = {"time": ("t",), "channel": ("c",), "space": ("z", "y", "x")}
_TYPE_OF = {d: kind for kind, dims in _BY_TYPE.items() for d in dims}


def dims_for_axes(axes: Sequence[tuple[str, str | None]]) -> dict[str, str]:
    """Stored axis name -> DataArray dim, for the axes that are renamed (see the module).

    Examples
    --------
    >>> dims_for_axes([("T", "time"), ("C", "channel"), ("Z", "space"), ("Y", "space"),
    ...                ("X", "space")])
    {'T': 't', 'C': 'c', 'Z': 'z', 'Y': 'y', 'X': 'x'}
    >>> dims_for_axes([("row", "space"), ("col", "space")])
    {'row': 'y', 'col': 'x'}
    >>> dims_for_axes([("y", "space"), ("x", "space")])
    {}
    >>> dims_for_axes([("a", "space"), ("b", "space"), ("d", "space"), ("e", "space")])
    {}
    """
    kinds = [kind for _, kind in axes]
    if kinds.count("time") > 1 or kinds.count("channel") > 1 or kinds.count("space") > 3:
        return {}
    taken: dict[str, str] = {}
    for name, kind in axes:
        low = name.lower()
        if low in _TYPE_OF and kind in (None, _TYPE_OF[low]) and low not in taken.values():
            taken[name] = low
    for name, kind in axes:
        if name in taken or kind not in _BY_TYPE:
            continue
        free = [d for d in _BY_TYPE[kind] if d not in taken.values()]
        n_left = sum(1 for m, k in axes if k == kind and m not in taken)
        # the last listed space axis is x: fill the free names from the end
        taken[name] = free[len(free) - n_left]
    names = [taken.get(n, n) for n, _ in axes]
    if len(set(names)) != len(names):  # an unmapped name collides with a mapped dim
        return {}
    return {n: d for n, d in taken.items() if n != d}


def stored_axis_names(obj: Any) -> dict[str, str]:
    """Dim -> the axis name to write, from ``attrs["ngff_axis_names"]`` (``{}`` when absent).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> img = xr.DataArray(np.zeros((2, 2)), dims=("y", "x"),
    ...                    attrs={"ngff_axis_names": {"y": "Y", "x": "X"}})
    >>> stored_axis_names(img)
    {'y': 'Y', 'x': 'X'}
    """
    raw = getattr(obj, "attrs", {}).get(AXIS_NAMES_ATTR)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in raw.items()
    ):
        raise InvalidDimsError(
            f"attrs[{AXIS_NAMES_ATTR!r}] must map dims to axis names (strings), got {raw!r}",
            field=AXIS_NAMES_ATTR,
        )
    dims = [str(d) for d in obj.dims]
    out = {k: v for k, v in raw.items() if k in dims}
    final = [out.get(d, d) for d in dims]
    if len(set(final)) != len(final):
        raise InvalidDimsError(
            f"attrs[{AXIS_NAMES_ATTR!r}]={dict(raw)!r} gives repeated axis names {final}",
            field=AXIS_NAMES_ATTR,
        )
    return out
