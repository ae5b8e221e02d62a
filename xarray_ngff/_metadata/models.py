"""The one ome-zarr-models adapter: which model judges which document, and its verdict.

ome-zarr-models (and its pydantic) come with the ``validate`` and ``cli`` extras and are
imported when a document is first judged. Which versions the models cover, and under which
subpackage, is the version table's ``models`` field. The validator
(:mod:`xarray_ngff._validate._models`) judges whole group attributes and refuses to run without
the models; the plate rules (:mod:`~xarray_ngff._metadata.plate_rules`) judge the ``plate`` or
``well`` document alone and skip the models when they are missing. Both load and run them here.

Examples
--------
>>> model_versions()
('0.4', '0.5')
>>> model_errors(model_class("0.4", "well", document=True), {"images": []})
[]
>>> model_errors(model_class("0.4", "well", document=True), {})
[(('images',), 'Field required')]
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from typing import Any

from ..errors import NgffError
from .versions import VERSIONS

__all__ = ["model_versions", "model_class", "model_errors", "missing_models"]

# kind -> (module of the version's subpackage, model of the group attributes)
_ATTRS = {
    "image": ("image", "ImageAttrs"),
    "label": ("image_label", "ImageLabelAttrs"),
    "labels": ("labels", "LabelsAttrs"),
    "plate": ("hcs", "HCSAttrs"),
    "well": ("well", "WellAttrs"),
    "bioformats2raw": ("bioformats2raw", "BioFormats2RawAttrs"),
}
# kind -> (module, model of the document under the kind's key alone)
_DOCUMENTS = {"plate": ("plate", "Plate"), "well": ("well_types", "WellMeta")}


def model_versions() -> tuple[str, ...]:
    """The versions ome-zarr-models judges (those with a ``models`` subpackage)."""
    return tuple(v.version for v in VERSIONS.values() if v.models is not None)


def model_class(version: str, kind: str, *, document: bool = False) -> Any:
    """The model of ``kind`` for ``version``: of the group attributes, or with ``document`` of
    the ``plate``/``well`` document alone.

    Raises ``ImportError`` when ome-zarr-models or pydantic is missing (see
    :func:`missing_models`) and ``AttributeError`` when the package was reorganised.
    """
    module, name = (_DOCUMENTS if document else _ATTRS)[kind]
    import pydantic  # noqa: F401 - ome-zarr-models' own dependency, checked first

    found = importlib.import_module(f"ome_zarr_models.{VERSIONS[version].models}.{module}")
    return getattr(found, name)


def missing_models(err: ImportError) -> NgffError:
    """The error that says which extra installs the models (``err``: the failed import)."""
    return NgffError(
        f"validating OME-NGFF {'/'.join(model_versions())} needs ome-zarr-models (and its "
        "pydantic), which the 'cli' and 'validate' extras install: python3 -m pip install "
        f"'.[cli]' from a clone (missing: {err.name})"
    )


def model_errors(
    model: Any, document: Mapping[str, Any], *, quiet: bool = False
) -> list[tuple[tuple[str | int, ...], str]]:
    """``(location, message)`` of the model's verdict on ``document``; ``[]`` when it passes.
    ``quiet`` silences the warnings the models give while judging."""
    import pydantic

    try:
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore")
            model.model_validate(dict(document))
    except pydantic.ValidationError as err:
        return [(tuple(e["loc"]), e["msg"]) for e in err.errors()]
    return []
