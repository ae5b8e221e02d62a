"""Read one OME-Zarr image (0.1-0.6): its levels, coordinates, lazy arrays and labels.

The image layer of the read side: it is given a store and the path of a group that is an
image, and knows nothing of plates, collections or which reader a group needs
(:mod:`xarray_ngff._reader` dispatches; :mod:`xarray_ngff._plate_read` opens plate fields
through here). A level is a Dataset with one variable named after the multiscales ``name``
(default ``image``) and the physical coordinates built from the transforms; label images go
under ``labels/<name>/scaleN``.

Geometry
--------
Per level, ``scale = ms_scale * ds_scale`` and ``translation = ms_scale * ds_translation +
ms_translation`` (the multiscales-level transform is applied after the dataset's own).
Versions 0.1-0.3 carry no transforms: level 0 is unit-spaced with its first pixel at 0, and
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
from ._hierarchy import label_names
from ._image import NGFF_DIMS, level_name, make_coords
from ._metadata.geometry import level_geometry
from ._metadata.model import Multiscale
from ._metadata.parse import parse_multiscales
from ._store import NgffStore, translate_errors
from ._transforms import TRANSFORMS_ATTR
from ._util import join as _join
from ._warn import emit_user_level_warning
from .errors import InvalidDimsError, MetadataError, NgffWarning

__all__ = ["NgffBackendArray", "image_level", "image_levels", "image_nodes"]


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


def image_levels(
    nstore: NgffStore, path: str, attrs: Mapping[str, Any], chunks: Any
) -> dict[str, xr.Dataset]:
    """The level Datasets of the image group at ``path``, keyed ``scale0`` …

    ``attrs`` are the group's attributes as stored; ``chunks`` as for
    :func:`~xarray_ngff.from_ngff_zarr` (``{}``: dask with the stored chunks, ``None``: lazily
    indexed backend arrays). Each variable's ``encoding`` names its source, path and chunks.

    Examples
    --------
    >>> import tempfile, numpy as np, xarray_ngff as xn
    >>> from xarray_ngff._store import open_store
    >>> d = tempfile.mkdtemp() + "/a.ome.zarr"
    >>> xn.to_ngff_zarr(d, xn.to_multiscales(np.zeros((4, 6), "u1"), scale_factors=[2]))
    >>> nstore = open_store(d)
    >>> levels = image_levels(nstore, "", nstore.attrs(""), {})
    >>> list(levels), levels["scale1"]["image"].x.values.tolist()
    (['scale0', 'scale1'], [0.5, 2.5, 4.5])
    >>> levels["scale0"]["image"].encoding["ngff_path"]
    '0'
    """
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


def image_nodes(
    nstore: NgffStore, path: str, chunks: Any, *, with_labels: bool = True
) -> dict[str, xr.Dataset]:
    """Nodes of one image (root ``""``, levels, labels), keys relative to ``path``.

    The root node holds the group's attributes; each label image listed in ``labels`` (or
    found there) adds ``labels/<name>`` and its levels, and one listed but missing is skipped
    with a warning.
    """
    attrs = nstore.attrs(path)
    nodes: dict[str, xr.Dataset] = {"": xr.Dataset(attrs=attrs)}
    nodes.update(image_levels(nstore, path, attrs, chunks))
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
            for key, ds in image_nodes(nstore, label_path, chunks, with_labels=False).items():
                nodes[_join("labels", name, key)] = ds
    return nodes


def image_level(
    nstore: NgffStore, path: str, attrs: Mapping[str, Any], level: int | str, chunks: Any
) -> xr.Dataset:
    """Level ``level`` (an index or a node name such as ``"scale1"``) of the image at
    ``path``, with the group's attributes (what ``xr.open_dataset(engine="ngff")`` gives).

    Raises
    ------
    MetadataError
        The image has no such level (the message lists the levels it has).
    """
    levels = image_levels(nstore, path, attrs, chunks)
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
