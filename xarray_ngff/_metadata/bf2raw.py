"""Parse bioformats2raw collections: the ``bioformats2raw.layout`` root and its ``OME`` group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import MetadataError
from .parse import ome_attrs, path_list

__all__ = ["bf2raw_layout", "bf2raw_series"]

LAYOUT_KEY = "bioformats2raw.layout"


def bf2raw_layout(attrs: Mapping[str, Any], *, store=None, path=None) -> int | None:
    """The layout version of a bioformats2raw root, or ``None`` when it is not one.

    Examples
    --------
    >>> bf2raw_layout({"bioformats2raw.layout": 3}), bf2raw_layout({"multiscales": []})
    (3, None)
    """
    _, body = ome_attrs(attrs, store=store, path=path)
    layout = body.get(LAYOUT_KEY)
    if layout is None:
        return None
    if isinstance(layout, bool) or not isinstance(layout, int):
        raise MetadataError(
            f"{LAYOUT_KEY} must be an integer, got {layout!r}",
            store=store,
            path=path,
            field=LAYOUT_KEY,
        )
    return layout


def bf2raw_series(ome_group_attrs: Mapping[str, Any], *, store=None, path=None) -> list[str] | None:
    """The series paths listed by the ``OME`` group (``None`` when it lists none: then the
    series are the consecutive groups ``0``, ``1``, ...).

    Examples
    --------
    >>> bf2raw_series({"series": ["0", "1"]}), bf2raw_series({})
    (['0', '1'], None)
    """
    return path_list(ome_group_attrs, "series", "paths", store=store, path=path)
