"""Validate OME-Zarr stores and single metadata documents.

Stores (:func:`validate_store`, :func:`store_problems`)
    Walks the hierarchy (image, labels, bioformats2raw series, plate wells and fields) and
    reports *every* problem, each naming the store, the node path and the field: each
    document by the rules of its version, then the structural rules no schema can express.

Documents (:func:`validate_attrs`, :func:`validate_document`)
    One group's attributes with the runtime rules, or against the official JSON schemas in a
    local copy of the specification (``spec_dir``, never needed at run time).

Problems are :class:`Problem` values (path, field, message), made text only at the edges
(:func:`validate_store`, the CLI, :class:`~xarray_ngff.errors.ValidationError`).

The package has one job per module:

- :mod:`._problem`: the :class:`Problem` value, its collector, field names of locations;
- :mod:`._rules`: the validator's own rules (0.1–0.3 images, ``omero``, plate structure);
- :mod:`._models`: whole documents judged by ome-zarr-models (0.4/0.5), through the one
  adapter :mod:`xarray_ngff._metadata.models`;
- :mod:`._schema`: the JSON-schema check and :func:`validate_document`;
- :mod:`._v06`: the 0.6 rules (official schemas plus RFC-5 rules);
- :mod:`._document`: which rules judge a document (the version table decides), and
  :func:`validate_attrs`;
- :mod:`._walker`: the one store walker, on :mod:`~xarray_ngff._hierarchy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._store import open_store
from ..errors import ValidationError
from ._document import guess_kind as _guess_kind  # noqa: F401 - imported from here by tests
from ._document import validate_attrs
from ._problem import Problem
from ._schema import validate_document
from ._walker import store_problems

__all__ = [
    "Problem",
    "store_problems",
    "validate_store",
    "validate_attrs",
    "validate_document",
    "raise_for_problems",
]


def validate_store(store: Any, storage_options: Mapping[str, Any] | None = None) -> list[str]:
    """Every problem of an OME-Zarr store, each as ``"<store>:/<path>: <field>: <message>"``.

    An empty list means valid. Store errors (missing location, network) raise
    :class:`~xarray_ngff.errors.StoreError` instead: nothing could be checked.
    :func:`store_problems` gives the same problems as values.

    Examples
    --------
    >>> import tempfile, numpy as np, zarr
    >>> d = tempfile.mkdtemp() + "/bad.ome.zarr"
    >>> g = zarr.open_group(d, mode="w", zarr_format=2)
    >>> g.attrs["multiscales"] = [{"version": "0.3", "axes": ["x", "y"],
    ...                            "datasets": [{"path": "0"}, {"path": "1"}]}]
    >>> _ = g.create_array("0", data=np.zeros((4, 4), "u1"), chunks=(4, 4))
    >>> for problem in validate_store(d):
    ...     print(problem.replace(d, "STORE"))
    STORE:/: multiscales[0].axes: axes must follow the order t, c, z, y, x and end with y, x: ['x', 'y']
    STORE:/: multiscales[0].datasets[1].path: array '1' is not in the store
    """
    nstore = open_store(store, storage_options)
    return [p.text(nstore.name) for p in store_problems(nstore)]


def raise_for_problems(store: Any, storage_options: Mapping[str, Any] | None = None) -> None:
    """Raise :class:`~xarray_ngff.errors.ValidationError` listing every problem, if any."""
    nstore = open_store(store, storage_options)
    problems = validate_store(nstore)
    if problems:
        raise ValidationError(problems, store=nstore.name)
