"""Read benchmark: xarray-ngff against zarr-python and tensorstore on a 0.5 sharded store.

Writes a uint16 OME-Zarr 0.5 image (sharded, zstd) with zarr-python to a temporary folder
(default under /tmp), then, each case in its own subprocess so peak RSS is its own, in
``--rounds`` interleaved rounds (zarr-python, tensorstore, ours, zarr-python, ...) so that a
slow spell of a shared machine hits every reader alike; the best time of all rounds counts:

* full read of level 0;
* 200 random windows (the same ones for every reader).

Readers: zarr-python directly, tensorstore directly, ``from_ngff_zarr`` with dask
(``chunks={}``: the stored inner chunks) and with lazily indexed arrays (``chunks=None``).
For reference, xarray's own zarr engine with dask (``chunks={}``) reads the same array, and a
last line reads a dask array of zeros with the same chunks through xarray, the same way: what
dask's per-compute scheduling costs before any byte is read.

Usage::

    python benchmarks/read.py [--shape 128 1024 1024] [--dir /tmp/xarray-ngff-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import time

import numpy as np

WINDOW = (16, 192, 192)
N_WINDOWS = 200
REPEAT = 3


def make_store(path: pathlib.Path, shape: tuple[int, int, int]) -> None:
    import zarr

    shutil.rmtree(path, ignore_errors=True)
    root = zarr.open_group(path, mode="w", zarr_format=3)
    rng = np.random.default_rng(0)
    datasets = []
    for k in range(2):
        f = 2**k
        lshape = (shape[0], shape[1] // f, shape[2] // f)
        arr = root.create_array(
            str(k),
            shape=lshape,
            dtype="uint16",
            chunks=(32, 128, 128),
            shards=(64, 512, 512),
            dimension_names=["z", "y", "x"],
        )
        for z0 in range(0, lshape[0], 64):
            block = rng.integers(0, 4000, size=(min(64, lshape[0] - z0), *lshape[1:]))
            arr[z0 : z0 + 64] = (block // 16 * 16).astype("uint16")  # compressible
        datasets.append(
            {
                "path": str(k),
                "coordinateTransformations": [{"type": "scale", "scale": [2.0, 0.5 * f, 0.5 * f]}],
            }
        )
    axes = [{"name": d, "type": "space", "unit": "micrometer"} for d in "zyx"]
    root.attrs["ome"] = {
        "version": "0.5",
        "multiscales": [{"name": "image", "axes": axes, "datasets": datasets}],
    }


def windows(shape: tuple[int, ...]) -> list[tuple[slice, ...]]:
    rng = np.random.default_rng(42)
    out = []
    for _ in range(N_WINDOWS):
        starts = [int(rng.integers(0, n - w + 1)) for n, w in zip(shape, WINDOW, strict=True)]
        out.append(tuple(slice(s, s + w) for s, w in zip(starts, WINDOW, strict=True)))
    return out


def run_case(case: str, path: pathlib.Path) -> dict:
    """Time one reader; returns seconds (best of REPEAT) and checksums."""
    level0 = path / "0"
    if case == "zarr-python":
        import zarr

        arr = zarr.open_array(level0, mode="r")
        shape = arr.shape
        full = lambda: arr[...]  # noqa: E731
        win = lambda w: arr[w]  # noqa: E731
    elif case == "tensorstore":
        import tensorstore as ts

        arr = ts.open(
            {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(level0)}}
        ).result()
        shape = tuple(arr.shape)
        full = lambda: arr.read().result()  # noqa: E731
        win = lambda w: arr[w].read().result()  # noqa: E731
    elif case == XR_ZARR:
        import xarray as xr

        ds = xr.open_dataset(
            path, engine="zarr", chunks={}, drop_variables=["1"], consolidated=False
        )
        image = ds["0"]
        shape = image.shape
        full = lambda: image.values  # noqa: E731
        win = lambda w: image[w].values  # noqa: E731
    elif case == FLOOR:
        import dask.array as da
        import xarray as xr
        import zarr

        arr = zarr.open_array(level0, mode="r")
        image = xr.DataArray(da.zeros(arr.shape, chunks=arr.chunks, dtype=arr.dtype))
        shape = image.shape
        full = lambda: image.values  # noqa: E731
        win = lambda w: image[w].values  # noqa: E731
    else:
        from xarray_ngff import from_ngff_zarr

        chunks = {} if case == "xarray-ngff (dask)" else None
        image = from_ngff_zarr(path, chunks=chunks)["scale0"]["image"]
        shape = image.shape
        full = lambda: image.values  # noqa: E731
        win = lambda w: image[w].values  # noqa: E731
    t_full = []
    data = None
    for _ in range(REPEAT):
        data = None  # free the previous read first: peak RSS is one copy plus the reader's own
        t0 = time.perf_counter()
        data = full()
        t_full.append(time.perf_counter() - t0)
    checksum = int(np.asarray(data).sum(dtype=np.uint64))
    del data
    ws = windows(shape)
    t_win = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        wsum = 0
        for w in ws:
            wsum += int(np.asarray(win(w)).sum(dtype=np.uint64))
        t_win.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB on Linux
    return {
        "full_s": min(t_full),
        "windows_s": min(t_win),
        "checksum": checksum,
        "window_checksum": wsum,
        "peak_rss_mib": rss,
    }


# dask's own cost: an in-memory array of zeros with the stored chunks, read the same way
FLOOR = "dask floor (zeros)"
XR_ZARR = "xarray zarr engine (dask)"  # xarray's own reader, for reference
CASES = [
    "zarr-python",
    "tensorstore",
    "xarray-ngff (dask)",
    "xarray-ngff (lazy)",
    XR_ZARR,
    FLOOR,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=[128, 1024, 1024])
    parser.add_argument("--dir", default="/tmp/xarray-ngff-bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--make", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = pathlib.Path(args.dir) / "bench.ome.zarr"
    if args.make:
        make_store(path, tuple(args.shape))
        return
    if args.case:
        print(json.dumps(run_case(args.case, path)))
        return
    t0 = time.perf_counter()
    # in a child too: Linux keeps a process's peak RSS across fork and exec, so a parent that
    # generated the data itself would lend its peak to every reader
    subprocess.run(
        [sys.executable, __file__, "--make", "--dir", args.dir, "--shape", *map(str, args.shape)],
        check=True,
    )
    size = np.prod(args.shape) * 2 / 2**20
    print(
        f"store: {path}  level 0 {tuple(args.shape)} uint16 ({size:.0f} MiB), "
        f"shards (64, 512, 512), chunks (32, 128, 128); written in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    print(
        f"{N_WINDOWS} windows of {WINDOW}; best of {REPEAT} x {args.rounds} rounds; "
        "each reader in its own process\n"
    )
    # the checkout's package first, as when run from the repository root
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])}
    results: dict[str, dict] = {}
    for _ in range(args.rounds):
        for case in CASES:
            out = subprocess.run(
                [sys.executable, __file__, "--case", case, "--dir", args.dir],
                capture_output=True,
                text=True,
                env=env,
            )
            if out.returncode:
                sys.exit(f"{case} failed:\n{out.stderr}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            best = results.setdefault(case, r)
            assert r["checksum"] == best["checksum"], f"{case} read differently in two rounds"
            best["full_s"] = min(best["full_s"], r["full_s"])
            best["windows_s"] = min(best["windows_s"], r["windows_s"])
            best["peak_rss_mib"] = max(best["peak_rss_mib"], r["peak_rss_mib"])
    ref = results["zarr-python"]
    for case, r in results.items():
        if case == FLOOR:
            continue
        assert r["checksum"] == ref["checksum"], f"{case} read different pixels"
        assert r["window_checksum"] == ref["window_checksum"], f"{case} read different windows"
    print(
        f"{'reader':<27}{'full read s':>12}{'ratio':>8}{'windows s':>11}{'ratio':>8}"
        f"{'peak RSS MiB':>14}"
    )
    for case, r in results.items():
        print(
            f"{case:<27}{r['full_s']:>12.3f}{r['full_s'] / ref['full_s']:>8.2f}"
            f"{r['windows_s']:>11.3f}{r['windows_s'] / ref['windows_s']:>8.2f}"
            f"{r['peak_rss_mib']:>14.0f}"
        )
    print("\nratios are relative to zarr-python (target: xarray-ngff within 1.2x)")
    floor, ours = results[FLOOR], results["xarray-ngff (dask)"]
    print(
        f"dask's scheduling alone (zeros, no I/O) takes {floor['windows_s']:.3f} s of the "
        f"windows: {floor['windows_s'] / ours['windows_s']:.0%} of the dask reader's time"
    )


if __name__ == "__main__":
    main()
