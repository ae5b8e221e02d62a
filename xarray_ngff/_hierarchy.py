"""What an OME-Zarr group is, and where its children are: the one walker of the store.

:func:`node_kind` decides the kind of a group from its attributes, with one precedence for the
whole package (:data:`PRECEDENCE`); :func:`bf2raw_series_paths` finds the images of a
bioformats2raw collection and :func:`label_names` the label images of a ``labels`` group.
Nothing here reads pixels or validates values: the metadata layer does that.

The precedence follows the specification where it says something: a bioformats2raw root that
is a plate is read as a plate ("``plate`` [...] takes precedence", OME-NGFF 0.4-0.6,
bioformats2raw section). Elsewhere it keeps what the reader and the validator did before this
module existed: bioformats2raw before ``multiscales`` (the collection is the larger object),
``multiscales`` before ``well`` and ``labels``.

Examples
--------
>>> node_kind({"multiscales": [{"datasets": []}]})
'image'
>>> node_kind({"ome": {"version": "0.5", "bioformats2raw.layout": 3, "plate": {}}})
'plate'
>>> node_kind({"labels": ["cells"]}), node_kind({"note": "not OME"}) is None
('labels', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._metadata.bf2raw import LAYOUT_KEY, bf2raw_series
from ._metadata.labels import parse_labels_group
from ._metadata.parse import ome_attrs
from ._store import NgffStore, translate_errors
from ._util import join

__all__ = ["KINDS", "PRECEDENCE", "bf2raw_series_paths", "label_names", "node_kind"]

# (kind, the metadata key that makes a group that kind), highest precedence first.
# A new kind of group (OME-Zarr 0.6 adds "scene": images that share coordinate systems) is one
# more entry here; callers that walk the store then dispatch on the new kind.
PRECEDENCE: tuple[tuple[str, str], ...] = (
    ("plate", "plate"),
    ("bioformats2raw", LAYOUT_KEY),
    ("image", "multiscales"),
    ("well", "well"),
    ("scene", "scene"),  # 0.6: images related by shared coordinate systems
    ("labels", "labels"),
)
KINDS = tuple(kind for kind, _ in PRECEDENCE)


def node_kind(
    attrs: Mapping[str, Any], *, store: Any = None, path: str | None = None
) -> str | None:
    """The kind of a group (one of :data:`KINDS`), or ``None`` when it has no OME-NGFF metadata.

    ``attrs`` are the group's attributes as stored (with or without the 0.5+ ``ome``
    envelope); ``store`` and ``path`` only name the group in errors about the envelope. A
    label image is an ``"image"`` (its ``image-label`` key marks it as a label).

    Examples
    --------
    >>> node_kind({"ome": {"version": "0.5", "multiscales": [], "image-label": {}}})
    'image'
    >>> node_kind({"well": {"images": []}})
    'well'
    """
    _, body = ome_attrs(attrs, store=store, path=path)
    for kind, key in PRECEDENCE:
        if key in body:
            return kind
    return None


def bf2raw_series_paths(nstore: NgffStore, path: str) -> list[str]:
    """The image paths of a bioformats2raw collection, relative to its root ``path``.

    The ``series`` listed by the ``OME`` group when it lists them, else the consecutive groups
    ``0``, ``1``, ... that exist.

    Examples
    --------
    >>> import tempfile, zarr
    >>> from xarray_ngff._store import open_store
    >>> d = tempfile.mkdtemp() + "/c.ome.zarr"
    >>> root = zarr.open_group(d, mode="w")
    >>> root.attrs["ome"] = {"version": "0.5", "bioformats2raw.layout": 3}
    >>> _ = root.create_group("0"), root.create_group("1"), root.create_group("3")
    >>> bf2raw_series_paths(open_store(d), "")
    ['0', '1']
    """
    ome_path = join(path, "OME")
    if nstore.has_group(ome_path):
        listed = bf2raw_series(nstore.attrs(ome_path), store=nstore.name, path=ome_path)
        if listed is not None:
            return listed
    series = []
    while nstore.has_group(join(path, str(len(series)))):
        series.append(str(len(series)))
    return series


def label_names(nstore: NgffStore, labels_path: str, attrs: Mapping[str, Any]) -> list[str]:
    """The label images of the ``labels`` group at ``labels_path`` (with attributes ``attrs``).

    The names it lists; when it lists none, its child groups that are images, by name.
    """
    names = parse_labels_group(attrs, store=nstore.name, path=labels_path)
    if names is not None:
        return names
    group = nstore.group(labels_path)
    with translate_errors(nstore.name, labels_path):
        children = [k for k, _ in group.groups()]
    found = []
    for child in sorted(children):
        _, body = ome_attrs(nstore.attrs(join(labels_path, child)))
        if "multiscales" in body:
            found.append(child)
    return found
