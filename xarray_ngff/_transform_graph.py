"""Apply, invert and compose OME-Zarr 0.6 coordinate transformations; the transform graph.

Points are ``(N, ndim)`` float arrays in the axis order of a coordinate system. Parameters
stored in Zarr arrays are read through a resolver (``path -> (array, scale, translation,
vector_axis)``) given by the caller, so this module never opens a store itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ._metadata.transforms import CoordinateSystem, Transform
from .errors import NgffError

__all__ = [
    "NotInvertibleError",
    "NotConnectedError",
    "Field",
    "apply",
    "inverse",
    "axis_aligned",
    "TransformGraph",
]


class NotInvertibleError(NgffError):
    """A transform on the requested path has no closed-form inverse."""


class NotConnectedError(NgffError):
    """No chain of transforms links the two coordinate systems."""


@dataclass(frozen=True)
class Field:
    """A parameter array: its values, and for vector fields the map from the field's array
    index to the transform's input system (``scale * index + translation``, per non-vector
    axis) and which array axis holds the vector components."""

    values: np.ndarray
    scale: tuple[float, ...] = ()
    translation: tuple[float, ...] = ()
    vector_axis: int = -1


Resolver = Callable[[str], Field]


def _no_resolver(path: str) -> Field:
    raise NgffError(
        f"the transform's parameters are stored in the array {path!r}, and no store is at hand "
        "to read them: pass the store (not an in-memory tree)",
        field="path",
    )


def _matrix(t: Transform, key: str, resolve: Resolver) -> np.ndarray:
    if key in t.params:
        return np.asarray(t.params[key], dtype=np.float64)
    return np.asarray(resolve(t.path).values, dtype=np.float64)


def _vector(t: Transform, key: str, resolve: Resolver) -> np.ndarray:
    if key in t.params:
        return np.asarray(t.params[key], dtype=np.float64)
    return np.asarray(resolve(t.path).values, dtype=np.float64).reshape(-1)


def _check_dim(points: np.ndarray, n: int, t: Transform) -> None:
    if points.shape[1] != n:
        raise NgffError(
            f"{t.type} transform {t.name or ''!s} takes {n}-dimensional points, got "
            f"{points.shape[1]}-dimensional ones",
            field="points",
        )


def _sample(field: Field, points: np.ndarray, order: int) -> np.ndarray:
    """Vectors of a field at physical ``points`` (linear interpolation by default)."""
    from scipy import ndimage

    values = np.moveaxis(np.asarray(field.values, dtype=np.float64), field.vector_axis, -1)
    n = values.ndim - 1
    scale = np.asarray(field.scale or (1.0,) * n)
    translation = np.asarray(field.translation or (0.0,) * n)
    index = ((points - translation) / scale).T
    return np.stack(
        [
            ndimage.map_coordinates(values[..., k], index, order=order, mode="nearest")
            for k in range(values.shape[-1])
        ],
        axis=1,
    )


_ORDERS = {None: 1, "linear": 1, "nearest": 0, "bspline-cubic": 3}


def apply(t: Transform, points: Any, resolve: Resolver = _no_resolver) -> np.ndarray:
    """Map ``points`` through ``t``.

    Examples
    --------
    >>> from xarray_ngff._metadata.transforms import parse_transform
    >>> t = parse_transform({"type": "sequence", "transformations": [
    ...     {"type": "translation", "translation": [0.1, 0.9]},
    ...     {"type": "scale", "scale": [2, 3]}]})
    >>> apply(t, [[0.0, 0.0]]).tolist()
    [[0.2, 2.7]]
    """
    x = np.atleast_2d(np.asarray(points, dtype=np.float64))
    kind = t.type
    if kind == "identity":
        return x.copy()
    if kind == "mapAxis":
        perm = list(t.params["mapAxis"])
        _check_dim(x, len(perm), t)
        return x[:, perm]
    if kind == "projectAxis":
        dropped = set(t.params.get("droppedInputs", ()))
        kept = x[:, [i for i in range(x.shape[1]) if i not in dropped]]
        created = sorted(t.params.get("createdOutputs", ()))
        out_n = kept.shape[1] + len(created)
        out = np.zeros((x.shape[0], out_n))
        rest = [i for i in range(out_n) if i not in set(created)]
        out[:, rest] = kept
        return out
    if kind in ("translation", "scale"):
        v = _vector(t, kind, resolve)
        _check_dim(x, v.size, t)
        return x + v if kind == "translation" else x * v
    if kind == "affine":
        m = _matrix(t, "affine", resolve)
        _check_dim(x, m.shape[1] - 1, t)
        return x @ m[:, :-1].T + m[:, -1]
    if kind == "rotation":
        m = _matrix(t, "rotation", resolve)
        _check_dim(x, m.shape[1], t)
        return x @ m.T
    if kind == "sequence":
        for child in t.children:
            x = apply(child, x, resolve)
        return x
    if kind == "bijection":
        return apply(t.children[0], x, resolve)
    if kind == "byDimension":
        n_out = 1 + max(max(o) for _, o in t.axes)
        out = np.full((x.shape[0], n_out), np.nan)
        for child, (ins, outs) in zip(t.children, t.axes, strict=True):
            out[:, list(outs)] = apply(child, x[:, list(ins)], resolve)
        return out
    if kind in ("displacements", "coordinates"):
        field = resolve(t.path)
        vectors = _sample(field, x, _ORDERS.get(t.interpolation, 1))
        return x + vectors if kind == "displacements" else vectors
    raise NgffError(f"unknown transformation type {kind!r}", field="type")  # pragma: no cover


def inverse(t: Transform, resolve: Resolver = _no_resolver) -> Transform:
    """The closed-form inverse of ``t`` (``input``/``output`` swapped).

    Raises
    ------
    NotInvertibleError
        displacements, coordinates, a projection that drops axes, a singular scale or
        affine, or a sequence/byDimension holding one of those.

    Examples
    --------
    >>> from xarray_ngff._metadata.transforms import parse_transform
    >>> t = parse_transform({"type": "scale", "scale": [2, 4]})
    >>> inverse(t).params["scale"]
    (0.5, 0.25)
    """
    swapped = replace(t, input=t.output, output=t.input)
    kind = t.type
    what = f"{kind} transform" + (f" {t.name!r}" if t.name else "")
    if kind == "identity":
        return swapped
    if kind == "mapAxis":
        perm = t.params["mapAxis"]
        inv = tuple(int(i) for i in np.argsort(perm))
        return replace(swapped, params={"mapAxis": inv})
    if kind == "projectAxis":
        if t.params.get("droppedInputs"):
            raise NotInvertibleError(f"{what} drops axes and cannot be inverted")
        return replace(swapped, params={"droppedInputs": t.params.get("createdOutputs", ())})
    if kind == "translation":
        return replace(
            swapped, params={"translation": tuple((-_vector(t, kind, resolve)).tolist())}, path=None
        )
    if kind == "scale":
        v = _vector(t, kind, resolve)
        if np.any(v == 0):
            raise NotInvertibleError(f"{what} has a zero factor {v.tolist()}")
        return replace(swapped, params={"scale": tuple((1.0 / v).tolist())}, path=None)
    if kind in ("affine", "rotation"):
        m = _matrix(t, kind, resolve)
        if kind == "rotation":
            return replace(swapped, params={"rotation": tuple(map(tuple, m.T.tolist()))}, path=None)
        n = m.shape[1] - 1
        if m.shape[0] != n:
            raise NotInvertibleError(f"{what} maps {n} to {m.shape[0]} dimensions")
        full = np.vstack([m, np.eye(1, n + 1, n)])
        if abs(np.linalg.det(full)) < 1e-12:
            raise NotInvertibleError(f"{what} is singular")
        inv = np.linalg.inv(full)[:-1]
        return replace(swapped, params={"affine": tuple(map(tuple, inv.tolist()))}, path=None)
    if kind == "sequence":
        kids = tuple(inverse(c, resolve) for c in reversed(t.children))
        return replace(swapped, children=kids)
    if kind == "bijection":
        return replace(swapped, children=(t.children[1], t.children[0]))
    if kind == "byDimension":
        kids = tuple(inverse(c, resolve) for c in t.children)
        return replace(swapped, children=kids, axes=tuple((o, i) for i, o in t.axes))
    raise NotInvertibleError(
        f"{what} has no closed-form inverse; store the inverse direction, or a bijection"
    )


def axis_aligned(
    t: Transform, n: int, resolve: Resolver = _no_resolver
) -> tuple[tuple[int, ...], np.ndarray, np.ndarray] | None:
    """``(perm, scale, translation)`` with ``out[i] = scale[i] * in[perm[i]] + translation[i]``
    when ``t`` (on ``n``-dimensional input) is axis-aligned, else ``None``.

    Examples
    --------
    >>> from xarray_ngff._metadata.transforms import parse_transform
    >>> t = parse_transform({"type": "sequence", "transformations": [
    ...     {"type": "translation", "translation": [10]}, {"type": "scale", "scale": [2]}]})
    >>> perm, s, tr = axis_aligned(t, 1)
    >>> perm, s.tolist(), tr.tolist()
    ((0,), [2.0], [20.0])
    """
    perm = tuple(range(n))
    scale, shift = np.ones(n), np.zeros(n)
    kind = t.type
    if kind == "identity":
        return perm, scale, shift
    if kind == "mapAxis":
        p = tuple(int(i) for i in t.params["mapAxis"])
        return (p, scale, shift) if len(p) == n else None
    if kind == "scale":
        v = _vector(t, kind, resolve)
        return (perm, v, shift) if v.size == n else None
    if kind == "translation":
        v = _vector(t, kind, resolve)
        return (perm, scale, v) if v.size == n else None
    if kind == "sequence":
        for child in t.children:
            step = axis_aligned(child, len(perm), resolve)
            if step is None:
                return None
            p2, s2, t2 = step
            perm = tuple(perm[j] for j in p2)
            scale, shift = s2 * scale[list(p2)], s2 * shift[list(p2)] + t2
        return perm, scale, shift
    if kind == "affine" and "affine" in t.params:
        m = np.asarray(t.params["affine"])
        lin = m[:, :-1]
        if lin.shape != (n, n) or np.any(np.count_nonzero(lin, axis=1) != 1):
            return None
        p = tuple(int(np.flatnonzero(row)[0]) for row in lin)
        if sorted(p) != list(perm):
            return None
        return p, lin[np.arange(n), list(p)], m[:, -1].copy()
    return None


Node = tuple[str, str]  # (group path relative to the graph's root, system name)


class TransformGraph:
    """Coordinate systems (nodes, keyed ``(group path, name)``) and transforms (edges)."""

    def __init__(self) -> None:
        self.systems: dict[Node, CoordinateSystem] = {}
        # each edge keeps the resolver of the group holding it (array parameters are
        # relative to that group), also when walked backwards
        self.edges: dict[Node, list[tuple[Node, Transform, Resolver]]] = {}

    def add_system(self, group: str, cs: CoordinateSystem) -> None:
        self.systems[(group, cs.name)] = cs

    def add_transform(
        self, source: Node, target: Node, t: Transform, resolve: Resolver = _no_resolver
    ) -> None:
        self.edges.setdefault(source, []).append((target, t, resolve))

    def resolve(self, system: Any) -> Node:
        """A node from ``"name"``, ``"group/path/name"``, ``(path, name)`` or
        ``{"name": ..., "path": ...}``."""
        if isinstance(system, Mapping):
            system = (str(system.get("path") or "").strip("/"), system.get("name"))
        if isinstance(system, tuple) and len(system) == 2:
            node = (str(system[0]).strip("/"), str(system[1]))
            if node in self.systems:
                return node
        elif isinstance(system, str):
            if ("", system) in self.systems:
                return ("", system)
            matches = [n for n in self.systems if n[1] == system]
            if len(matches) == 1:
                return matches[0]
            group, _, name = system.rpartition("/")
            if (group, name) in self.systems:
                return (group, name)
            if len(matches) > 1:
                raise NgffError(
                    f"coordinate system name {system!r} is defined in several groups "
                    f"{sorted(m[0] or '/' for m in matches)}: say which, as 'path/{system}'",
                    field="system",
                )
        known = sorted(f"{g}/{n}" if g else n for g, n in self.systems)
        raise NgffError(f"no coordinate system {system!r}; known systems: {known}", field="system")

    def path(self, source: Node, target: Node) -> list[tuple[Transform, Resolver]]:
        """The transforms (forward or inverted, each with the resolver for its array
        parameters) from ``source`` to ``target``, shortest chain first; a direction that
        needs an inverse nobody can compute is not taken."""
        if source == target:
            return []
        seen = {source: None}
        queue = deque([source])
        blocked: list[str] = []
        back: dict[Node, tuple[Node, tuple[Transform, Resolver]]] = {}
        while queue:
            node = queue.popleft()
            steps = [(tgt, (t, r)) for tgt, t, r in self.edges.get(node, [])]
            for other, edges in self.edges.items():
                for tgt, t, r in edges:
                    if tgt == node:
                        try:
                            steps.append((other, (inverse(t, r), r)))
                        except NotInvertibleError as err:
                            blocked.append(err.message)
            for nxt, step in steps:
                if nxt in seen:
                    continue
                seen[nxt] = node
                back[nxt] = (node, step)
                if nxt == target:
                    chain = []
                    while nxt != source:
                        prev, step = back[nxt]
                        chain.append(step)
                        nxt = prev
                    return chain[::-1]
                queue.append(nxt)
        if blocked and self._linked(source, target):
            raise NotInvertibleError(
                f"{_label(source)} and {_label(target)} are linked only through transforms "
                f"that cannot be inverted: {'; '.join(sorted(set(blocked)))}",
                field="system",
            )
        raise NotConnectedError(
            f"no chain of coordinate transformations links {_label(source)} to {_label(target)}",
            field="system",
        )

    def _linked(self, a: Node, b: Node) -> bool:
        """Whether ``a`` and ``b`` are connected when directions are ignored."""
        near: dict[Node, set[Node]] = {}
        for src, edges in self.edges.items():
            for tgt, _, _ in edges:
                near.setdefault(src, set()).add(tgt)
                near.setdefault(tgt, set()).add(src)
        seen, todo = {a}, [a]
        while todo:
            for nxt in near.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return b in seen


def _label(node: Node) -> str:
    return repr(f"{node[0]}/{node[1]}" if node[0] else node[1])
