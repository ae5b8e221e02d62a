"""``main``: parse the options, run one command over the library, report errors in one line.

Each handler turns parsed options into the arguments of a library function
(:func:`~xarray_ngff._cli._convert.convert`, :func:`describe_store`, ``validate_store``,
``transform_points``) and hands the result to :mod:`xarray_ngff._cli._render`.

Exit status: 0 on success, 1 when ``validate`` finds problems, 2 on any error (bad options,
unreadable input, a failed write). Errors print one line; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import NgffError
from ._convert import convert
from ._describe import describe_store
from ._options import (
    EXIT_ERROR,
    EXIT_OK,
    PROG,
    CliError,
    number,
    parse_chunks,
    parse_dims,
    parse_per_dim,
    parse_scale_factors,
    parse_storage_options,
)
from ._parser import build_parser
from ._render import info_outline, print_json, print_outline, report_problems
from ._v06 import run_transform, validate_json_document

__all__ = ["main"]


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
    storage_options = parse_storage_options(args.storage_options)
    scale_text = args.scale
    scale: Any = None
    if scale_text is not None:
        scale = (
            parse_per_dim(scale_text, float, option="--scale")
            if "=" in scale_text
            else number(float, scale_text, "--scale")
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
        head, children = info_outline(describe_store(output, storage_options))
        print_outline((f"wrote {head}", children))
    return EXIT_OK


def _run_info(args: argparse.Namespace, quiet: bool) -> int:
    info = describe_store(args.store, parse_storage_options(args.storage_options))
    if args.json:
        print_json(info)
    elif not quiet:
        print_outline(info_outline(info))
    return EXIT_OK


def _run_validate(args: argparse.Namespace, quiet: bool) -> int:
    from .._validate import validate_store

    store = args.store
    if "://" not in store and not pathlib.Path(store).exists():
        raise CliError(f"{store!r} does not exist")
    if store.endswith(".json") and pathlib.Path(store).is_file():
        return validate_json_document(store, args.json, quiet)
    problems = list(
        validate_store(store, storage_options=parse_storage_options(args.storage_options))
    )
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
        "transform": lambda a, q: run_transform(a, parse_storage_options(a.storage_options)),
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
