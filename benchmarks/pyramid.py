"""Pyramid benchmark: xarray-ngff against ngff-zarr, in memory.

Builds and computes a 4-level Gaussian pyramid (absolute scale factors 2, 4, 8) of a synthetic,
microscopy-like uint16 volume with each library, each case in its own subprocess so that the
child's peak RSS (``ru_maxrss``) belongs to that case alone. Wall time covers building the
pyramid and computing every level (level 0 included) with one ``dask.array.store`` call, so
that chained levels share their intermediates, into a sink that is the same for both
libraries: a no-op sink by default (``--sink null``) or preallocated NumPy arrays
(``--sink numpy``).

Usage (from the repository root, so the working tree's package is imported)::

    python benchmarks/pyramid.py                       # 256 x 1024 x 1024, both libraries
    python benchmarks/pyramid.py --size 64 512 512     # quick run
    python benchmarks/pyramid.py --threads 1 2         # time with 1 and with 2 threads
    python benchmarks/pyramid.py --check               # seam / reference check only

The input volume is cached under ``/tmp`` (``--cache-dir``) so every child loads the same bytes
quickly; nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# import the working tree's package, not an installed one
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SCALE_FACTORS = [2, 4, 8]
CASES = ("xarray-ngff", "ngff-zarr")


# -- input ----------------------------------------------------------------------------------


def synthetic_volume(shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """A microscopy-like uint16 volume: smooth blobs on a dim background, with shot noise.

    A coarse random field (1/8 of the size per dim) is smoothed, thresholded into bright
    "nuclei", and trilinearly upsampled slab by slab, so the peak memory of generating it
    stays a small multiple of the result.

    Parameters
    ----------
    shape
        ``(z, y, x)``.
    seed
        Seed of the random generator; the same seed gives the same bytes.

    Returns
    -------
    numpy.ndarray
        The volume, uint16.
    """
    import scipy.ndimage as ndi

    rng = np.random.default_rng(seed)
    coarse_shape = tuple(max(2, n // 8 + 2) for n in shape)
    field = ndi.gaussian_filter(rng.standard_normal(coarse_shape, dtype=np.float32), 1.5)
    field = np.clip((field - field.mean()) / field.std(), 0, None) ** 2
    field = (200.0 + 3000.0 * field).astype(np.float32)

    def linear(n: int) -> tuple[np.ndarray, np.ndarray]:
        pos = (np.arange(n, dtype=np.float32) + 0.5) / 8
        i = pos.astype(np.int64)
        return i, (pos - i).astype(np.float32)

    out = np.empty(shape, dtype=np.uint16)
    (iy, ty), (ix, tx) = linear(shape[1]), linear(shape[2])
    iz_all, tz_all = linear(shape[0])
    slab = 8
    for z0 in range(0, shape[0], slab):
        iz, tz = iz_all[z0 : z0 + slab], tz_all[z0 : z0 + slab]
        planes = field[iz] * (1 - tz)[:, None, None] + field[iz + 1] * tz[:, None, None]
        planes = planes[:, iy] * (1 - ty)[None, :, None] + planes[:, iy + 1] * ty[None, :, None]
        planes = planes[:, :, ix] * (1 - tx) + planes[:, :, ix + 1] * tx
        noise = rng.standard_normal(planes.shape, dtype=np.float32)
        planes += np.sqrt(planes) * noise
        out[z0 : z0 + slab] = np.clip(np.rint(planes), 0, 65535)
    return out


def load_volume(shape: tuple[int, int, int], cache_dir: Path) -> np.ndarray:
    """The synthetic volume, generated once and cached as ``.npy`` under ``cache_dir``."""
    path = cache_dir / f"pyrbench_{'x'.join(map(str, shape))}.npy"
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, synthetic_volume(shape))
        tmp.replace(path)
    return np.load(path)


# -- sinks ----------------------------------------------------------------------------------


class NullSink:
    """A ``dask.array.store`` target that discards what it is given."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.shape = shape
        self.dtype = dtype
        self.ndim = len(shape)

    def __setitem__(self, key, value) -> None:
        pass


