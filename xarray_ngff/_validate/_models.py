"""The validator's use of the ome-zarr-models adapter (:mod:`xarray_ngff._metadata.models`):
whole group attributes judged by the models of their version, fields as the validator names them.

Without ome-zarr-models the validator refuses to run (it would judge 0.4/0.5 by less than it
says); the plate rules, which share the adapter, skip it instead.

Examples
--------
>>> model_versions()
('0.4', '0.5')
>>> axes = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
>>> [field for field, _ in model_rules({"multiscales": [{"axes": axes, "datasets": []}]},
...                                     "0.4", "image")]
['multiscales[0].datasets']
>>> model_rules({"multiscales": []}, "0.5", "image")
[('ome', "0.5 metadata must be under the 'ome' key")]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._metadata.models import missing_models, model_class, model_errors, model_versions
from .._metadata.versions import VERSIONS
from ._problem import field_of

__all__ = ["model_rules", "model_versions"]


def model_rules(attrs: Mapping[str, Any], version: str, kind: str) -> list[tuple[str, str]]:
    """(field, message) pairs of the models of ``version`` for a document of ``kind``; fields
    under the ``ome`` envelope are prefixed ``ome.``."""
    try:
        model = model_class(version, kind)
    except ImportError as err:
        raise missing_models(err) from err
    document: Any = attrs
    prefix = ""
    if VERSIONS[version].envelope:
        document = attrs.get("ome")
        prefix = "ome."
        if not isinstance(document, Mapping):
            return [("ome", f"{version} metadata must be under the 'ome' key")]
    return [(prefix + field_of(loc), msg) for loc, msg in model_errors(model, document)]
