"""Write label images: ``labels/<name>`` pyramids, the ``labels`` listing and ``image-label``.

A label image is a multiscales image of integers under ``labels/<name>`` of its image, with an
``image-label`` block (colours, properties, source) beside its ``multiscales``; the ``labels``
group lists the label images. Only the metadata envelope depends on the NGFF version
(:func:`envelope`); the pyramid, layout and order of writes do not.

Order of writes: each label's arrays, then its metadata, then the ``labels`` listing naming
it; a reader never finds a listed label that is not complete. :func:`add_label` adds one to an
existing image (a plate field too) the same way, leaving the image's own metadata untouched.
"""

from __future__ import annotations

import os
import pathlib
import posixpath
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import dask
import numpy as np
import xarray as xr
import zarr
import zarr.storage

from ._axes import AXIS_NAMES_ATTR
from ._compute import done, run
from ._image import image_scale, make_coords
from ._image_writer import ImagePlan, image_finalize, image_stored, prepare_image
from ._metadata.labels import parse_image_label, parse_labels_group
from ._metadata.parse import ome_attrs, parse_multiscales
from ._metadata.versions import VERSIONS
from ._pyramid import to_multiscales, tree_levels
from ._sources import child_location, find_sources, local_location, location_of_store, relation
from ._targets import Target
from ._warn import emit_user_level_warning
from .errors import NgffError, NgffWarning, StoreExistsError, WriteError

__all__ = ["add_label", "envelope", "label_tasks", "prepare_labels"]

_SPATIAL = ("z", "y", "x")


