"""The ``xarray-ngff`` command line: ``convert``, ``info``, ``validate`` and ``transform``.

Install with the ``cli`` extra (from a clone ``python3 -m pip install ".[cli]"``; once
released ``pip install "xarray-ngff[cli]"``), then::

    xarray-ngff convert --sample cells_3d cells.ome.zarr
    xarray-ngff convert scan.ome.tif scan.ome.zarr --chunks 128 --chunks-per-shard 4
    xarray-ngff info scan.ome.zarr            # a tree; --json for machines
    xarray-ngff validate scan.ome.zarr        # exit status 1 when there are problems
    xarray-ngff transform scene.ome.zarr tileA/physical world '[[1, 2]]'

Exit status: 0 on success, 1 when ``validate`` finds problems, 2 on any error (bad options,
unreadable input, a failed write). Errors print one line; ``--debug`` shows the traceback.

Every option of ``convert`` mirrors an argument of the Python API
(:func:`~xarray_ngff.to_ngff_image`, :func:`~xarray_ngff.to_multiscales` and
``xarray_ngff._writer.to_ngff_zarr``). Per-dim values are written ``z=2,y=0.5,x=0.5``; a
single value applies to every spatial dim.

Examples
--------
>>> parse_per_dim("z=2,y=0.5,x=0.5", float)
{'z': 2.0, 'y': 0.5, 'x': 0.5}
>>> parse_scale_factors("2,4"), parse_scale_factors("auto")
([2, 4], None)
>>> main(["info", "no-such-store.ome.zarr"])
2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import pathlib
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ._cli_v06 import add_transform_parser, report_problems, run_transform, validate_json_document
from ._codecs import CODEC_NAMES as COMPRESSORS
from ._codecs import named_compressors
from ._metadata.versions import VERSIONS, WRITABLE
from .errors import NgffError

__all__ = [
    "main",
    "build_parser",
    "convert",
    "describe_store",
    "parse_per_dim",
    "parse_scale_factors",
    "parse_chunks",
    "make_compressors",
    "CliError",
    "COMPRESSORS",
]

PROG = "xarray-ngff"
EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
SAMPLE_CHUNKS = 32


class CliError(NgffError):
    """A command-line option or combination of options that cannot work."""


# -- option parsing -----------------------------------------------------------------------


def _number(kind: Callable[[str], Any], text: str, option: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise CliError(f"{option}: {text!r} is not a valid {kind.__name__}") from None


def parse_per_dim(
    text: str | None,
    kind: Callable[[str], Any] = float,
    spatial: Sequence[str] | None = None,
    option: str = "value",
) -> dict[str, Any] | None:
    """Parse ``z=2,y=0.5`` into a dict; a bare value applies to every dim of ``spatial``.

    Examples
    --------
    >>> parse_per_dim("0.5", float, spatial=("y", "x"))
    {'y': 0.5, 'x': 0.5}
    >>> parse_per_dim("z=um,y=nm", str)
    {'z': 'um', 'y': 'nm'}
    >>> parse_per_dim("z2", float, option="--scale")
    Traceback (most recent call last):
    ...
    xarray_ngff._cli.CliError: --scale: 'z2' must be DIM=VALUE pairs separated by commas, or one value
    """
    if text is None:
        return None
    text = text.strip()
    if "=" not in text:
        if "," in text or spatial is None:
            raise CliError(
                f"{option}: {text!r} must be DIM=VALUE pairs separated by commas, or one value"
            )
        value = _number(kind, text, option)
        return dict.fromkeys(spatial, value)
    out: dict[str, Any] = {}
    for item in text.split(","):
        dim, sep, value = item.partition("=")
        if not sep or not dim.strip() or not value.strip():
            raise CliError(f"{option}: {item!r} in {text!r} is not DIM=VALUE")
        out[dim.strip()] = _number(kind, value.strip(), option)
    return out


def parse_dims(text: str | None) -> list[str] | None:
    """``"c,z,y,x"`` or ``"czyx"`` -> ``['c', 'z', 'y', 'x']``.

    Examples
    --------
    >>> parse_dims("tczyx"), parse_dims("y, x")
    (['t', 'c', 'z', 'y', 'x'], ['y', 'x'])
    """
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")] if "," in text else list(text.strip())
    return [p for p in parts if p]


def parse_scale_factors(text: str | None) -> list[Any] | None:
    """``--scale-factors``: ``auto`` (default), ``none`` (one level), ``2,4,8``, or JSON.

    Examples
    --------
    >>> parse_scale_factors("none")
    []
    >>> parse_scale_factors('[{"y": 2, "x": 2}, {"y": 4, "x": 4, "z": 2}]')[1]
    {'y': 4, 'x': 4, 'z': 2}
    """
    if text is None or text.strip().lower() == "auto":
        return None
    text = text.strip()
    if text.lower() in ("none", "1"):
        return []
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            raise CliError(f"--scale-factors: {text!r} is not valid JSON ({err.msg})") from None
        if not isinstance(value, list):
            raise CliError(f"--scale-factors: {text!r} must be a JSON list")
        return value
    return [_number(int, part.strip(), "--scale-factors") for part in text.split(",")]


def parse_chunks(text: str | None, option: str = "--chunks") -> Any:
    """``--chunks`` / ``--chunks-per-shard``: ``64``, ``16,128,128`` or ``z=16,y=128``.

    Examples
    --------
    >>> parse_chunks("64"), parse_chunks("16,128,128"), parse_chunks("z=16")
    (64, (16, 128, 128), {'z': 16})
    """
    if text is None:
        return None
    text = text.strip()
    if "=" in text:
        return parse_per_dim(text, int, option=option)
    if "," in text:
        return tuple(_number(int, p.strip(), option) for p in text.split(","))
    return _number(int, text, option)


def make_compressors(spec: str | None, version: str) -> Any:
    """Zarr compressors for ``--compressor NAME[:LEVEL]`` in the codec family of ``version``.

    ``None`` keeps the writer's default; ``none`` writes uncompressed chunks. Version 0.4
    (Zarr v2) gets numcodecs codecs, 0.5 (Zarr v3) gets ``zarr.codecs``.

    Examples
    --------
    >>> make_compressors("zstd:5", "0.5")
    [ZstdCodec(level=5, checksum=False)]
    >>> make_compressors("none", "0.4")
    []
    >>> make_compressors("lzma", "0.5")
    Traceback (most recent call last):
    ...
    xarray_ngff._cli.CliError: --compressor: 'lzma' is unknown; choose one of zstd, blosc-zstd, blosc-lz4, gzip, none (optionally NAME:LEVEL)
    """
    if spec is None:
        return None
    name, _, level_text = spec.strip().lower().partition(":")
    if name not in COMPRESSORS:
        raise CliError(
            f"--compressor: {name!r} is unknown; choose one of {', '.join(COMPRESSORS)} "
            "(optionally NAME:LEVEL)"
        )
    if name == "none":
        return []
    level = _number(int, level_text, "--compressor") if level_text else None
    return named_compressors(name, level, version)


def _storage_options(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise CliError(f"--storage-options: not valid JSON ({err.msg})") from None
    if not isinstance(value, dict):
        raise CliError("--storage-options must be a JSON object")
    return value


# -- convert ------------------------------------------------------------------------------


@contextlib.contextmanager
def _cluster(workers: int | None, memory_limit: str | None) -> Iterator[Any]:
    """A dask LocalCluster (one process per worker) when asked for; otherwise nothing."""
    if not workers and not memory_limit:
        yield None
        return
    if workers is not None and workers < 1:
        raise CliError(f"--workers: {workers} must be at least 1")
    if memory_limit is not None:
        from dask.utils import parse_bytes

        try:
            parse_bytes(memory_limit)
        except (ValueError, TypeError):
            raise CliError(f"--memory-limit: {memory_limit!r} is not a size like 4GB") from None
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise CliError(
            "--workers/--memory-limit need dask.distributed (pip install distributed)"
        ) from err
    n = workers or 1
    threads = max(1, (os.cpu_count() or 1) // n)
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=threads,
        memory_limit=memory_limit or "auto",
        dashboard_address=":0",  # a free port: never collide with a running dashboard
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _writer():
    from ._writer import to_ngff_zarr

    return to_ngff_zarr


def _output_exists(output: str) -> bool:
    return "://" not in output and pathlib.Path(output).exists()


def _check_not_inside(input: str | None, output: str) -> None:
    """OUTPUT equal to INPUT is an overwrite (staged by the writer); inside it, the write
    would change the input store itself."""
    if input is None or "://" in input or "://" in output:
        return  # URLs: the writer compares the locations it reads from
    from ._sources import local_location

    src, dst = local_location(input), local_location(output)
    if src != dst and src.contains(dst):
        raise CliError(
            f"OUTPUT {output!r} is inside INPUT {input!r}: writing there would change the "
            "input store; choose an OUTPUT outside it"
        )


def convert(
    input: str | None,
    output: str,
    *,
    sample: str | None = None,
    dims: Sequence[str] | None = None,
    scale: Mapping[str, float] | float | None = None,
    translation: Mapping[str, float] | None = None,
    units: Mapping[str, str] | str | None = None,
    name: str | None = None,
    version: str = "0.5",
    method: str | None = None,
    scale_factors: Any = None,
    chunks: Any = None,
    chunks_per_shard: Any = None,
    compressor: str | None = None,
    memory_limit: str | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    series: int = 0,
    storage_options: Mapping[str, Any] | None = None,
    progress: bool = True,
    layout: str = "flat",
    drop_transforms: bool = False,
) -> Any:
    """Convert an image file or store (or a bundled sample) to OME-Zarr.

    The Python form of ``xarray-ngff convert``; returns the pyramid that was written. A
    source that stores a pyramid (an OME-TIFF with sub-resolutions, an OME-Zarr) keeps its
    levels unless ``method`` or ``scale_factors`` asks for new ones.

    Raises
    ------
    CliError
        Contradictory options, an existing output without ``overwrite``, a missing writer.
    NgffError
        Whatever the readers, the pyramid builder or the writer refuse.
    """
    from . import datasets
    from ._inputs import check_dims_arg, levels_to_multiscales, open_input, relabel
    from ._pyramid import to_multiscales

    to_ngff_zarr = _writer()
    if (input is None) == (sample is None):
        raise CliError("give either INPUT or --sample NAME (not both)")
    if _output_exists(output) and not overwrite:
        raise CliError(f"{output!r} exists; pass --overwrite to replace it")
    _check_not_inside(input, output)
    if version not in WRITABLE:
        raise CliError(f"--version: {version!r} must be one of {', '.join(WRITABLE)}")
    if chunks_per_shard is not None and VERSIONS[version].zarr_format != 3:
        raise CliError(
            "--chunks-per-shard needs --version 0.5 or 0.6 (sharding is a Zarr v3 feature)"
        )
    compressors = make_compressors(compressor, version)
    if sample is not None:
        if dims is not None:
            raise CliError("--dims applies to INPUT files, not to --sample")
        levels = [datasets.sample(sample)]
        stored = False
        if chunks is None:
            # the samples are small: 32-pixel chunks give them a real pyramid to look at
            chunks = SAMPLE_CHUNKS
    else:
        source = open_input(input, check_dims_arg(dims), series, storage_options)
        levels = source.levels
        stored = len(levels) > 1
    spatial = [str(d) for d in levels[0].dims if d in ("z", "y", "x")]
    if not isinstance(scale, Mapping) and scale is not None:
        scale = dict.fromkeys(spatial, float(scale))
    if isinstance(units, str):
        units = dict.fromkeys(spatial, units)
    if scale or translation or units or name:
        levels = relabel(levels, scale, translation, units, name)
    with _cluster(workers, memory_limit):
        if stored and method is None and scale_factors is None:
            multiscales = levels_to_multiscales(levels, chunks)
        else:
            multiscales = to_multiscales(levels[0], scale_factors, method or "gaussian", chunks)
        to_ngff_zarr(
            output,
            multiscales,
            version=version,
            chunks_per_shard=chunks_per_shard,
            overwrite=overwrite,
            compressors=compressors,
            storage_options=storage_options,
            progress=progress,
            layout=layout,
            drop_transforms=drop_transforms,
        )
    return multiscales


# -- info ---------------------------------------------------------------------------------


def _open_root(store: str, storage_options: Mapping[str, Any] | None):
    import zarr

    if "://" not in store and not pathlib.Path(store).exists():
        raise CliError(f"{store!r} does not exist")
    try:
        if store.lower().endswith((".zip", ".ozx")):
            from zarr.storage import ZipStore

            return zarr.open_group(ZipStore(store, mode="r"), mode="r")
        return zarr.open_group(store, mode="r", storage_options=dict(storage_options or {}) or None)
    except Exception as err:  # zarr raises many types for "not a group here"
        raise CliError(f"{store!r} is not a Zarr group: {type(err).__name__}: {err}") from err


def _ome_body(attrs: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    from ._metadata.parse import ome_attrs

    return ome_attrs(attrs)


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


def _describe_image(group: Any, path: str) -> dict[str, Any]:
    from ._metadata.geometry import level_geometry
    from ._metadata.parse import parse_multiscales

    version, multiscales, omero = parse_multiscales(dict(group.attrs), path=path or "/")
    ms = multiscales[0]
    axes = [a.to_dict() for a in ms.axes]
    levels = []
    arrays: list[Any] = []
    for ds in ms.datasets:
        try:
            arrays.append(group[ds.path])
        except KeyError:
            arrays.append(None)
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
    labels = []
    if "labels" in group:
        from ._metadata.labels import parse_labels_group

        labels_path = f"{path}/labels" if path else "labels"
        labels = parse_labels_group(dict(group["labels"].attrs), path=labels_path) or []
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
    from ._hierarchy import bf2raw_series_paths, node_kind
    from ._store import open_store

    store = str(store)
    root = _open_root(store, storage_options)
    attrs = dict(root.attrs)
    version, _ = _ome_body(attrs)
    # one precedence for the whole package (plate > bioformats2raw > image > ...)
    kind = node_kind(attrs, store=store, path="/")
    info: dict[str, Any] = {"store": store, "layout": None, "version": version, "images": []}
    if kind == "image":
        info["layout"] = "image"
        image = _describe_image(root, "")
        info["images"].append(image)
        for label in image["labels"]:
            info["images"].append(
                {**_describe_image(root[f"labels/{label}"], f"labels/{label}"), "label": True}
            )
    elif kind == "plate":
        info["layout"] = "plate"
        info["plate"] = _describe_plate(root, attrs, store)
        first = info["plate"].pop("first_image", None)
        if first is not None:
            info["images"].append(first)
    elif kind == "bioformats2raw":
        info["layout"] = "bioformats2raw"
        for key in bf2raw_series_paths(open_store(store, storage_options), ""):
            info["images"].append(_describe_image(root[key], key))
    elif kind == "scene":
        from ._metadata.scene import scene_image_paths

        info["layout"] = "scene"
        for key in scene_image_paths(attrs, store=store, path="/"):
            info["images"].append(_describe_image(root[key], key))
    else:
        raise CliError(f"{store!r} holds no OME-NGFF metadata (no multiscales, plate or series)")
    info["version"] = info["version"] or next(
        (im["version"] for im in info["images"] if im.get("version")), None
    )
    info["bytes"] = _bytes_on_disk(store, storage_options)
    return info


def _describe_plate(root: Any, attrs: Mapping[str, Any], store: str) -> dict[str, Any]:
    # the reader's plate and well parsers: info has no metadata reader of its own
    from ._metadata.plate import parse_plate, parse_well

    plate = parse_plate(attrs, store=store, path="/")
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
        well = parse_well(dict(root[wells[0]].attrs), store=store, path=wells[0])
        out["fields_in_first_well"] = len(well.images)
        if well.images:
            path = f"{wells[0]}/{well.images[0].path}"
            out["first_image"] = _describe_image(root[path], path)
    return out


def _fmt_bytes(n: int | None) -> str:
    if n is None:
        return "unknown size"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def _fmt_num(x: float) -> str:
    return f"{x:g}" if math.isfinite(x) else str(x)


def _fmt_seq(values: Sequence[Any], sep: str = "×") -> str:
    return sep.join(str(v) for v in values)


def _image_lines(image: dict[str, Any]) -> tuple[str, list[Any]]:
    """Heading and children (strings or (heading, children) pairs) of one image."""
    axes = image["axes"]
    names = [a["name"] for a in axes]
    units = sorted({a["unit"] for a in axes if a.get("unit")})
    physical = [i for i, a in enumerate(axes) if a.get("type") != "channel" and a["name"] != "c"]
    kind = "label" if image.get("label") else "image"
    title = f"{kind} {image['name']!r}" if image.get("name") else kind
    where = f" at {image['path']}/" if image["path"] else ""
    dtype = next((lv["dtype"] for lv in image["levels"] if "dtype" in lv), "?")
    head = f"{title}{where}: axes {','.join(names)} · {dtype}"
    if units:
        head += f" · units {', '.join(units)}"
    children: list[Any] = []
    for k, level in enumerate(image["levels"]):
        if level.get("missing"):
            children.append(f"[{k}] {level['path']}: MISSING ARRAY")
            continue
        line = (
            f"[{k}] {level['path']}: {_fmt_seq(level['shape'])}"
            f" · chunks {_fmt_seq(level['chunks'])}"
        )
        if level["shards"]:
            line += f" · shards {_fmt_seq(level['shards'])}"
        line += " · scale " + " ".join(
            f"{names[i]}={_fmt_num(level['scale'][i])}" for i in physical
        )
        if any(level["translation"][i] for i in physical):
            line += " · translation " + " ".join(
                f"{names[i]}={_fmt_num(level['translation'][i])}" for i in physical
            )
        children.append(line)
    codecs = next((lv.get("compressors") for lv in image["levels"] if "compressors" in lv), None)
    if codecs is not None:
        children.append(f"codecs: {', '.join(codecs) or 'none'}")
    if image.get("method"):
        children.append(f"method: {image['method']}")
    if image.get("channels") and "c" in names:
        children.append(f"channels: {', '.join(str(c) for c in image['channels'])}")
    if image.get("labels"):
        children.append(f"labels: {', '.join(image['labels'])}")
    return head, children


def _info_outline(info: dict[str, Any]) -> tuple[str, list[Any]]:
    version = f"OME-Zarr {info['version']}" if info["version"] else "OME-Zarr"
    head = f"{info['store']} · {version} · {info['layout']} · {_fmt_bytes(info.get('bytes'))}"
    children: list[Any] = []
    plate = info.get("plate")
    if plate:
        lines = [
            f"{len(plate['rows'])} rows × {len(plate['columns'])} columns, "
            f"{len(plate['wells'])} wells",
            f"fields per well: {plate.get('field_count') or plate.get('fields_in_first_well')}",
        ]
        if plate["acquisitions"]:
            lines.append(f"acquisitions: {', '.join(str(a) for a in plate['acquisitions'])}")
        present = set(plate["wells"])
        for row in plate["rows"]:
            cells = "".join("■" if f"{row}/{col}" in present else "·" for col in plate["columns"])
            lines.append(f"{row:>3} {cells}")
        children.append((f"plate {plate['name']!r}" if plate["name"] else "plate", lines))
    for image in info["images"]:
        children.append(_image_lines(image))
    return head, children


def _render_plain(outline: tuple[str, list[Any]], indent: str = "") -> list[str]:
    head, children = outline
    lines = [indent + head]
    for child in children:
        if isinstance(child, tuple):
            lines.extend(_render_plain(child, indent + "  "))
        else:
            lines.append(f"{indent}  {child}")
    return lines


def _print_outline(outline: tuple[str, list[Any]]) -> None:
    try:
        from rich.console import Console
        from rich.markup import escape
        from rich.tree import Tree
    except ImportError:  # the cli extra is missing: plain indentation still reads well
        print("\n".join(_render_plain(outline)))
        return

    def add(tree: Any, node: Any) -> None:
        if isinstance(node, tuple):
            branch = tree.add(escape(node[0]))
            for child in node[1]:
                add(branch, child)
        else:
            tree.add(escape(node))

    tree = Tree(f"[bold]{escape(outline[0])}[/bold]")
    for child in outline[1]:
        add(tree, child)
    # Piped output (files, tests, CI logs) must not wrap mid-line.
    width = None if sys.stdout.isatty() else 250
    Console(highlight=False, width=width).print(tree)


# -- command line -------------------------------------------------------------------------


def _common() -> argparse.ArgumentParser:
    """Options accepted both before and after the sub-command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print nothing but errors (no progress bar)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``xarray-ngff`` (also used to document the CLI)."""
    from importlib.metadata import PackageNotFoundError, version

    from . import datasets
    from ._methods import METHODS

    common = _common()
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description="Convert images to OME-Zarr, and inspect and validate OME-Zarr stores.",
        epilog="Exit status: 0 success, 1 validation problems, 2 error.",
    )
    try:
        release = version("xarray-ngff")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        release = "unknown"
    parser.add_argument("--version", action="version", version=f"%(prog)s {release}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    conv = sub.add_parser(
        "convert",
        parents=[common],
        help="convert TIFF/OME-TIFF, PNG/JPEG, Zarr or OME-Zarr (or a sample) to OME-Zarr",
        description="Convert an image to a multiscale OME-Zarr. INPUT is a TIFF or OME-TIFF, "
        "an image imageio reads (PNG, JPEG, ...), a Zarr array or an OME-Zarr; with --sample "
        "give only OUTPUT.",
    )
    conv.add_argument("paths", nargs="+", metavar="[INPUT] OUTPUT")
    conv.add_argument(
        "--sample", choices=sorted(datasets.SAMPLES), help="convert a bundled synthetic sample"
    )
    geo = conv.add_argument_group("image (to_ngff_image)")
    geo.add_argument("--dims", help="NGFF dims, one per axis of the input: czyx or c,z,y,x")
    geo.add_argument("--scale", help="pixel spacing: 0.5 (spatial dims) or z=2,y=0.5,x=0.5")
    geo.add_argument("--translation", help="first pixel centre: z=10,y=0,x=0")
    geo.add_argument("--units", help="um (spatial dims) or t=s,z=um,y=um,x=um")
    geo.add_argument("--name", help="image name (default: the input's file name)")
    geo.add_argument("--series", type=int, default=0, help="image of a multi-image input")
    pyr = conv.add_argument_group("pyramid (to_multiscales)")
    pyr.add_argument(
        "--method", choices=METHODS, help="downsampling method (default gaussian; mode for labels)"
    )
    pyr.add_argument(
        "--scale-factors",
        help="auto (default), none (one level), absolute factors 2,4,8 or a JSON list of dicts",
    )
    pyr.add_argument("--chunks", help="chunk shape: 128, 16,128,128 or z=16,y=128,x=128")
    out = conv.add_argument_group("output (to_ngff_zarr)")
    out.add_argument("--version", dest="ngff_version", choices=WRITABLE, default="0.5")
    out.add_argument(
        "--chunks-per-shard", help="shard = chunks × this: 2, 1,4,4 or z=1,y=4,x=4 (needs 0.5)"
    )
    out.add_argument(
        "--compressor", help=f"{', '.join(COMPRESSORS)}, optionally NAME:LEVEL (default: writer's)"
    )
    out.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    out.add_argument(
        "--layout",
        choices=("flat", "scale-groups"),
        default="flat",
        help="level arrays 0..N under the image (default) or ngff-zarr's scaleK/<name>",
    )
    out.add_argument(
        "--drop-transforms",
        action="store_true",
        help="writing 0.4/0.5: drop 0.6 coordinate systems and transforms they cannot express",
    )
    out.add_argument("--storage-options", help="fsspec options for remote stores, as JSON")
    run = conv.add_argument_group("execution")
    run.add_argument("--workers", type=int, help="run on a dask LocalCluster with N workers")
    run.add_argument("--memory-limit", help="memory per worker of the LocalCluster, e.g. 4GB")

    info = sub.add_parser(
        "info",
        parents=[common],
        help="show images, levels, chunks, scales, units, channels of an OME-Zarr",
    )
    info.add_argument("store", metavar="STORE")
    info.add_argument("--json", action="store_true", help="print JSON instead of a tree")
    info.add_argument("--storage-options", help="fsspec options for remote stores, as JSON")

    val = sub.add_parser(
        "validate",
        parents=[common],
        help="check an OME-Zarr against the specification; exit 1 when there are problems",
    )
    val.add_argument("store", metavar="STORE", help="a store, or one attributes document (.json)")
    val.add_argument("--json", action="store_true", help="print JSON")
    val.add_argument("--storage-options", help="fsspec options for remote stores, as JSON")
    add_transform_parser(sub, common)
    return parser


def _run_convert(args: argparse.Namespace, quiet: bool) -> int:
    paths = args.paths
    if args.sample is not None:
        if len(paths) != 1:
            raise CliError("with --sample give only OUTPUT")
        input_path, output = None, paths[0]
    else:
        if len(paths) != 2:
            raise CliError("give INPUT and OUTPUT (or --sample NAME OUTPUT)")
        input_path, output = paths
    storage_options = _storage_options(args.storage_options)
    scale_text = args.scale
    scale: Any = None
    if scale_text is not None:
        scale = (
            parse_per_dim(scale_text, float, option="--scale")
            if "=" in scale_text
            else _number(float, scale_text, "--scale")
        )
    units: Any = args.units
    if units is not None and "=" in units:
        units = parse_per_dim(units, str, option="--units")
    convert(
        input_path,
        output,
        sample=args.sample,
        dims=parse_dims(args.dims),
        scale=scale,
        translation=parse_per_dim(args.translation, float, option="--translation"),
        units=units,
        name=args.name,
        version=args.ngff_version,
        method=args.method,
        scale_factors=parse_scale_factors(args.scale_factors),
        chunks=parse_chunks(args.chunks),
        chunks_per_shard=parse_chunks(args.chunks_per_shard, "--chunks-per-shard"),
        compressor=args.compressor,
        memory_limit=args.memory_limit,
        workers=args.workers,
        overwrite=args.overwrite,
        series=args.series,
        storage_options=storage_options,
        progress=not quiet,
        layout=args.layout,
        drop_transforms=args.drop_transforms,
    )
    if not quiet:
        head, children = _info_outline(describe_store(output, storage_options))
        _print_outline((f"wrote {head}", children))
    return EXIT_OK


def _run_info(args: argparse.Namespace, quiet: bool) -> int:
    info = describe_store(args.store, _storage_options(args.storage_options))
    if args.json:
        print(json.dumps(info, indent=2))
    elif not quiet:
        _print_outline(_info_outline(info))
    return EXIT_OK


def _run_validate(args: argparse.Namespace, quiet: bool) -> int:
    from ._validate import validate_store

    store = args.store
    if "://" not in store and not pathlib.Path(store).exists():
        raise CliError(f"{store!r} does not exist")
    if store.endswith(".json") and pathlib.Path(store).is_file():
        return validate_json_document(store, args.json, quiet)
    problems = list(validate_store(store, storage_options=_storage_options(args.storage_options)))
    return report_problems(store, problems, args.json, quiet, store=store)


# Library errors name the parameter (field=); convert's input options report their flag.
_CONVERT_FLAGS = {
    "dims": "--dims",
    "series": "--series",
    "scale": "--scale",
    "translation": "--translation",
    "units": "--units",
}


def _flag(command: str, err: BaseException) -> str:
    if command != "convert" or not isinstance(err, NgffError) or err.store is not None:
        return ""  # an error about a store's metadata field is not about an option
    flag = _CONVERT_FLAGS.get(err.field or "")
    return f"{flag}: " if flag else ""


def _one_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    text = "\n".join([text, *getattr(err, "__notes__", ())])  # where it happened, if noted
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``xarray-ngff`` console script and ``python -m xarray_ngff``.

    Returns the exit status instead of exiting, so it can be called from Python.

    Examples
    --------
    >>> main(["convert", "--sample", "cells_3d"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return int(exc.code or 0)
    debug = getattr(args, "debug", False)
    quiet = getattr(args, "quiet", False)
    handlers = {
        "convert": _run_convert,
        "info": _run_info,
        "validate": _run_validate,
        "transform": lambda a, q: run_transform(a, _storage_options(a.storage_options)),
    }
    try:
        return handlers[args.command](args, quiet)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except (NgffError, OSError, ImportError) as err:
        if debug:
            raise
        print(f"{PROG}: error: {_flag(args.command, err)}{_one_line(err)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as err:  # a bug or a library failure: still one line unless --debug
        if debug:
            raise
        print(
            f"{PROG}: error: {type(err).__name__}: {_one_line(err)} (run with --debug for "
            "the traceback)",
            file=sys.stderr,
        )
        return EXIT_ERROR
