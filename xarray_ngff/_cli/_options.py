"""Option values of the command line turned into Python values, and :class:`CliError`.

Per-dim values are written ``z=2,y=0.5,x=0.5``; a single value applies to every spatial dim.
Nothing here reads or writes a store: each function maps one option's text to the argument
of the library function the option mirrors.

Examples
--------
>>> parse_per_dim("z=2,y=0.5,x=0.5", float)
{'z': 2.0, 'y': 0.5, 'x': 0.5}
>>> parse_scale_factors("2,4"), parse_scale_factors("auto")
([2, 4], None)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from .._codecs import CODEC_NAMES as COMPRESSORS
from .._codecs import named_compressors
from ..errors import NgffError

__all__ = [
    "PROG",
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_ERROR",
    "COMPRESSORS",
    "CliError",
    "number",
    "parse_per_dim",
    "parse_dims",
    "parse_scale_factors",
    "parse_chunks",
    "parse_storage_options",
    "make_compressors",
]

PROG = "xarray-ngff"
EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


class CliError(NgffError):
    """A command-line option or combination of options that cannot work."""


def number(kind: Callable[[str], Any], text: str, option: str) -> Any:
    """``kind(text)``, or a :class:`CliError` naming ``option``."""
    try:
        return kind(text)
    except ValueError:
        raise CliError(f"{option}: {text!r} is not a valid {kind.__name__}") from None


def parse_per_dim(
    text: str | None,
    kind: Callable[[str], Any] = float,
    spatial: Sequence[str] | None = None,
    option: str = "value",
) -> dict[str, Any] | None:
    """Parse ``z=2,y=0.5`` into a dict; a bare value applies to every dim of ``spatial``.

    Examples
    --------
    >>> parse_per_dim("0.5", float, spatial=("y", "x"))
    {'y': 0.5, 'x': 0.5}
    >>> parse_per_dim("z=um,y=nm", str)
    {'z': 'um', 'y': 'nm'}
    >>> parse_per_dim("z2", float, option="--scale")
    Traceback (most recent call last):
    ...
    xarray_ngff._cli._options.CliError: --scale: 'z2' must be DIM=VALUE pairs separated by commas, or one value
    """
    if text is None:
        return None
    text = text.strip()
    if "=" not in text:
        if "," in text or spatial is None:
            raise CliError(
                f"{option}: {text!r} must be DIM=VALUE pairs separated by commas, or one value"
            )
        value = number(kind, text, option)
        return dict.fromkeys(spatial, value)
    out: dict[str, Any] = {}
    for item in text.split(","):
        dim, sep, value = item.partition("=")
        if not sep or not dim.strip() or not value.strip():
            raise CliError(f"{option}: {item!r} in {text!r} is not DIM=VALUE")
        out[dim.strip()] = number(kind, value.strip(), option)
    return out


def parse_dims(text: str | None) -> list[str] | None:
    """``"c,z,y,x"`` or ``"czyx"`` -> ``['c', 'z', 'y', 'x']``.

    Examples
    --------
    >>> parse_dims("tczyx"), parse_dims("y, x")
    (['t', 'c', 'z', 'y', 'x'], ['y', 'x'])
    """
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")] if "," in text else list(text.strip())
    return [p for p in parts if p]


def parse_scale_factors(text: str | None) -> list[Any] | None:
    """``--scale-factors``: ``auto`` (default), ``none`` (one level), ``2,4,8``, or JSON.

    Examples
    --------
    >>> parse_scale_factors("none")
    []
    >>> parse_scale_factors('[{"y": 2, "x": 2}, {"y": 4, "x": 4, "z": 2}]')[1]
    {'y': 4, 'x': 4, 'z': 2}
    """
    if text is None or text.strip().lower() == "auto":
        return None
    text = text.strip()
    if text.lower() in ("none", "1"):
        return []
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            raise CliError(f"--scale-factors: {text!r} is not valid JSON ({err.msg})") from None
        if not isinstance(value, list):
            raise CliError(f"--scale-factors: {text!r} must be a JSON list")
        return value
    return [number(int, part.strip(), "--scale-factors") for part in text.split(",")]


def parse_chunks(text: str | None, option: str = "--chunks") -> Any:
    """``--chunks`` / ``--chunks-per-shard``: ``64``, ``16,128,128`` or ``z=16,y=128``.

    Examples
    --------
    >>> parse_chunks("64"), parse_chunks("16,128,128"), parse_chunks("z=16")
    (64, (16, 128, 128), {'z': 16})
    """
    if text is None:
        return None
    text = text.strip()
    if "=" in text:
        return parse_per_dim(text, int, option=option)
    if "," in text:
        return tuple(number(int, p.strip(), option) for p in text.split(","))
    return number(int, text, option)


def make_compressors(spec: str | None, version: str) -> Any:
    """Zarr compressors for ``--compressor NAME[:LEVEL]`` in the codec family of ``version``.

    ``None`` keeps the writer's default; ``none`` writes uncompressed chunks. Version 0.4
    (Zarr v2) gets numcodecs codecs, 0.5 (Zarr v3) gets ``zarr.codecs``.

    Examples
    --------
    >>> make_compressors("zstd:5", "0.5")
    [ZstdCodec(level=5, checksum=False)]
    >>> make_compressors("none", "0.4")
    []
    >>> make_compressors("lzma", "0.5")
    Traceback (most recent call last):
    ...
    xarray_ngff._cli._options.CliError: --compressor: 'lzma' is unknown; choose one of zstd, blosc-zstd, blosc-lz4, gzip, none (optionally NAME:LEVEL)
    """
    if spec is None:
        return None
    name, _, level_text = spec.strip().lower().partition(":")
    if name not in COMPRESSORS:
        raise CliError(
            f"--compressor: {name!r} is unknown; choose one of {', '.join(COMPRESSORS)} "
            "(optionally NAME:LEVEL)"
        )
    if name == "none":
        return []
    level = number(int, level_text, "--compressor") if level_text else None
    return named_compressors(name, level, version)


def parse_storage_options(text: str | None) -> dict[str, Any] | None:
    """``--storage-options``: a JSON object of fsspec options."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise CliError(f"--storage-options: not valid JSON ({err.msg})") from None
    if not isinstance(value, dict):
        raise CliError("--storage-options must be a JSON object")
    return value
