"""Benchmark: the lower bound of a whole pyramid write, from its parts, in one process.

Every pyramid writer pays at least what the floor pays (zarr-python writing level 0 with our
codec: the same lazy source, the same level-0 bytes, the same codec) plus the reductions
and the encode of the lower levels. This script times, in one process and interleaved
rounds, for ``vol`` and ``plane`` of ``benchmarks/write.py``:

* ``source``: generating the lazy source only (its blocks computed and dropped);
* ``encode``: blosc zstd-1 bit-shuffle encode of every level-0 chunk (in memory);
* ``decode``: decoding them back (what the staged writer pays per re-read chunk);
* ``gaussian``, ``mean``: our ``reduce_block`` of level 0 to level 1, in memory, by regions
  of one level-1 chunk (plus the halo, edges replicated as the writer does);
* ``floor``: zarr-python writing level 0 (as in ``write.py``);
* ``ours-level0``: ``to_ngff_zarr`` of level 0 alone (no lower levels);
* ``ours-gaussian``: ``to_ngff_zarr`` of the whole pyramid, for comparison with the bound.

Each part runs on a pool of one thread per CPU (as dask's threaded scheduler does); the
table gives the medians of wall and CPU seconds. Then the bound: each factor-2 level has
``r = 2**-ndim`` of the pixels of the one above, so a pyramid of ``L`` lower levels needs at
least ``floor CPU + gaussian CPU * (1 + r + ... + r**(L-1)) + encode CPU * (r + ... + r**L)``
CPU seconds, which ``cores`` CPUs cannot run in less than that divided by ``cores``: printed
as a ratio to the floor's wall time of the same round (and, less sensitive to other load on
the machine, the ratio of CPU seconds). The same bound is printed from our own level-0 write
(``ours-level0``) in place of the floor's, the tighter one for our writer, against which
``ours-gaussian`` is compared. A staged writer (each level read back
from the one written) adds ``decode CPU * amplification`` per level (the times each chunk
is decoded, counted in ``docs/decisions.md``); that term is printed apart, per unit of
amplification.

Usage (from the repository root; outputs in a temporary directory)::

    python benchmarks/write_bound.py --shapes vol plane --rounds 3 --sharded
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import write as bench  # noqa: E402  (benchmarks/write.py: shapes, source, writers)

PARTS = ["source", "encode", "decode", "gaussian", "mean", "floor", "ours-level0", "ours-gaussian"]


class _Discard:
    """A ``da.store`` target that keeps nothing."""

    def __setitem__(self, key, value) -> None:
        pass


def _timed(fn) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def _regions(shape, step):
    ranges = [range(0, n, s) for n, s in zip(shape, step, strict=True)]
    for origin in np.ndindex(*[len(r) for r in ranges]):
        yield tuple(
            slice(r[i], min(r[i] + s, n))
            for r, i, s, n in zip(ranges, origin, step, shape, strict=True)
        )


def _reduce_all(level0: np.ndarray, chunk: int, method: str, pool) -> None:
    from xarray_ngff._methods import gaussian_radius, reduce_block

    nd = level0.ndim
    depth = gaussian_radius(2) if method == "gaussian" else 0

    def one(region):
        lo = [s.start - depth for s in region]
        hi = [s.stop + depth for s in region]
        inner = tuple(
            slice(max(a, 0), min(b, n)) for a, b, n in zip(lo, hi, level0.shape, strict=True)
        )
        block = level0[inner]
        pads = [(i.start - a, b - i.stop) for a, b, i in zip(lo, hi, inner, strict=True)]
        if any(p != (0, 0) for p in pads):
            block = np.pad(block, pads, mode="edge")
        return reduce_block(block, (2,) * nd, method, (depth,) * nd)

    list(pool.map(one, _regions(level0.shape, (2 * chunk,) * nd)))


def _run_part(part, shape_name, scale, sharded, out, state, pool) -> tuple[float, float]:
    import dask.array as da
    import numcodecs

    full, dtype, chunk, _ = bench.SHAPES[shape_name]
    shape = tuple(n // scale for n in full)
    codec = numcodecs.Blosc(cname="zstd", clevel=1, shuffle=numcodecs.Blosc.BITSHUFFLE)
    if part == "source":
        return _timed(lambda: da.store(bench.source(shape, dtype, chunk), _Discard(), lock=False))
    level0 = state["level0"]
    if part == "encode":
        regions = list(_regions(shape, (chunk,) * len(shape)))
        return _timed(
            lambda: state.__setitem__(
                "encoded",
                list(pool.map(lambda r: codec.encode(np.ascontiguousarray(level0[r])), regions)),
            )
        )
    if part == "decode":
        return _timed(lambda: list(pool.map(codec.decode, state["encoded"])))
    if part in ("gaussian", "mean"):
        return _timed(lambda: _reduce_all(level0, chunk, part, pool))
    shutil.rmtree(out, ignore_errors=True)
    if part == "ours-level0":
        import xarray_ngff as xn

        dims = ("z", "y", "x")[-len(shape) :]
        img = xn.to_ngff_image(bench.source(shape, dtype, chunk), dims=dims)
        ms = xn.to_multiscales(img, scale_factors=[], chunks=chunk)
        result = _timed(
            # omero=False: the floor computes no display window (for one level, ours reads
            # the whole of level 0 for it)
            lambda: xn.to_ngff_zarr(
                out, ms, version="0.5", chunks_per_shard=2 if sharded else None, omero=False
            )
        )
    else:
        writer = "floor" if part == "floor" else "ours-gaussian"
        result = _timed(lambda: bench.run_writer(writer, shape_name, scale, sharded, out))
    shutil.rmtree(out, ignore_errors=True)
    return result


def _bound(med: dict, ndim: int, levels: int, cores: int, level0: str = "floor") -> dict:
    r = 2.0**-ndim
    reduce_sum = sum(r**k for k in range(levels))
    encode_sum = sum(r**k for k in range(1, levels + 1))
    cpu = med[level0][1] + med["gaussian"][1] * reduce_sum + med["encode"][1] * encode_sum
    return {
        "cpu": cpu,
        "wall": cpu / cores,
        "ratio": cpu / cores / med["floor"][0],
        "cpu_ratio": cpu / med["floor"][1],
        "decode_per_pass": med["decode"][1] * reduce_sum / cores / med["floor"][0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["vol", "plane"], choices=list(bench.SHAPES))
    parser.add_argument("--parts", nargs="+", default=PARTS, choices=PARTS)
    parser.add_argument("--scale", type=int, default=1, help="divide every side by this")
    parser.add_argument("--sharded", action="store_true", help="2 chunks per shard per dim")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import dask
    import scipy.ndimage  # noqa: F401  (imports are not part of the timing)
    import zarr  # noqa: F401

    import xarray_ngff  # noqa: F401

    cores = os.cpu_count() or 1
    scratch = tempfile.mkdtemp(prefix="xngff-bound-", dir="/tmp")
    pool = ThreadPoolExecutor(cores)
    parts = [p for p in PARTS if p in args.parts]
    for needed in ("floor", "gaussian", "encode", "decode"):
        if needed not in parts:
            parts.append(needed)  # the bound is made of them
    try:
        for name in args.shapes:
            full, dtype, chunk, factors = bench.SHAPES[name]
            shape = tuple(n // args.scale for n in full)
            with dask.config.set(scheduler="threads", num_workers=cores):
                state = {"level0": bench.source(shape, dtype, chunk).compute()}
            times: dict[str, list[tuple[float, float]]] = {p: [] for p in parts}
            for rnd in range(args.rounds):
                for part in parts:
                    out = os.path.join(scratch, f"{part}.zarr")
                    times[part].append(
                        _run_part(part, name, args.scale, args.sharded, out, state, pool)
                    )
                print(f"{name}: round {rnd} done", flush=True)
            med = {
                p: tuple(statistics.median(t[i] for t in times[p]) for i in (0, 1)) for p in parts
            }
            floors = times["floor"]
            print(
                f"\n{name} {shape} {dtype}, chunks {chunk}, {cores} CPUs, "
                f"{'sharded' if args.sharded else 'not sharded'}, medians of {args.rounds} rounds:"
            )
            print(f"{'part':<15}{'wall s':>9}{'CPU s':>9}{'/ floor wall':>14}")
            for p in parts:
                ratios = [t[0] / f[0] for t, f in zip(times[p], floors, strict=True)]
                print(f"{p:<15}{med[p][0]:9.2f}{med[p][1]:9.2f}{statistics.median(ratios):14.2f}")
            b = _bound(med, len(shape), len(factors), cores)
            print(
                f"lower bound of the whole pyramid: {b['cpu']:.2f} CPU s = {b['wall']:.2f} s on "
                f"{cores} CPUs = {b['ratio']:.2f}x the floor's wall ({b['cpu_ratio']:.2f}x its "
                f"CPU); a staged writer adds {b['decode_per_pass']:.2f}x per re-decode of "
                "each level"
            )
            if "ours-level0" in med:  # the same bound from our own level-0 write
                b = _bound(med, len(shape), len(factors), cores, "ours-level0")
                print(
                    f"from ours-level0 instead of the floor: {b['cpu']:.2f} CPU s = "
                    f"{b['wall']:.2f} s = {b['ratio']:.2f}x the floor's wall "
                    f"({b['cpu_ratio']:.2f}x its CPU)"
                )
            if "ours-gaussian" in med:
                ours = med["ours-gaussian"]
                print(
                    f"ours-gaussian / bound: {ours[0] / b['wall']:.2f} wall, "
                    f"{ours[1] / b['cpu']:.2f} CPU"
                )
    finally:
        pool.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
