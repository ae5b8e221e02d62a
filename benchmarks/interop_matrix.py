"""Which readers open which on-disk layout: the measurement behind the default layout.

Writes small stores with xarray-ngff in both layouts (``flat``: level arrays ``0 … N`` under
the image group; ``scale-groups``: ngff-zarr's ``scale{k}/{name}`` with coordinate arrays) —
images 0.4, 0.5 and sharded 0.5, an image with a label image, and a plate with an
alphanumeric field path — then opens each with every reader it finds and checks the pixels of
level 0 (and of the label, and the number of plate fields). Prints one table per layout, then
the other direction with iohub: its own stores (``T, C, Z, Y, X`` axes, channel names, a plate
field ``A1f1``) read by xarray-ngff, written back, and read again by iohub with the same axis
names, channels, fields and pixels.

Readers: xarray-ngff (``engine="ngff"``, every level), ngff-zarr, ome-zarr-py, ome-zarr-models
(validation), xarray's zarr engine, tensorstore, and iohub. iohub 0.3 needs Python 3.12 and
zarr-python that the shared environment does not have, so it runs in its own venv
(``--iohub-python``, default ``/work/venv-iohub/bin/python``; a missing interpreter gives
``n/a``)::

    python3.12 -m venv /work/venv-iohub && /work/venv-iohub/bin/pip install iohub
    python3 benchmarks/interop_matrix.py            # from the repository root
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import tempfile
import traceback
import warnings
from collections.abc import Callable

import numpy as np
import xarray as xr
import zarr

import xarray_ngff as xn
from xarray_ngff import datasets

LAYOUTS = ("flat", "scale-groups")
STORES = ("image 0.4", "image 0.5", "image 0.5 sharded", "image+labels 0.5", "plate 0.5")


def _write(root: pathlib.Path, layout: str) -> dict[str, tuple[pathlib.Path, dict]]:
    img = datasets.cells_3d((8, 64, 48))
    ms = xn.to_multiscales(img, scale_factors=[2], chunks=16)
    lab = (img > img.mean()).astype("uint8").rename("cells")
    out = {}
    for key, version, cps, labels in (
        ("image 0.4", "0.4", None, False),
        ("image 0.5", "0.5", None, False),
        ("image 0.5 sharded", "0.5", 2, False),
        ("image+labels 0.5", "0.5", None, {"cells": lab}),
    ):
        path = root / layout / (key.replace(" ", "_").replace("+", "_") + ".ome.zarr")
        xn.to_ngff_zarr(
            path, ms, version=version, chunks_per_shard=cps, layout=layout, labels=labels
        )
        expect = {"sum": int(img.values.sum()), "shape": list(img.shape)}
        if labels:
            expect["label_sum"] = int(lab.values.sum())
        out[key] = (path, expect)
    path = root / layout / "plate.ome.zarr"
    xn.to_hcs_zarr(path, {"A/1/0": ms, "A/1/A1f1": ms, "B/2/0": ms}, layout=layout)
    out["plate 0.5"] = (path, {"fields": 3, "sum": int(img.values.sum())})
    return out


def _level0_path(path: pathlib.Path) -> str:
    attrs = dict(zarr.open_group(str(path), mode="r").attrs)
    body = attrs.get("ome", attrs)
    return body["multiscales"][0]["datasets"][0]["path"]


def _check(cond: bool, what: str) -> str:
    if not cond:
        raise AssertionError(what)
    return "ok"


# -- readers in this environment: each returns "ok" or raises --------------------------------


def _ours(path, kind, expect):
    if kind.startswith("plate"):
        tree = xr.open_datatree(path, engine="ngff")
        n = sum(1 for node in tree.subtree if node.level == 3)
        return _check(n == expect["fields"], f"{n} fields")
    k = 0
    while True:
        try:
            ds = xr.open_dataset(path, engine="ngff", level=k)
        except xn.NgffError:
            break
        if k == 0:
            _check(int(ds["cells"].values.sum()) == expect["sum"], "pixels differ")
        k += 1
    _check(k == 2, f"{k} levels")
    if "label_sum" in expect:
        lab = xr.open_dataset(path, engine="ngff", image="labels/cells", level=0)
        _check(int(lab["cells"].values.sum()) == expect["label_sum"], "label pixels differ")
    return "ok"


def _ngff_zarr(path, kind, expect):
    import ngff_zarr as nz

    if kind.startswith("plate"):
        plate = nz.from_hcs_zarr(str(path))
        wells = [plate.get_well(*w.path.split("/")) for w in plate.wells]
        images = [w.get_image(i) for w in wells for i in range(len(w.images))]
        _check(int(np.asarray(images[-1].images[0].data).sum()) == expect["sum"], "pixels")
        return _check(len(images) == expect["fields"], f"{len(images)} fields")
    ms = nz.from_ngff_zarr(str(path))
    _check(int(np.asarray(ms.images[0].data).sum()) == expect["sum"], "pixels differ")
    if "label_sum" in expect:
        lab = nz.from_ngff_zarr(str(path / "labels" / "cells"))
        _check(int(np.asarray(lab.images[0].data).sum()) == expect["label_sum"], "label differs")
    return "ok"


def _ome_zarr_py(path, kind, expect):
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Label, Reader

    nodes = list(Reader(parse_url(str(path)))())
    if kind.startswith("plate"):
        data = np.asarray(nodes[0].data[0])  # the stitched plate: first field of each well
        return _check(int(data.sum()) == 2 * expect["sum"], "plate pixels differ")
    _check(int(np.asarray(nodes[0].data[0]).sum()) == expect["sum"], "pixels differ")
    if "label_sum" in expect:
        labels = [n for n in nodes if any(isinstance(s, Label) for s in n.specs)]
        _check(len(labels) == 1, f"{len(labels)} label nodes")
        _check(int(np.asarray(labels[0].data[0]).sum()) == expect["label_sum"], "label differs")
    return "ok"


def _ome_zarr_models(path, kind, expect):
    version = "0.4" if "0.4" in kind else "0.5"
    if version == "0.4":
        from ome_zarr_models.v04 import HCS, Image
    else:
        from ome_zarr_models.v05 import HCS, Image
    group = zarr.open_group(str(path), mode="r")
    (HCS if kind.startswith("plate") else Image).from_zarr(group)
    return "ok"


def _xarray_zarr(path, kind, expect):
    if kind.startswith("plate"):
        path = path / "A" / "1" / "0"
    level0 = _level0_path(path)
    group, _, name = level0.rpartition("/")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = xr.open_dataset(path, engine="zarr", group=group or None, consolidated=False)
    var = ds[name]
    _check(int(var.values.sum()) == expect["sum"], "pixels differ")
    coords = [d for d in var.dims if d in ds.coords]
    return "ok" if coords else "ok (no coords)"


def _tensorstore(path, kind, expect):
    import tensorstore as ts

    if kind.startswith("plate"):
        path = path / "A" / "1" / "A1f1"
    driver = "zarr" if (path / ".zgroup").exists() else "zarr3"
    spec = {
        "driver": driver,
        "kvstore": {"driver": "file", "path": f"{path}/{_level0_path(path)}/"},
    }
    data = ts.open(spec, open=True).result().read().result()
    return _check(int(np.asarray(data).sum()) == expect["sum"], "pixels differ")


READERS: dict[str, Callable] = {
    "xarray-ngff": _ours,
    "ngff-zarr": _ngff_zarr,
    "ome-zarr-py": _ome_zarr_py,
    "ome-zarr-models": _ome_zarr_models,
    "xarray zarr": _xarray_zarr,
    "tensorstore": _tensorstore,
}

# iohub runs in its own interpreter: this program gets the stores as JSON on stdin
_IOHUB = r"""
import json, sys, numpy as np
from iohub import open_ome_zarr
out = {}
for key, path, expect in json.load(sys.stdin):
    try:
        node = open_ome_zarr(path, mode="r")
        if key.startswith("plate"):
            n = len(list(node.positions()))
            out[key] = "ok" if n == expect["fields"] else f"FAIL: {n} fields"
        else:
            total = int(np.asarray(node.data[:]).sum())
            out[key] = "ok" if total == expect["sum"] else "FAIL: pixels differ"
    except Exception as err:
        out[key] = f"FAIL: {type(err).__name__}: {str(err)[:60]}"
