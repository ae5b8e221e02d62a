"""OME-Zarr 0.6 coordinate systems and coordinate transformations (RFC-5): model and parsing.

Every transformation type of the specification parses into one :class:`Transform` record:
identity, mapAxis, projectAxis, translation, scale, affine, rotation, sequence,
displacements, coordinates, byDimension and bijection. Parameters stored in Zarr arrays
(``path``) are kept as the path; :mod:`xarray_ngff._transform_graph` reads them when points
are mapped. Pre-release spellings met in real data (``input``/``output`` as plain strings,
snake_case keys such as ``input_axes``) are read; :func:`parse_transform` lists them in
``lenient`` so the validator can call them non-conformant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import MetadataError
from .model import Axis

__all__ = [
    "TRANSFORM_TYPES",
    "CoordinateSystem",
    "Ref",
    "Transform",
    "parse_coordinate_system",
    "parse_transform",
    "parse_axis",
]

TRANSFORM_TYPES = (
    "identity",
    "mapAxis",
    "projectAxis",
    "translation",
    "scale",
    "affine",
    "rotation",
    "sequence",
    "displacements",
    "coordinates",
    "byDimension",
    "bijection",
)
# keys of earlier drafts, read as their released spelling
_SNAKE = {
    "input_axes": "inputAxes",
    "output_axes": "outputAxes",
    "map_axis": "mapAxis",
    "dropped_inputs": "droppedInputs",
    "created_outputs": "createdOutputs",
    "coordinate_systems": "coordinateSystems",
    "coordinate_transformations": "coordinateTransformations",
}
_VECTOR_KEYS = {"scale": "scale", "translation": "translation"}
_MATRIX_KEYS = {"affine": "affine", "rotation": "rotation"}


@dataclass(frozen=True)
class Ref:
    """A reference to a coordinate system (``name``) or an array (``path`` only), as written
    in a transform's ``input``/``output``; ``path`` is relative to the group holding it."""

    name: str | None = None
    path: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {}
        if self.name is not None:
            out["name"] = self.name
        if self.path is not None:
            out["path"] = self.path
        return out


@dataclass(frozen=True)
class CoordinateSystem:
    """A named coordinate system and its axes.

    Examples
    --------
    >>> cs = parse_coordinate_system({"name": "world", "axes": [{"name": "x", "type": "space"}]})
    >>> cs.name, [a.name for a in cs.axes], cs.to_dict()["axes"]
    ('world', ['x'], [{'name': 'x', 'type': 'space'}])
    """

    name: str
    axes: tuple[Axis, ...]
    raw_axes: tuple[dict, ...] = ()

    @property
    def ndim(self) -> int:
        return len(self.axes)

    def to_dict(self) -> dict[str, Any]:
        axes = [dict(a) for a in self.raw_axes] or [a.to_dict() for a in self.axes]
        return {"name": self.name, "axes": axes}


@dataclass(frozen=True)
class Transform:
    """One coordinate transformation.

    ``params`` holds the numbers of the type (``scale``, ``translation``: tuples; ``affine``,
    ``rotation``: row tuples; ``mapAxis``, ``droppedInputs``, ``createdOutputs``: index tuples),
    ``path`` an array holding them instead, ``children`` the inner transforms of
    ``sequence`` (in order), ``bijection`` (forward, inverse) and ``byDimension`` (with
    ``axes`` giving each child's ``(inputAxes, outputAxes)``).
    """

    type: str
    input: Ref | None = None
    output: Ref | None = None
    name: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None
    children: tuple[Transform, ...] = ()
    axes: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = ()
    interpolation: str | None = None

    def to_dict(self, *, with_io: bool = True) -> dict[str, Any]:
        """The 0.6 JSON object (``input``/``output`` always as objects).

        Examples
        --------
        >>> t = parse_transform({"type": "scale", "scale": [2, 3], "input": "a", "output": "b"})
        >>> t.to_dict()
        {'type': 'scale', 'scale': [2.0, 3.0], 'input': {'name': 'a'}, 'output': {'name': 'b'}}
        """
        out: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            out["name"] = self.name
        for key, value in self.params.items():
            if key in _MATRIX_KEYS:
                out[key] = [list(row) for row in value]
            else:
                out[key] = list(value)
        if self.path is not None:
            out["path"] = self.path
        if self.interpolation is not None:
            out["interpolation"] = self.interpolation
        if self.type == "sequence":
            out["transformations"] = [c.to_dict() for c in self.children]
        elif self.type == "bijection":
            out["forward"] = self.children[0].to_dict()
            out["inverse"] = self.children[1].to_dict()
        elif self.type == "byDimension":
            out["transformations"] = [
                {"transformation": c.to_dict(), "inputAxes": list(i), "outputAxes": list(o)}
                for c, (i, o) in zip(self.children, self.axes, strict=True)
            ]
        if with_io:
            if self.input is not None:
                out["input"] = self.input.to_dict()
            if self.output is not None:
                out["output"] = self.output.to_dict()
        return out


