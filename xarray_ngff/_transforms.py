"""Coordinate systems and transformations of OME-Zarr 0.6 (RFC-5): the public functions.

* :func:`coordinate_systems` lists the systems of a tree or store (names, axes, units);
* :func:`in_system` gives an image with coordinates in another system when the path to it
  is axis-aligned;
* :func:`transform_points` maps points between any two connected systems, composing along
  the path and inverting where a transform is invertible.

The ``.ngff`` accessors (``tree.ngff.coordinate_systems``, ``img.ngff.in_system``) call
these. Images read from 0.6 stores carry the systems of their image in the DataArray attr
``ngff_transforms`` (``{"intrinsic", "coordinateSystems", "coordinateTransformations"}``),
which the writer writes back.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from ._metadata.geometry import level_geometry
from ._metadata.parse import ome_attrs, parse_multiscales
from ._metadata.transforms import (
    CoordinateSystem,
    Transform,
    parse_coordinate_system,
    parse_transform,
)
from ._transform_graph import Field, TransformGraph, apply, axis_aligned
from .errors import NgffError

__all__ = [
    "TRANSFORMS_ATTR",
    "coordinate_systems",
    "graph_of",
    "in_system",
    "transform_points",
    "with_systems",
]

TRANSFORMS_ATTR = "ngff_transforms"


def _join(*parts: str | None) -> str:
    return posixpath.normpath(
        posixpath.join(*[p.strip("/") for p in parts if p and p.strip("/")] or ["."])
    ).strip(".")


class _Source:
    """Group attributes and arrays by path, from a store or an opened tree."""

    def __init__(self, obj: Any, storage_options: Mapping[str, Any] | None = None) -> None:
        self.tree = obj if isinstance(obj, xr.DataTree) else None
        self.nstore = None
        if self.tree is None:
            from ._store import open_store

            self.nstore = open_store(obj, storage_options)
        else:
            source = _tree_source(self.tree)
            if source is not None:
                from ._store import open_store

                try:
                    self.nstore = open_store(source)
                except NgffError:  # the tree outlived its store: JSON parameters still work
                    self.nstore = None

    def attrs(self, path: str) -> dict[str, Any] | None:
        if self.tree is not None:
            try:
                node = self.tree[path] if path else self.tree
            except KeyError:
                node = None
            if isinstance(node, xr.DataTree):
                return dict(node.attrs)
        if self.nstore is not None:
            try:
                return self.nstore.attrs(path)
            except NgffError:
                return None
        return None

    def field(self, path: str) -> Field:
        if self.nstore is None:
            raise NgffError(
                f"the transform parameters at {path!r} live in a Zarr array and this tree "
                "has no store to read them from: pass the store instead",
                path=path,
                field="path",
            )
        attrs = self.attrs(path)
        if attrs is not None and "multiscales" in ome_attrs(attrs)[1]:
            _, multiscales, _ = parse_multiscales(attrs, store=self.nstore.name, path=path)
            ms = multiscales[0]
            array = self.nstore.array(_join(path, ms.datasets[0].path))
            shape = tuple(int(n) for n in array.shape)
            scale, translation = level_geometry(ms, 0, [shape])
            kinds = [a.type for a in ms.axes]
            vec = next(
                (i for i, k in enumerate(kinds) if k in ("displacement", "coordinate")),
                len(kinds) - 1,
            )
            keep = [i for i in range(len(kinds)) if i != vec]
            return Field(
                np.asarray(array[...]),
                tuple(scale[i] for i in keep),
                tuple(translation[i] for i in keep),
                vec,
            )
        return Field(np.asarray(self.nstore.array(path)[...]))


def _tree_source(tree: xr.DataTree) -> str | None:
    for node in tree.subtree:
        for var in node.ds.data_vars.values():
            source = var.encoding.get("source")
            if source:
                return str(source)
    return None


def _add_image(graph: TransformGraph, src: _Source, path: str, seen: set[str]) -> None:
    if path in seen:
        return
    seen.add(path)
    attrs = src.attrs(path)
    if attrs is None:
        return
    _, body = ome_attrs(attrs)
    entries = body.get("multiscales")
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], Mapping):
        return
    entry = entries[0]
    systems = entry.get("coordinateSystems", entry.get("coordinate_systems")) or []
    for i, raw in enumerate(systems):
        graph.add_system(
            path,
            parse_coordinate_system(raw, path=path, field=f"coordinateSystems[{i}]"),
        )
    _add_arrays(graph, path, entry)
    raw_ts = entry.get("coordinateTransformations", entry.get("coordinate_transformations"))
    for i, raw in enumerate(raw_ts or []):
        t = parse_transform(raw, path=path, field=f"coordinateTransformations[{i}]")
        _add_edge(graph, src, path, t, seen)


def _add_arrays(graph: TransformGraph, path: str, entry: Mapping[str, Any]) -> None:
    """Each level array is a node too, addressed ``"<array path>/"`` (its index space)."""
    for j, d in enumerate(entry.get("datasets") or []):
        if not isinstance(d, Mapping) or not isinstance(d.get("path"), str):
            continue
        raw = d.get("coordinateTransformations")
        if not isinstance(raw, list) or len(raw) != 1:
            continue
        field = f"datasets[{j}].coordinateTransformations[0]"
        t = parse_transform(raw[0], path=path, field=field)
        target = (path, t.output.name if t.output is not None else None)
        if target not in graph.systems:
            continue
        array = (_join(path, d["path"]), "")
        graph.add_system(array[0], CoordinateSystem("", graph.systems[target].axes))
        graph.add_transform(array, target, t)


def _add_edge(graph: TransformGraph, src: _Source, group: str, t, seen: set[str]) -> None:
    if t.input is None or t.output is None:
        raise NgffError(f"{t.type} transform needs both 'input' and 'output'", path=group or "/")
    ends = []
    for ref in (t.input, t.output):
        where = _join(group, ref.path)
        if ref.path:
            _add_image(graph, src, where, seen)
        ends.append((where, ref.name))
    resolver = _resolver(src, group)
    graph.add_transform(ends[0], ends[1], t, resolver)


def _resolver(src: _Source, group: str) -> Callable[[str], Field]:
    def resolve(path: str) -> Field:
        return src.field(path if path.startswith("/") else _join(group, path))

    return resolve


def graph_of(store_or_tree: Any, storage_options: Mapping[str, Any] | None = None):
    """The transform graph of an image, a scene or any group with coordinate systems."""
    src = _Source(store_or_tree, storage_options)
    graph = TransformGraph()
    seen: set[str] = set()
    attrs = src.attrs("")
    if attrs is None:
        raise NgffError("no attributes at the root", path="/")
    _, body = ome_attrs(attrs)
    _add_image(graph, src, "", seen)
    scene = body.get("scene")
    if isinstance(scene, Mapping):
        for i, raw in enumerate(scene.get("coordinateSystems") or []):
            graph.add_system(
                "", parse_coordinate_system(raw, path="/", field=f"scene.coordinateSystems[{i}]")
            )
        for i, raw in enumerate(scene.get("coordinateTransformations") or []):
            t = parse_transform(raw, path="/", field=f"scene.coordinateTransformations[{i}]")
            _add_edge(graph, src, "", t, seen)
    elif "coordinateSystems" in body:  # a bare group of systems and transforms
        for i, raw in enumerate(body.get("coordinateSystems") or []):
            graph.add_system("", parse_coordinate_system(raw, field=f"coordinateSystems[{i}]"))
        for i, raw in enumerate(body.get("coordinateTransformations") or []):
            t = parse_transform(raw, field=f"coordinateTransformations[{i}]")
            _add_edge(graph, src, "", t, seen)
    if isinstance(store_or_tree, xr.DataTree):  # images of a tree not named by a transform
        for node in store_or_tree.subtree:
            rel = node.relative_to(store_or_tree) if node is not store_or_tree else ""
            _add_image(graph, src, "" if rel == "." else rel, seen)
    return graph


def _run(chain, points: np.ndarray) -> np.ndarray:
    for t, resolve in chain:
        points = apply(t, points, resolve)
    return points


def transform_points(
    store_or_tree: Any,
    source: Any,
    target: Any,
    points: Any,
    *,
    storage_options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Map points from the coordinate system ``source`` to ``target``.

    Parameters
    ----------
    store_or_tree
        A store (path, URL) or a DataTree read with xarray-ngff.
    source, target
        System names; where a name occurs in several images, ``"image/path/name"`` or
        ``(path, name)``. A level array's index space is ``"<array path>/"`` (``"s0/"``,
        ``"tileA/s0/"``).
    points
        ``(N, ndim)`` in the source system's axis order (a single point may be 1-D).

    Raises
    ------
    NgffError
        Unknown systems, systems not connected, or a transform on the only path that cannot
        be inverted (the messages say which).

    Examples
    --------
    >>> import tempfile, numpy as np, zarr
    >>> d = tempfile.mkdtemp() + "/a.ome.zarr"
    >>> g = zarr.open_group(d, mode="w", zarr_format=3)
    >>> axes = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
    >>> g.attrs["ome"] = {"version": "0.6", "multiscales": [{
    ...     "coordinateSystems": [{"name": "physical", "axes": axes},
    ...                           {"name": "world", "axes": axes}],
    ...     "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale",
    ...         "scale": [2, 2], "input": {"path": "0"}, "output": {"name": "physical"}}]}],
    ...     "coordinateTransformations": [{"type": "translation", "translation": [10, 0],
    ...         "input": {"name": "physical"}, "output": {"name": "world"}}]}]}
    >>> _ = g.create_array("0", shape=(2, 2), dtype="u1")
    >>> transform_points(d, "world", "physical", [[10.0, 1.0]]).tolist()
    [[0.0, 1.0]]
    """
    graph = graph_of(store_or_tree, storage_options)
    a, b = graph.resolve(source), graph.resolve(target)
    chain = graph.path(a, b)
    x = np.atleast_2d(np.asarray(points, dtype=np.float64))
    n = graph.systems[a].ndim
    if x.ndim != 2 or x.shape[1] != n:
        raise NgffError(
            f"points must be (N, {n}) in the axis order of {source!r} "
            f"{[ax.name for ax in graph.systems[a].axes]}, got shape {x.shape}",
            field="points",
        )
    return _run(chain, x)


