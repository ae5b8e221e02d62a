"""``xarray-ngff transform`` and the validation of single ``.json`` attribute documents.

Kept apart from :mod:`xarray_ngff._cli`, which registers them.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any

from .errors import NgffError

__all__ = ["add_transform_parser", "run_transform", "validate_json_document"]

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def add_transform_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``transform STORE SOURCE TARGET POINTS``."""
    p = sub.add_parser(
        "transform",
        parents=[common],
        help="map points between two coordinate systems of an OME-Zarr 0.6 store",
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
    from ._transform_graph import NotConnectedError, NotInvertibleError
    from ._transforms import transform_points

    try:
        points = json.loads(args.points)
    except ValueError as err:
        raise NgffError(f"POINTS is not JSON: {err}", field="points") from None
    try:
        out = transform_points(
            args.store, args.source, args.target, points, storage_options=storage_options
        )
    except (NotConnectedError, NotInvertibleError) as err:
        print(f"xarray-ngff: {err}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(json.dumps({"coordinates": out.tolist()}))
    return EXIT_OK


def validate_json_document(path: str, as_json: bool, quiet: bool) -> int:
    """Validate one OME attributes document (``.zattrs``/``zarr.json``/any ``.json``)."""
    from ._validate import validate_attrs
    from ._validate._v06 import load_document

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


def report_problems(
    label: str, problems: list[str], as_json: bool, quiet: bool, **head: Any
) -> int:
    """Print a validation verdict (text, or ``{..head, "valid", "problems"}`` as JSON) and
    return the exit status: 0 valid, 1 problems."""
    if as_json:
        print(json.dumps({**head, "valid": not problems, "problems": problems}, indent=2))
    elif problems:
        print(f"{label}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  - {problem}")
    elif not quiet:
        print(f"{label}: valid")
    return EXIT_PROBLEMS if problems else EXIT_OK