def _targets(arrays, sink: str) -> list:
    if sink == "numpy":
        return [np.empty(a.shape, a.dtype) for a in arrays]
    return [NullSink(a.shape, a.dtype) for a in arrays]


# -- one case, in a child process -----------------------------------------------------------


def _levels_xarray_ngff(volume: np.ndarray, chunks: int, method: str | None = None) -> list:
    import xarray_ngff as xn

    image = xn.to_ngff_image(volume, dims=("z", "y", "x"))
    ms = xn.to_multiscales(image, scale_factors=SCALE_FACTORS, method="gaussian", chunks=chunks)
    return [level.data for level in xn.pyramid.tree_levels(ms)]


def _levels_ngff_zarr(volume: np.ndarray, chunks: int, method: str | None = None) -> list:
    import ngff_zarr as nz

    image = nz.to_ngff_image(volume, dims=("z", "y", "x"))
    # method=None: ngff-zarr's default (ITKWASM_GAUSSIAN in ngff-zarr 0.50)
    chosen = None if method is None else nz.Methods(method)
    ms = nz.to_multiscales(image, scale_factors=SCALE_FACTORS, chunks=chunks, method=chosen)
    return [level.data for level in ms.images]


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process: less sensitive than wall time to other
    processes competing for the cores."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_case(case: str, shape: tuple[int, int, int], args: argparse.Namespace) -> dict:
    """Time one case in this process and report its figures (run it in a fresh child)."""
    import dask
    import dask.array as da

    volume = load_volume(shape, Path(args.cache_dir))
    rss_input = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    build = _levels_xarray_ngff if case == "xarray-ngff" else _levels_ngff_zarr
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    with dask.config.set(scheduler="threads", num_workers=args.threads):
        levels = build(volume, args.chunks, args.ngff_zarr_method)
        t_build = time.perf_counter() - t0
        da.store(levels, _targets(levels, args.sink), lock=False)
    wall = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "case": case,
        "threads": args.threads,
        "build_s": t_build,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": peak / 1024,
        "input_rss_mib": rss_input / 1024,
        "shapes": [list(a.shape) for a in levels],
        "chunks": [list(a.chunksize) for a in levels],
    }


# -- seam / reference check -----------------------------------------------------------------


