"""OMERO rendering metadata (``omero``): channel labels, colours and display windows.

The display window of each channel comes from quantiles of a *low-resolution* level that the
writer reads back from the store after every array is written, so it costs a few MiB of I/O
instead of another pass over level 0 (see :func:`choose_level`). When even the coarsest level
is larger than that (an image written without a pyramid), :func:`read_sample` reads an evenly
spread lattice of its stored chunks instead of the whole array, so memory and I/O stay bounded
whatever the image size.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import WriteError

__all__ = [
    "QUANTILES",
    "channel_colors",
    "choose_level",
    "compute_omero",
    "check_omero",
    "read_sample",
]

QUANTILES = (0.001, 0.999)
# Well-known fluorophores and stains, matched case-insensitively as name prefixes.
_NAMED_COLORS = {
    "dapi": "0000FF",
    "hoechst": "0000FF",
    "bfp": "0000FF",
    "gfp": "00FF00",
    "egfp": "00FF00",
    "fitc": "00FF00",
    "alexa488": "00FF00",
    "yfp": "FFFF00",
    "mcherry": "FF0000",
    "rfp": "FF0000",
    "tritc": "FF0000",
    "cy3": "FF8000",
    "cy5": "FF00FF",
}
_PALETTE = ("00FF00", "FF00FF", "00FFFF", "FFFF00", "FF0000", "0000FF", "FFFFFF")
_MAX_SAMPLE = 1 << 22  # elements read back for the windows (8 MiB of uint16)


def channel_colors(labels: Sequence[str]) -> list[str]:
    """Hex colours (``RRGGBB``) for channels: white for one channel, known fluorophores by
    name, otherwise a fixed palette.

    Examples
    --------
    >>> channel_colors(["only"])
    ['FFFFFF']
    >>> channel_colors(["DAPI", "GFP", "unknown"])
    ['0000FF', '00FF00', '00FFFF']
    """
    if len(labels) == 1:
        return ["FFFFFF"]
    out = []
    for i, label in enumerate(labels):
        key = "".join(ch for ch in str(label).lower() if ch.isalnum())
        named = next((c for k, c in _NAMED_COLORS.items() if key.startswith(k)), None)
        out.append(named or _PALETTE[i % len(_PALETTE)])
    return out


def choose_level(shapes: Sequence[Sequence[int]]) -> int:
    """Index of the finest level with at most ``2**22`` elements (else the coarsest).

    Examples
    --------
    >>> choose_level([(4096, 4096), (2048, 2048), (1024, 1024)])
    1
    >>> choose_level([(8192, 8192), (4096, 4096)])
    1
    """
    for k, shape in enumerate(shapes):
        if math.prod(shape) <= _MAX_SAMPLE:
            return k
    return len(shapes) - 1


def _lattice(
    shape: Sequence[int], chunks: Sequence[int], keep: int | None, budget: int
) -> list[range]:
    """Per dim, the indices of the chunks to read: every chunk, then every 2nd, 4th, ... chunk
    of the dim that has the most chunks left, until the chunks read hold at most ``budget``
    elements or one chunk per dim is left (dim ``keep``, the channels, is always read whole:
    its one index stands for all of it)."""
    counts = [math.ceil(n / c) for n, c in zip(shape, chunks, strict=True)]
    steps = [1] * len(shape)

    def picked() -> list[range]:
        # the channel dim is one "chunk": each chunk of the lattice is read with every channel
        return [
            range(1) if d == keep else range(counts[d] // 2 % steps[d], counts[d], steps[d])
            for d in range(len(shape))
        ]

    def size(sel: list[range]) -> int:
        return math.prod(
            shape[d] if d == keep else len(sel[d]) * min(chunks[d], shape[d])
            for d in range(len(shape))
        )

    sel = picked()
    while size(sel) > budget:
        free = [d for d in range(len(shape)) if d != keep and len(sel[d]) > 1]
        if not free:
            break
        d = max(free, key=lambda i: len(sel[i]))
        steps[d] *= 2
        sel = picked()
    return sel


def read_sample(array: Any, dims: Sequence[str], budget: int | None = None) -> np.ndarray:
    """The values of a stored level that the display windows are computed from, as an array
    of shape ``(channels, n)``: the whole level when it has at most ``budget`` elements, else
    a lattice of whole stored chunks spread evenly over the image (every channel of each;
    ``budget`` defaults to ``2**22`` elements),
    then, if one chunk alone is larger than the budget, every k-th pixel of those.

    ``array`` is anything with ``shape``, ``chunks`` and NumPy-style slicing (a zarr array).

    Examples
    --------
    >>> import zarr
    >>> z = zarr.create_array(zarr.storage.MemoryStore(), shape=(2, 64, 64), chunks=(1, 8, 8),
    ...                       dtype="uint16")
    >>> z[...] = np.arange(2 * 64 * 64).reshape(2, 64, 64)
    >>> read_sample(z, ("c", "y", "x")).shape  # small: all of it
    (2, 4096)
    >>> sample = read_sample(z, ("c", "y", "x"), budget=512)
    >>> sample.shape, bool(sample[0].min() < 2048 < sample[0].max())  # spread over the image
    ((2, 256), True)
    """
    budget = _MAX_SAMPLE if budget is None else budget
    dims = list(dims)
    keep = dims.index("c") if "c" in dims else None
    shape = tuple(array.shape)
    if math.prod(shape) <= budget:
        data = np.asarray(array[...])
    else:
        chunks = tuple(array.chunks)
        sel = _lattice(shape, chunks, keep, budget)
        per_chunk = math.prod(
            shape[d] if d == keep else min(chunks[d], shape[d]) for d in range(len(shape))
        )
        # one chunk over the budget: thin it by a stride on every non-channel dim
        stride = 1
        while per_chunk / stride ** (len(shape) - (keep is not None)) > budget:
            stride *= 2
        parts = []
        for index in itertools.product(*sel):
            region = tuple(
                slice(None)
                if d == keep
                else slice(i * chunks[d], min((i + 1) * chunks[d], shape[d]), stride)
                for d, i in enumerate(index)
            )
            block = np.asarray(array[region])
            block = np.moveaxis(block, keep, 0) if keep is not None else block[np.newaxis]
            parts.append(block.reshape(block.shape[0], -1))
        return np.concatenate(parts, axis=1)
    data = np.moveaxis(data, keep, 0) if keep is not None else data[np.newaxis]
    return data.reshape(data.shape[0], -1)


def _finite(v: float) -> float:
    return float(v) if math.isfinite(v) else 0.0


def compute_omero(
    data: np.ndarray,
    dims: Sequence[str],
    labels: Sequence[str],
    quantiles: tuple[float, float] = QUANTILES,
    *,
    z_size: int | None = None,
) -> dict[str, Any]:
    """``omero`` metadata from a (low-resolution) array in NGFF dim order, or from a
    ``(channels, n)`` sample (:func:`read_sample`, ``dims=("c", "x")``) with the level's
    ``z_size`` for the default plane.

    ``window.min``/``max`` is the dtype's range for integers (the slider range) and the data
    range for floats; ``start``/``end`` are the ``quantiles`` of each channel (NaN ignored).

    Examples
    --------
    >>> import numpy as np
    >>> data = np.stack([np.arange(1000, dtype="uint16"), np.full(1000, 7, "uint16")])
    >>> om = compute_omero(data.reshape(2, 10, 100), ("c", "y", "x"), ["DAPI", "GFP"])
    >>> [ch["color"] for ch in om["channels"]], om["channels"][0]["window"]
    (['0000FF', '00FF00'], {'min': 0.0, 'max': 65535.0, 'start': 0.999, 'end': 998.001})
    """
    dims = list(dims)
    arr = np.asarray(data)
    arr_z = arr.shape[dims.index("z")] if "z" in dims else 0
    if "c" in dims:
        arr = np.moveaxis(arr, dims.index("c"), 0)
    else:
        arr = arr[np.newaxis]
    arr = arr.reshape(arr.shape[0], -1)
    if arr.shape[0] != len(labels):
        raise WriteError(f"{len(labels)} channel labels for {arr.shape[0]} channels", field="omero")
    channels = []
    for label, color, values in zip(labels, channel_colors(labels), arr, strict=True):
        values = values[~np.isnan(values)] if values.dtype.kind == "f" else values
        if values.size:
            start, end = np.quantile(values, quantiles)
            lo, hi = values.min(), values.max()
        else:
            start = end = lo = hi = 0.0
        if arr.dtype.kind in "iu":
            info = np.iinfo(arr.dtype)
            lo, hi = info.min, info.max
        elif arr.dtype.kind == "b":
            lo, hi = 0, 1
        channels.append(
            {
                "active": True,
                "coefficient": 1.0,
                "color": color,
                "family": "linear",
                "inverted": False,
                "label": str(label),
                "window": {
                    "min": _finite(lo),
                    "max": _finite(hi),
                    "start": _finite(start),
                    "end": _finite(end),
                },
            }
        )
    z = dims.index("z") if "z" in dims else None
    rdefs = {
        "defaultT": 0,
        "defaultZ": z_size // 2 if z_size is not None else 0 if z is None else int(arr_z // 2),
        "model": "color" if len(channels) > 1 else "greyscale",
    }
    return {"channels": channels, "rdefs": rdefs}


def check_omero(omero: Any, n_channels: int, *, store: object | None = None) -> dict[str, Any]:
    """Check caller-supplied ``omero`` metadata: a mapping whose ``channels`` list has one
    entry per channel, each with a ``color`` and a ``window`` (what the schemas require).

    Examples
    --------
    >>> check_omero({"channels": []}, 1)
    Traceback (most recent call last):
    ...
    xarray_ngff.errors.WriteError: omero['channels'] has 0 entries for 1 channel(s) (field='omero')
    """
    if not isinstance(omero, Mapping) or not isinstance(omero.get("channels"), list):
        raise WriteError(
            "omero must be a mapping with a 'channels' list", store=store, field="omero"
        )
    channels = omero["channels"]
    if len(channels) != n_channels:
        raise WriteError(
            f"omero['channels'] has {len(channels)} entries for {n_channels} channel(s)",
            store=store,
            field="omero",
        )
    for i, ch in enumerate(channels):
        if not isinstance(ch, Mapping) or "color" not in ch or "window" not in ch:
            raise WriteError(
                f"omero['channels'][{i}] needs 'color' and 'window'", store=store, field="omero"
            )
        window = ch["window"]
        if not isinstance(window, Mapping) or not {"min", "max", "start", "end"} <= set(window):
            raise WriteError(
                f"omero['channels'][{i}]['window'] needs min, max, start and end",
                store=store,
                field="omero",
            )
    return dict(omero)