def parse_axis(raw: Any, *, store=None, path=None, field: str = "axes") -> tuple[Axis, dict]:
    """An axis object -> (:class:`Axis`, the object as written)."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise MetadataError(
            f"an axis must be an object with a non-empty string 'name', got {raw!r}",
            store=store,
            path=path,
            field=field,
        )
    for key in ("type", "unit"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise MetadataError(
                f"axis {key} must be a string, got {raw[key]!r}",
                store=store,
                path=path,
                field=f"{field}.{key}",
            )
    return Axis(raw["name"], raw.get("type"), raw.get("unit")), dict(raw)


def parse_coordinate_system(
    raw: Any, *, store=None, path=None, field: str = "coordinateSystems"
) -> CoordinateSystem:
    """A ``coordinateSystems`` entry."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise MetadataError(
            "a coordinate system must be an object with a non-empty string 'name'",
            store=store,
            path=path,
            field=field,
        )
    axes_raw = raw.get("axes")
    if not isinstance(axes_raw, list) or not axes_raw:
        raise MetadataError(
            f"coordinate system {raw['name']!r} needs a non-empty 'axes' list",
            store=store,
            path=path,
            field=f"{field}.axes",
        )
    parsed = [
        parse_axis(a, store=store, path=path, field=f"{field}.axes[{i}]")
        for i, a in enumerate(axes_raw)
    ]
    names = [a.name for a, _ in parsed]
    if len(set(names)) != len(names):
        raise MetadataError(
            f"coordinate system {raw['name']!r} repeats axis names {names}",
            store=store,
            path=path,
            field=f"{field}.axes",
        )
    return CoordinateSystem(raw["name"], tuple(a for a, _ in parsed), tuple(r for _, r in parsed))


def _ref(raw: Any, lenient: list[str], where: str, *, store, path) -> Ref | None:
    if raw is None:
        return None
    if isinstance(raw, str):  # 0.6 drafts: a plain name (or dataset path)
        lenient.append(f"{where}: given as a string {raw!r}; 0.6 writes an object")
        return Ref(name=raw)
    if isinstance(raw, Mapping):
        name, rpath = raw.get("name"), raw.get("path")
        if (name is not None and not isinstance(name, str)) or (
            rpath is not None and not isinstance(rpath, str)
        ):
            raise MetadataError(
                f"'name' and 'path' must be strings, got {dict(raw)!r}",
                store=store,
                path=path,
                field=where,
            )
        return Ref(name=name, path=rpath.strip("/") if isinstance(rpath, str) else None)
    raise MetadataError(
        f"must be an object with 'name' and/or 'path', got {raw!r}",
        store=store,
        path=path,
        field=where,
    )


def _numbers(value: Any, what: str, *, store, path, where: str) -> tuple[float, ...]:
    if not isinstance(value, list) or not value:
        raise MetadataError(
            f"{what} must be a non-empty list of numbers, got {value!r}",
            store=store,
            path=path,
            field=where,
        )
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise MetadataError(
            f"{what} values must be numbers, got {value!r}", store=store, path=path, field=where
        )
    return tuple(float(v) for v in value)


def _indices(value: Any, what: str, *, store, path, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    ):
        raise MetadataError(
            f"{what} must be a list of axis indices (integers >= 0), got {value!r}",
            store=store,
            path=path,
            field=where,
        )
    if len(set(value)) != len(value):
        raise MetadataError(
            f"{what} repeats an index: {value!r}", store=store, path=path, field=where
        )
    return tuple(value)


def _matrix(value: Any, what: str, *, store, path, where: str) -> tuple[tuple[float, ...], ...]:
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise MetadataError(
            f"{what} must be a matrix (a list of rows), got {value!r}",
            store=store,
            path=path,
            field=where,
        )
    rows = tuple(_numbers(r, what, store=store, path=path, where=where) for r in value)
    if len({len(r) for r in rows}) != 1:
        raise MetadataError(
            f"{what} rows differ in length: {value!r}", store=store, path=path, field=where
        )
    return rows


def _child_list(body: Mapping[str, Any], kind: str, field: str, kw: dict) -> list:
    """The non-empty ``transformations`` list of a sequence or byDimension."""
    items = body.get("transformations")
    if not isinstance(items, list) or not items:
        raise MetadataError(
            f"{kind} needs a non-empty 'transformations' list",
            field=f"{field}.transformations",
            **kw,
        )
    return items


def _respelled(raw: Mapping[str, Any], where: str, notes: list[str]) -> dict[str, Any]:
    """A copy of ``raw`` with pre-release key spellings renamed, each noted in ``notes``."""
    body = dict(raw)
    for old, new in _SNAKE.items():
        if old in body and new not in body:
            notes.append(f"{where}: key {old!r} is a pre-release spelling of {new!r}")
            body[new] = body.pop(old)
    return body


