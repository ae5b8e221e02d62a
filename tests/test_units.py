"""NGFF unit vocabulary and pint."""

import pytest

from xarray_ngff._units import SPACE_UNITS, TIME_UNITS, normalize_unit, to_pint, unit_kind
from xarray_ngff.errors import UnitWarning


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("micrometer", "micrometer"),
        ("um", "micrometer"),
        ("µm", "micrometer"),
        ("\u03bcm", "micrometer"),
        ("micron", "micrometer"),
        ("microns", "micrometer"),
        ("Micrometers", "micrometer"),
        ("nm", "nanometer"),
        ("mm", "millimeter"),
        ("\u00c5", "angstrom"),
        ("\u212b", "angstrom"),
        ("s", "second"),
        ("sec", "second"),
        ("ms", "millisecond"),
        ("us", "microsecond"),
        ("min", "minute"),
        ("h", "hour"),
        ("ns", "nanosecond"),
    ],
)
def test_common_spellings_normalise(given, expected):
    assert normalize_unit(given) == expected


def test_empty_is_none():
    assert normalize_unit(None) is None
    assert normalize_unit("") is None


def test_unknown_warns_and_is_kept():
    with pytest.warns(UnitWarning, match="not in the OME-NGFF vocabulary"):
        assert normalize_unit("pixel") == "pixel"
    with pytest.warns(UnitWarning):
        assert normalize_unit("kilogram") == "kilogram"  # pint knows it, NGFF does not


def test_every_ngff_unit_is_understood_by_pint():
    for unit in sorted(SPACE_UNITS | TIME_UNITS):
        assert normalize_unit(unit) == unit
        dim = str(to_pint(unit).dimensionality)
        assert dim == ("[length]" if unit in SPACE_UNITS else "[time]"), unit


def test_unit_kind():
    assert unit_kind("meter") == "space"
    assert unit_kind("day") == "time"
    assert unit_kind("furlong") is None
