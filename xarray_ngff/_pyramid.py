"""Multiscale pyramids: level geometry, the blockwise reductions and the lazy DataTree.

A pyramid is an :class:`xarray.DataTree` whose root has no dims and holds the version-neutral
``multiscales`` metadata in its attrs, and whose children ``scale0 … scaleN`` each hold one
Dataset with a single variable (the image, named after it) and its coordinates.

Scale factors are **absolute** (relative to level 0). Each level is computed from the nearest
earlier level whose factors divide its own (level 0 at worst), blockwise with dask, with a halo
only where the Gaussian needs it: ``[2, 4]`` computes level 2 from level 1, ``[3, 4]`` computes
both from level 0 (256 pixels give 85 and 64, as ngff-zarr does). A level's size is always
``floor(N / F)`` of level 0's and its geometry exact. Nothing is computed when the pyramid is
built.

The scale plans (chunks, checked factors and the automatic ladder for ``scale_factors=None``)
live in :mod:`xarray_ngff._scale_plan`; their names are importable from here too.
"""

from __future__ import annotations

import bisect
import functools
import importlib.metadata
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from ._bridge import as_native, is_method_member, method_name
from ._image import (
    LEVEL_PREFIX,
    SPATIAL_DIMS,
    image_axes,
    image_scale,
    image_translation,
    level_name,
    to_ngff_image,
    validate_dims,
)
from ._metadata.emit import multiscale_to_dict
from ._metadata.model import Axis, Dataset, Multiscale
from ._methods import (
    METHODS,
    WINDOW_CENTRED,
    gaussian_radius,
    gaussian_reduce_pieces,
    nearest_offset,
    reduce_block,
)
from ._scale_plan import (
    normalize_chunks,
    normalize_scale_factors,
    plan_scale_factors,
    spatial_dims,
)
from .errors import (
    InvalidDimsError,
    InvalidMethodError,
    NgffError,
)

__all__ = [
    "to_multiscales",
    "normalize_chunks",
    "normalize_scale_factors",
    "plan_scale_factors",
    "level_name",
    "tree_levels",
    "tree_image",
    "multiscale_from_tree",
    "multiscale_from_levels",
    "multiscales_tree",
    "reduced_from",
    "reduced_from_level",
    "REDUCED_FROM",
]

#: ``encoding`` key of a pyramid level recording how it was computed from the previous level
REDUCED_FROM = "ngff_reduced_from"


