"""Benchmark: write a 4-level pyramid as OME-Zarr 0.5, against zarr-python and the peers.

Writers (each run in its own subprocess, so peak RSS and CPU time are per run):

* ``floor``: zarr-python writes level 0 only, with our default codec (blosc zstd-1
  bit-shuffle): the bar to beat;
* ``zarr-default``: zarr-python writes level 0 only, with its own default codec (zstd);
* ``ours-gaussian``, ``ours-mean``: ``xarray_ngff.to_ngff_zarr`` of the whole pyramid
  (factors 2, 4, 8 in z, y, x; 2, 4, 8 in y, x for ``plane``);
* ``ome-zarr-pyramid``: ome-zarr-pyramid 0.4, mean pyramid, our codec (one pass over level
  0, tensorstore underneath);
* ``ngff-zarr``: ngff-zarr's ``to_multiscales`` (its default, itkwasm Gaussian) and
  ``to_ngff_zarr``.

Shapes: ``vol`` = 256x1024x1024 uint16, chunks 128^3; ``plane`` = 16384x16384 uint8, chunks
512^2 (``--scale`` divides every side, for quick runs). ``--sharded`` writes 2 chunks per
shard along every dim, for every writer that can shard. The input is a synthetic,
compressible image generated lazily per block (smooth structure plus noise), so no writer
holds the image in memory and every one pays the same generation cost.

The writers run in ``--rounds`` interleaved rounds (every writer once per round), so a slow
spell of a shared machine hits them alike; ratios are medians of the per-round ratios to
``floor`` of the same round. Prints wall and CPU seconds, peak RSS and bytes written.
``--plot out.png`` draws the wall times as a bar chart (matplotlib).

The peers are optional (``pip install -e ".[bench]"`` installs them and matplotlib; on this
project's environment they install without changing any version). They are imported in the
benchmark's own interpreter; where they conflict with the project's environment, install them in a separate
venv and name its interpreter with ``--peer-python`` (it also needs zarr, dask and numpy)::

    python -m venv /work/venv-bench && /work/venv-bench/bin/pip install ome-zarr-pyramid
    python benchmarks/write.py --peer-python /work/venv-bench/bin/python

A writer that cannot be imported is reported and skipped. ``XNGFF_BENCH_OPTIONS`` (JSON)
sets xarray-ngff's options for our writers, e.g. ``'{"chunk_writer": false}'`` to measure
zarr-python's own write path.

Usage (from the repository root)::

    python benchmarks/write.py --shapes vol plane --rounds 3
    python benchmarks/write.py --shapes vol --scale 2 --writers floor ours-gaussian
    python benchmarks/write.py --large          # also ours-gaussian on the 8x larger vol
                                                # (every side doubled: 512x2048x2048, 4 GiB)

Outputs go to a temporary directory (``--out``), never into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

SHAPES = {
    "vol": ((256, 1024, 1024), "uint16", 128, (2, 4, 8)),
    "plane": ((16384, 16384), "uint8", 512, (2, 4, 8)),
}
WRITERS = [
    "floor",
    "zarr-default",
    "ours-gaussian",
    "ours-mean",
    "ome-zarr-pyramid",
    "ngff-zarr",
]
PEERS = {"ome-zarr-pyramid", "ngff-zarr"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _block(dtype, block_info=None):
    info = block_info[None]
    loc = info["array-location"]
    axes = [np.arange(*lo_hi, dtype=np.float32) for lo_hi in loc]
    grids = np.meshgrid(*axes, indexing="ij", sparse=True)
    if len(grids) == 3:
        z, y, x = grids
        base = 1000 + 400 * (np.sin(z / 23.0) * np.cos(y / 41.0) + np.sin(x / 37.0 + y / 61.0))
        top = 32
    else:
        y, x = grids
        base = 100 + 60 * (np.cos(y / 41.0) + np.sin(x / 37.0 + y / 61.0))
        top = 16
    rng = np.random.default_rng([7, *(lo for lo, _ in loc)])
    noise = rng.integers(0, top, size=info["chunk-shape"], dtype=dtype)
    return base.astype(dtype) + noise


def source(shape, dtype, chunks):
    """The synthetic image as a lazy dask array."""
    import dask.array as da

    return da.map_blocks(
        _block,
        np.dtype(dtype),
        chunks=da.core.normalize_chunks(chunks, shape),
        dtype=dtype,
        meta=np.empty((0,) * len(shape), dtype),
    )


def _du(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def _check_level1(out: str, ms, ndim: int) -> None:
    """Speed must not come from skipping the smoothing: a corner of level 1 as written equals
    the pyramid's own level 1 (checked after the timing)."""
    import zarr

    corner = (slice(0, 16), slice(0, 64), slice(0, 64))[-ndim:]
    attrs = dict(zarr.open_group(out, mode="r").attrs)
    level1 = attrs["ome"]["multiscales"][0]["datasets"][1]["path"]  # as stored (layout)
    written = zarr.open_array(out, path=level1, mode="r")[corner]
    np.testing.assert_array_equal(written, ms["scale1"]["image"].data[corner].compute())


