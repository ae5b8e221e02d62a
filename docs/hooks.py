"""MkDocs hooks: figures drawn at build time, CLI help text, and API entries that exist.

* ``on_files`` adds ``figures/*.png``, drawn with matplotlib from the bundled samples, so no
  binary is committed and the pictures always show what the code does.
* ``on_page_markdown`` replaces ``<!-- cli-help: COMMAND -->`` with the argparse help of that
  command, and turns a ``::: xarray_ngff.module.name`` directive whose target is not in this
  installation (parts of the agreed API that land later) into a note instead of a build error.
"""

from __future__ import annotations

import importlib
import io
import re
import sys
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # document this checkout, not another installed copy
    sys.path.insert(0, str(ROOT))

_DIRECTIVE = re.compile(r"^::: (?P<target>[\w.]+)[ \t]*$", re.MULTILINE)
_CLI_HELP = re.compile(r"<!-- cli-help: ?(?P<command>[\w-]*) ?-->")


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def figure_geometry() -> bytes:
    """Pixel windows and centres of three levels along x, for window-centred and nearest."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import xarray_ngff as xn

    ramp = xn.to_ngff_image(np.zeros((1, 8)), dims=("y", "x"), name="row")
    fig, axes = plt.subplots(2, 1, figsize=(8, 4.2), sharex=True)
    for ax, method in zip(axes, ("mean", "nearest"), strict=True):
        ms = xn.to_multiscales(ramp, scale_factors=[{"x": 2}, {"x": 4}], method=method)
        for k, level in enumerate(ms.ngff.levels):
            s = level.ngff.scale["x"]
            for x in level.x.values:
                ax.add_patch(
                    plt.Rectangle((x - s / 2, -k - 0.4), s, 0.8, fill=False, lw=1.2, color="C0")
                )
                ax.plot(x, -k, "o", color="C3", ms=4)
            ax.text(
                8.0,
                -k,
                f"scale{k}: scale {s:g}, translation {level.ngff.translation['x']:g}",
                va="center",
                fontsize=8,
            )
        ax.set_ylim(-2.6, 0.6)
        ax.set_yticks([0, -1, -2], ["scale0", "scale1", "scale2"])
        ax.set_title(f"method={method!r}", fontsize=10)
        ax.grid(axis="x", ls=":", lw=0.5)
    axes[-1].set_xlim(-0.8, 12.5)
    axes[-1].set_xlabel("x (physical units); dots are pixel centres = coordinate values")
    fig.tight_layout()
    return _png(fig)


def figure_levels() -> bytes:
    """Every level of the cells_3d sample drawn at its physical extent, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import xarray_ngff as xn

    ms = xn.to_multiscales(xn.datasets.cells_3d(), scale_factors=[2, 4], chunks=32)
    levels = ms.ngff.levels
    fig, axes = plt.subplots(1, len(levels), figsize=(3.2 * len(levels), 3.2))
    for k, (ax, level) in enumerate(zip(axes, levels, strict=True)):
        plane = level.isel(z=level.sizes["z"] // 2)
        sx, sy = level.ngff.scale["x"], level.ngff.scale["y"]
        x, y = plane.x.values, plane.y.values
        extent = (x[0] - sx / 2, x[-1] + sx / 2, y[-1] + sy / 2, y[0] - sy / 2)
        ax.imshow(plane.values, extent=extent, cmap="magma")
        ax.set_title(f"scale{k}: {plane.sizes['y']}×{plane.sizes['x']}, {sx:g} µm", fontsize=9)
        ax.set_xlabel("x (µm)")
    axes[0].set_ylabel("y (µm)")
    fig.tight_layout()
    return _png(fig)


def figure_methods() -> bytes:
    """Level 2 (factor 4) of the blobs sample and the label sample with several methods."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import xarray_ngff as xn

    blobs = xn.datasets.blobs_2d()
    labels = xn.datasets.nuclei_labels()
    panels = [("input", blobs, None)]
    panels += [(m, blobs, m) for m in ("gaussian", "mean", "nearest", "max")]
    panels += [("labels: mode", labels, "mode")]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.4 * len(panels), 2.6))
    for ax, (title, image, method) in zip(axes, panels, strict=True):
        if method is not None:
            image = xn.to_multiscales(image, scale_factors=[8], method=method).ngff.levels[1]
        ax.imshow(
            image.values,
            cmap="tab20" if image.dtype.kind == "u" and title.startswith("labels") else "gray",
            interpolation="nearest",
        )
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    fig.tight_layout()
    return _png(fig)


def figure_transforms() -> bytes:
    """Two tiles of a 0.6 scene drawn in the scene's ``world`` system: one placed by a
    translation, one by a rotation then a translation (pixel corners mapped with
    ``transform_points``)."""
    import tempfile

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import xarray_ngff as xn

    sys.path.insert(0, str(ROOT / "docs"))
    from scene_example import write_example_scene

    path = Path(tempfile.mkdtemp()) / "scene.ome.zarr"
    write_example_scene(path)
    import xarray as xr

    tree = xr.open_datatree(path, engine="ngff")
    fig, ax = plt.subplots(figsize=(6, 5))
    for tile, cmap in (("tileA", "Blues"), ("tileB", "Oranges")):
        img = tree[f"{tile}/scale0"]["image"]
        sy, sx = img.ngff.scale["y"], img.ngff.scale["x"]
        ys = np.append(img.y.values - sy / 2, img.y.values[-1] + sy / 2)
        xs = np.append(img.x.values - sx / 2, img.x.values[-1] + sx / 2)
        yy, xx = np.meshgrid(ys, xs, indexing="ij")
        corners = np.stack([yy.ravel(), xx.ravel()], axis=1)
        world = xn.transform_points(path, f"{tile}/physical", "world", corners)
        wy, wx = (world[:, i].reshape(yy.shape) for i in (0, 1))
        ax.pcolormesh(wx, wy, img.values, cmap=cmap, shading="flat", alpha=0.85)
        ax.text(wx.mean(), wy.mean(), tile, ha="center", va="center", fontsize=12)
    ax.set_xlabel("world x (micrometer)")
    ax.set_ylabel("world y (micrometer)")
    ax.invert_yaxis()
    ax.set_aspect("equal")
    ax.set_title("A 0.6 scene: two tiles in the 'world' coordinate system")
    return _png(fig)


FIGURES = {
    "geometry": figure_geometry,
    "levels": figure_levels,
    "methods": figure_methods,
    "transforms": figure_transforms,
}


def on_files(files, config):
    for name, draw in FIGURES.items():
        files.append(File.generated(config, f"figures/{name}.png", content=draw()))
    return files


def _available(target: str) -> bool:
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(module_name)
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


def _cli_help(command: str) -> str:
    import argparse

    from xarray_ngff._cli import build_parser

    parser = build_parser()
    if command:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[command]
    parser.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=92)
    return f"```text\n{parser.format_help().rstrip()}\n```"


def on_page_markdown(markdown, page, config, files):
    def directive(match: re.Match) -> str:
        target = match.group("target")
        if not _available(target):  # a stale API reference must fail the strict build
            raise ValueError(f"{page.file.src_path}: API reference {target!r} does not import")
        return match.group(0)

    markdown = _DIRECTIVE.sub(directive, markdown)
    return _CLI_HELP.sub(lambda m: _cli_help(m.group("command")), markdown)
