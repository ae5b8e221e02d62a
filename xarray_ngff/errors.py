"""Exception and warning hierarchy.

Every error raised on purpose by xarray-ngff derives from :class:`NgffError`, which also
subclasses :class:`ValueError` so that ``except ValueError`` keeps working for callers that do
not know this package. Errors about a store carry the store, the path inside it and the
offending metadata field, and print them in the message.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "NgffError",
    "InvalidDimsError",
    "InvalidGeometryError",
    "InvalidScaleFactorsError",
    "InvalidMethodError",
    "InvalidChunksError",
    "MetadataError",
    "NotOmeZarrError",
    "UnsupportedVersionError",
    "MissingArrayError",
    "StoreError",
    "ValidationError",
    "WriteError",
    "StoreExistsError",
    "PlateError",
    "NgffWarning",
    "UnitWarning",
    "InputError",
    "UnsupportedInputError",
]


class NgffError(ValueError):
    """Root of all xarray-ngff errors.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    store, path, field
        Where: the store (path or URL), the node path inside it and the metadata field.
        Each is appended to the message when given.

    Examples
    --------
    >>> err = NgffError("scale must be positive", store="a.ome.zarr", path="0", field="scale")
    >>> str(err)
    "scale must be positive (store='a.ome.zarr', path='0', field='scale')"
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(
        self,
        message: str,
        *,
        store: object | None = None,
        path: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.store = None if store is None else str(store)
        self.path = path
        self.field = field
        where = [
            f"{k}={v!r}"
            for k, v in (("store", self.store), ("path", path), ("field", field))
            if v is not None
        ]
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


class InvalidDimsError(NgffError):
    """Dimension names that NGFF cannot express (unknown, duplicated, wrong count or order)."""


class InvalidGeometryError(NgffError):
    """Scale, translation or coordinates that do not describe a regular NGFF grid."""


class InvalidScaleFactorsError(NgffError):
    """A pyramid scale-factor ladder that cannot be built."""


class InvalidMethodError(NgffError):
    """An unknown downsampling method."""


class InvalidChunksError(NgffError):
    """Chunk or shard shapes that do not fit the image."""


class MetadataError(NgffError):
    """OME-NGFF metadata that cannot be parsed."""


class NotOmeZarrError(MetadataError):
    """The location holds no OME-NGFF metadata (or no Zarr at all)."""


class UnsupportedVersionError(MetadataError):
    """An OME-NGFF version this package does not read or write."""


class MissingArrayError(MetadataError):
    """Metadata names an array that is not in the store."""


class StoreError(NgffError):
    """The store cannot be opened or read (I/O, network, permissions)."""


class ValidationError(NgffError):
    """Metadata violates the specification; ``problems`` lists every violation found.

    Examples
    --------
    >>> err = ValidationError(["a: missing", "b: wrong"], store="x.zarr")
    >>> err.problems
    ['a: missing', 'b: wrong']
    """

    def __init__(
        self, problems: list[str], *, store: object | None = None, path: str | None = None
    ):
        self.problems = list(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) found:\n{listing}\n", store=store, path=path
        )


class WriteError(NgffError):
    """A write that was refused or failed."""


class StoreExistsError(WriteError):
    """The target exists and the mode forbids replacing it, or it is not a Zarr hierarchy."""


class PlateError(NgffError):
    """HCS plate or well problems (unknown well, field, acquisition)."""


class NgffWarning(UserWarning):
    """Base warning of xarray-ngff."""


class UnitWarning(NgffWarning):
    """A unit outside the NGFF vocabulary; it is kept as given."""


class InputError(NgffError):
    """An input file or store that is missing or cannot be read (command line ``convert``)."""


class UnsupportedInputError(InputError):
    """An input whose format or layout ``convert`` cannot read."""


# -- quoting values in messages ---------------------------------------------------------------


def json_type(value: Any) -> str:
    """The JSON type name of a parsed JSON value (``"string"``, ``"array"``, …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def json_value(value: Any) -> str:
    """A value as JSON with its JSON type, for messages.

    Examples
    --------
    >>> json_value("2"), json_value([3]), json_value(None)
    ('"2" (a string)', '[3] (an array)', 'null (a null)')
    """
    kind = json_type(value)
    article = "an" if kind[0] in "aeiou" else "a"
    text = json.dumps(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({article} {kind})"
