"""Reshaping what was read: new geometry for every level, levels as a multiscales tree,
early checks of a ``dims`` value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from .._image import (
    NGFF_DIMS,
    image_channel_names,
    image_scale,
    image_translation,
    image_units,
    to_ngff_image,
)
from ..errors import InvalidDimsError

__all__ = ["check_dims_arg", "levels_to_multiscales", "relabel"]


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
                f"{arg} names {unknown}, which are not dims of the image {tuple(dims)}",
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
        Dask chunks for every level (see :func:`xarray_ngff._pyramid.normalize_chunks`).

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
    from .._pyramid import multiscales_tree, normalize_chunks

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
    """Validate a ``dims`` value early (names only; the count is checked against the data).

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