def run_writer(writer: str, shape_name: str, scale: float, sharded: bool, out: str):
    """Run one writer in this process; returns a check to run after the timing, or None."""
    import dask.array as da

    full, dtype, chunk, factors = SHAPES[shape_name]
    shape = tuple(int(n / scale) for n in full)
    ndim = len(shape)
    data = source(shape, dtype, chunk)
    chunks = (chunk,) * ndim
    shards = (2 * chunk,) * ndim if sharded else None
    if writer in ("floor", "zarr-default"):
        import zarr
        import zarr.codecs

        kw = {}
        if writer == "floor":
            kw["compressors"] = [
                zarr.codecs.BloscCodec(cname="zstd", clevel=1, shuffle="bitshuffle")
            ]
        arr = zarr.create_array(out, shape=shape, chunks=chunks, shards=shards, dtype=dtype, **kw)
        block = shards or chunks
        da.store(data.rechunk(block), arr, lock=False)
    elif writer.startswith("ours"):
        sys.path.insert(0, ROOT)
        import xarray_ngff as xn

        dims = ("z", "y", "x")[-ndim:]
        img = xn.to_ngff_image(data, dims=dims)
        method = writer.split("-", 1)[1]
        xn.set_options(**json.loads(os.environ.get("XNGFF_BENCH_OPTIONS", "{}")))
        ms = xn.to_multiscales(img, scale_factors=list(factors), chunks=chunk, method=method)
        xn.to_ngff_zarr(out, ms, version="0.5", chunks_per_shard=2 if sharded else None)
        return lambda: _check_level1(out, ms, ndim)
    elif writer == "ome-zarr-pyramid":
        from ome_zarr_pyramid import Pyramid, io

        pyr = Pyramid().from_array(data, axis_order="zyx"[-ndim:], version="0.5")
        pyr = pyr.downscale(
            n_layers=len(factors) + 1, scale_factor=(2,) * ndim, downscale_method="mean"
        )
        io.write_pyramid(
            pyr,
            out,
            overwrite=True,
            compressor="blosc",
            compressor_params={"cname": "zstd", "clevel": 1, "shuffle": 2},
            chunk_shape=chunks,
            shard_coefficients=(2,) * ndim if sharded else None,
            max_threads=os.cpu_count(),
        )
    elif writer == "ngff-zarr":
        import ngff_zarr as nz

        img = nz.to_ngff_image(data, dims=list("zyx"[-ndim:]))
        ms = nz.to_multiscales(img, scale_factors=list(factors), chunks=chunk)
        nz.to_ngff_zarr(out, ms, chunks_per_shard=2 if sharded else None)
    else:
        raise SystemExit(f"unknown writer {writer}")
    return None


def _preimport(writer: str) -> None:
    import dask.array  # noqa: F401
    import zarr  # noqa: F401

    if writer.startswith("ours"):
        sys.path.insert(0, ROOT)
        import xarray_ngff  # noqa: F401
    elif writer == "ngff-zarr":
        import ngff_zarr  # noqa: F401
    elif writer == "ome-zarr-pyramid":
        import ome_zarr_pyramid  # noqa: F401


def _child(args) -> None:
    writer, out = args.run_one
    _preimport(writer)  # imports are not part of the timing
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    check = run_writer(writer, args.shape_name, args.scale, args.sharded, out)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    # ru_maxrss of this process (KiB on Linux): the run's own peak, threads included
    if check is not None:
        check()
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_kib": r1.ru_maxrss}))