def coordinate_systems(tree: Any) -> list[dict[str, Any]]:
    """Every coordinate system of a tree or store: ``{"name", "path", "axes", "units"}``.

    ``path`` is the group defining it (``""``: the root). 0.4/0.5 images have none.
    """
    graph = graph_of(tree)
    out = []
    for (path, name), cs in graph.systems.items():
        if not name:  # a level array's index space
            continue
        out.append(
            {
                "name": name,
                "path": path,
                "axes": [a.name for a in cs.axes],
                "units": {a.name: a.unit for a in cs.axes if a.unit},
            }
        )
    return out


def in_system(image: xr.DataArray, name: str) -> xr.DataArray:
    """``image`` with its coordinates in the coordinate system ``name``.

    Works when the path from the image's intrinsic system to ``name`` is axis-aligned
    (identity, scale, translation, mapAxis, sequences of them); dims are renamed to the
    target system's axis names. Raises :class:`NgffError` pointing to
    :func:`transform_points` otherwise.
    """
    info = image.attrs.get(TRANSFORMS_ATTR)
    if not isinstance(info, Mapping):
        raise NgffError(
            "this image carries no 0.6 coordinate systems (attr 'ngff_transforms'); "
            "read it from a 0.6 store",
            field=TRANSFORMS_ATTR,
        )
    intrinsic = info.get("intrinsic")
    if name == intrinsic:
        return image
    graph = TransformGraph()
    for raw in info.get("coordinateSystems", []):
        graph.add_system("", parse_coordinate_system(raw))
    for raw in info.get("coordinateTransformations", []):
        t = parse_transform(raw)
        if t.input is None or t.output is None or t.input.path or t.output.path:
            continue  # links to labels groups are not this image's
        graph.add_transform(("", t.input.name), ("", t.output.name), t, _no_array)
    chain = [t for t, _ in graph.path(graph.resolve(intrinsic), graph.resolve(name))]
    cs_in = graph.systems[("", intrinsic)]
    cs_out = graph.systems[graph.resolve(name)]
    n = cs_in.ndim
    reduced = axis_aligned(Transform("sequence", children=tuple(chain)), n, _no_array)
    if reduced is None:
        bad = next(t for t in chain if axis_aligned(t, n, _no_array) is None)
        raise NgffError(
            f"the path from {intrinsic!r} to {name!r} goes through a {bad.type} transform, "
            "which is not axis-aligned: map points with xarray_ngff.transform_points instead",
            field="system",
        )
    perm, scale, shift = reduced
    in_names = [a.name for a in cs_in.axes]
    coords = {}
    renames = {}
    for i, axis in enumerate(cs_out.axes):
        src_dim = in_names[perm[i]]
        if src_dim not in image.dims:
            continue
        renames[src_dim] = axis.name
        if src_dim in image.coords and np.issubdtype(image[src_dim].dtype, np.number):
            values = scale[i] * np.asarray(image[src_dim].values, dtype=np.float64) + shift[i]
            attrs = dict(image[src_dim].attrs)
            attrs["spacing"] = float(attrs.get("spacing", 1.0)) * float(scale[i])
            if axis.unit:
                attrs["units"] = axis.unit
            coords[src_dim] = xr.Variable(src_dim, values, attrs)
    out = image.assign_coords(coords)
    swap = {k: v for k, v in renames.items() if k != v}
    if swap:
        out = out.rename(swap)
    attrs = dict(out.attrs)
    attrs[TRANSFORMS_ATTR] = {**info, "intrinsic": cs_out.name}
    out.attrs = attrs
    return out


