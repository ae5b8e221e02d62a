"""Open a synthetic 96-well x 4-field plate and read one field: xarray-ngff vs ngff-zarr.

Writes the plate once (OME-Zarr 0.5 and 0.4, 2 x 256 x 256 uint16 fields, 2 levels) under
/tmp, then times in the same run, best of ``--repeat``:

* ``open plate object``: :func:`xarray_ngff.from_hcs_zarr` vs ngff-zarr ``from_hcs_zarr``
  (plate metadata only);
* ``open + read 1 field``: open, get well H/12, field 3, load level 0 into memory;
* ``open whole tree``: ``xr.open_datatree(plate, engine="ngff")`` (every well's and field's
  metadata, 384 images; ngff-zarr has no equivalent, so its figure is the loop over every
  well and field with ``get_well``/``get_image``);
* ``plate array``: :func:`xarray_ngff.plate_to_dataarray` (build only, lazy).

Usage: ``python benchmarks/plate.py [--repeat 3] [--dir /tmp/plate-bench]``
"""

from __future__ import annotations

import argparse
import pathlib
import time
import warnings

import numpy as np
import xarray as xr

import xarray_ngff as xn
from xarray_ngff._plate_read import open_plate_tree
from xarray_ngff.datasets import synthetic_plate


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/plate-bench")
    args = ap.parse_args()
    import ngff_zarr as nz

    base = pathlib.Path(args.dir)
    rows: list[tuple[str, float, float | None]] = []
    for version in ("0.5", "0.4"):
        path = base / f"plate{version}.ome.zarr"
        if not path.exists():
            t0 = time.perf_counter()
            tree = synthetic_plate(rows=8, columns=12, fields=4, shape=(2, 256, 256))
            xn.to_hcs_zarr(path, tree, version=version)
            print(f"wrote {path} in {time.perf_counter() - t0:.1f} s")
        p = str(path)

        def ours_read(p: str = p) -> np.ndarray:
            plate = xn.from_hcs_zarr(p)
            return plate.get_well("H", "12").get_image(3)["scale0"]["image"].values

        def theirs_read(p: str = p) -> np.ndarray:
            plate = nz.from_hcs_zarr(p)
            return np.asarray(plate.get_well("H", "12").get_image(3).images[0].data)

        def theirs_all(p: str = p) -> int:
            plate = nz.from_hcs_zarr(p)
            n = 0
            for w in plate.metadata.wells:
                r, c = w.path.split("/")
                well = plate.get_well(r, c)
                for i in range(len(well.images)):
                    n += well.get_image(i) is not None
            return n

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_open, _ = best(lambda p=p: xn.from_hcs_zarr(p), args.repeat)
            n_open, _ = best(lambda p=p: nz.from_hcs_zarr(p), args.repeat)
            t_read, a = best(ours_read, args.repeat)
            n_read, b = best(theirs_read, args.repeat)
            assert np.array_equal(a, b), "the two readers disagree"
            t_tree, tree = best(lambda p=p: xr.open_datatree(p, engine="ngff"), args.repeat)
            t_direct, _ = best(lambda p=p: open_plate_tree(p), args.repeat)
            assert sum(1 for _ in tree.subtree) > 384
            n_tree, n = best(theirs_all, 1)
            assert n == 384
            t_arr, arr = best(lambda p=p: xn.plate_to_dataarray(p), args.repeat)
            assert arr.shape == (8, 12, 4, 2, 256, 256)
        rows += [
            (f"{version} open plate object", t_open, n_open),
            (f"{version} open + read 1 field", t_read, n_read),
            (f"{version} open_datatree engine=ngff (384 fields)", t_tree, n_tree),
            (f"{version} open_plate_tree (384 fields)", t_direct, n_tree),
            (f"{version} plate_to_dataarray (lazy)", t_arr, None),
        ]
    print(f"\n{'case':42s} {'xarray-ngff':>12s} {'ngff-zarr':>12s} {'ratio':>7s}")
    for name, ours, theirs in rows:
        ratio = f"{theirs / ours:6.1f}x" if theirs else "      -"
        other = f"{theirs * 1e3:10.1f}ms" if theirs else f"{'-':>12s}"
        print(f"{name:42s} {ours * 1e3:10.1f}ms {other} {ratio}")
    print("\nratio = ngff-zarr time / xarray-ngff time (higher: xarray-ngff faster)")


if __name__ == "__main__":
    main()