def parse_transform(
    raw: Any,
    *,
    store=None,
    path=None,
    field: str = "coordinateTransformations",
    lenient: list[str] | None = None,
) -> Transform:
    """Parse one transformation object (any 0.6 type, nested ones included).

    ``lenient``, when given, collects the pre-release spellings that were accepted.

    Examples
    --------
    >>> t = parse_transform({"type": "sequence", "transformations": [
    ...     {"type": "translation", "translation": [1]}, {"type": "scale", "scale": [2]}],
    ...     "input": {"name": "a"}, "output": {"name": "b"}})
    >>> [c.type for c in t.children], t.children[1].params["scale"], t.output.name
    (['translation', 'scale'], (2.0,), 'b')
    """
    notes: list[str] = lenient if lenient is not None else []
    kw = dict(store=store, path=path)
    if not isinstance(raw, Mapping):
        raise MetadataError(f"a transformation must be an object, got {raw!r}", field=field, **kw)
    body = _respelled(raw, field, notes)
    kind = body.get("type")
    if kind not in TRANSFORM_TYPES:
        raise MetadataError(
            f"unknown coordinate transformation type {kind!r}; 0.6 defines {TRANSFORM_TYPES}",
            field=f"{field}.type",
            **kw,
        )
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise MetadataError(f"'name' must be a string, got {name!r}", field=field, **kw)
    params: dict[str, Any] = {}
    tpath = body.get("path")
    if tpath is not None and not isinstance(tpath, str):
        raise MetadataError(f"'path' must be a string, got {tpath!r}", field=f"{field}.path", **kw)
    children: tuple[Transform, ...] = ()
    axes: tuple = ()
    if kind in _VECTOR_KEYS:
        if kind in body:
            params[kind] = _numbers(body[kind], kind, where=f"{field}.{kind}", **kw)
        elif tpath is None:
            raise MetadataError(f"{kind} needs its '{kind}' values", field=field, **kw)
    elif kind in _MATRIX_KEYS:
        if kind in body:
            params[kind] = _matrix(body[kind], kind, where=f"{field}.{kind}", **kw)
        elif tpath is None:
            raise MetadataError(
                f"{kind} needs a '{kind}' matrix or a 'path' to one", field=field, **kw
            )
    elif kind == "mapAxis":
        params["mapAxis"] = _indices(body.get("mapAxis"), "mapAxis", where=f"{field}.mapAxis", **kw)
        if sorted(params["mapAxis"]) != list(range(len(params["mapAxis"]))):
            raise MetadataError(
                f"mapAxis must be a permutation of 0..N-1, got {list(params['mapAxis'])}",
                field=f"{field}.mapAxis",
                **kw,
            )
    elif kind == "projectAxis":
        for key in ("droppedInputs", "createdOutputs"):
            if key in body:
                params[key] = _indices(body[key], key, where=f"{field}.{key}", **kw)
        if not params:
            raise MetadataError(
                "projectAxis needs 'droppedInputs' and/or 'createdOutputs'", field=field, **kw
            )
    elif kind in ("displacements", "coordinates"):
        if tpath is None:
            raise MetadataError(f"{kind} needs a 'path' to its field", field=field, **kw)
    elif kind == "sequence":
        items = _child_list(body, kind, field, kw)
        children = tuple(
            parse_transform(t, field=f"{field}.transformations[{i}]", lenient=notes, **kw)
            for i, t in enumerate(items)
        )
    elif kind == "bijection":
        pair = []
        for key in ("forward", "inverse"):
            if key not in body:
                raise MetadataError(f"bijection needs '{key}'", field=field, **kw)
            pair.append(parse_transform(body[key], field=f"{field}.{key}", lenient=notes, **kw))
        children = tuple(pair)
    elif kind == "byDimension":
        items = _child_list(body, kind, field, kw)
        kids, pairs = [], []
        for i, item in enumerate(items):
            where = f"{field}.transformations[{i}]"
            if not isinstance(item, Mapping):
                raise MetadataError("must be an object", field=where, **kw)
            item = _respelled(item, where, notes)
            inner = item.get("transformation")
            if inner is None and "type" in item:  # drafts put the child inline
                notes.append(f"{where}: child given inline; 0.6 nests it under 'transformation'")
                inner = {k: v for k, v in item.items() if k not in ("inputAxes", "outputAxes")}
            for key in ("inputAxes", "outputAxes"):
                if key not in item:
                    raise MetadataError(f"byDimension items need '{key}'", field=where, **kw)
            kids.append(
                parse_transform(inner, field=f"{where}.transformation", lenient=notes, **kw)
            )
            pairs.append(
                (
                    _indices(item["inputAxes"], "inputAxes", where=f"{where}.inputAxes", **kw),
                    _indices(item["outputAxes"], "outputAxes", where=f"{where}.outputAxes", **kw),
                )
            )
        children, axes = tuple(kids), tuple(pairs)
    interpolation = body.get("interpolation")
    return Transform(
        type=kind,
        input=_ref(body.get("input"), notes, f"{field}.input", **kw),
        output=_ref(body.get("output"), notes, f"{field}.output", **kw),
        name=name,
        params=params,
        path=tpath.strip("/") if isinstance(tpath, str) else None,
        children=children,
        axes=axes,
        interpolation=interpolation if isinstance(interpolation, str) else None,
    )