def _run(python, writer, shape_name, scale, sharded, out) -> dict | str:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [python, os.path.abspath(__file__), "--run-one", writer, out]
    cmd += ["--shape-name", shape_name, "--scale", str(scale)] + (["--sharded"] * sharded)
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        return proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["bytes"] = _du(out)
    shutil.rmtree(out, ignore_errors=True)
    return report


def _table(results, writers, shape_names) -> list[str]:
    lines = [
        f"{'writer':<18}{'shape':>7}{'wall s':>9}{'CPU s':>8}{'peak MiB':>10}"
        f"{'MiB written':>13}{'/ floor':>9}"
    ]
    for name in shape_names:
        for w in writers:
            runs = results.get((w, name), [])
            if not runs:
                continue
            floors = results.get(("floor", name), [])
            ratios = [r["wall"] / f["wall"] for r, f in zip(runs, floors, strict=False)]
            ratio = f"{statistics.median(ratios):9.2f}" if ratios else f"{'-':>9}"
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            lines.append(
                f"{w:<18}{name:>7}{med['wall']:9.2f}{med['cpu']:8.2f}"
                f"{max(r['peak_kib'] for r in runs) / 1024:10.0f}"
                f"{med['bytes'] / 2**20:13.1f}{ratio}"
            )
    return lines


def _plot(results, writers, shape_names, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(shape_names), figsize=(5 * len(shape_names), 3.5))
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, shape_names, strict=True):
        ws = [w for w in writers if results.get((w, name))]
        walls = [statistics.median(r["wall"] for r in results[(w, name)]) for w in ws]
        ax.barh(ws, walls, color=["0.6" if w in PEERS else "C0" for w in ws])
        ax.invert_yaxis()
        ax.set_xlabel("wall time, s (median of rounds)")
        ax.set_title(name)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["vol", "plane"], choices=list(SHAPES))
    parser.add_argument("--writers", nargs="+", default=WRITERS, choices=WRITERS)
    parser.add_argument("--scale", type=float, default=1, help="divide every side by this")
    parser.add_argument("--sharded", action="store_true", help="2 chunks per shard per dim")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="also ours-gaussian on 8x vol")
    parser.add_argument("--peer-python", default=sys.executable, help="interpreter for peers")
    parser.add_argument("--plot", default=None, help="write a bar chart to this PNG")
    parser.add_argument("--out", default=None, help="scratch directory (default: a temp dir)")
    parser.add_argument("--run-one", nargs=2, metavar=("WRITER", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--shape-name", default="vol", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        _child(args)
        return
    scratch = args.out or tempfile.mkdtemp(prefix="xngff-bench-", dir="/tmp")
    runs = [(w, s, args.scale) for s in args.shapes for w in args.writers]
    if args.large:  # every side twice as long: 8x the volume (--scale 0.5 at full size)
        runs.append(("ours-gaussian", "vol", args.scale / 2))
    results: dict[tuple[str, str], list[dict]] = {}
    skipped: dict[str, str] = {}
    for rnd in range(args.rounds):
        for writer, shape_name, scale in runs:
            if writer in skipped:
                continue
            key = shape_name if scale == args.scale else f"{shape_name}/{scale:g}"
            python = args.peer_python if writer in PEERS else sys.executable
            out = os.path.join(scratch, f"{writer}-{shape_name}.zarr")
            report = _run(python, writer, shape_name, scale, args.sharded, out)
            if isinstance(report, str):
                print(f"round {rnd}: {writer} {key}: skipped ({report})", flush=True)
                skipped[writer] = report
                continue
            results.setdefault((writer, key), []).append(report)
            print(
                f"round {rnd}: {writer:<17}{key:>8}{report['wall']:8.2f} s wall "
                f"{report['cpu']:7.2f} s CPU {report['peak_kib'] / 1024:6.0f} MiB",
                flush=True,
            )
    names = sorted({k for _, k in results}, key=lambda k: (k not in args.shapes, k))
    layout = "sharded (2 chunks per shard per dim)" if args.sharded else "not sharded"
    print(f"\nmedians of {args.rounds} interleaved rounds, {layout}, scale 1/{args.scale:g}:")
    print("\n".join(_table(results, args.writers, names)))
    if args.plot:
        _plot(results, args.writers, names, args.plot)
        print(f"chart: {args.plot}")
    if args.out is None:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
