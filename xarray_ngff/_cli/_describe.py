"""``xarray-ngff info``'s facts as data: :func:`describe_store` (what ``info --json`` prints).

It has no metadata reader of its own: node kinds come from :mod:`xarray_ngff._hierarchy`
(one precedence), images from the reader's ``parse_multiscales`` and per-level figures from
:func:`xarray_ngff._metadata.geometry.level_geometry` (what the reader's coordinates use),
plates and wells from ``parse_plate``/``parse_well``, labels from ``parse_labels_group``.
Only metadata is read, never pixels.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping
from typing import Any

from .._hierarchy import bf2raw_series_paths, label_names, node_kind
from .._metadata.geometry import level_geometry
from .._metadata.parse import ome_attrs, parse_multiscales
from .._metadata.plate import parse_plate, parse_well
from .._metadata.scene import scene_image_paths
from .._store import NgffStore, open_store
from .._util import join
from ..errors import MissingArrayError
from ._options import CliError

__all__ = ["describe_store"]


def _bytes_on_disk(store: str, storage_options: Mapping[str, Any] | None) -> int | None:
    try:
        if "://" not in store:
            p = pathlib.Path(store)
            if p.is_file():
                return p.stat().st_size
            return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        import fsspec

        fs, root = fsspec.core.url_to_fs(store, **dict(storage_options or {}))
        return int(fs.du(root))
    except (OSError, ValueError, ImportError):
        return None


def _codec_names(array: Any) -> list[str]:
    names = []
    for codec in getattr(array, "compressors", ()) or ():
        cfg = codec.get_config() if hasattr(codec, "get_config") else {}
        label = getattr(codec, "codec_id", None) or cfg.get("id") or type(codec).__name__
        if getattr(codec, "cname", None) is not None:
            cname = codec.cname
            label = f"{label}-{getattr(cname, 'value', cname)}"
        names.append(str(label).replace("Codec", "").lower())
    return names


def _level_array(nstore: NgffStore, path: str) -> Any:
    """The level array at ``path``, or ``None`` when the store lacks it (info shows it
    missing instead of failing, so the rest of the store can still be inspected)."""
    try:
        return nstore.array(path)
    except MissingArrayError:
        return None


def _describe_image(nstore: NgffStore, path: str) -> dict[str, Any]:
    version, multiscales, omero = parse_multiscales(
        nstore.attrs(path), store=nstore.name, path=path or "/"
    )
    ms = multiscales[0]
    axes = [a.to_dict() for a in ms.axes]
    levels = []
    arrays = [_level_array(nstore, join(path, ds.path)) for ds in ms.datasets]
    shapes = [None if a is None else tuple(int(n) for n in a.shape) for a in arrays]
    for k, (ds, array) in enumerate(zip(ms.datasets, arrays, strict=True)):
        if array is None:
            levels.append({"path": ds.path, "missing": True})
            continue
        shape = list(shapes[k])
        scale, translation = level_geometry(ms, k, shapes)
        shards = getattr(array, "shards", None)
        levels.append(
            {
                "path": ds.path,
                "shape": shape,
                "dtype": str(array.dtype),
                "chunks": [int(c) for c in array.chunks],
                "shards": [int(s) for s in shards] if shards else None,
                "compressors": _codec_names(array),
                "scale": [float(s) for s in scale],
                "translation": [float(t) for t in translation],
            }
        )
    channels = None
    if omero and isinstance(omero.get("channels"), list):
        channels = [c.get("label") for c in omero["channels"] if isinstance(c, Mapping)]
    labels: list[str] = []
    labels_path = join(path, "labels")
    if nstore.has_group(labels_path):
        # the hierarchy's names: the listed ones, else the child images the reader finds
        labels = label_names(nstore, labels_path, nstore.attrs(labels_path))
    return {
        "path": path,
        "name": ms.name,
        "version": version,
        "method": ms.type,
        "axes": axes,
        **(
            {"coordinate_systems": [c.get("name") for c in ms.coordinate_systems]}
            if ms.intrinsic
            else {}
        ),
        "channels": channels,
        "levels": levels,
        "labels": labels,
    }


def describe_store(
    store: str | os.PathLike, storage_options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What ``xarray-ngff info --json`` prints: a JSON-ready summary of an OME-Zarr.

    Reads metadata only (no pixels): the layout (``image``, ``plate``, ``bioformats2raw``),
    the OME-NGFF version, every image with its axes, units, channels, levels (shape, dtype,
    chunks, shards, codecs, scale, translation) and label images, the plate layout, and the
    bytes on disk.

    Examples
    --------
    >>> import tempfile, pathlib, zarr
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.ome.zarr"
    >>> g = zarr.open_group(path, mode="w", zarr_format=2)
    >>> _ = g.create_array("0", shape=(4, 6), chunks=(4, 6), dtype="uint8")
    >>> g.attrs["multiscales"] = [{"version": "0.4", "axes": [
    ...     {"name": "y", "type": "space", "unit": "micrometer"},
    ...     {"name": "x", "type": "space", "unit": "micrometer"}],
    ...     "datasets": [{"path": "0", "coordinateTransformations": [
    ...         {"type": "scale", "scale": [0.5, 0.5]}]}]}]
    >>> info = describe_store(path)
    >>> info["layout"], info["version"], info["images"][0]["levels"][0]["scale"]
    ('image', '0.4', [0.5, 0.5])
    """
    store = str(store)
    if "://" not in store and not pathlib.Path(store).exists():
        raise CliError(f"{store!r} does not exist")
    # the reader's way to a store (directory, zip, URL): one opener, one metadata cache
    nstore = open_store(store, storage_options)
    try:
        info = _describe(nstore, store)
    finally:
        nstore.close()
    info["bytes"] = _bytes_on_disk(store, storage_options)
    return info


