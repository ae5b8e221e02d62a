"""The ome-zarr-models adapter: one document judged by the models of its version.

ome-zarr-models (and its pydantic) come with the ``validate`` and ``cli`` extras and are
imported when a document is first judged. Which versions the models cover, and under which
subpackage, is the version table's ``models`` field.

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

import importlib
from collections.abc import Mapping
from typing import Any

from .._metadata.versions import VERSIONS
from ..errors import NgffError
from ._problem import field_of

__all__ = ["model_rules", "model_versions"]

# validation kind -> (module of the version's subpackage, attributes model)
_MODELS = {
    "image": ("image", "ImageAttrs"),
    "label": ("image_label", "ImageLabelAttrs"),
    "labels": ("labels", "LabelsAttrs"),
    "plate": ("hcs", "HCSAttrs"),
    "well": ("well", "WellAttrs"),
    "bioformats2raw": ("bioformats2raw", "BioFormats2RawAttrs"),
}


def model_versions() -> tuple[str, ...]:
    """The versions ome-zarr-models judges (those with a ``models`` subpackage)."""
    return tuple(v.version for v in VERSIONS.values() if v.models is not None)


def _model(version: str, kind: str) -> Any:
    module, name = _MODELS[kind]
    try:
        import pydantic  # noqa: F401 - ome-zarr-models' own dependency, checked first

        found = importlib.import_module(f"ome_zarr_models.{VERSIONS[version].models}.{module}")
    except ImportError as err:
        raise NgffError(
            f"validating OME-NGFF {'/'.join(model_versions())} needs ome-zarr-models (and its "
            "pydantic), which the 'cli' and 'validate' extras install: python3 -m pip install "
            f"'.[cli]' from a clone (missing: {err.name})"
        ) from err
    return getattr(found, name)


def model_rules(attrs: Mapping[str, Any], version: str, kind: str) -> list[tuple[str, str]]:
    """(field, message) pairs of the models of ``version`` for a document of ``kind``; fields
    under the ``ome`` envelope are prefixed ``ome.``."""
    model = _model(version, kind)
    import pydantic

    document: Any = attrs
    prefix = ""
    if VERSIONS[version].envelope:
        document = attrs.get("ome")
        prefix = "ome."
        if not isinstance(document, Mapping):
            return [("ome", f"{version} metadata must be under the 'ome' key")]
    try:
        model.model_validate(dict(document))
    except pydantic.ValidationError as err:
        return [(prefix + field_of(e["loc"]), e["msg"]) for e in err.errors()]
    return []
