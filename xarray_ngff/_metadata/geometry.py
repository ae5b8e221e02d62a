"""Per-level geometry of a multiscale image: the one place that turns the model into numbers.

The reader, ``xarray-ngff info`` and the validator all call :func:`level_geometry`, so the
coordinates a user gets, the figures ``info`` prints and what the validator judges agree.

Transform lists compose in the order listed (NGFF: a list of transforms is applied first to
last), so ``[translation t, scale s]`` maps index ``i`` to ``s * (i + t)``: translation ``s*t``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from .model import Multiscale

__all__ = ["compose_axis_aligned", "integer_factor", "level_geometry"]


def compose_axis_aligned(
    steps: Iterable[tuple[str, Sequence[float]]],
) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    """Compose ``("scale", v)`` / ``("translation", v)`` steps, first applied first.

    Returns ``(scale, translation)`` of the map ``x -> scale * x + translation``; each is
    ``None`` when no step of that kind occurred (a translation moved by a later scale is
    reported, since it is not the listed value any more).

    Examples
    --------
    >>> compose_axis_aligned([("translation", [10.0]), ("scale", [2.0])])
    ((2.0,), (20.0,))
    >>> compose_axis_aligned([("scale", [2.0]), ("translation", [10.0])])
    ((2.0,), (10.0,))
    """
    scale: list[float] | None = None
    translation: list[float] | None = None
    for kind, values in steps:
        v = [float(x) for x in values]
        if kind == "scale":
            scale = v if scale is None else [a * b for a, b in zip(scale, v, strict=True)]
            if translation is not None:
                translation = [t * s for t, s in zip(translation, v, strict=True)]
        elif kind == "translation":
            translation = (
                v if translation is None else [a + b for a, b in zip(translation, v, strict=True)]
            )
        else:  # pragma: no cover - callers pass only the two kinds
            raise ValueError(f"not an axis-aligned step: {kind!r}")
    return (
        tuple(scale) if scale is not None else None,
        tuple(translation) if translation is not None else None,
    )


def integer_factor(n0: int, nk: int) -> float:
    """The downsampling factor of a level of ``nk`` samples under ``n0`` (0.1–0.3 stores).

    Rounded to the integer factor when ``n0 // f == nk`` or ``ceil(n0 / f) == nk`` (early
    writers subsampled with ``[::f]``), otherwise the plain ratio.

    Examples
    --------
    >>> integer_factor(5, 3), integer_factor(8, 4), integer_factor(10, 3)
    (2.0, 2.0, 3.0)
    """
    if nk <= 0:
        return 1.0
    f = max(1, round(n0 / nk))
    if n0 // f == nk or math.ceil(n0 / f) == nk:
        return float(f)
    return n0 / nk


def level_geometry(
    ms: Multiscale, k: int, shapes: Sequence[Sequence[int] | None]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(scale, translation)`` of level ``k``, per axis, multiscales-level transform included.

    ``shapes`` are the level array shapes (needed only for 0.1–0.3 levels, which carry no
    transform: their spacing follows from the shape ratio to level 0). The multiscales-level
    transform is applied after the dataset's own.

    Examples
    --------
    >>> from xarray_ngff._metadata.model import Axis, Dataset
    >>> ms = Multiscale((Axis("x", "space"),), (Dataset("0"), Dataset("1")))
    >>> level_geometry(ms, 1, [(5,), (3,)])
    ((2.0,), (0.0,))
    >>> ms = Multiscale((Axis("x", "space"),), (Dataset("0", (2.0,), (1.0,)),),
    ...                 scale=(3.0,), translation=(5.0,))
    >>> level_geometry(ms, 0, [(4,)])
    ((6.0,), (8.0,))
    """
    n = len(ms.axes)
    ds = ms.datasets[k]
    if ds.scale is None and ds.translation is None:
        first, this = shapes[0], shapes[k]
        if first is None or this is None:
            scale: tuple[float, ...] = (1.0,) * n
        else:
            scale = tuple(integer_factor(a, b) for a, b in zip(first, this, strict=True))
        translation: tuple[float, ...] = (0.0,) * n
    else:
        scale = ds.scale if ds.scale is not None else (1.0,) * n
        translation = ds.translation if ds.translation is not None else (0.0,) * n
    if ms.scale is not None:
        translation = tuple(s * t for s, t in zip(ms.scale, translation, strict=True))
        scale = tuple(a * b for a, b in zip(ms.scale, scale, strict=True))
    if ms.translation is not None:
        translation = tuple(a + b for a, b in zip(translation, ms.translation, strict=True))
    return scale, translation
