"""The ``ngff`` xarray backend engine.

Thin: every method calls :mod:`xarray_ngff._reader`. Arrays come back lazily indexed, with
``encoding["preferred_chunks"]`` set to the stored (inner) chunks, so xarray's own ``chunks=``
handling applies (``chunks={}`` gives dask arrays with the stored chunks).

``guess_can_open`` is cheap and conservative: ``*.ome.zarr`` and ``*.ozx`` paths or URLs are
claimed; another local ``*.zarr`` directory only when its root metadata is OME-NGFF (one small
file read); nothing else, so plain Zarr stores stay with the zarr engine.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Iterable
from typing import Any

import xarray as xr
from xarray.backends import BackendEntrypoint

from ._image import level_name
from ._metadata.parse import parse_multiscales
from ._reader import open_ngff_groups, open_ngff_image_level
from ._store import NgffStore, open_store
from .errors import MetadataError, NgffError

__all__ = ["NgffBackendEntrypoint", "level_of_group"]

_OME_KEYS = ("multiscales", "plate", "well", "bioformats2raw.layout", "labels", "image-label")


def _drop(ds: xr.Dataset, drop_variables: str | Iterable[str] | None) -> xr.Dataset:
    if drop_variables is None:
        return ds
    names = [drop_variables] if isinstance(drop_variables, str) else list(drop_variables)
    return ds.drop_vars(names, errors="ignore")


def _local_is_ome(path: pathlib.Path) -> bool:
    for name in ("zarr.json", ".zattrs"):
        try:
            doc = json.loads((path / name).read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict):
            return False
        attrs = doc.get("attributes", {}) if name == "zarr.json" else doc
        if not isinstance(attrs, dict):
            return False
        body = attrs.get("ome") if isinstance(attrs.get("ome"), dict) else attrs
        return any(k in body for k in _OME_KEYS)
    return False


class NgffBackendEntrypoint(BackendEntrypoint):
    """Open OME-Zarr (OME-NGFF 0.1–0.5) with ``engine="ngff"``.

    Examples
    --------
    >>> import tempfile, numpy as np, xarray as xr, zarr
    >>> d = tempfile.mkdtemp() + "/img.ome.zarr"
    >>> g = zarr.open_group(d, mode="w", zarr_format=2)
    >>> g.attrs["multiscales"] = [{"version": "0.3", "axes": ["y", "x"],
    ...                            "datasets": [{"path": "0"}, {"path": "1"}]}]
    >>> _ = g.create_array("0", data=np.ones((4, 4), "u1"), chunks=(2, 2))
    >>> _ = g.create_array("1", data=np.ones((2, 2), "u1"), chunks=(2, 2))
    >>> xr.open_dataset(d, engine="ngff", level=1)["image"].x.values.tolist()
    [0.0, 2.0]
    >>> list(xr.open_datatree(d).children)
    ['scale0', 'scale1']
    """

    description = "OME-Zarr (OME-NGFF 0.1-0.5) images, labels, collections and plates"
    url = "https://ngff.openmicroscopy.org"
    supports_groups = True
    open_dataset_parameters = (
        "filename_or_obj",
        "drop_variables",
        "group",
        "level",
        "image",
        "storage_options",
    )

    def guess_can_open(self, filename_or_obj: Any) -> bool:
        if not isinstance(filename_or_obj, str | os.PathLike):
            return False
        text = os.fspath(filename_or_obj).rstrip("/")
        lower = text.lower()
        if lower.endswith((".ome.zarr", ".ozx")):
            return True
        if lower.endswith(".zarr") and "://" not in text:
            return _local_is_ome(pathlib.Path(text))
        return False

    def open_dataset(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        group: str | None = None,
        level: int | str = 0,
        image: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> xr.Dataset:
        """One level of one image; ``image`` picks a series, label or field by its path.

        ``group`` is the path users see instead: a level (``"scale1"``, ``"labels/cells/0"``,
        ``"A/1/0/scale0"``, or a dataset path as stored) or an image group (its level 0).
        """
        nstore = open_store(filename_or_obj, storage_options)
        try:
            if group is not None:
                if image is not None or level != 0:
                    raise MetadataError(
                        "give either group=... or image=/level=..., not both",
                        store=nstore.name,
                        path=str(group),
                        field="group",
                    )
                image, level = level_of_group(nstore, group)
            ds = open_ngff_image_level(nstore, image=image, level=level)
        except BaseException:
            nstore.close()
            raise
        ds = _drop(ds, drop_variables)
        ds.set_close(nstore.close)
        return ds

    def open_groups_as_dict(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        group: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> dict[str, xr.Dataset]:
        """Every node of the hierarchy (``group`` picks a sub-hierarchy)."""
        groups = open_ngff_groups(
            filename_or_obj, path=group or "", storage_options=storage_options
        )
        return {k: _drop(v, drop_variables) for k, v in groups.items()}

    def open_datatree(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        group: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> xr.DataTree:
        """The whole hierarchy as a DataTree (see :func:`xarray_ngff.from_ngff_zarr`);
        closing the tree closes the store."""
        nstore = open_store(filename_or_obj, storage_options)
        try:
            groups = self.open_groups_as_dict(nstore, drop_variables=drop_variables, group=group)
        except BaseException:
            nstore.close()
            raise
        tree = xr.DataTree.from_dict(groups)
        tree.set_close(nstore.close)
        return tree


def level_of_group(nstore: NgffStore, group: str) -> tuple[str | None, int]:
    """``(image path, level index)`` of a ``group=`` path: an image group gives its level 0;
    ``<image>/<level>`` names a level as our trees do (``scale1``) or as the store does (a
    dataset path such as ``0`` or ``scale1/image``, or its first part).

    Examples
    --------
    >>> import tempfile, numpy as np, xarray_ngff as xn
    >>> d = tempfile.mkdtemp() + "/g.ome.zarr"
    >>> xn.to_ngff_zarr(d, xn.to_multiscales(np.zeros((8, 8), "uint8"), [2]))
    >>> s = open_store(d)
    >>> level_of_group(s, "scale1"), level_of_group(s, "/0"), level_of_group(s, "/")
    ((None, 1), (None, 0), (None, 0))
    """
    parts = [p for p in str(group).strip("/").split("/") if p]
    for cut in range(len(parts), -1, -1):
        head, rest = "/".join(parts[:cut]), "/".join(parts[cut:])
        if not (nstore.has_group(head) if head else True):
            continue
        attrs = nstore.attrs(head)
        try:
            _, multiscales, _ = parse_multiscales(attrs)
        except NgffError:
            continue
        image = head or None
        if not rest:
            return image, 0
        paths = [d.path.strip("/") for d in multiscales[0].datasets]
        for k, path in enumerate(paths):
            if rest in (path, level_name(k), path.split("/")[0]):
                return image, k
        raise MetadataError(
            f"group {group!r}: {rest!r} is not a level of the image at {head or '/'!r}; its "
            f"levels are {[level_name(k) for k in range(len(paths))]} (stored as {paths})",
            store=nstore.name,
            path=str(group),
            field="group",
        )
    raise MetadataError(
        f"group {group!r} is neither an image nor a level of one",
        store=nstore.name,
        path=str(group),
        field="group",
    )
