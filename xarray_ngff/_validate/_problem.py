"""A problem as a value (path, field, message), the collector the store walker fills, and the
one way a location inside a document becomes a field name.

Problems stay values through the validator; :meth:`Problem.text` makes them text at the edges
(:func:`~xarray_ngff._validate.validate_store`, the CLI, ``ValidationError``).

Examples
--------
>>> field_of(("multiscales", 0, "datasets", 1, "path"))
'multiscales[0].datasets[1].path'
>>> field_of(())
'attributes'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Problem", "Problems", "field_of"]


@dataclass(frozen=True)
class Problem:
    """One problem of a store: the node ``path``, the metadata ``field`` and the ``message``.

    A value; :meth:`text` formats it at the edges (CLI, exception messages).

    Examples
    --------
    >>> p = Problem("A/1", "well.images", "must be a non-empty list")
    >>> p.text("plate.zarr")
    'plate.zarr:/A/1: well.images: must be a non-empty list'
    >>> p.text()
    'A/1: well.images: must be a non-empty list'
    """

    path: str
    field: str
    message: str

    def text(self, store: str | None = None) -> str:
        """``"<store>:/<path>: <field>: <message>"``, or ``"<path>: ..."`` without a store."""
        path = self.path.strip("/")
        where = f"{store}:/{path}" if store is not None else (path or "/")
        return f"{where}: {self.field}: {self.message}"


class Problems:
    """Collects the :class:`Problem` values of one store, in the order they are found.

    Examples
    --------
    >>> found = Problems("s.zarr")
    >>> found.add("/A/1/", "well", "required object")
    >>> found.items
    [Problem(path='A/1', field='well', message='required object')]
    """

    def __init__(self, store: str) -> None:
        self.store = store
        self.items: list[Problem] = []

    def add(self, path: str, field: str, message: str) -> None:
        self.items.append(Problem(path.strip("/"), field, message))


def field_of(loc: Iterable[str | int]) -> str:
    """The field name of a location in a document (keys and list indices), as the validator
    writes fields: ``a.b[0].c``; the empty location is the whole ``attributes``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "attributes"