print(json.dumps(out))
"""


def _iohub(stores: dict, python: str) -> dict[str, str]:
    if not pathlib.Path(python).exists():
        return dict.fromkeys(stores, "n/a")
    payload = [(k, str(p), e) for k, (p, e) in stores.items()]
    run = subprocess.run(
        [python, "-c", _IOHUB],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd="/",
        env={"PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    if run.returncode != 0:
        return dict.fromkeys(stores, f"FAIL: {run.stderr.strip().splitlines()[-1][:60]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


# iohub's own stores, read by us, written back, read by iohub again (names, channels, pixels)
_IOHUB_WRITE = r"""
import sys, numpy as np
from iohub import open_ome_zarr
root = sys.argv[1]
data = np.arange(2 * 2 * 3 * 16 * 16, dtype="uint16").reshape(2, 2, 3, 16, 16)
with open_ome_zarr(f"{root}/pos.zarr", layout="fov", mode="w-", channel_names=["DAPI", "GFP"]) as p:
    p.create_image("0", data)
with open_ome_zarr(f"{root}/plate.zarr", layout="hcs", mode="w-", channel_names=["DAPI", "GFP"]) as pl:
    for row, col, fov in (("A", "1", "0"), ("A", "1", "A1f1"), ("B", "2", "0")):
        pl.create_position(row, col, fov).create_image("0", data)
