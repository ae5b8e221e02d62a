"""Command line interface (placeholder until the full CLI lands): builds a sample pyramid."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``xarray-ngff`` and ``python -m xarray_ngff``."""
    from . import datasets, to_multiscales

    parser = argparse.ArgumentParser(prog="xarray-ngff")
    parser.add_argument("--sample", default="cells_3d", choices=sorted(datasets.SAMPLES))
    args = parser.parse_args(argv)
    ms = to_multiscales(datasets.sample(args.sample))
    for k, level in enumerate(ms.ngff.levels):
        print(f"scale{k}: shape={level.shape} scale={level.ngff.scale}", file=sys.stdout)
    return 0
