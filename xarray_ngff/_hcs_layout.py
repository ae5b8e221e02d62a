"""The layout of an HCS plate being written: the grid, its acquisitions, where the fields
come from, and the plate and well documents on the store.

:func:`plan_plate` checks and orders what :func:`~xarray_ngff.to_hcs_zarr` is asked to write
(field paths, labels, rows, columns, acquisitions, the fields' order in their wells) before
anything is written. The group documents are read and written here directly, one key each
(:func:`ensure_group` never rewrites one, :func:`write_attrs` replaces the attributes), and
:func:`well_lock` serialises the updates of one well's field list (:func:`add_field`) across
threads and local processes. :mod:`xarray_ngff._hcs_writer` puts these in the safe order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import posixpath
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import xarray as xr
from zarr.abc.store import Store

from ._metadata.parse import ome_attrs
from ._metadata.plate import (
    PlateAcquisition,
    PlateColumn,
    PlateMetadata,
    PlateRow,
    PlateWell,
    WellImage,
    WellMetadata,
    parse_well,
    well_attrs,
)
from ._util import field_sort_key as _field_sort_key
from ._util import join as _join
from ._util import listing as _listing
from ._util import name_sort_key as _name_sort_key
from .errors import NgffError, PlateError, WriteError

__all__ = [
    "ALPHANUMERIC",
    "PlatePlan",
    "add_field",
    "as_acquisitions",
    "ensure_group",
    "fields_from",
    "grid_names",
    "plan_plate",
    "plate_metadata",
    "read_attrs",
    "sorted_names",
    "sync",
    "well_images",
    "well_lock",
    "write_attrs",
]

#: a field path inside a well, and each part of a plate's field paths
ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")


# -- group documents on the store ------------------------------------------------------------


_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _thread_lock(store_key: str, path: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((store_key, path), threading.Lock())


def sync(coro):
    """Run a zarr store coroutine to completion (zarr's own event loop)."""
    from zarr.core.sync import sync as zarr_sync

    return zarr_sync(coro)


def _buffer(doc: Mapping[str, Any]):
    from zarr.core.buffer import default_buffer_prototype

    text = json.dumps(doc, indent=2, allow_nan=False)
    return default_buffer_prototype().buffer.from_bytes(text.encode())


def _get_json(store: Store, key: str) -> dict[str, Any] | None:
    from zarr.core.buffer import default_buffer_prototype

    buf = sync(store.get(key, prototype=default_buffer_prototype()))
    if buf is None:
        return None
    return json.loads(buf.to_bytes())


def _group_keys(zarr_format: int, path: str) -> tuple[str, str | None]:
    if zarr_format == 3:
        return _join(path, "zarr.json"), None
    return _join(path, ".zgroup"), _join(path, ".zattrs")


def ensure_group(store: Store, zarr_format: int, path: str) -> None:
    """Create the group document if absent; never rewrites or deletes anything."""
    key, _ = _group_keys(zarr_format, path)
    doc = (
        {"zarr_format": 3, "node_type": "group", "attributes": {}}
        if zarr_format == 3
        else {"zarr_format": 2}
    )
    if sync(store.exists(key)):
        return
    with contextlib.suppress(FileExistsError):  # another process created it first
        sync(store.set_if_not_exists(key, _buffer(doc)))


def read_attrs(store: Store, zarr_format: int, path: str) -> dict[str, Any] | None:
    key, attrs_key = _group_keys(zarr_format, path)
    if zarr_format == 3:
        doc = _get_json(store, key)
        return None if doc is None else dict(doc.get("attributes") or {})
    if not sync(store.exists(key)):
        return None
    return _get_json(store, attrs_key) or {}


def write_attrs(store: Store, zarr_format: int, path: str, attrs: Mapping[str, Any]) -> None:
    key, attrs_key = _group_keys(zarr_format, path)
    if zarr_format == 3:
        doc = {"zarr_format": 3, "node_type": "group", "attributes": dict(attrs)}
        sync(store.set(key, _buffer(doc)))
    else:
        ensure_group(store, 2, path)
        sync(store.set(attrs_key, _buffer(dict(attrs))))


@contextlib.contextmanager
def well_lock(local_root: pathlib.Path | None, store_key: str, well_path: str) -> Iterator[None]:
    """Serialise updates of one well's metadata: threads via a lock, processes (local stores)
    via ``flock`` on the well directory, which needs no extra file in the plate."""
    with _thread_lock(store_key, well_path):
        if local_root is None:
            yield
            return
        import fcntl

        fd = os.open(local_root / well_path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def well_images(store: Store, zarr_format: int, path: str, label: str) -> list[WellImage] | None:
    """The fields a well group lists, or ``None`` when there is no well at ``path`` yet."""
    attrs = read_attrs(store, zarr_format, path)
    if not attrs or "well" not in ome_attrs(attrs)[1]:
        return None
    return parse_well(attrs, store=label, path=path).images


def add_field(
    attrs: Mapping[str, Any], entry: WellImage, version: str, *, label: str, path: str
) -> dict[str, Any]:
    """A well group's attributes with ``entry`` in its field list: a field written again
    keeps its place, a new one is appended, numeric paths stay in numeric order."""
    attrs = dict(attrs)
    images: list[WellImage] = []
    if "well" in ome_attrs(attrs)[1]:
        images = parse_well(attrs, store=label, path=path).images
    paths = [i.path for i in images]
    if entry.path in paths:
        images[paths.index(entry.path)] = entry
    else:
        images.append(entry)
    if all(i.path.isdigit() for i in images):
        images.sort(key=lambda i: _field_sort_key(i.path))
    attrs.pop("well", None)
    attrs.pop("ome", None)
    attrs.update(well_attrs(WellMetadata(images), version))
    return attrs


def plate_metadata(
    rows: Sequence[str],
    columns: Sequence[str],
    written: Mapping[str, list[WellImage]],
    *,
    acquisitions: list[PlateAcquisition] | None,
    field_count: int | None,
    name: str | None,
    version: str,
) -> PlateMetadata:
    """The plate document listing the wells ``written`` (``"A/1"`` -> its fields), in the
    given order; ``field_count`` defaults to the largest number of fields in a well."""
    wells = []
    for path in written:
        r, c = path.split("/")
        wells.append(PlateWell(path, rows.index(r), columns.index(c)))
    return PlateMetadata(
        [PlateRow(r) for r in rows],
        [PlateColumn(c) for c in columns],
        wells,
        acquisitions=acquisitions,
        field_count=field_count or max(len(v) for v in written.values()),
        name=name,
        version=version,
    )


# -- the grid and its acquisitions ------------------------------------------------------------


def as_acquisitions(acquisitions: Any) -> list[PlateAcquisition] | None:
    if acquisitions is None:
        return None
    out = []
    for a in acquisitions:
        if isinstance(a, PlateAcquisition):
            out.append(a)
        elif isinstance(a, int) and not isinstance(a, bool):
            out.append(PlateAcquisition(a))
        elif isinstance(a, Mapping) and isinstance(a.get("id"), int):
            known = {f.name for f in dataclasses.fields(PlateAcquisition)}
            out.append(PlateAcquisition(**{k: v for k, v in a.items() if k in known}))
        else:
            raise PlateError(
                f"an acquisition must be an int id, a mapping with an 'id' or a "
                f"PlateAcquisition, got {a!r}",
                field="acquisitions",
            )
    ids = [a.id for a in out]
    if len(set(ids)) != len(ids) or any(i < 0 for i in ids):
        raise PlateError(
            f"acquisition ids must be unique non-negative integers, got {ids}",
            field="acquisitions",
        )
    return out


def grid_names(values: Iterable[Any], what: str) -> list[str]:
    """Row or column names (``what``): unique and alphanumeric, else a :class:`PlateError`."""
    names = [str(v.name if isinstance(v, PlateRow | PlateColumn) else v) for v in values]
    bad = [n for n in names if not ALPHANUMERIC.fullmatch(n)]
    if not names or bad or len(set(names)) != len(names):
        raise PlateError(f"{what} must be unique alphanumeric names, got {names}", field=what)
    return names


# -- the fields of a plate to write ----------------------------------------------------------


def fields_from(plate: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``{"A/1/0": multiscales}``, plate-level attrs) from a DataTree or a mapping."""
    if isinstance(plate, xr.DataTree):
        fields: dict[str, Any] = {}
        for node in plate.subtree:
            rel = node.relative_to(plate) if node is not plate else ""
            parts = rel.split("/") if rel else []
            if len(parts) == 3:
                fields[rel] = node
        _, body = ome_attrs(dict(plate.attrs))
        return fields, dict(body.get("plate") or {})
    if isinstance(plate, Mapping):
        return {str(k).strip("/"): v for k, v in plate.items()}, {}
    raise WriteError(
        f"plate must be a DataTree '<row>/<column>/<field>' or a mapping "
        f"{{'A/1/0': multiscales}}, got {type(plate).__name__}",
        field="plate",
    )


def sorted_names(names: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(names))
    return sorted(unique, key=_name_sort_key)


@dataclasses.dataclass
class PlatePlan:
    """What :func:`~xarray_ngff.to_hcs_zarr` writes, checked: the fields by path, the plate
    metadata, each field's acquisition from the source and the order of the writes."""

    fields: dict[str, Any]
    rows: list[str]
    columns: list[str]
    acquisitions: Any
    name: str | None
    field_acquisitions: dict[str, int]
    order: list[str]
    labels: dict[str, Any]


def plan_plate(
    store: Any,
    plate: Any,
    *,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    acquisitions: Any = None,
    name: str | None = None,
    field_acquisitions: Mapping[str, int] | None = None,
    labels: Mapping[str, Any] | None = None,
) -> PlatePlan:
    """Check and plan a whole plate (see :func:`~xarray_ngff.to_hcs_zarr`); raises before
    anything is written.

    Examples
    --------
    >>> plan = plan_plate("p.zarr", {"B/2/0": 0, "A/10/0": 1, "A/2/0": 2})
    >>> plan.rows, plan.columns, plan.order
    (['A', 'B'], ['2', '10'], ['A/10/0', 'A/2/0', 'B/2/0'])
    """
    fields, doc = fields_from(plate)
    if not fields:
        raise WriteError("the plate has no fields to write", store=str(store), field="plate")
    bad = [
        k
        for k in fields
        if len(k.split("/")) != 3 or not all(ALPHANUMERIC.fullmatch(p) for p in k.split("/"))
    ]
    if bad:
        raise WriteError(
            f"field paths must be '<row>/<column>/<field>' with alphanumeric parts (such as "
            f"'A/1/0' or 'A/1/A1f0'), got {_listing(bad)}",
            store=str(store),
            field="plate",
        )
    labels = dict(labels or {})
    unknown = [k for k in labels if k not in fields]
    if unknown:
        raise WriteError(
            f"labels name fields {_listing(unknown)} that the plate does not have",
            store=str(store),
            field="labels",
        )
    parsed_rows = [r.get("name") for r in doc.get("rows", []) if isinstance(r, Mapping)]
    parsed_cols = [c.get("name") for c in doc.get("columns", []) if isinstance(c, Mapping)]
    rows = list(rows or parsed_rows or sorted_names(k.split("/")[0] for k in fields))
    columns = list(columns or parsed_cols or sorted_names(k.split("/")[1] for k in fields))
    if acquisitions is None:
        acquisitions = doc.get("acquisitions")
    if name is None:
        name = doc.get("name")
    source_acq: dict[str, int] = {}
    # fields are written (and so listed) in the well's order: the source well's list, then
    # the order given
    rank = {key: (1, i) for i, key in enumerate(fields)}
    if isinstance(plate, xr.DataTree):
        for key in fields:
            wnode = plate[posixpath.dirname(key)]
            with contextlib.suppress(NgffError):
                for i, img in enumerate(parse_well(dict(wnode.attrs)).images):
                    full = _join(posixpath.dirname(key), img.path)
                    if full in rank:
                        rank[full] = (0, i)
                    if img.acquisition is not None:
                        source_acq[full] = img.acquisition
    source_acq.update(field_acquisitions or {})
    order = sorted(fields, key=lambda k: (k.split("/")[:2], rank[k]))
    return PlatePlan(fields, rows, columns, acquisitions, name, source_acq, order, labels)