def _describe(nstore: NgffStore, store: str) -> dict[str, Any]:
    attrs = nstore.attrs("")
    version, _ = ome_attrs(attrs, store=store, path="/")
    # one precedence for the whole package (plate > bioformats2raw > image > ...)
    kind = node_kind(attrs, store=store, path="/")
    info: dict[str, Any] = {"store": store, "layout": None, "version": version, "images": []}
    if kind == "image":
        info["layout"] = "image"
        image = _describe_image(nstore, "")
        info["images"].append(image)
        for label in image["labels"]:
            path = join("labels", label)
            info["images"].append({**_describe_image(nstore, path), "label": True})
    elif kind == "plate":
        info["layout"] = "plate"
        info["plate"] = _describe_plate(nstore, attrs)
        first = info["plate"].pop("first_image", None)
        if first is not None:
            info["images"].append(first)
    elif kind == "bioformats2raw":
        info["layout"] = "bioformats2raw"
        for key in bf2raw_series_paths(nstore, ""):
            info["images"].append(_describe_image(nstore, key))
    elif kind == "scene":
        info["layout"] = "scene"
        for key in scene_image_paths(attrs, store=store, path="/"):
            info["images"].append(_describe_image(nstore, key))
    else:
        raise CliError(f"{store!r} holds no OME-NGFF metadata (no multiscales, plate or series)")
    info["version"] = info["version"] or next(
        (im["version"] for im in info["images"] if im.get("version")), None
    )
    return info


def _describe_plate(nstore: NgffStore, attrs: Mapping[str, Any]) -> dict[str, Any]:
    # the reader's plate and well parsers: info has no metadata reader of its own
    plate = parse_plate(attrs, store=nstore.name, path="/")
    wells = [w.path for w in plate.wells]
    out: dict[str, Any] = {
        "name": plate.name,
        "rows": plate.row_names,
        "columns": plate.column_names,
        "wells": wells,
        "acquisitions": [a.id for a in plate.acquisitions or []],
        "field_count": plate.field_count,
    }
    if wells:
        well = parse_well(nstore.attrs(wells[0]), store=nstore.name, path=wells[0])
        out["fields_in_first_well"] = len(well.images)
        if well.images:
            out["first_image"] = _describe_image(nstore, join(wells[0], well.images[0].path))
    return out
