"""Benchmark: build and write a 4-level Gaussian pyramid as OME-Zarr.

Cases (each in its own subprocess, so peak RSS is per case):

* ``floor``: level 0 alone, written with zarr-python and its default codec (zstd-3);
* ``ours-0.4``, ``ours-0.5``, ``ours-0.5-sharded``: ``xarray_ngff.to_ngff_zarr`` of a
  4-level Gaussian pyramid (factors 2, 4, 8; chunks 128; sharded: 2 chunks per shard);
* ``ngff-zarr``: ngff-zarr's ``to_multiscales`` (its default method) + ``to_ngff_zarr``.

The input is a synthetic, compressible uint16 volume generated lazily per block (smooth
structure plus 5 bits of noise), so no case holds the whole volume in memory and every case
pays the same generation cost.

Usage::

    python benchmarks/write.py                 # 256 x 1024 x 1024 (512 MiB)
    python benchmarks/write.py --large         # also ours-0.5 on the 8x larger volume
    python benchmarks/write.py --cases floor ours-0.5 --shape 64 512 512

Outputs go to a temporary directory (``--out``), never into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def _block(block_info=None):
    info = block_info[None]
    loc = info["array-location"]
    z = np.arange(*loc[0], dtype=np.float32)[:, None, None]
    y = np.arange(*loc[1], dtype=np.float32)[None, :, None]
    x = np.arange(*loc[2], dtype=np.float32)[None, None, :]
    base = 1000 + 400 * (np.sin(z / 23.0) * np.cos(y / 41.0) + np.sin(x / 37.0 + y / 61.0))
    rng = np.random.default_rng([7, *(lo for lo, _ in loc)])
    noise = rng.integers(0, 32, size=info["chunk-shape"], dtype=np.uint16)
    return base.astype(np.uint16) + noise


def volume(shape, chunks=128):
    """The synthetic volume as a lazy dask array."""
    import dask.array as da

    return da.map_blocks(
        _block,
        chunks=da.core.normalize_chunks(chunks, shape),
        dtype=np.uint16,
        meta=np.empty((0, 0, 0), np.uint16),
    )


def _du(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def _check_level1(out: str, ms) -> None:
    """Speed must not come from skipping the smoothing: a corner of level 1 as written equals
    the pyramid's own anti-aliased Gaussian level 1 (checked after the timing)."""
    import zarr

    corner = (slice(0, 16), slice(0, 64), slice(0, 64))
    written = zarr.open_array(out, path="scale1/image", mode="r")[corner]
    np.testing.assert_array_equal(written, ms["scale1"]["image"].data[corner].compute())


def run_case(case: str, shape: tuple[int, ...], out: str):
    """Run one case in this process (called in a subprocess); returns a check to run after
    the timing, or None."""
    import dask.array as da

    data = volume(shape)
    factors = [2, 4, 8]
    if case == "floor":
        import zarr

        arr = zarr.create_array(out, shape=shape, chunks=(128,) * 3, dtype="uint16")
        da.store(data, arr, lock=False)
    elif case.startswith("ours"):
        import xarray_ngff as xn

        img = xn.to_ngff_image(data, dims=("z", "y", "x"))
        ms = xn.to_multiscales(img, scale_factors=factors, chunks=128)
        version = "0.4" if case == "ours-0.4" else "0.5"
        cps = 2 if case.endswith("sharded") else None
        xn.to_ngff_zarr(out, ms, version=version, chunks_per_shard=cps)
        return lambda: _check_level1(out, ms)
    elif case == "ngff-zarr":
        import ngff_zarr as nz

        img = nz.to_ngff_image(data, dims=["z", "y", "x"])
        ms = nz.to_multiscales(img, scale_factors=factors, chunks=128)
        nz.to_ngff_zarr(out, ms)
    else:
        raise SystemExit(f"unknown case {case}")
    return None


def _preimport(case: str) -> None:
    import dask.array  # noqa: F401
    import zarr  # noqa: F401

    if case.startswith("ours"):
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        import xarray_ngff  # noqa: F401
    elif case == "ngff-zarr":
        import ngff_zarr  # noqa: F401


CASES = ["floor", "ours-0.4", "ours-0.5", "ours-0.5-sharded", "ngff-zarr"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=[256, 1024, 1024])
    parser.add_argument("--cases", nargs="+", default=CASES, choices=CASES)
    parser.add_argument("--large", action="store_true", help="also ours-0.5 on 8x the volume")
    parser.add_argument("--out", default=None, help="scratch directory (default: a temp dir)")
    parser.add_argument("--run-one", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    shape = tuple(args.shape)
    if args.run_one:
        _preimport(args.run_one[0])  # imports are not part of the timing
        t0 = time.perf_counter()
        check = run_case(args.run_one[0], shape, args.run_one[1])
        wall = time.perf_counter() - t0
        # ru_maxrss of this process (KiB on Linux): the case's own peak, threads included
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if check is not None:
            check()
        print(json.dumps({"wall": wall, "peak_kib": peak}))
        return

    scratch = args.out or tempfile.mkdtemp(prefix="xngff-bench-", dir="/tmp")
    runs = [(c, shape) for c in args.cases]
    if args.large:
        runs.append(("ours-0.5", (shape[0] * 2, shape[1] * 2, shape[2] * 2)))
    results = []
    for case, shp in runs:
        out = os.path.join(scratch, f"{case}-{'x'.join(map(str, shp))}.zarr")
        shutil.rmtree(out, ignore_errors=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--run-one", case, out, "--shape", *map(str, shp)],
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            print(f"{case}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(
            {
                "case": case,
                "shape": shp,
                "wall_s": report["wall"],
                "peak_rss_mib": report["peak_kib"] / 1024,
                "bytes": _du(out),
            }
        )
        shutil.rmtree(out, ignore_errors=True)
        r = results[-1]
        print(
            f"{case:18s} {'x'.join(map(str, shp)):>15s} {r['wall_s']:8.2f} s "
            f"{r['peak_rss_mib']:8.0f} MiB {r['bytes'] / 2**20:9.1f} MiB written",
            flush=True,
        )
    by = {(r["case"], r["shape"]): r for r in results}
    floor, ngff = by.get(("floor", shape)), by.get(("ngff-zarr", shape))
    print("\nratios (same shape):")
    for r in results:
        if not r["case"].startswith("ours") or r["shape"] != shape:
            continue
        parts = [r["case"]]
        if floor:
            parts.append(f"time/floor = {r['wall_s'] / floor['wall_s']:.2f} (target <= 1.5)")
        if ngff:
            parts.append(f"ngff-zarr/time = {ngff['wall_s'] / r['wall_s']:.2f} (target >= 3)")
            parts.append(f"bytes/ngff-zarr = {r['bytes'] / ngff['bytes']:.2f} (target <= 1)")
        print("  " + ", ".join(parts))
    if args.out is None:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