def with_systems(ms: Any, image: xr.DataArray) -> Any:
    """``ms`` (a :class:`~xarray_ngff._metadata.Multiscale`) with the 0.6 systems and
    transforms that ``image`` carries in ``attrs["ngff_transforms"]``.

    Examples
    --------
    >>> from xarray_ngff._metadata.model import Axis, Dataset, Multiscale
    >>> ms = Multiscale((Axis("x", "space"),), (Dataset("0", (1.0,)),))
    >>> img = xr.DataArray([1, 2], dims="x", attrs={TRANSFORMS_ATTR: {"intrinsic": "phys",
    ...     "coordinateSystems": [], "coordinateTransformations": []}})
    >>> with_systems(ms, img).intrinsic
    'phys'
    """
    from dataclasses import replace

    info = image.attrs.get(TRANSFORMS_ATTR)
    if not isinstance(info, Mapping):
        return ms
    return replace(
        ms,
        intrinsic=info.get("intrinsic"),
        coordinate_systems=tuple(dict(c) for c in info.get("coordinateSystems") or []),
        transforms=tuple(dict(t) for t in info.get("coordinateTransformations") or []),
    )


def _no_array(path: str) -> Field:
    raise NgffError(
        f"parameters stored in the array {path!r}: use xarray_ngff.transform_points",
        path=path,
    )
