"""Read OME-Zarr 0.1-0.6 into the multiscales DataTree: which reader a group needs.

The dispatch layer of the read side. :func:`open_ngff_groups` asks
:func:`~xarray_ngff._hierarchy.node_kind` what the group is and sends an image to
:mod:`xarray_ngff._image_read`, each image of a bioformats2raw collection or of a 0.6 scene to it
too (under its path), and a plate to :mod:`xarray_ngff._plate_read`; a well alone or a group with
no OME-NGFF metadata is refused. :func:`open_ngff_image_level` and :func:`from_ngff_zarr` refuse
what is not one image with the paths to choose from.

The tree of an image has a root holding the group's original attributes and children
``scale0 … scaleN`` (one per ``datasets`` entry, whatever its path in the store), each a
Dataset with one variable named after the multiscales ``name`` (default ``image``) and the
physical coordinates built from the transforms (geometry and laziness: see
:mod:`xarray_ngff._image_read`). Label images go under ``labels/<name>/scaleN``;
bioformats2raw series under their own paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr

from ._hierarchy import bf2raw_series_paths, node_kind
from ._image_read import image_level, image_nodes
from ._metadata.bf2raw import bf2raw_layout
from ._metadata.scene import scene_image_paths
from ._plate_read import from_hcs_zarr, open_plate_groups
from ._store import NgffStore, open_store
from ._util import join as _join
from .errors import MetadataError, NgffError, NotOmeZarrError, PlateError

__all__ = ["from_ngff_zarr", "open_ngff_groups", "open_ngff_image_level"]


def _plate_nodes(nstore: NgffStore, path: str, chunks: Any) -> dict[str, xr.Dataset]:
    groups = open_plate_groups(nstore, path=path, chunks=chunks)
    return {key.lstrip("/"): ds for key, ds in groups.items()}


def _plate_field_examples(nstore: NgffStore, path: str, limit: int = 3) -> list[str]:
    """A few real field paths of a plate, for error messages (empty when unreadable)."""
    try:
        plate = from_hcs_zarr(nstore, path=path)
        wells = plate.well_paths[:limit]
        if not wells:
            return []
        fields = [f"{wells[0]}/{img.path}" for img in plate.well(wells[0]).images[:limit]]
        return fields or wells
    except NgffError:
        return []


def _kind(nstore: NgffStore, path: str, attrs: Mapping[str, Any]) -> str:
    kind = node_kind(attrs, store=nstore.name, path=path or "/")
    if kind == "bioformats2raw":
        bf2raw_layout(attrs, store=nstore.name, path=path or "/")  # raises when malformed
    if kind in ("plate", "bioformats2raw", "image", "well", "scene"):
        return kind
    raise NotOmeZarrError(
        "no OME-NGFF metadata (multiscales, plate, well or bioformats2raw.layout) in the "
        f"group attributes {sorted(attrs)}",
        store=nstore.name,
        path=path or "/",
        field="attributes",
    )


def open_ngff_groups(
    store: Any,
    *,
    path: str = "",
    chunks: Any = None,
    storage_options: Mapping[str, Any] | None = None,
) -> dict[str, xr.Dataset]:
    """Every node of an OME-Zarr hierarchy as ``{"/node/path": Dataset}``.

    Handles images (with their labels), bioformats2raw collections (every series), 0.6
    scenes (every image a scene transform names, under its path) and plates (delegated to
    :mod:`xarray_ngff._plate_read`). Paths start with ``/``; ``"/"`` is the root.

    Examples
    --------
    >>> import tempfile, numpy as np, zarr
    >>> d = tempfile.mkdtemp() + "/a.ome.zarr"
    >>> g = zarr.open_group(d, mode="w", zarr_format=2)
    >>> g.attrs["multiscales"] = [{"version": "0.3", "axes": ["y", "x"],
    ...                            "datasets": [{"path": "0"}]}]
    >>> g.create_array("0", data=np.zeros((2, 3), "u1"), chunks=(2, 3)).ndim
    2
    >>> sorted(open_ngff_groups(d))
    ['/', '/scale0']
    """
    nstore = open_store(store, storage_options)
    path = path.strip("/")
    attrs = nstore.attrs(path)
    kind = _kind(nstore, path, attrs)
    if kind == "plate":
        nodes = _plate_nodes(nstore, path, chunks)
    elif kind == "bioformats2raw":
        nodes = {"": xr.Dataset(attrs=attrs)}
        for series in bf2raw_series_paths(nstore, path):
            for key, ds in image_nodes(nstore, _join(path, series), chunks).items():
                nodes[_join(series, key)] = ds
    elif kind == "image":
        nodes = image_nodes(nstore, path, chunks)
    elif kind == "scene":
        nodes = {"": xr.Dataset(attrs=attrs)}
        for image in scene_image_paths(attrs, store=nstore.name, path=path or "/"):
            for key, ds in image_nodes(nstore, _join(path, image), chunks).items():
                nodes[_join(image, key)] = ds
    else:
        raise PlateError(
            "this group is a single well: open the plate root instead",
            store=nstore.name,
            path=path or "/",
            field="well",
        )
    return {"/" + key: ds for key, ds in nodes.items()}


def open_ngff_image_level(
    store: Any,
    *,
    image: str | None = None,
    level: int | str = 0,
    chunks: Any = None,
    storage_options: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """One level of one image as a Dataset (what ``xr.open_dataset(engine="ngff")`` gives).

    ``image`` is the image group's path (``None``: the root, which must be an image);
    ``level`` an index or a node name such as ``"scale1"``. On a plate or bioformats2raw root
    without ``image`` it raises an error that lists the images to choose from.
    """
    nstore = open_store(store, storage_options)
    path = (image or "").strip("/")
    attrs = nstore.attrs(path)
    kind = _kind(nstore, path, attrs)
    if kind != "image":
        if kind in ("bioformats2raw", "scene"):
            choices = (
                bf2raw_series_paths(nstore, path)
                if kind == "bioformats2raw"
                else scene_image_paths(attrs, store=nstore.name, path=path or "/")
            )
            hint = f"{'series' if kind == 'bioformats2raw' else 'images'} {choices}"
            raise MetadataError(
                f"this group is a {kind} collection, not one image: choose one with "
                f"group=... or image=... ({hint}), or open the whole hierarchy with "
                "xr.open_datatree(..., engine='ngff')",
                store=nstore.name,
                path=path or "/",
                field="image",
            )
        if kind == "plate":
            examples = _plate_field_examples(nstore, path)
            hint = f"field paths such as {examples}" if examples else "a field path"
            what = "an HCS plate"
        else:
            hint, what = "a field path of this well", "a single well"
        raise PlateError(
            f"this group is {what}, not one image: choose one with group=... or image=... "
            f"({hint}), "
            "read the plate with from_hcs_zarr, or open it whole with "
            "xr.open_datatree(..., engine='ngff')",
            store=nstore.name,
            path=path or "/",
            field="image",
        )
    return image_level(nstore, path, attrs, level, chunks)


def from_ngff_zarr(
    store: Any,
    validate: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    chunks: Any = {},  # noqa: B006 - read-only sentinel meaning "stored chunks", as in xarray
) -> xr.DataTree:
    """Read an OME-Zarr (0.1–0.5) as the multiscales DataTree.

    Parameters
    ----------
    store
        Path, ``.zip``/``.ozx`` file, fsspec URL (``http(s)://``, ``s3://``, ``file://``) or
        zarr store.
    validate
        Check the metadata and structure first (see :func:`xarray_ngff._validate.validate_store`)
        and raise :class:`~xarray_ngff.errors.ValidationError` listing every problem.
    storage_options
        fsspec options for URLs.
    chunks
        ``{}`` (default): dask arrays with the stored chunks (inner chunks of shards);
        ``None``: lazily indexed backend arrays; anything dask accepts otherwise.

    Returns
    -------
    xarray.DataTree
        Root attrs: the group's original metadata; children ``scale0 …`` (and ``labels/…``,
        or one subtree per bioformats2raw series).

    Examples
    --------
    >>> import tempfile, numpy as np, zarr
    >>> d = tempfile.mkdtemp() + "/img.ome.zarr"
    >>> g = zarr.open_group(d, mode="w", zarr_format=2)
    >>> g.attrs["multiscales"] = [{"version": "0.4", "name": "cells",
    ...     "axes": [{"name": "y", "type": "space", "unit": "micrometer"},
    ...              {"name": "x", "type": "space", "unit": "micrometer"}],
    ...     "datasets": [{"path": "0", "coordinateTransformations": [
    ...         {"type": "scale", "scale": [0.5, 0.5]}]}]}]
    >>> g.create_array("0", data=np.arange(6, dtype="u1").reshape(2, 3), chunks=(1, 3)).shape
    (2, 3)
    >>> tree = from_ngff_zarr(d)
    >>> tree["scale0"]["cells"].x.values.tolist(), tree["scale0"]["cells"].x.attrs["units"]
    ([0.0, 0.5, 1.0], 'micrometer')
    >>> tree["scale0"]["cells"].chunks
    ((1, 1), (3,))
    """
    nstore = open_store(store, storage_options)
    if _kind(nstore, "", nstore.attrs("")) == "plate":
        examples = _plate_field_examples(nstore, "")
        raise PlateError(
            "this is an HCS plate, not one multiscale image: read it with from_hcs_zarr(...) "
            "or xr.open_datatree(..., engine='ngff'), or open one field"
            + (f" such as {examples}" if examples else ""),
            store=nstore.name,
            path="/",
            field="plate",
        )
    if validate:
        from ._validate import raise_for_problems

        raise_for_problems(nstore)
    tree = xr.DataTree.from_dict(open_ngff_groups(nstore, chunks=chunks))
    tree.set_close(nstore.close)  # tree.close() releases what was opened here (a zip file)
    return tree
