"""Stack a plate into one DataArray: one level of every field, over the grid or the wells.

The stacking job alone: it is given the plate's metadata and the plate as a DataTree
``<row>/<column>/<field>/scaleN`` (well metadata on the well nodes) and reads nothing itself,
so it sits below plate reading. :func:`~xarray_ngff.plate_to_dataarray` (in
:mod:`xarray_ngff._plate_read`) opens a plate and calls :func:`stack_plate`; see it for the
dims and coordinates of the result.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from ._metadata.plate import PlateMetadata, PlateWell, WellImage, parse_well
from ._util import join as _join
from ._util import listing as _listing
from ._warn import emit_user_level_warning
from .errors import NgffWarning, PlateError

__all__ = ["stack_plate"]


def _level_array(node: xr.DataTree, level: int, where: str) -> xr.DataArray:
    key = f"scale{level}"
    if key not in node.children:
        raise PlateError(
            f"level {level} does not exist; the image has levels "
            f"{sorted(k for k in node.children if k.startswith('scale'))}",
            path=where,
            field="level",
        )
    ds = node[key].to_dataset(inherit=False)
    names = list(ds.data_vars)
    arr = ds[names[0]]
    if not isinstance(arr.data, da.Array):
        arr = arr.chunk(arr.encoding.get("preferred_chunks") or {})
    return arr


def _origin(coord: xr.DataArray) -> float:
    return float(coord.values[0]) if coord.size else 0.0


def _same_grid(a: xr.DataArray, b: xr.DataArray) -> bool:
    """Same spacing (offsets may differ)."""
    if a.size != b.size:
        return False
    if a.size < 2:
        return a.attrs.get("spacing") == b.attrs.get("spacing")
    return bool(np.allclose(np.diff(a.values), np.diff(b.values)))


def stack_plate(
    meta: PlateMetadata,
    tree: xr.DataTree,
    level: int = 0,
    *,
    by: str = "grid",
    fill_value: Any = None,
) -> xr.DataArray:
    """Level ``level`` of every field of the plate ``tree`` as one lazy DataArray.

    ``meta`` is the plate's metadata (wells, rows, columns), ``tree`` the plate as
    :func:`~xarray_ngff._plate_read.open_plate_tree` gives it; ``by`` and ``fill_value`` are
    those of :func:`~xarray_ngff.plate_to_dataarray`, which describes the result.

    Raises
    ------
    PlateError
        ``by`` not ``"grid"`` or ``"well"``; fields whose shapes, dims, dtypes or spacings
        differ; a level that does not exist; a plate with no fields, or with no grid for
        ``by="grid"``.

    Examples
    --------
    >>> import tempfile, xarray as xr, xarray_ngff as xn
    >>> from xarray_ngff._metadata.plate import parse_plate
    >>> where = tempfile.mkdtemp() + "/plate.ome.zarr"
    >>> xn.to_hcs_zarr(where, xn.datasets.synthetic_plate(rows=1, columns=2, fields=1))
    >>> tree = xr.open_datatree(where, engine="ngff")  # the plate tree, plate metadata at its root
    >>> arr = stack_plate(parse_plate(tree.attrs), tree, by="well")
    >>> arr.dims, arr.well.values.tolist()
    (('well', 'field', 'c', 'y', 'x'), ['A/1', 'A/2'])
    """
    if by not in ("grid", "well"):
        raise PlateError(f"by must be 'grid' or 'well', got {by!r}", field="by")
    wells: list[tuple[PlateWell, list[WellImage]]] = []
    for entry in meta.wells:
        wmeta = parse_well(dict(tree[entry.path].attrs), path=entry.path)
        wells.append((entry, wmeta.images))
    if by == "grid":
        lost = [w.path for w, _ in wells if w.row_index is None or w.column_index is None]
        if lost:
            raise PlateError(
                f"wells {_listing(lost)} name no listed row/column; use by='well'",
                path="/",
                field="plate.wells",
            )
    nfield = max((len(images) for _, images in wells), default=0)
    if nfield == 0:
        raise PlateError("the plate has no fields", path="/", field="plate.wells")
    arrays: dict[tuple[int, int], xr.DataArray] = {}
    for w, (entry, images) in enumerate(wells):
        for f, img in enumerate(images):
            where = _join(entry.path, img.path)
            arrays[(w, f)] = _level_array(tree[where], level, where)
    ref_key = next(iter(arrays))
    ref = arrays[ref_key]
    ref_where = _join(wells[ref_key[0]][0].path, wells[ref_key[0]][1][ref_key[1]].path)
    dims = ref.dims
    shifted: dict[str, dict[tuple[int, int], float]] = {}
    drop: set[str] = set()
    for (w, f), arr in arrays.items():
        where = _join(wells[w][0].path, wells[w][1][f].path)
        if arr.dims != dims or arr.shape != ref.shape or arr.dtype != ref.dtype:
            raise PlateError(
                f"fields differ: {where!r} is {arr.dtype}{dict(arr.sizes)} but {ref_where!r} "
                f"is {ref.dtype}{dict(ref.sizes)}; they cannot be stacked",
                path=where,
                field="shape",
            )
        for name, coord in ref.coords.items():
            if name not in arr.coords or name in drop:
                continue
            other = arr.coords[name]
            if other.shape == coord.shape and bool((other.values == coord.values).all()):
                continue
            if name in dims and coord.dtype.kind == "f" and _same_grid(coord, other):
                shifted.setdefault(name, {})
                continue
            if name in dims and coord.dtype.kind == "f":
                raise PlateError(
                    f"fields differ in pixel spacing along {name!r}: {where!r} and "
                    f"{ref_where!r}; they cannot be stacked",
                    path=where,
                    field=name,
                )
            drop.add(name)
    for name in sorted(drop):
        emit_user_level_warning(
            f"coordinate {name!r} differs between fields; dropped from the plate array",
            NgffWarning,
        )
    if fill_value is None:
        fill_value = np.nan if np.issubdtype(ref.dtype, np.inexact) else 0
    blank = da.full(ref.shape, fill_value, dtype=ref.dtype, chunks=ref.data.chunks)

    def block(w: int | None, f: int) -> da.Array:
        arr = arrays.get((w, f)) if w is not None else None
        return blank if arr is None else arr.data

    well_of: dict[tuple[int, int], int] = {}
    for w, (entry, _) in enumerate(wells):
        if entry.row_index is not None and entry.column_index is not None:
            well_of.setdefault((entry.row_index, entry.column_index), w)
    if by == "grid" and not (meta.rows and meta.columns):
        raise PlateError(
            "the plate metadata lists no rows or no columns, so it has no grid; use "
            "by='well' to stack the wells in order",
            field="plate.rows" if not meta.rows else "plate.columns",
        )
    if by == "grid":
        shape_idx = [(r, c) for r in range(len(meta.rows)) for c in range(len(meta.columns))]
        lead = ("row", "column")
        grid = [
            [
                da.stack([block(well_of.get((r, c)), f) for f in range(nfield)])
                for c in range(len(meta.columns))
            ]
            for r in range(len(meta.rows))
        ]
        data = da.stack([da.stack(row) for row in grid])
        slots = [well_of.get(rc) for rc in shape_idx]
        lead_shape: tuple[int, ...] = (len(meta.rows), len(meta.columns))
        coords: dict[str, Any] = {
            "row": ("row", meta.row_names),
            "column": ("column", meta.column_names),
        }
    else:
        lead = ("well",)
        data = da.stack([da.stack([block(w, f) for f in range(nfield)]) for w in range(len(wells))])
        slots = list(range(len(wells)))
        lead_shape = (len(wells),)
        coords = {
            "well": ("well", [e.path for e, _ in wells]),
            "row": ("well", [e.row_name for e, _ in wells]),
            "column": ("well", [e.column_name for e, _ in wells]),
        }
    present = np.zeros((*lead_shape, nfield), bool)
    acquisition = np.full((*lead_shape, nfield), -1, np.int64)
    well_path = np.full(lead_shape, "", dtype=object)
    origins = {name: np.full((*lead_shape, nfield), np.nan) for name in shifted}
    for i, w in enumerate(slots):
        idx = np.unravel_index(i, lead_shape)
        if w is None:
            continue
        entry, images = wells[w]
        well_path[idx] = entry.path
        for f, img in enumerate(images):
            present[(*idx, f)] = True
            acquisition[(*idx, f)] = -1 if img.acquisition is None else img.acquisition
            for name in shifted:
                origins[name][(*idx, f)] = _origin(arrays[(w, f)].coords[name])
    full = (*lead, "field")
    coords["field"] = ("field", np.arange(nfield))
    coords["present"] = (full, present)
    coords["acquisition"] = (full, acquisition)
    if by == "grid":
        coords["well"] = (lead, well_path.astype(str))
    for name, coord in ref.coords.items():
        if name in drop:
            continue
        if name in shifted:
            coords[name] = (coord.dims, coord.values - _origin(coord), dict(coord.attrs))
            coords[f"{name}_origin"] = (full, origins[name], dict(coord.attrs))
        elif set(coord.dims) <= set(dims):
            coords[name] = coord.variable
    attrs = {"plate_name": meta.name} if meta.name is not None else {}
    if meta.version is not None:
        attrs["ngff_version"] = meta.version
    return xr.DataArray(data, dims=(*full, *dims), coords=coords, name=ref.name, attrs=attrs)
