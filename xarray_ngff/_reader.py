"""Read OME-Zarr 0.1–0.5 into the multiscales DataTree.

The tree of an image has a root holding the group's original attributes and children
``scale0 … scaleN`` (one per ``datasets`` entry, whatever its path in the store), each a
Dataset with one variable named after the multiscales ``name`` (default ``image``) and the
physical coordinates built from the transforms. Label images go under
``labels/<name>/scaleN``; bioformats2raw series under their own paths.

Geometry
--------
Per level, ``scale = ms_scale * ds_scale`` and ``translation = ms_scale * ds_translation +
ms_translation`` (the multiscales-level transform is applied after the dataset's own).
Versions 0.1–0.3 carry no transforms: level 0 is unit-spaced with its first pixel at 0, and
a lower level ``k`` gets, per axis, the spacing ``n0 / nk`` implied by its shape (rounded to the
integer factor when ``n0 // f == nk`` or ``ceil(n0 / f) == nk``) and translation 0 (early
writers subsampled with ``[::f]``, which keeps pixel 0).

Laziness
--------
Opening reads metadata only (for Zarr v2 arrays that declare ``.`` chunk keys, one existence
check tells whether the chunks actually use ``/`` keys, as some early writers did). Arrays are
dask arrays with the stored chunks (the inner chunks of shards) for ``chunks={}``, or lazily
indexed backend arrays for ``chunks=None``. Missing chunks read as the fill value.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr
import zarr
from dask.base import tokenize
from xarray.backends.common import BackendArray
from xarray.core import indexing

from ._axes import AXIS_NAMES_ATTR, dims_for_axes
from ._chunkread import readable
from ._hierarchy import bf2raw_series_paths, label_names, node_kind
from ._image import NGFF_DIMS, make_coords
from ._metadata.bf2raw import bf2raw_layout
from ._metadata.geometry import level_geometry
from ._metadata.model import Multiscale
from ._metadata.parse import parse_multiscales
from ._metadata.scene import scene_image_paths
from ._pyramid import level_name
from ._store import NgffStore, open_store, translate_errors
from ._transforms import TRANSFORMS_ATTR
from ._util import join as _join
from ._warn import emit_user_level_warning
from .errors import (
    InvalidDimsError,
    MetadataError,
    NgffError,
    NgffWarning,
    NotOmeZarrError,
    PlateError,
)

__all__ = ["from_ngff_zarr", "open_ngff_groups", "open_ngff_image_level", "NgffBackendArray"]


class NgffBackendArray(BackendArray):
    """A zarr array behind xarray's lazy indexing (basic, outer and vectorized keys).

    Examples
    --------
    >>> import numpy as np, zarr
    >>> z = zarr.array(np.arange(12).reshape(3, 4))
    >>> lazy = indexing.LazilyIndexedArray(NgffBackendArray(z, "memory", "0"))
    >>> np.asarray(lazy[indexing.BasicIndexer((1, slice(None, 2)))]).tolist()
    [4, 5]
    """

    __slots__ = ("_array", "_reader", "_store", "_path", "shape", "dtype")

    def __init__(self, array: zarr.Array, store: str, path: str) -> None:
        self._array = array
        self._reader = readable(array)
        self._store = store
        self._path = path
        self.shape = tuple(array.shape)
        self.dtype = np.dtype(array.dtype)

    def get_array(self) -> zarr.Array:
        return self._array

    def _basic(self, key):
        with translate_errors(self._store, self._path, data=True):
            return self._reader[key]

    def _outer(self, key):
        with translate_errors(self._store, self._path, data=True):
            return self._array.oindex[key]

    def _vectorized(self, key):
        with translate_errors(self._store, self._path, data=True):
            return self._array.vindex[key]

    def __getitem__(self, key):
        if isinstance(key, indexing.VectorizedIndexer):
            method = self._vectorized
        elif isinstance(key, indexing.OuterIndexer):
            method = self._outer
        else:
            method = self._basic
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.VECTORIZED, method
        )


class _GuardedArray:
    """A zarr array whose reads re-raise I/O and decoding errors as :class:`StoreError`
    naming the store and path. dask slices it with its own getter, so slicing a dask array
    fuses into one read of just the needed region (no read of whole blocks then a slice).
    Reads go through :class:`~xarray_ngff._chunkread.ChunkReader` where it applies."""

    __slots__ = ("array", "reader", "store", "path", "shape", "dtype", "ndim")

    def __init__(self, array: zarr.Array, store: str, path: str) -> None:
        self.array, self.store, self.path = array, store, path
        self.reader = readable(array)
        self.shape, self.dtype, self.ndim = tuple(array.shape), np.dtype(array.dtype), array.ndim

    def __getitem__(self, index):
        with translate_errors(self.store, self.path, data=True):
            return self.reader[index]


def _lazy_data(array: zarr.Array, nstore: NgffStore, path: str, chunks: Any) -> Any:
    if chunks is None:
        return indexing.LazilyIndexedArray(NgffBackendArray(array, nstore.name, path))
    stored = tuple(int(c) for c in array.chunks)  # inner chunks when sharded
    if isinstance(chunks, Mapping) and not chunks:
        target: Any = stored
    else:
        target = chunks
    name = "ngff-" + tokenize(nstore.name, path, array.shape, str(array.dtype), target)
    # one task per block; zarr is thread-safe for reads, so no lock
    return da.from_array(
        _GuardedArray(array, nstore.name, path),
        chunks=target,
        name=name,
        lock=False,
        fancy=False,
        asarray=True,
        meta=np.empty((0,) * array.ndim, dtype=array.dtype),
        inline_array=True,
    )


def _channel_names(
    omero: Mapping[str, Any] | None, n: int | None, *, store: str, path: str
) -> list[str] | None:
    if omero is None or n is None:
        return None
    channels = omero.get("channels")
    if not isinstance(channels, list):
        return None
    labels = [c.get("label") if isinstance(c, Mapping) else None for c in channels]
    if len(labels) != n:
        emit_user_level_warning(
            f"omero lists {len(labels)} channels for {n} in the array; channel names ignored "
            f"(store={store!r}, path={path!r}, field='omero.channels')",
            NgffWarning,
        )
        return None
    if any(lab is None for lab in labels):
        return None
    return [str(lab) for lab in labels]


def _coords(
    ms: Multiscale,
    dims: tuple[str, ...],
    shape: tuple[int, ...],
    scale: tuple[float, ...],
    translation: tuple[float, ...],
    channel_names: list[str] | None,
) -> xr.Coordinates:
    axes = tuple(
        (d, a.type, a.unit, None if a.orientation is None else json.dumps(a.orientation))
        for d, a in zip(dims, ms.axes, strict=True)
    )
    names = tuple(channel_names) if channel_names is not None else None
    return _coords_cached(axes, tuple(shape), tuple(scale), tuple(translation), names)


@functools.lru_cache(maxsize=512)
def _coords_cached(
    axes: tuple[tuple[str, str | None, str | None, str | None], ...],
    shape: tuple[int, ...],
    scale: tuple[float, ...],
    translation: tuple[float, ...],
    channel_names: tuple[str, ...] | None,
) -> xr.Coordinates:
    """Coordinates (with their pandas indexes) built once per geometry: the fields of a plate
    and the images of a series usually share it, and building indexes is most of the cost of
    opening a Dataset. Shared like the indexes of ``ds.isel(...)`` results are."""
    dims = [a[0] for a in axes]
    std = [i for i, d in enumerate(dims) if d in NGFF_DIMS]
    coords = make_coords(
        [dims[i] for i in std],
        [shape[i] for i in std],
        {dims[i]: scale[i] for i in std},
        {dims[i]: translation[i] for i in std},
        {dims[i]: axes[i][2] for i in std},
        list(channel_names) if channel_names is not None and "c" in dims else None,
    )
    # axes outside t/c/z/y/x (allowed by NGFF) still get coordinates when space or time
    for i, (d, kind, unit, _) in enumerate(axes):
        if d in NGFF_DIMS or kind not in ("space", "time"):
            continue
        attrs: dict[str, Any] = {"spacing": scale[i]}
        if unit:
            attrs["units"] = unit
        values = translation[i] + scale[i] * np.arange(shape[i], dtype=np.float64)
        coords[d] = xr.Variable(d, values, attrs)
    for d, _, _, orientation in axes:  # RFC-4 orientation stays on the coordinate
        if orientation is not None and d in coords:
            coords[d].attrs["orientation"] = json.loads(orientation)
    return xr.Coordinates(coords)


def _variable_name(ms: Multiscale) -> str:
    name = ms.name if ms.name not in (None, "") else "image"
    if name in ms.axis_names:  # a variable cannot share its name with a dimension
        name = "image"
    return str(name).replace("/", "_")


def _image_levels(
    nstore: NgffStore, path: str, attrs: Mapping[str, Any], chunks: Any
) -> dict[str, xr.Dataset]:
    """The level Datasets of the image group at ``path``, keyed ``scale0`` …"""
    where = path or "/"
    _, multiscales, omero = parse_multiscales(attrs, store=nstore.name, path=where)
    ms = multiscales[0]  # NGFF: readers use the first multiscales entry
    # axes by type, names kept (xarray_ngff._axes): T, C, Z, Y, X read as t, c, z, y, x
    renamed = dims_for_axes([(a.name, a.type) for a in ms.axes])
    dims = tuple(renamed.get(n, n) for n in ms.axis_names)
    attrs_var = {AXIS_NAMES_ATTR: {d: n for n, d in renamed.items()}} if renamed else {}
    if len(set(dims)) != len(dims):
        raise InvalidDimsError(
            f"axes repeat names: {list(dims)}",
            store=nstore.name,
            path=where,
            field="multiscales[0].axes",
        )
    arrays = [nstore.array(_join(path, ds.path)) for ds in ms.datasets]
    shapes = [tuple(int(n) for n in a.shape) for a in arrays]
    for j, (ds, shape) in enumerate(zip(ms.datasets, shapes, strict=True)):
        if len(shape) != len(dims):
            raise InvalidDimsError(
                f"array {ds.path!r} has {len(shape)} dimensions but the metadata lists "
                f"{len(dims)} axes {list(dims)}",
                store=nstore.name,
                path=_join(path, ds.path),
                field=f"multiscales[0].datasets[{j}]",
            )
    c_index = dims.index("c") if "c" in dims else None
    names = _channel_names(
        omero,
        shapes[0][c_index] if c_index is not None else None,
        store=nstore.name,
        path=where,
    )
    var = _variable_name(ms)
    systems = {}
    if ms.coordinate_systems:  # 0.6: the systems travel with the image (see transforms.py)
        systems[TRANSFORMS_ATTR] = {
            "intrinsic": ms.intrinsic,
            "coordinateSystems": [dict(c) for c in ms.coordinate_systems],
            "coordinateTransformations": [dict(t) for t in ms.transforms],
        }
    out: dict[str, xr.Dataset] = {}
    for k, (ds, array, shape) in enumerate(zip(ms.datasets, arrays, shapes, strict=True)):
        scale, translation = level_geometry(ms, k, shapes)
        coords = _coords(ms, dims, shape, scale, translation, names)
        full = _join(path, ds.path)
        variable = xr.Variable(
            dims, _lazy_data(array, nstore, full, chunks), {**attrs_var, **systems}
        )
        shards = getattr(array, "shards", None)
        variable.encoding = {
            "source": nstore.name,
            "ngff_path": full,
            "chunks": tuple(int(c) for c in array.chunks),
            "shards": tuple(int(s) for s in shards) if shards else None,
            "preferred_chunks": dict(zip(dims, (int(c) for c in array.chunks), strict=True)),
            "dtype": np.dtype(array.dtype),
            "zarr_format": array.metadata.zarr_format,
        }
        out[level_name(k)] = xr.Dataset({var: variable}, coords=coords)
    return out


def _image_nodes(
    nstore: NgffStore, path: str, chunks: Any, *, with_labels: bool = True
) -> dict[str, xr.Dataset]:
    """Nodes of one image (root ``""``, levels, labels), keys relative to ``path``."""
    attrs = nstore.attrs(path)
    nodes: dict[str, xr.Dataset] = {"": xr.Dataset(attrs=attrs)}
    nodes.update(_image_levels(nstore, path, attrs, chunks))
    labels_path = _join(path, "labels")
    if with_labels and nstore.has_group(labels_path):
        labels_attrs = nstore.attrs(labels_path)
        nodes["labels"] = xr.Dataset(attrs=labels_attrs)
        for name in label_names(nstore, labels_path, labels_attrs):
            label_path = _join(labels_path, name)
            if not nstore.has_group(label_path):
                emit_user_level_warning(
                    f"label image {name!r} is listed but missing (store={nstore.name!r}, "
                    f"path={label_path!r}, field='labels')",
                    NgffWarning,
                )
                continue
            for key, ds in _image_nodes(nstore, label_path, chunks, with_labels=False).items():
                nodes[_join("labels", name, key)] = ds
    return nodes


def _plate_nodes(nstore: NgffStore, path: str, chunks: Any) -> dict[str, xr.Dataset]:
    from ._hcs import open_plate_groups

    groups = open_plate_groups(nstore, path=path, chunks=chunks)
    return {key.lstrip("/"): ds for key, ds in groups.items()}


def _plate_field_examples(nstore: NgffStore, path: str, limit: int = 3) -> list[str]:
    """A few real field paths of a plate, for error messages (empty when unreadable)."""
    from ._hcs import from_hcs_zarr

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
    :mod:`xarray_ngff._hcs`). Paths start with ``/``; ``"/"`` is the root.

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
            for key, ds in _image_nodes(nstore, _join(path, series), chunks).items():
                nodes[_join(series, key)] = ds
    elif kind == "image":
        nodes = _image_nodes(nstore, path, chunks)
    elif kind == "scene":
        nodes = {"": xr.Dataset(attrs=attrs)}
        for image in scene_image_paths(attrs, store=nstore.name, path=path or "/"):
            for key, ds in _image_nodes(nstore, _join(path, image), chunks).items():
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
    levels = _image_levels(nstore, path, attrs, chunks)
    key = level if isinstance(level, str) else level_name(int(level))
    if key not in levels:
        raise MetadataError(
            f"level {level!r} does not exist; the image has levels {list(levels)}",
            store=nstore.name,
            path=path or "/",
            field="level",
        )
    ds = levels[key]
    ds.attrs = dict(attrs)
    return ds


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
