"""Label images: their ``image-label`` metadata (colors, properties, source) from a tree node.

Label images are read as ordinary multiscales images under ``labels/<name>`` of the image
tree; their group attributes keep the original ``image-label`` block, which
:func:`image_label` parses into an :class:`~xarray_ngff._metadata.labels.ImageLabel`. They are
written with the ``labels=`` argument of the writers or :func:`xarray_ngff.add_label`
(:mod:`xarray_ngff._labels_writer`).
"""

from __future__ import annotations

import xarray as xr

from ._metadata.labels import ImageLabel, parse_image_label

__all__ = ["ImageLabel", "image_label", "label_names"]


def image_label(node: xr.DataTree) -> ImageLabel | None:
    """The ``image-label`` metadata of a label image node, or ``None`` when it has none.

    Examples
    --------
    >>> tree = xr.DataTree(xr.Dataset(attrs={"image-label": {
    ...     "colors": [{"label-value": 2, "rgba": [0, 0, 255, 255]}]}}))
    >>> image_label(tree).colors
    {2: (0, 0, 255, 255)}
    """
    return parse_image_label(node.attrs, path=node.path)


def label_names(tree: xr.DataTree) -> list[str]:
    """The label images of an image tree (children of its ``labels`` node).

    Examples
    --------
    >>> tree = xr.DataTree.from_dict({"/labels/cells": xr.Dataset()})
    >>> label_names(tree)
    ['cells']
    """
    if "labels" not in tree.children:
        return []
    return list(tree["labels"].children)
