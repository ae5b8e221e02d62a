"""``xarray-ngff convert`` as a Python function: the conversion job over library functions.

:func:`convert` opens the input (:mod:`xarray_ngff._inputs`) or a bundled sample, relabels
its geometry, builds or keeps the pyramid (:func:`~xarray_ngff.to_multiscales`,
``levels_to_multiscales``) and writes it (``to_ngff_zarr``), optionally on a dask
``LocalCluster``. What the options mean is checked here only where it needs the command as a
whole (an existing OUTPUT, OUTPUT inside INPUT, sharding for Zarr v2 versions).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .._metadata.versions import DEFAULT_WRITE_VERSION, WRITABLE, WRITABLE_ZARR3
from ._options import CliError, make_compressors

__all__ = ["convert", "SAMPLE_CHUNKS"]

SAMPLE_CHUNKS = 32


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
    from .._writer import to_ngff_zarr

    return to_ngff_zarr


def _output_exists(output: str) -> bool:
    return "://" not in output and pathlib.Path(output).exists()


def _check_not_inside(input: str | None, output: str) -> None:
    """OUTPUT equal to INPUT is an overwrite (staged by the writer); inside it, the write
    would change the input store itself."""
    if input is None or "://" in input or "://" in output:
        return  # URLs: the writer compares the locations it reads from
    from .._sources import local_location

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
    version: str = DEFAULT_WRITE_VERSION,
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

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "blobs.ome.zarr"
    >>> ms = convert(None, str(out), sample="blobs_2d", version="0.4", progress=False)
    >>> list(ms.children), (out / ".zattrs").exists()
    (['scale0', 'scale1', 'scale2', 'scale3'], True)
    """
    from .. import datasets
    from .._inputs import check_dims_arg, levels_to_multiscales, open_input, relabel
    from .._pyramid import to_multiscales

    to_ngff_zarr = _writer()
    if (input is None) == (sample is None):
        raise CliError("give either INPUT or --sample NAME (not both)")
    if _output_exists(output) and not overwrite:
        raise CliError(f"{output!r} exists; pass --overwrite to replace it")
    _check_not_inside(input, output)
    if version not in WRITABLE:
        raise CliError(f"--version: {version!r} must be one of {', '.join(WRITABLE)}")
    if chunks_per_shard is not None and version not in WRITABLE_ZARR3:
        raise CliError(
            f"--chunks-per-shard needs --version {' or '.join(WRITABLE_ZARR3)} (sharding is "
            "a Zarr v3 feature)"
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