def reference_pyramid(volume: np.ndarray, scale_factors: list[int]) -> list[np.ndarray]:
    """Chained reference: crop to whole windows, full ``gaussian_filter`` (mode ``nearest``),
    block mean, round back to the source dtype, for each level in turn."""
    import scipy.ndimage as ndi

    from xarray_ngff._methods import gaussian_sigma

    levels = [volume]
    previous = 1
    for f in scale_factors:
        rel = f // previous
        x = levels[-1]
        x = x[tuple(slice(0, n // rel * rel) for n in x.shape)].astype(np.float64)
        x = ndi.gaussian_filter(x, gaussian_sigma(rel), mode="nearest", truncate=4.0)
        x = x.reshape([s for n in x.shape for s in (n // rel, rel)]).mean(axis=(1, 3, 5))
        if np.issubdtype(volume.dtype, np.integer):
            info = np.iinfo(volume.dtype)
            x = np.clip(np.rint(x), info.min, info.max)
        levels.append(x.astype(volume.dtype))
        previous = f
    return levels


def check(shape: tuple[int, int, int] = (37, 150, 171)) -> bool:
    """Chunked pyramid == single-chunk pyramid == chained full-Gaussian reference.

    Odd sizes and small chunks put many seams and a ragged last chunk in every level.
    """
    import xarray_ngff as xn

    ok = True
    vol16 = synthetic_volume(shape, seed=1)
    # float32 work: a relative 1e-5 of the range; uint16: rounding may flip by one unit
    for volume, tol in ((vol16.astype(np.float32), 1e-5 * vol16.max()), (vol16, 1)):
        ref = reference_pyramid(volume, SCALE_FACTORS)
        single = [
            lvl.values
            for lvl in xn.pyramid.tree_levels(
                xn.to_multiscales(volume, scale_factors=SCALE_FACTORS, chunks=max(shape))
            )
        ]
        chunked = xn.pyramid.tree_levels(
            xn.to_multiscales(volume, scale_factors=SCALE_FACTORS, chunks=(8, 16, 24))
        )
        for k, (r, s, c) in enumerate(zip(ref, single, chunked, strict=True)):
            expected = tuple(
                (8, 16, 24)[i] if n > (8, 16, 24)[i] else n for i, n in enumerate(r.shape)
            )
            seam = np.abs(c.values.astype(np.float64) - s).max()
            vs_ref = np.abs(s.astype(np.float64) - r).max()
            good = seam <= tol and vs_ref <= tol and c.data.chunksize == expected
            ok &= bool(good)
            print(
                f"check {volume.dtype} level {k} {c.shape}: |chunked - single| = {seam:.3g}, "
                f"|single - reference| = {vs_ref:.3g}, chunks {c.data.chunksize} "
                f"{'ok' if good else 'FAIL'}"
            )
    return ok


# -- driver ---------------------------------------------------------------------------------


def _child(case: str, shape: tuple[int, int, int], args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        case,
        "--size",
        *map(str, shape),
        "--chunks",
        str(args.chunks),
        "--sink",
        args.sink,
        "--cache-dir",
        args.cache_dir,
        "--threads",
        str(args.threads),
    ]
    if args.ngff_zarr_method:
        cmd += ["--ngff-zarr-method", args.ngff_zarr_method]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{case} failed with exit status {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs=3, default=[256, 1024, 1024], metavar="N")
    parser.add_argument("--chunks", type=int, default=128, help="output chunk size (all dims)")
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (best is shown)")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--sink", choices=("null", "numpy"), default="null")
    parser.add_argument("--cache-dir", default="/tmp/pyrbench")
    parser.add_argument(
        "--ngff-zarr-method",
        help="an ngff_zarr.Methods value (e.g. dask_image_gaussian); default: ngff-zarr's default",
    )
    parser.add_argument("--check", action="store_true", help="only run the seam check")
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    shape = tuple(args.size)

    if args.child:
        args.threads = args.threads[0]
        print(json.dumps(run_case(args.child, shape, args)))
        return 0
    if args.check:
        return 0 if check() else 1

    load_volume(shape, Path(args.cache_dir))  # generate once, outside the timed children
    method = args.ngff_zarr_method or "default (itkwasm_gaussian)"
    print(f"ngff-zarr {importlib.metadata.version('ngff-zarr')}, method {method}")
    print(
        f"volume {shape} uint16, scale factors {SCALE_FACTORS}, chunks {args.chunks}, "
        f"sink {args.sink}"
    )
    header = (
        f"{'case':<12} {'threads':>7} {'build s':>8} {'wall s':>8} {'cpu s':>8} "
        f"{'peak RSS MiB':>13}"
    )
    print(header)
    print("-" * len(header))
    results: dict[tuple[str, int], dict] = {}
    for threads in args.threads:
        for case in args.cases:
            runs = []
            for _ in range(args.repeat):
                child_args = argparse.Namespace(**{**vars(args), "threads": threads})
                runs.append(_child(case, shape, child_args))
            best = min(runs, key=lambda r: r["wall_s"])
            best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
            results[case, threads] = best
            print(
                f"{case:<12} {threads:>7} {best['build_s']:>8.2f} {best['wall_s']:>8.2f} "
                f"{best['cpu_s']:>8.2f} {best['peak_rss_mib']:>13.0f}"
            )
    for threads in args.threads:
        a, b = results.get(("xarray-ngff", threads)), results.get(("ngff-zarr", threads))
        if a and b:
            print(
                f"threads={threads}: ngff-zarr / xarray-ngff wall time = "
                f"{b['wall_s'] / a['wall_s']:.2f}x (cpu {b['cpu_s'] / a['cpu_s']:.2f}x), "
                f"peak RSS xarray-ngff / ngff-zarr = "
                f"{a['peak_rss_mib'] / b['peak_rss_mib']:.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