"""
_IOHUB_READ = r"""
import json, sys, numpy as np
from iohub import open_ome_zarr
out = {}
for path in sys.argv[1:]:
    node = open_ome_zarr(path, mode="r")
    pos = [p for _, p in node.positions()] if hasattr(node, "positions") else [node]
    out[path] = {"fields": [n for n, _ in node.positions()] if len(pos) > 1 else [],
                 "channels": pos[0].channel_names, "axes": [a.name for a in pos[0].axes],
                 "sum": int(sum(np.asarray(p.data[:]).sum() for p in pos))}
print(json.dumps(out))
"""


def _iohub_round_trip(root: pathlib.Path, python: str) -> dict[str, str]:
    """iohub -> xarray-ngff -> iohub for one position and one plate with a named field."""
    if not pathlib.Path(python).exists():
        return {"iohub -> xarray-ngff": "n/a", "xarray-ngff -> iohub": "n/a"}
    env = {"PATH": "/usr/bin:/bin"}
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [python, "-c", _IOHUB_WRITE, str(root)], check=True, cwd="/", env=env, timeout=300
    )
    out = {}
    try:
        tree = xn.from_ngff_zarr(root / "pos.zarr")
        img = tree["scale0"]["0"]
        _check(img.dims == ("t", "c", "z", "y", "x"), f"dims {img.dims}")
        _check(img.ngff.channel_names == ["DAPI", "GFP"], "channel names")
        _check(img.ngff.axes_units.get("t") == "second", "time unit")
        plate = xr.open_datatree(root / "plate.zarr", engine="ngff")
        _check(list(plate["A/1"].children) == ["0", "A1f1"], "field order")
        xn.to_ngff_zarr(root / "pos_back.zarr", tree)
        xn.to_hcs_zarr(root / "plate_back.zarr", plate)
        out["iohub -> xarray-ngff"] = "ok"
    except Exception as err:
        return {"iohub -> xarray-ngff": _short(err), "xarray-ngff -> iohub": "not run"}
    run = subprocess.run(
        [
            python,
            "-c",
            _IOHUB_READ,
            *(
                str(root / n)
                for n in ("pos.zarr", "pos_back.zarr", "plate.zarr", "plate_back.zarr")
            ),
        ],
        capture_output=True,
        text=True,
        cwd="/",
        env=env,
        timeout=300,
    )
    if run.returncode != 0:
        out["xarray-ngff -> iohub"] = f"FAIL: {run.stderr.strip().splitlines()[-1][:60]}"
        return out
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    same = all(
        seen[str(root / f"{n}.zarr")] == seen[str(root / f"{n}_back.zarr")]
        for n in ("pos", "plate")
    )
    out["xarray-ngff -> iohub"] = "ok" if same else f"FAIL: {seen}"
    return out


def _short(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".replace("\n", " ")
    return "FAIL: " + text[:48]


def matrix(root: pathlib.Path, iohub_python: str, verbose: bool = False) -> dict:
    results: dict[tuple[str, str, str], str] = {}
    for layout in LAYOUTS:
        stores = _write(root, layout)
        for reader, fn in READERS.items():
            for key, (path, expect) in stores.items():
                try:
                    results[(layout, reader, key)] = fn(path, key, expect)
                except Exception as err:  # a reader's failure is a measurement
                    results[(layout, reader, key)] = _short(err)
                    if verbose:
                        traceback.print_exc()
        for key, res in _iohub(stores, iohub_python).items():
            results[(layout, "iohub", key)] = res
    for key, res in _iohub_round_trip(root / "iohub", iohub_python).items():
        results[("round trip", key, "")] = res
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iohub-python", default="/work/venv-iohub/bin/python")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = matrix(pathlib.Path(tmp), args.iohub_python, args.verbose)
    readers = [*READERS, "iohub"]
    for layout in LAYOUTS:
        print(f"\nlayout={layout!r}")
        print("| reader | " + " | ".join(STORES) + " |")
        print("|---" * (len(STORES) + 1) + "|")
        for reader in readers:
            cells = [results[(layout, reader, s)] for s in STORES]
            print(f"| {reader} | " + " | ".join(cells) + " |")
    print("\niohub's stores (position T,C,Z,Y,X with channel names; plate with a field 'A1f1'):")
    for (kind, what, _), res in results.items():
        if kind == "round trip":
            print(f"- {what}: {res}")


if __name__ == "__main__":
    main()