def envelope(version: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Group attributes holding the OME ``body`` for ``version`` (0.4: bare keys; later
    versions: inside ``ome`` with the version).

    Examples
    --------
    >>> envelope("0.4", {"labels": ["cells"]})
    {'labels': ['cells']}
    >>> envelope("0.5", {"labels": ["cells"]})
    {'ome': {'version': '0.5', 'labels': ['cells']}}
    """
    info = VERSIONS[version]
    if not info.envelope:
        return dict(body)
    return {"ome": {"version": info.written_as or version, **body}}


def _image_label_doc(
    raw: Mapping[str, Any] | None,
    version: str,
    colors: Mapping[int, Sequence[int]] | None,
    properties: Mapping[int, Mapping[str, Any]] | None,
    source: str | None,
    where: str,
    default_source: bool = True,
) -> dict[str, Any]:
    """The ``image-label`` block to write: ``raw`` (as read, unknown keys kept) updated with
    the given colours/properties/source, checked by the reader's parser."""
    doc = {k: v for k, v in dict(raw or {}).items() if k != "version"}
    if colors is not None:
        doc["colors"] = [
            {"label-value": int(v), "rgba": [int(c) for c in rgba]} for v, rgba in colors.items()
        ]
    if properties is not None:
        doc["properties"] = [
            {"label-value": int(v), **dict(props)} for v, props in properties.items()
        ]
    if source is not None:
        doc["source"] = {"image": source}
    if default_source:  # new labels name their image; labels read keep what they had
        doc.setdefault("source", {"image": "../../"})
    for i, entry in enumerate(doc.get("colors") or []):
        rgba = entry.get("rgba") if isinstance(entry, Mapping) else None
        if not isinstance(rgba, list) or len(rgba) != 4 or not all(0 <= c <= 255 for c in rgba):
            raise WriteError(
                f"image-label colour {entry!r} needs 'rgba': four integers 0-255",
                store=where,
                field=f"image-label.colors[{i}]",
            )
    try:
        parsed = parse_image_label({"image-label": doc})
    except NgffError as err:
        raise WriteError(err.message, store=where, field=err.field) from None
    if (
        parsed
        and parsed.colors
        and parsed.properties
        and set(parsed.colors) != set(parsed.properties)
    ):
        emit_user_level_warning(
            f"image-label colors name the values {sorted(parsed.colors)} and properties "
            f"{sorted(parsed.properties)}; ome-zarr-models rejects labels where they differ "
            f"(store={where!r}, field='image-label')",
            NgffWarning,
        )
    if not VERSIONS[version].envelope:  # 0.4: the version sits in the block itself
        doc = {"version": version, **doc}
    return doc


def _raw_image_label(obj: Any) -> dict[str, Any] | None:
    attrs = dict(getattr(obj, "attrs", {}) or {})
    try:
        _, body = ome_attrs(attrs)
    except NgffError:
        body = attrs
    raw = body.get("image-label")
    return dict(raw) if isinstance(raw, Mapping) else None


def _ladder(image_levels: list[xr.DataArray], label: xr.DataArray) -> list[dict[str, int]]:
    """The image's absolute scale factors per level, applied to the label's spatial dims
    (1 where the label is a single pixel thick)."""
    s0 = image_scale(image_levels[0])
    out = []
    for lvl in image_levels[1:]:
        s = image_scale(lvl)
        out.append(
            {
                d: (max(1, round(s[d] / s0[d])) if label.sizes[d] > 1 else 1)
                for d in label.dims
                if d in _SPATIAL and d in s
            }
        )
    return out


def _as_label_image(data: Any, image0: xr.DataArray, where: str) -> xr.DataArray:
    """A label DataArray with the image's dims: array-likes get the image's geometry; dims the
    label lacks are added with size 1 (NGFF: each label dim is the image's or 1)."""
    if not isinstance(data, xr.DataArray):
        arr = np.asarray(data) if not hasattr(data, "shape") else data
        dims = [str(d) for d in image0.dims]
        if arr.ndim != len(dims) and "c" in dims:
            dims.remove("c")  # a label of a multichannel image has no channels
        dims = dims[len(dims) - arr.ndim :] if arr.ndim <= len(dims) else dims
        if tuple(arr.shape) != tuple(image0.sizes[d] for d in dims):
            raise WriteError(
                f"a label array of shape {tuple(arr.shape)} must match the image's dims "
                f"{tuple(image0.dims)} of sizes {tuple(image0.shape)} (or pass a DataArray "
                "with dims and coordinates)",
                store=where,
                field="labels",
            )
        data = xr.DataArray(arr, dims=dims)
    extra = [str(d) for d in data.dims if d not in image0.dims]
    if extra:
        raise WriteError(
            f"label dims {extra} are not dims of the image {tuple(image0.dims)}",
            store=where,
            field="labels",
        )
    for d in image0.dims:
        if d not in data.dims:
            data = data.expand_dims({d: 1})
            if d in image0.coords and d != "c":
                coord = image0.coords[d]
                first = float(coord.values[0])
                spacing = float(coord.attrs.get("spacing", 1.0))
                units = {d: coord.attrs.get("units")}
                data = data.assign_coords(make_coords([d], [1], {d: spacing}, {d: first}, units))
        elif d not in data.coords and d in image0.coords and data.sizes[d] == image0.sizes[d]:
            data = data.assign_coords({d: image0.coords[d]})
    data = data.transpose(*image0.dims)
    if data.dtype == bool:  # a mask: NGFF label dtypes are integers
        data = data.astype("uint8")
    if data.dtype.kind not in "iu":
        raise WriteError(
            f"label images hold integers; got dtype {data.dtype}", store=where, field="dtype"
        )
    return data


def _label_tree(value: Any, plan: ImagePlan, where: str) -> xr.DataTree:
    if isinstance(value, xr.DataTree):
        return value
    image0 = plan.levels[0]
    label = _as_label_image(value, image0, where)
    attrs = dict(label.attrs)
    label = label.rename(where.rsplit("/", 1)[-1]) if label.name is None else label
    if plan.axis_names and AXIS_NAMES_ATTR not in label.attrs:
        label.attrs[AXIS_NAMES_ATTR] = dict(plan.axis_names)  # the image's stored names
    try:
        chunks = dict(zip(plan.order, plan.prepared[0].chunks, strict=True))  # the image's
        tree = to_multiscales(
            label, scale_factors=_ladder(plan.levels, label), method="mode", chunks=chunks
        )
    except NgffError as err:
        raise WriteError(err.message, store=where, field=err.field or "labels") from None
    if "image-label" in attrs:
        tree.attrs["image-label"] = attrs["image-label"]
    return tree


def _check_name(name: Any, store: str) -> str:
    parts = str(name).strip("/").split("/")
    if not isinstance(name, str) or not name.strip("/") or any(p in ("", ".", "..") for p in parts):
        raise WriteError(
            f"label name {name!r} must be a relative path such as 'cells'",
            store=store,
            field="labels",
        )
    if parts[0] == "labels":
        raise WriteError(
            f"label name {name!r}: give the name only, labels/ is added",
            store=store,
            field="labels",
        )
    return str(name).strip("/")


def prepare_labels(
    labels: Mapping[str, Any] | bool | None,
    plan: ImagePlan,
    store: str,
    *,
    colors: Mapping[int, Sequence[int]] | None = None,
    properties: Mapping[int, Mapping[str, Any]] | None = None,
    source: str | None = None,
    prefix: str | None = None,
) -> dict[str, ImagePlan]:
    """Plans of the label images of ``plan`` (``labels`` as for ``to_ngff_zarr``), checked
    before anything is written; ``colors``/``properties``/``source`` apply to every one."""
    if labels is False:
        return {}
    if labels is None:
        node = plan.tree.children.get("labels")
        labels = dict(node.children) if node is not None else {}
    if not isinstance(labels, Mapping):
        raise WriteError(
            f"labels must be a mapping {{name: label image}}, None or False, got "
            f"{type(labels).__name__}",
            store=store,
            field="labels",
        )
    base = plan.prefix if prefix is None else prefix
    out: dict[str, ImagePlan] = {}
    for name, value in labels.items():
        name = _check_name(name, store)
        where = posixpath.join("labels", name)
        tree = _label_tree(value, plan, f"{store}/{where}")
        levels = tree_levels(tree)
        lp = prepare_image(
            tree,
            plan.version,
            store,
            compressors=plan.codecs,
            chunks_per_shard=plan.chunks_per_shard,  # sharded like their image
            omero=False,
            layout=plan.layout,
            prefix=posixpath.join(base, where),
        )
        if lp.dtype.kind not in "iu":
            raise WriteError(
                f"label {name!r} has dtype {lp.dtype}; label images hold integers",
                store=store,
                path=where,
                field="dtype",
            )
        raw = _raw_image_label(tree) or _raw_image_label(levels[0])
        doc = _image_label_doc(
            raw,
            plan.version,
            colors,
            properties,
            source,
            f"{store}/{where}",
            default_source=not isinstance(value, xr.DataTree),
        )
        lp.extra = {"image-label": doc}
        out[name] = lp
    return out


def _write_listing(
    *_done: Any,
    store: Any,
    version: str,
    path: str,
    names: list[str],
    drop: bool = False,
    order: Sequence[str] | None = None,
) -> None:
    """Set the ``labels`` listing of the group at ``path``: existing names first, then
    ``names`` (``drop=True``: remove ``names``), in ``order`` where it names them (a replaced
    label keeps its place). Other keys of the group are kept."""
    zarr_format = VERSIONS[version].zarr_format
    group = zarr.open_group(store, path=path, mode="a", zarr_format=zarr_format)
    attrs = dict(group.attrs)
    listed = parse_labels_group(attrs) or []
    if drop:
        listed = [n for n in listed if n not in names]
    else:
        listed = listed + [n for n in names if n not in listed]
    if order:
        rank = {n: i for i, n in enumerate(order)}
        listed = sorted(listed, key=lambda n: rank.get(n, len(rank)))
    _, body = ome_attrs(attrs)
    body.pop("version", None)
    body["labels"] = listed
    for key in ("ome", "labels"):
        attrs.pop(key, None)
    group.attrs.put({**attrs, **envelope(version, body)})


def label_tasks(
    store: Any,
    plan: ImagePlan,
    label_plans: Mapping[str, ImagePlan],
    after: Any,
    local: pathlib.Path | None = None,
    order: Sequence[str] | None = None,
) -> Any:
    """Create the label arrays now; return a Delayed that completes once ``after``, every
    label (pixels then metadata) and then the ``labels`` listing are written."""
    if not label_plans:
        return after
    finished = [
        image_finalize(image_stored(store, lp, local), store, lp) for lp in label_plans.values()
    ]
    listing = dask.delayed(_write_listing, pure=False)(
        *finished,
        store=store,
        version=plan.version,
        path=posixpath.join(plan.prefix, "labels"),
        names=list(label_plans),
        order=list(order) if order else None,
    )
    return dask.delayed(done, pure=False)(after, listing)


def _reads_label(arrays: Sequence[Any], target: Target, label_path: str) -> bool:
    """Whether the dask graphs read from ``label_path`` of the target store (found by where
    the sources live, see :mod:`xarray_ngff._sources`)."""
    if target.location is None:
        return False
    where = child_location(target.location, label_path)
    return relation(where, find_sources(*arrays)) is not None


def _reconsolidate(_done: Any, store: Any, zarr_format: int) -> None:
    """Refresh consolidated metadata (ngff-zarr writes it) so that readers using it see the
    new label; stores without it are left without it."""
    if zarr_format == 2:
        from zarr.core.sync import sync

        if not sync(store.exists(".zmetadata")):
            return
    elif zarr.open_group(store, mode="r", zarr_format=3).metadata.consolidated_metadata is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr: consolidated metadata is not in the v3 spec
        zarr.consolidate_metadata(store, zarr_format=zarr_format)


def _writable(store: Any, storage_options: Mapping[str, Any] | None) -> tuple[Any, Target]:
    if isinstance(store, os.PathLike) or (isinstance(store, str) and "://" not in store):
        path = pathlib.Path(os.fspath(store)).expanduser().absolute()
        if path.is_file():  # a .zip/.ozx archive: its entries cannot be rewritten in place
            raise WriteError(
                f"cannot add a label inside the archive {str(store)!r}; write the image again "
                "with labels={...} (to_ngff_zarr) to get an archive with the label",
                store=str(store),
                field="store",
            )
        zstore = zarr.storage.LocalStore(path)
        where = local_location(path)
        return zstore, Target(zstore, str(store), local=path, state="zarr", location=where)
    if isinstance(store, str):
        zstore = zarr.storage.FsspecStore.from_url(
            store, storage_options=dict(storage_options or {}), read_only=False
        )
        return zstore, Target(zstore, store, state="zarr", location=location_of_store(zstore))
    if isinstance(store, zarr.abc.store.Store) and not store.read_only:
        return store, Target(store, str(store), state="zarr", location=location_of_store(store))
    raise WriteError(
        f"cannot add a label to {store!r}: give a path, an fsspec URL or a writable zarr Store",
        store=str(store),
        field="store",
    )


def add_label(
    store: Any,
    name: str,
    label: Any,
    *,
    image: str = "",
    colors: Mapping[int, Sequence[int]] | None = None,
    properties: Mapping[int, Mapping[str, Any]] | None = None,
    source: str | None = None,
    overwrite: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    compute: bool = True,
    progress: bool = False,
) -> Any:
    """Add a label image to an existing OME-Zarr image (or a plate field).

    Parameters
    ----------
    store
        The image's store (path, fsspec URL or writable zarr Store).
    name
        The label's name: it is written at ``labels/<name>`` and listed in ``labels``.
    label
        A DataArray (missing dims of the image are added with size 1; it gets the image's
        pyramid ladder with ``method="mode"``), an array of the image's shape (it gets the
        image's geometry) or a label pyramid DataTree with as many levels as the image.
    image
        Path of the image group inside the store (``"A/1/0"`` for a plate field).
    colors, properties, source
        ``{value: (r, g, b, a)}`` with 0-255 ints, ``{value: {"class": ...}}`` and the path
        of the image relative to the label (default ``"../../"``); they override an
        ``image-label`` block in ``label.attrs``.
    overwrite
        Replace a label of that name (it is unlisted first, so no reader sees it half
        written); ``False`` refuses.
    compute, progress
        As for :func:`~xarray_ngff.to_ngff_zarr`.

    Examples
    --------
    >>> import tempfile, numpy as np, xarray_ngff as xn
    >>> img = xn.to_ngff_image(np.zeros((32, 32), "uint16"), scale={"y": 0.5, "x": 0.5})
    >>> d = tempfile.mkdtemp() + "/img.ome.zarr"
    >>> xn.to_ngff_zarr(d, xn.to_multiscales(img, scale_factors=[2]))
    >>> cells = np.zeros((32, 32), "uint8"); cells[8:16, 8:16] = 1
    >>> xn.add_label(d, "cells", cells, colors={1: (255, 0, 0, 255)})
    >>> tree = xn.from_ngff_zarr(d)
    >>> int(tree["labels/cells/scale1"]["cells"].max()), xn.image_label(
    ...     tree["labels/cells"]).colors
    (1, {1: (255, 0, 0, 255)})
    """
    from ._image_read import image_levels
    from ._store import open_store

    label_name = str(store)
    name = _check_name(name, label_name)
    nstore = open_store(store, storage_options)
    path = image.strip("/")
    attrs = nstore.attrs(path)
    version, multiscales, _ = parse_multiscales(attrs, store=nstore.name, path=path or "/")
    if version not in VERSIONS or not VERSIONS[version].writable:
        writable = [v for v, info in VERSIONS.items() if info.writable]
        raise WriteError(
            f"labels are written for OME-NGFF {', '.join(writable)}; the image is version "
            f"{version}",
            store=label_name,
            path=path or "/",
            field="version",
        )
    levels = image_levels(nstore, path, attrs, {})
    tree = xr.DataTree.from_dict(dict(levels))
    flat = all(ds.path.isdigit() for ds in multiscales[0].datasets)
    var = next(iter(levels["scale0"].data_vars.values()))
    shards, chunks = var.encoding.get("shards"), var.encoding.get("chunks")
    # a label added to a sharded image is sharded the same way
    cps = (
        {d: max(1, s // c) for d, s, c in zip(var.dims, shards, chunks, strict=True)}
        if shards and chunks
        else None
    )
    plan = prepare_image(
        tree,
        version,
        label_name,
        layout="flat" if flat else "scale-groups",
        chunks_per_shard=cps,
    )
    plan.prefix = path
    label_plans = prepare_labels(
        {name: label},
        plan,
        label_name,
        colors=colors,
        properties=properties,
        source=source,
    )
    zstore, target = _writable(store, storage_options)
    label_path = posixpath.join(path, "labels", name)
    listed = (
        parse_labels_group(nstore.attrs(posixpath.join(path, "labels")))
        if nstore.has_group(posixpath.join(path, "labels"))
        else None
    )
    exists = nstore.has_group(label_path) or name in (listed or [])
    if exists:
        if not overwrite:
            raise StoreExistsError(
                f"the image already has a label {name!r}; pass overwrite=True to replace it",
                store=label_name,
                path=label_path,
                field="labels",
            )
        data = [lvl.data for lvl in label_plans[name].prepared]
        if _reads_label(data, target, label_path):
            raise WriteError(
                f"the label is read lazily from the label {name!r} it would replace; load it "
                "(.load()) or write it under another name",
                store=label_name,
                path=label_path,
                field="labels",
            )
        # unlist it first: while it is rewritten no reader is told it exists
        _write_listing(
            store=zstore,
            version=version,
            path=posixpath.join(path, "labels"),
            names=[name],
            drop=True,
        )
    task = label_tasks(zstore, plan, label_plans, None, order=listed if exists else None)
    task = dask.delayed(_reconsolidate, pure=False)(task, zstore, VERSIONS[version].zarr_format)
    if not compute:
        return task
    run(task, progress)
    return None
