"""The store walker: every node of an OME-Zarr hierarchy, on :mod:`~xarray_ngff._hierarchy`.

Walks the hierarchy (image, labels, bioformats2raw series, plate wells and fields, scenes) and
reports *every* problem, each naming the node path and the field: the document rules of the
node's version (:mod:`._document`), then the structural rules no schema can express: every
dataset array exists, its ndim equals the axes count, datasets go from highest to lowest
resolution, arrays under the ``ome`` envelope carry ``dimension_names`` equal to the axis
names, the Zarr format matches the NGFF version, the omero channel count equals the ``c``
size, label images have integer pixels, listed labels exist, and a plate's listed wells and
fields exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._hierarchy import bf2raw_series_paths, node_kind
from .._metadata.bf2raw import LAYOUT_KEY
from .._metadata.geometry import level_geometry
from .._metadata.parse import ome_attrs, parse_multiscales
from .._metadata.plate import parse_plate, parse_well
from .._metadata.scene import scene_image_paths
from .._metadata.versions import VERSIONS
from .._store import NgffStore, open_store
from .._util import join
from ..errors import MetadataError, MissingArrayError, NgffError
from ._document import metadata_rules
from ._problem import Problem, Problems
from ._rules import LEGACY_AXES

__all__ = ["store_problems"]


class _Walker:
    """Walks the nodes below one path of a store, collecting their problems in ``p``."""

    def __init__(self, nstore: NgffStore) -> None:
        self.nstore = nstore
        self.p = Problems(nstore.name)

    def attrs(self, path: str) -> dict[str, Any] | None:
        try:
            return self.nstore.attrs(path)
        except NgffError as err:
            self.p.add(path, err.field or "attributes", err.message)
            return None

    def listed(
        self, parent: str, field: str, name: str, what: str
    ) -> tuple[str, dict[str, Any] | None]:
        """The path and attributes of a child that ``field`` of ``parent`` lists (``None``
        when it cannot be read); a missing child is a problem of that field."""
        child = join(parent, name)
        if not self.nstore.has_group(child):
            self.p.add(parent, field, f"{what} {name!r} is not in the store")
            return child, None
        return child, self.attrs(child)

    def metadata(
        self, path: str, attrs: Mapping[str, Any], kind: str, **context: Any
    ) -> str | None:
        """Check a document with the rules of its version; returns the short version."""
        version, problems = metadata_rules(attrs, kind, **context)
        expected_format = VERSIONS[version].zarr_format if version is not None else None
        if expected_format is not None and self.nstore.zarr_format != expected_format:
            problems.append(
                (
                    "zarr_format",
                    f"OME-NGFF {version} requires Zarr v{expected_format}, "
                    f"the store is Zarr v{self.nstore.zarr_format}",
                )
            )
        for field, msg in problems:
            self.p.add(path, field, msg)
        return version

    def image(self, path: str, attrs: Mapping[str, Any], *, label: bool = False) -> None:
        version = self.metadata(path, attrs, "label" if label else "image")
        _, body = ome_attrs(attrs)
        entries = body.get("multiscales")
        if not isinstance(entries, list):
            return
        try:
            parsed: list[Any] = parse_multiscales(attrs)[1]
        except NgffError:  # already reported by the metadata rules
            parsed = []
        for i, entry in enumerate(entries):
            if isinstance(entry, Mapping):
                ms = parsed[i] if i < len(parsed) else None
                self.structure(path, f"multiscales[{i}]", entry, body, version, label, ms)
        if not label and self.nstore.has_group(join(path, "labels")):
            self.labels(join(path, "labels"))

    def structure(
        self,
        path: str,
        field: str,
        entry: Mapping[str, Any],
        body: Mapping[str, Any],
        version: str | None,
        label: bool,
        ms: Any = None,
    ) -> None:
        datasets = entry.get("datasets")
        if not isinstance(datasets, list):
            return
        axes = entry.get("axes")
        if ms is not None and ms.coordinate_systems:  # 0.6: the intrinsic system's axes
            names = list(ms.axis_names)
        elif isinstance(axes, list):
            names = [a.get("name") if isinstance(a, Mapping) else a for a in axes]
        elif version is None or VERSIONS[version].axes == "fixed":  # tczyx implied
            names = list(LEGACY_AXES)
        else:
            names = None
        shapes: list[tuple[int, ...] | None] = []
        for j, d in enumerate(datasets):
            dpath = d.get("path") if isinstance(d, Mapping) else None
            dfield = f"{field}.datasets[{j}]"
            if not isinstance(dpath, str):
                shapes.append(None)
                continue
            try:
                array = self.nstore.array(join(path, dpath))
            except MissingArrayError:
                self.p.add(path, f"{dfield}.path", f"array {dpath!r} is not in the store")
                shapes.append(None)
                continue
            except NgffError as err:
                self.p.add(path, f"{dfield}.path", err.message)
                shapes.append(None)
                continue
            shapes.append(tuple(int(n) for n in array.shape))
            if names is not None and array.ndim != len(names):
                self.p.add(
                    path,
                    f"{dfield}.path",
                    f"array {dpath!r} has {array.ndim} dimensions but there are "
                    f"{len(names)} axes {names}",
                )
            if version is not None and VERSIONS[version].envelope and names is not None:
                dim_names = getattr(array.metadata, "dimension_names", None)
                if dim_names is None or list(dim_names) != names:
                    self.p.add(
                        path,
                        f"{dfield}.path",
                        f"array {dpath!r} dimension_names {dim_names and list(dim_names)} must equal the axis "
                        f"names {names}",
                    )
            if label and np.dtype(array.dtype).kind not in "iu":
                self.p.add(
                    path,
                    f"{dfield}.path",
                    f"label image array {dpath!r} has dtype {array.dtype}; labels are integers",
                )
        self.ordering(path, field, datasets, shapes, ms)
        omero = body.get("omero")
        if isinstance(omero, Mapping) and names is not None and "c" in names and shapes:
            channels = omero.get("channels")
            first = shapes[0]
            if isinstance(channels, list) and first is not None and len(first) == len(names):
                n_c = first[names.index("c")]
                if len(channels) != n_c:
                    self.p.add(
                        path,
                        "omero.channels",
                        f"lists {len(channels)} channels but the image has {n_c}",
                    )

    def ordering(self, path: str, field: str, datasets: list, shapes: list, ms: Any = None) -> None:
        """Datasets go from highest to lowest resolution: shapes never grow, scales never
        shrink. Scales are the composed ones the reader uses (:func:`level_geometry`)."""
        previous_shape = previous_scale = None
        geometry_ok = ms is not None and len(ms.datasets) == len(datasets)
        for j, (d, shape) in enumerate(zip(datasets, shapes, strict=True)):
            scale = None
            has_transform = isinstance(d, Mapping) and isinstance(
                d.get("coordinateTransformations"), list
            )
            if geometry_ok and has_transform:
                scale = list(level_geometry(ms, j, shapes)[0])
            where = f"{field}.datasets[{j}]"
            if (
                shape is not None
                and previous_shape is not None
                and len(shape) == len(previous_shape)
            ):
                if any(a > b for a, b in zip(shape, previous_shape, strict=True)):
                    self.p.add(
                        path,
                        where,
                        f"shape {shape} is larger than the previous level's {previous_shape}: "
                        "datasets must go from highest to lowest resolution",
                    )
            if (
                isinstance(scale, list)
                and isinstance(previous_scale, list)
                and len(scale) == len(previous_scale)
                and all(isinstance(v, int | float) for v in scale + previous_scale)
                and any(a < b for a, b in zip(scale, previous_scale, strict=True))
            ):
                self.p.add(
                    path,
                    f"{where}.coordinateTransformations",
                    f"scale {scale} is finer than the previous level's {previous_scale}: "
                    "datasets must go from highest to lowest resolution",
                )
            previous_shape = shape if shape is not None else previous_shape
            previous_scale = scale if scale is not None else previous_scale

    def labels(self, path: str) -> None:
        attrs = self.attrs(path)
        if attrs is None:
            return
        _, body = ome_attrs(attrs)
        names = body.get("labels")
        if names is None:
            return
        if "ome" in attrs:
            self.metadata(path, attrs, "labels")
        if not isinstance(names, list):
            self.p.add(path, "labels", "must be a list of names")
            return
        for i, name in enumerate(names):
            if not isinstance(name, str):
                self.p.add(path, f"labels[{i}]", f"must be a string, got {name!r}")
                continue
            lpath, lattrs = self.listed(path, f"labels[{i}]", name, "label image")
            if lattrs is not None:
                self.image(lpath, lattrs, label=True)

    def plate(self, path: str, attrs: Mapping[str, Any]) -> None:
        """The one set of plate rules (also behind ``from_hcs_zarr(validate=True)``): the
        plate and well documents through :func:`~xarray_ngff._metadata.plate.plate_problems`
        and :func:`~xarray_ngff._metadata.plate.well_problems` (own rules, then
        ome-zarr-models when installed), then every listed well and field exists and every
        field is a valid image."""
        version = self.metadata(path, attrs, "plate")
        try:
            plate = parse_plate(attrs, store=self.nstore.name, path=path or "/")
        except MetadataError:
            return  # its problems are listed above
        acq_ids = [a.id for a in plate.acquisitions or ()] or None
        for i, entry in enumerate(plate.wells):
            full, wattrs = self.listed(path, f"plate.wells[{i}].path", entry.path, "well")
            if wattrs is None:
                continue
            self.metadata(full, wattrs, "well", plate_version=version, acquisitions=acq_ids)
            try:
                well = parse_well(wattrs, store=self.nstore.name, path=full)
            except MetadataError:
                continue
            for j, img in enumerate(well.images):
                field = f"well.images[{j}].path"
                field_path, fattrs = self.listed(full, field, img.path, "field")
                if fattrs is not None:
                    self.image(field_path, fattrs)

    def bioformats2raw(self, path: str, attrs: Mapping[str, Any]) -> None:
        self.metadata(path, attrs, "bioformats2raw")
        try:
            series = bf2raw_series_paths(self.nstore, path)
        except NgffError as err:
            self.p.add(join(path, "OME"), err.field or "series", err.message)
            return
        if not series:
            self.p.add(path, LAYOUT_KEY, "the collection holds no series (groups 0, 1, ...)")
        for s in series:
            spath = join(path, s)
            sattrs = self.attrs(spath) if self.nstore.has_group(spath) else None
            if sattrs is None:
                self.p.add(path, "series", f"series {s!r} is not in the store")
                continue
            self.node(spath, sattrs)

    def node(self, path: str, attrs: Mapping[str, Any]) -> None:
        try:
            kind = node_kind(attrs, store=self.nstore.name, path=path)
        except NgffError as err:
            self.p.add(path, err.field or "ome", err.message)
            return
        if kind == "plate":
            self.plate(path, attrs)
        elif kind == "bioformats2raw":
            self.bioformats2raw(path, attrs)
        elif kind == "image":
            _, body = ome_attrs(attrs)
            self.image(path, attrs, label="image-label" in body)
        elif kind == "well":  # a well on its own: the same well rules as inside a plate
            self.metadata(path, attrs, "well")
        elif kind == "scene":
            self.scene(path, attrs)
        elif kind == "labels":
            self.labels(path)
        else:
            self.p.add(path, "attributes", "no OME-NGFF metadata in the group attributes")

    def scene(self, path: str, attrs: Mapping[str, Any]) -> None:
        self.metadata(path, attrs, "scene")
        try:
            images = scene_image_paths(attrs)
        except NgffError:
            return  # reported by the schema
        for image in images:
            child = self.attrs(join(path, image))
            if child is not None:
                self.node(join(path, image), child)


def store_problems(
    store: Any, storage_options: Mapping[str, Any] | None = None, *, path: str = ""
) -> list[Problem]:
    """Every problem of the OME-Zarr node at ``path`` and below, as :class:`Problem` values.

    :func:`validate_store` is this, formatted as text; ``from_hcs_zarr(validate=True)``
    raises with these problems.

    Examples
    --------
    >>> import tempfile, zarr
    >>> d = tempfile.mkdtemp() + "/p.ome.zarr"
    >>> g = zarr.open_group(d, mode="w", zarr_format=2)
    >>> g.attrs["plate"] = {"version": "0.4", "rows": [{"name": "A"}],
    ...     "columns": [{"name": "1"}], "wells": [{"path": "A/1", "rowIndex": 0,
    ...     "columnIndex": 0}]}
    >>> store_problems(d)
    [Problem(path='', field='plate.wells[0].path', message="well 'A/1' is not in the store")]
    """
    nstore = open_store(store, storage_options)
    walker = _Walker(nstore)
    attrs = walker.attrs(path.strip("/"))
    if attrs is not None:
        walker.node(path.strip("/"), attrs)
    return walker.p.items
