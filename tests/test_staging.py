"""Staged local writes: swap, recovery of an interrupted swap, leftovers, and a kill test."""

from __future__ import annotations

import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import xarray_ngff as xn
from xarray_ngff import _staging
from xarray_ngff.errors import NgffWarning

ROOT = pathlib.Path(__file__).resolve().parents[1]

CHILD = """
import sys, numpy as np, xarray_ngff as xn
path, version, seed, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if mode == "between-renames":  # die right after the old store was renamed aside
    import os
    from xarray_ngff import _staging
    _staging._exchange = lambda a, b: False
    real = os.rename
    calls = []
    def rename(a, b):
        real(a, b)
        calls.append(b)
        if _staging.MARK_OLD in str(b):
            os._exit(9)
    os.rename = rename
data = np.random.default_rng(seed).integers(0, 60000, (8, 96, 96)).astype("uint16")
ms = xn.to_multiscales(xn.to_ngff_image(data), scale_factors=[2, 4], chunks=8)
print("start", flush=True)
xn.to_ngff_zarr(path, ms, version=version)
print("done", flush=True)
"""


def _pixels(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 60000, (8, 96, 96)).astype("uint16")


def _levels(seed: int) -> list[np.ndarray]:
    ms = xn.to_multiscales(xn.to_ngff_image(_pixels(seed)), scale_factors=[2, 4], chunks=8)
    return [lvl.values for lvl in ms.ngff.levels]


def _child(path: pathlib.Path, version: str, seed: int, mode: str = "kill") -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), version, str(seed), mode],
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        text=True,
    )


def _which(path: pathlib.Path, old: list[np.ndarray], new: list[np.ndarray]) -> str:
    got = [lvl.values for lvl in xn.from_ngff_zarr(path).ngff.levels]
    for name, want in (("old", old), ("new", new)):
        if len(got) == len(want) and all(
            np.array_equal(a, b) for a, b in zip(got, want, strict=True)
        ):
            return name
    raise AssertionError("the store is neither the complete old nor the complete new image")


@pytest.mark.parametrize(
    ("version", "name"), [("0.4", "img.ome.zarr"), ("0.5", "img.ome.zarr"), ("0.5", "img.ozx")]
)
def test_killed_overwrite_leaves_old_or_new(tmp_path, version, name):
    """SIGKILL at seeded random moments of an overwrite (directory or archive): old intact
    or new complete."""
    old, new = _levels(1), _levels(2)
    rng = random.Random(f"kill-{version}-{name}")
    # how long one overwrite takes here, to spread the kills over it (no assertion on time)
    path = tmp_path / f"calibrate-{name}"
    ms = xn.to_multiscales(xn.to_ngff_image(_pixels(1)), scale_factors=[2, 4], chunks=8)
    xn.to_ngff_zarr(path, ms, version=version)
    t0 = time.monotonic()
    xn.to_ngff_zarr(path, ms, version=version)
    span = max(time.monotonic() - t0, 0.05) * 1.5  # the child runs no faster than this
    seen = set()
    path = tmp_path / "trials" / name
    path.parent.mkdir()
    xn.to_ngff_zarr(path, ms, version=version)
    for _ in range(4):
        proc = _child(path, version, 2)
        assert proc.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0, span))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        seen.add(_which(path, old, new))
        # the next write of the path (the old image again, for the next trial) removes what
        # the killed one left beside it
        xn.to_ngff_zarr(path, ms, version=version)
        assert [p.name for p in path.parent.iterdir()] == [name]
        assert _which(path, old, new) == "old"
    assert seen <= {"old", "new"}


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_crash_between_the_two_renames_is_recovered(tmp_path, version):
    old, new = _levels(1), _levels(2)
    path = tmp_path / "img.ome.zarr"
    ms = xn.to_multiscales(xn.to_ngff_image(_pixels(1)), scale_factors=[2, 4], chunks=8)
    xn.to_ngff_zarr(path, ms, version=version)
    proc = _child(path, version, 2, mode="between-renames")
    out, _ = proc.communicate()
    assert proc.returncode == 9 and "done" not in out
    assert not path.exists()  # the window: old aside, new beside, nothing at the path
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and any(_staging.MARK_OLD in n for n in names)
    assert _which(path, old, new) == "old"  # opening it puts the complete old store back
    xn.to_ngff_zarr(path, ms, version=version)
    assert [p.name for p in tmp_path.iterdir()] == ["img.ome.zarr"]


def test_swap_with_and_without_exchange(tmp_path, monkeypatch):
    for exchange in (True, False):
        path = tmp_path / f"s{exchange}.zarr"
        path.mkdir()
        (path / "old").write_text("old")
        staged = _staging.staging_path(path)
        staged.mkdir()
        (staged / "new").write_text("new")
        if not exchange:
            monkeypatch.setattr(_staging, "_exchange", lambda a, b: False)
        _staging.swap_in(staged, path)
        assert [p.name for p in path.iterdir()] == ["new"]
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(path.name)) == [
            path.name
        ]
    single = tmp_path / "a.ozx"
    single.write_text("old")
    staged = _staging.staging_path(single)
    staged.write_text("new")
    _staging.swap_in(staged, single)
    assert single.read_text() == "new" and not staged.exists()


def test_leftovers_of_a_running_write_are_reported_not_removed(tmp_path):
    path = tmp_path / "img.ome.zarr"
    xn.to_ngff_zarr(path, xn.to_ngff_image(_pixels(1)))
    pending = xn.to_ngff_zarr(path, xn.to_ngff_image(_pixels(2)), compute=False)
    with pytest.warns(NgffWarning, match="may still be running"):
        xn.to_ngff_zarr(tmp_path / "other.ome.zarr", xn.to_ngff_image(_pixels(1)))
        xn.to_ngff_zarr(path, xn.to_ngff_image(_pixels(1)))
    pending.compute()  # its staged store is still whole: it is swapped in now
    np.testing.assert_array_equal(xn.from_ngff_zarr(path).ngff.levels[0].values, _pixels(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img.ome.zarr", "other.ome.zarr"]
