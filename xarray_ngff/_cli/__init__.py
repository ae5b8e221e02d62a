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

The package is options and rendering over library functions, one job per module:

* ``_options``: option text to Python values, :class:`CliError`, exit statuses;
* ``_parser``: :func:`build_parser`, the options themselves (version choices and defaults
  from the version table);
* ``_main``: :func:`main`, one handler per command, one-line errors;
* ``_convert``: :func:`convert`, the conversion job over the inputs, pyramid and writer;
* ``_describe``: :func:`describe_store`, the facts ``info`` shows, read through the
  hierarchy, the reader's parsers and ``level_geometry`` (no parser of its own);
* ``_render``: text, rich and JSON output, validation verdicts;
* ``_v06``: ``transform`` and the validation of single ``.json`` documents.

Examples
--------
>>> main(["info", "no-such-store.ome.zarr"])
2
>>> parse_chunks("z=16,y=128"), sorted(COMPRESSORS)[:2]
({'z': 16, 'y': 128}, ['blosc-lz4', 'blosc-zstd'])
"""

from __future__ import annotations

from ._convert import convert
from ._describe import describe_store
from ._main import _one_line as _one_line  # tests check the one-line error text
from ._main import main
from ._options import (
    COMPRESSORS,
    CliError,
    make_compressors,
    parse_chunks,
    parse_per_dim,
    parse_scale_factors,
)
from ._parser import build_parser

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