def _input_chunks(chunks: tuple[int, ...], size: int, factor: int, depth: int) -> tuple[int, ...]:
    """Input chunks of ``c * factor`` so each output chunk is ``c``; none smaller than the halo."""
    step = chunks[0] * factor if chunks else size
    out = [step] * (size // step)
    if size % step:
        out.append(size % step)
    if len(out) > 1 and out[-1] < max(depth, 1):
        last = out.pop()
        out[-1] += last
    return tuple(out)


def _gaussian_level(data: da.Array, factors: tuple[int, ...], target: tuple[int, ...]) -> da.Array:
    """Gaussian step on a NumPy-backed dask array, one task per output chunk.

    Each task reads the source chunks its windows and the Gaussian radius touch and reduces
    them in one go (:func:`~xarray_ngff._methods.gaussian_reduce_pieces`): no rechunk, no halo
    copies and no float copy of the input are ever held in memory, and the output chunks are
    the requested ones.
    """
    shape = tuple(n // f * f for n, f in zip(data.shape, factors, strict=True))
    out_shape = tuple(n // f for n, f in zip(data.shape, factors, strict=True))
    out_chunks = da.core.normalize_chunks(target, out_shape)
    radii = tuple(gaussian_radius(f) for f in factors)
    bounds = [tuple(itertools.accumulate(c, initial=0)) for c in data.chunks]
    name = "gaussian-downsample-" + tokenize(data, factors, out_chunks)
    out_bounds = [tuple(itertools.accumulate(c, initial=0)) for c in out_chunks]
    # per axis and output chunk: (origin, size, source chunk indices it reads)
    per_axis = []
    for b, ob, n, f, r in zip(bounds, out_bounds, shape, factors, radii, strict=True):
        entries = []
        for o0, o1 in itertools.pairwise(ob):
            lo, hi = max(o0 * f - r, 0), min(o1 * f + r, n)
            first = bisect.bisect_right(b, lo) - 1
            last = bisect.bisect_left(b, hi) - 1
            entries.append((o0 * f, o1 - o0, range(first, last + 1)))
        per_axis.append(entries)
    dsk: dict[Any, Any] = {}
    for index in itertools.product(*(range(len(c)) for c in out_chunks)):
        entries = [per_axis[a][i] for a, i in enumerate(index)]
        sources = list(itertools.product(*(e[2] for e in entries)))
        starts = [tuple(bounds[a][j] for a, j in enumerate(src)) for src in sources]
        task = functools.partial(
            gaussian_reduce_pieces,
            starts=starts,
            shape=shape,
            origin=tuple(e[0] for e in entries),
            out_shape=tuple(e[1] for e in entries),
            factors=factors,
        )
        dsk[(name, *index)] = (task, [(data.name, *src) for src in sources])
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=[data])
    return da.Array(graph, name, out_chunks, meta=data._meta)


def _downsample(
    data: da.Array,
    dims: Sequence[str],
    rel: Mapping[str, int],
    method: str,
    out_chunks: Mapping[str, int],
) -> da.Array:
    """One pyramid step on a dask array: relative integer factors per dim."""
    factors = tuple(rel.get(d, 1) for d in dims)
    if method == "nearest":
        index = tuple(
            slice(nearest_offset(f), nearest_offset(f) + (n // f) * f, f)
            for n, f in zip(data.shape, factors, strict=True)
        )
        return data[index].rechunk(tuple(out_chunks[d] for d in dims))
    known = not any(math.isnan(c) for cs in data.chunks for c in cs)
    if method == "gaussian" and isinstance(data._meta, np.ndarray) and known:
        return _gaussian_level(data, factors, tuple(out_chunks[d] for d in dims))
    # crop to whole windows: level size is floor(N / F)
    data = data[tuple(slice(0, (n // f) * f) for n, f in zip(data.shape, factors, strict=True))]
    depths = tuple(gaussian_radius(f) if method == "gaussian" else 0 for f in factors)
    in_chunks = tuple(
        _input_chunks((out_chunks[d],), n, f, dep)
        for d, n, f, dep in zip(dims, data.shape, factors, depths, strict=True)
    )
    data = data.rechunk(in_chunks)
    out_block_chunks = tuple(
        tuple(c // f for c in cs) for cs, f in zip(in_chunks, factors, strict=True)
    )
    # a single-chunk axis needs no neighbours: pad its edges in place (dask's overlap refuses
    # a halo deeper than the axis, which happens for small levels)
    single = [a for a, cs in enumerate(data.chunks) if len(cs) == 1 and depths[a]]
    if single:
        pad = [(depths[a], depths[a]) if a in single else (0, 0) for a in range(data.ndim)]
        data = da.pad(data, pad, mode="edge").rechunk(dict.fromkeys(single, -1))
    halo = {a: (0 if a in single else d) for a, d in enumerate(depths)}
    if any(halo.values()):
        data = da.overlap.overlap(
            data, depth=halo, boundary=dict.fromkeys(range(data.ndim), "nearest")
        )
    out = data.map_blocks(
        reduce_block,
        factors,
        method,
        depths,
        chunks=out_block_chunks,
        dtype=data.dtype,
        meta=data._meta,
    )
    target = tuple(out_chunks[d] for d in dims)
    if out.chunks != da.core.normalize_chunks(target, out.shape):
        out = out.rechunk(target)
    return out


def _level_coords(
    image: xr.DataArray, factors: Mapping[str, int], offsets: Mapping[str, float], sizes
) -> dict[str, Any]:
    """Coordinates of a level from level 0's geometry: scale * F, shifted by ``offsets``
    (in level-0 pixels) so each value sits where the level's pixel is."""
    scale0 = image_scale(image)
    trans0 = image_translation(image)
    coords: dict[str, Any] = {}
    for name, coord in image.coords.items():
        if name in factors:
            f = factors[name]
            s, t = scale0[name], trans0[name]
            values = t + s * offsets[name] + s * f * np.arange(sizes[name], dtype=np.float64)
            coords[name] = xr.Variable(name, values, {**coord.attrs, "spacing": s * f})
        else:
            coords[name] = coord.variable
    return coords


def _method_metadata(method: str, scale_factors: list[dict[str, int]]) -> dict[str, Any]:
    try:
        version = importlib.metadata.version("xarray-ngff")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - source checkout
        version = "unknown"
    return {
        "description": f"xarray-ngff {method} downsampling, each level from the previous one",
        "method": f"xarray_ngff._methods.{method}",
        "version": version,
        "kwargs": {"scale_factors": scale_factors},
    }


def to_multiscales(
    image: Any,
    scale_factors: int | Sequence[int | Mapping[str, int]] | None = None,
    method: str = "gaussian",
    chunks: int | Sequence[int] | Mapping[str, int] | None = None,
) -> xr.DataTree:
    """Build a lazy multiscale pyramid.

    Parameters
    ----------
    image
        An NGFF image (:func:`~xarray_ngff.to_ngff_image`) or any array-like (default dims).
    scale_factors
        Absolute factors per level after level 0: ``[2, 4]`` gives 1/2 and 1/4 of level 0; an
        int applies to every spatial dim; dicts give per-dim factors (missing spatial dims are
        1). Factors never decrease; they need not be multiples (``[3, 4]``: each level comes
        from the nearest earlier level whose factors divide its own). ``None``: automatic
        (see :mod:`xarray_ngff._scale_plan`).
    method
        ``"gaussian"`` (default), ``"mean"``, ``"nearest"``, ``"mode"``, ``"min"``, ``"max"``,
        or a member of ngff-zarr's ``Methods`` (see :data:`xarray_ngff.compat.OURS`).
    chunks
        Dask chunks of every level (see :func:`normalize_chunks`).

    Returns
    -------
    xarray.DataTree
        Root attrs hold the neutral ``multiscales`` metadata; children ``scale0 … scaleN``.

    Examples
    --------
    >>> import numpy as np
    >>> ms = to_multiscales(np.zeros((64, 64), "uint8"), scale_factors=[2, 4], chunks=16)
    >>> [ms[f"scale{k}"]["image"].shape for k in range(3)]
    [(64, 64), (32, 32), (16, 16)]
    >>> ms["scale1"].x.values[:2].tolist()
    [0.5, 2.5]
    """
    image = as_native(image)  # an xarray_ngff.compat NgffImage gives its DataArray
    if not isinstance(image, xr.DataArray):
        image = to_ngff_image(image)
    dims = validate_dims([str(d) for d in image.dims], image.ndim)
    if is_method_member(method):  # ngff-zarr's Methods (theirs or compat's)
        method = method_name(method)
    if method not in METHODS:
        raise InvalidMethodError(
            f"method={method!r} is unknown; choose one of {METHODS}", field="method"
        )
    if method == "mode" and image.dtype.kind not in "iub":
        raise InvalidMethodError(
            f"method='mode' is for label images of integer dtype, got {image.dtype}",
            field="method",
        )
    name = str(image.name) if image.name is not None else "image"
    sizes = dict(zip(dims, image.shape, strict=True))
    chunk_sizes = normalize_chunks(chunks, dims)
    if scale_factors is None:
        ladder = plan_scale_factors(sizes, image_scale(image), chunk_sizes)
    else:
        ladder = normalize_scale_factors(scale_factors, dims, sizes)

    data = image.data if isinstance(image.data, da.Array) else to_ngff_image(image).data
    level0 = image.copy(data=data.rechunk(tuple(min(chunk_sizes[d], sizes[d]) for d in dims)))
    level0.name = name
    levels = [level0]
    # The Gaussian tasks read any chunking, so level 1 reads the source chunks when they are
    # larger than level 0's: level 0's rechunked copies are then never held for level 1.
    source = level0.data
    if method == "gaussian" and math.prod(data.numblocks) <= math.prod(source.numblocks):
        source = data
    spatial = spatial_dims(dims)
    # per level: its absolute factors, its dask source and its offsets (level-0 pixels)
    done: list[tuple[dict[str, int], da.Array, dict[str, float]]] = [
        (dict.fromkeys(spatial, 1), source, dict.fromkeys(spatial, 0.0))
    ]
    for factors in ladder:
        # the nearest earlier level whose factors divide these (level 0 always does)
        j = max(k for k, (f, _, _) in enumerate(done) if all(factors[d] % f[d] == 0 for d in f))
        base, base_data, base_offsets = done[j]
        rel = {d: factors[d] // base[d] for d in factors}
        level_sizes = {d: sizes[d] // factors.get(d, 1) for d in dims}
        out_chunks = {d: min(chunk_sizes[d], level_sizes[d]) for d in dims}
        new = _downsample(base_data, dims, rel, method, out_chunks)
        offsets = {}
        for d, r in rel.items():
            if method in WINDOW_CENTRED:
                offsets[d] = (factors[d] - 1) / 2
            else:
                offsets[d] = base_offsets[d] + nearest_offset(r) * base[d]
        coords = _level_coords(image, factors, offsets, level_sizes)
        level = xr.DataArray(new, dims=dims, coords=coords, name=name, attrs=image.attrs)
        # provenance for writers: this level is ``method`` by ``rel`` of level ``j``'s pixels,
        # valid while both dask names are unchanged (any edit gives a new name)
        level.encoding[REDUCED_FROM] = {
            "level": j,
            "source": levels[j].data.name,
            "name": new.name,
            "factors": dict(rel),
            "method": method,
        }
        levels.append(level)
        done.append((factors, new, offsets))
    return multiscales_tree(levels, name, method, ladder)


def multiscales_tree(
    levels: Sequence[xr.DataArray],
    name: str,
    method: str | None = None,
    ladder: list[dict[str, int]] | None = None,
) -> xr.DataTree:
    """The pyramid DataTree of ``levels`` (finest first): root attrs with the neutral
    ``multiscales`` metadata, children ``scale0 …`` each holding the level named ``name``.

    Examples
    --------
    >>> import numpy as np
    >>> from xarray_ngff._image import to_ngff_image
    >>> tree = multiscales_tree([to_ngff_image(np.zeros((4, 4)))], "img")
    >>> list(tree.children), tree.attrs["multiscales"][0]["name"]
    (['scale0'], 'img')
    """
    nodes: dict[str, xr.Dataset] = {}
    for k, level in enumerate(levels):
        nodes[level_name(k)] = level.to_dataset(name=name)
    ms = multiscale_from_levels(levels, name, method, ladder)
    nodes["/"] = xr.Dataset(attrs={"multiscales": [multiscale_to_dict(ms, None)]})
    return xr.DataTree.from_dict(nodes)


def multiscale_from_levels(
    levels: Sequence[xr.DataArray],
    name: str,
    method: str | None = None,
    ladder: list[dict[str, int]] | None = None,
    metadata: dict[str, Any] | None = None,
    order: Sequence[str] | None = None,
) -> Multiscale:
    """Version-neutral metadata of ``levels`` (finest first), geometry from their coordinates,
    axes in ``order`` (default: level 0's dims). Dataset paths are ``scale{k}/{name}``.

    Examples
    --------
    >>> import numpy as np
    >>> ms = to_multiscales(np.zeros((8, 8)), scale_factors=[2])
    >>> meta = multiscale_from_levels(tree_levels(ms), "image", order=("x", "y"))
    >>> meta.datasets[1].path, meta.datasets[1].translation
    ('scale1/image', (0.5, 0.5))
    """
    dims = [str(d) for d in (order or levels[0].dims)]
    datasets = []
    for k, level in enumerate(levels):
        scale, trans = image_scale(level), image_translation(level)
        datasets.append(
            Dataset(
                f"{level_name(k)}/{name}",
                tuple(scale.get(d, 1.0) for d in dims),
                tuple(trans.get(d, 0.0) for d in dims),
            )
        )
    if metadata is None and method is not None and ladder is not None:
        metadata = _method_metadata(method, ladder)
    return Multiscale(
        axes=tuple(
            Axis(a["name"], a["type"], a.get("unit"), a.get("orientation"))
            for a in image_axes(levels[0], dims)
        ),
        datasets=tuple(datasets),
        name=name,
        type=method,
        metadata=metadata,
    )


# -- reading pyramids back ----------------------------------------------------------------


def _level_nodes(tree: xr.DataTree) -> list[xr.DataTree]:
    nodes = [
        child
        for key, child in tree.children.items()
        if key.startswith(LEVEL_PREFIX) and key[len(LEVEL_PREFIX) :].isdigit()
    ]
    if not nodes:
        raise NgffError(
            f"DataTree at {tree.path!r} has no multiscale levels (children 'scale0', "
            f"'scale1', ...); children are {list(tree.children)}",
            path=tree.path,
        )
    return sorted(nodes, key=lambda n: int(n.name[len(LEVEL_PREFIX) :]))


def tree_image(node: xr.DataTree | xr.Dataset, name: str | None = None) -> xr.DataArray:
    """The image variable of one level node."""
    ds = node.to_dataset() if isinstance(node, xr.DataTree) else node
    if name is not None and name in ds.data_vars:
        return ds[name]
    variables = [v for v in ds.data_vars if set(ds[v].dims) & set(SPATIAL_DIMS)]
    if len(variables) != 1:
        raise InvalidDimsError(
            f"level holds {len(variables)} image variables {variables}; expected exactly one",
            path=getattr(node, "path", None),
        )
    return ds[variables[0]]


def _tree_name(tree: xr.DataTree) -> str | None:
    ms = tree.attrs.get("multiscales")
    if ms is None and isinstance(tree.attrs.get("ome"), Mapping):
        ms = tree.attrs["ome"].get("multiscales")
    if isinstance(ms, list) and ms and isinstance(ms[0], Mapping):
        return ms[0].get("name")
    return None


def tree_levels(tree: xr.DataTree) -> list[xr.DataArray]:
    """The levels of a pyramid tree as DataArrays, finest first.

    Examples
    --------
    >>> import numpy as np
    >>> ms = to_multiscales(np.zeros((8, 8)), scale_factors=[2])
    >>> [lvl.shape for lvl in tree_levels(ms)]
    [(8, 8), (4, 4)]
    """
    name = _tree_name(tree)
    return [tree_image(node, name) for node in _level_nodes(tree)]


def multiscale_from_tree(tree: xr.DataTree) -> Multiscale:
    """Version-neutral metadata of a pyramid tree, geometry read from the levels' coordinates
    (so it stays true after ``sel``/``isel``); name, method and its description from the root.
    """
    levels = tree_levels(tree)
    from ._metadata.parse import parse_multiscales

    method = metadata = None
    try:
        _, parsed, _ = parse_multiscales(tree.attrs)
        method, metadata = parsed[0].type, parsed[0].metadata
    except NgffError:
        pass
    name = str(levels[0].name) if levels[0].name is not None else "image"
    ms = multiscale_from_levels(levels, name, method, None, metadata)
    if any(math.isnan(v) for d in ms.datasets for v in (d.scale or ())):  # pragma: no cover
        raise NgffError("level geometry is not finite", path=tree.path)
    return ms


def reduced_from(previous: xr.DataArray, level: xr.DataArray) -> dict[str, int] | None:
    """Relative factors if ``level`` is still exactly the pyramid reduction of ``previous``
    (as built by :func:`to_multiscales`, neither edited since), else ``None``. Which earlier
    level a level was reduced from is :func:`reduced_from_level`.

    Examples
    --------
    >>> import numpy as np
    >>> ms = to_multiscales(np.zeros((8, 8)), scale_factors=[2])
    >>> l0, l1 = tree_levels(ms)
    >>> reduced_from(l0, l1)
    {'y': 2, 'x': 2}
    >>> reduced_from(l0, l1 + 1) is None
    True
    """
    record = level.encoding.get(REDUCED_FROM)
    if not isinstance(record, dict):
        return None
    if not (isinstance(previous.data, da.Array) and isinstance(level.data, da.Array)):
        return None
    if record.get("source") != previous.data.name or record.get("name") != level.data.name:
        return None
    return dict(record["factors"])


def reduced_from_level(level: xr.DataArray, index: int) -> int:
    """Index of the level that level ``index`` was reduced from, as recorded by
    :func:`to_multiscales` (``index - 1`` when nothing says otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> ms = to_multiscales(np.zeros((12, 12)), scale_factors=[3, 4, 8])
    >>> [reduced_from_level(lvl, k) for k, lvl in enumerate(tree_levels(ms)) if k]
    [0, 0, 2]
    """
    record = level.encoding.get(REDUCED_FROM)
    source = record.get("level") if isinstance(record, dict) else None
    return source if isinstance(source, int) and 0 <= source < index else index - 1
