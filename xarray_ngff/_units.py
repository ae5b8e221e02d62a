"""NGFF unit vocabulary and its mapping to pint.

OME-NGFF axes carry UDUNITS-2 long names (``"micrometer"``, ``"millisecond"``). Users type
``"um"``, ``"µm"``, ``"micron"`` or ``"ms"``; :func:`normalize_unit` turns those into the NGFF
spelling. Units outside the vocabulary warn (:class:`~xarray_ngff.errors.UnitWarning`) and are
kept unchanged, so no information is dropped.
"""

from __future__ import annotations

import functools

from ._warn import emit_user_level_warning
from .errors import UnitWarning

__all__ = ["SPACE_UNITS", "TIME_UNITS", "normalize_unit", "unit_kind", "to_pint"]

SPACE_UNITS = frozenset(
    """angstrom attometer centimeter decimeter exameter femtometer foot gigameter hectometer
    inch kilometer megameter meter micrometer mile millimeter nanometer parsec petameter
    picometer terameter yard yoctometer yottameter zeptometer zettameter""".split()
)
TIME_UNITS = frozenset(
    """attosecond centisecond day decisecond exasecond femtosecond gigasecond hectosecond hour
    kilosecond megasecond microsecond millisecond minute nanosecond petasecond picosecond second
    terasecond yoctosecond yottasecond zeptosecond zettasecond""".split()
)

# Spellings pint does not resolve to the NGFF name on its own.
_ALIASES = {
    "micron": "micrometer",
    "microns": "micrometer",
    "um": "micrometer",
    "µm": "micrometer",
    "μm": "micrometer",
    "\u00c5": "angstrom",  # Latin capital A with ring
    "\u212b": "angstrom",  # the angstrom sign
    "sec": "second",
    "secs": "second",
    "min": "minute",
    "mins": "minute",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "d": "day",
    "us": "microsecond",
    "µs": "microsecond",
    "μs": "microsecond",
}


@functools.cache
def _registry():
    import pint

    return pint.UnitRegistry()


@functools.cache
def _normalize(unit: str) -> str | None:
    text = unit.strip()
    if text in SPACE_UNITS or text in TIME_UNITS:
        return text
    lowered = text.lower()
    if lowered in SPACE_UNITS or lowered in TIME_UNITS:
        return lowered
    if text in _ALIASES:
        return _ALIASES[text]
    if lowered.rstrip("s") in SPACE_UNITS | TIME_UNITS:  # plurals: "micrometers"
        return lowered.rstrip("s")
    try:
        name = str(_registry().parse_units(text))
    except Exception:  # pint raises many types for unparsable strings
        return None
    return name if name in SPACE_UNITS or name in TIME_UNITS else None


def normalize_unit(unit: str | None) -> str | None:
    """Return the NGFF (UDUNITS-2) spelling of ``unit``.

    Unknown units emit :class:`~xarray_ngff.errors.UnitWarning` and are returned unchanged.

    Examples
    --------
    >>> normalize_unit("µm")
    'micrometer'
    >>> normalize_unit("ms")
    'millisecond'
    >>> normalize_unit(None) is None
    True
    """
    if unit is None or unit == "":
        return None
    if not isinstance(unit, str):
        unit = str(unit)
    name = _normalize(unit)
    if name is None:
        emit_user_level_warning(
            f"unit {unit!r} is not in the OME-NGFF vocabulary; it is kept as given",
            UnitWarning,
        )
        return unit
    return name


def unit_kind(unit: str | None) -> str | None:
    """``"space"``, ``"time"`` or ``None`` for a normalised NGFF unit.

    Examples
    --------
    >>> unit_kind("micrometer"), unit_kind("second"), unit_kind("pixel")
    ('space', 'time', None)
    """
    if unit in SPACE_UNITS:
        return "space"
    if unit in TIME_UNITS:
        return "time"
    return None


def to_pint(unit: str):
    """The pint unit for an NGFF unit name.

    Examples
    --------
    >>> str(to_pint("micrometer"))
    'micrometer'
    """
    return _registry().parse_units(unit)
