"""The 0.6 commands: ``xarray-ngff transform`` and the validation of single ``.json``
attribute documents (the conformance suites' form).

The parser registers ``transform`` through :func:`add_transform_parser`.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any

from .._metadata.versions import VERSIONS
from ..errors import NgffError
from ._options import EXIT_OK, EXIT_PROBLEMS, PROG
from ._render import report_problems

__all__ = ["add_transform_parser", "run_transform", "validate_json_document"]

# the first version with named coordinate systems (RFC-5), as the table says
SYSTEMS_SINCE = next(v.version for v in VERSIONS.values() if v.axes == "coordinateSystems")


def add_transform_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``transform STORE SOURCE TARGET POINTS``."""
    p = sub.add_parser(
        "transform",
        parents=[common],
        help=f"map points between two coordinate systems of an OME-Zarr {SYSTEMS_SINCE} store",
        description="Map points from coordinate system SOURCE to TARGET. POINTS is a JSON "
        "list of points in SOURCE's axis order, e.g. '[[1, 2], [3, 4]]'. Prints "
        '{"coordinates": [...]}; exit 1 when the systems are not connected or a transform '
        "on the way cannot be inverted. A name defined in several images is written "
        "'image/path/name'.",
    )
    p.add_argument("store", metavar="STORE", help="an image, a scene or any group with systems")
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("target", metavar="TARGET")
    p.add_argument("points", metavar="POINTS")
    p.add_argument("--storage-options", help="fsspec options for remote stores, as JSON")


def run_transform(args: argparse.Namespace, storage_options: Any) -> int:
    """Handler of ``transform``: 0 with the coordinates, 1 not connected / not invertible."""
    from .._transform_graph import NotConnectedError, NotInvertibleError
    from .._transforms import transform_points

    try:
        points = json.loads(args.points)
    except ValueError as err:
        raise NgffError(f"POINTS is not JSON: {err}", field="points") from None
    try:
        out = transform_points(
            args.store, args.source, args.target, points, storage_options=storage_options
        )
    except (NotConnectedError, NotInvertibleError) as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(json.dumps({"coordinates": out.tolist()}))
    return EXIT_OK


def validate_json_document(path: str, as_json: bool, quiet: bool) -> int:
    """Validate one OME attributes document (``.zattrs``/``zarr.json``/any ``.json``)."""
    from .._validate import validate_attrs
    from .._validate._v06 import load_document

    try:
        doc = load_document(pathlib.Path(path).read_text())
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise NgffError(f"{path!r} cannot be read as JSON: {err}", store=path) from None
    if not isinstance(doc, dict):
        raise NgffError(f"{path!r} holds JSON {type(doc).__name__}, not an object", store=path)
    if "zarr_format" in doc and isinstance(doc.get("attributes"), dict):
        doc = doc["attributes"]
    doc = {k: v for k, v in doc.items() if k != "_conformance"}
    return report_problems(path, validate_attrs(doc), as_json, quiet)
