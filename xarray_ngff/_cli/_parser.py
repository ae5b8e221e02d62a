"""The options of ``xarray-ngff``: :func:`build_parser` (also renders the CLI reference page).

Only options live here: their names, choices, defaults and help. Version choices and
defaults come from the version table (:mod:`xarray_ngff._metadata.versions`).

Examples
--------
>>> args = build_parser().parse_args(["convert", "in.tif", "out.ome.zarr"])
>>> args.command, args.ngff_version, args.layout
('convert', '0.5', 'flat')
"""

from __future__ import annotations

import argparse

from .._metadata.versions import DEFAULT_WRITE_VERSION, VERSIONS, WRITABLE, WRITABLE_ZARR3
from ._options import COMPRESSORS, PROG
from ._v06 import SYSTEMS_SINCE, add_transform_parser

__all__ = ["build_parser"]

# written versions without named coordinate systems: --drop-transforms applies to them
_WITHOUT_SYSTEMS = "/".join(v for v in WRITABLE if VERSIONS[v].axes != "coordinateSystems")


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

    from .. import datasets
    from .._methods import METHODS

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
    out.add_argument(
        "--version", dest="ngff_version", choices=WRITABLE, default=DEFAULT_WRITE_VERSION
    )
    out.add_argument(
        "--chunks-per-shard",
        help=f"shard = chunks × this: 2, 1,4,4 or z=1,y=4,x=4 (needs {WRITABLE_ZARR3[0]})",
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
        help=f"writing {_WITHOUT_SYSTEMS}: drop {SYSTEMS_SINCE} coordinate systems and "
        "transforms they cannot express",
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
