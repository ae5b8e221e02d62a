"""Reprs that print like ngff-zarr's documentation: nested dataclasses one field a line.

A class lists in ``_shown`` the fields its repr always prints (ngff-zarr's documented ones);
any other field is printed only when it differs from its default, so an image with channel
names says so while a plain one prints exactly as the seed document shows.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

_WIDTH = 60


def _is_node(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _has_nodes(value: Any) -> bool:
    if _is_node(value):
        return True
    return isinstance(value, list | tuple) and any(_is_node(v) for v in value)


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _visible(obj: Any) -> list[tuple[str, Any]]:
    shown = getattr(obj, "_shown", None)
    out = []
    for f in dataclasses.fields(obj):
        if not f.repr:
            continue
        value = getattr(obj, f.name)
        if shown is None or f.name in shown or value != _default(f):
            out.append((f.name, value))
    return out


def pretty(value: Any, indent: int = 0) -> str:
    """The repr of ``value``, nested dataclasses and lists of them spread over lines.

    Examples
    --------
    >>> from xarray_ngff.compat import Scale
    >>> pretty([Scale([1.0, 2.0])])
    "[\\n    Scale(scale=[1.0, 2.0], type='scale')\\n]"
    """
    pad = " " * (indent + 4)
    if isinstance(value, list | tuple) and _has_nodes(value):
        inner = ",\n".join(pad + pretty(v, indent + 4) for v in value)
        return f"[\n{inner}\n{' ' * indent}]"
    if not _is_node(value):
        return repr(value)
    items = _visible(value)
    name = type(value).__name__
    flat = f"{name}({', '.join(f'{k}={v!r}' for k, v in items)})"
    if not any(_has_nodes(v) for _, v in items) and indent + len(flat) <= _WIDTH:
        return flat
    body = ",\n".join(f"{pad}{k}={pretty(v, indent + 4)}" for k, v in items)
    return f"{name}(\n{body}\n{' ' * indent})"


class Pretty:
    """Mixin: ``repr`` and ``str`` through :func:`pretty`."""

    _shown: ClassVar[tuple[str, ...] | None] = None

    def __repr__(self) -> str:
        return pretty(self)
