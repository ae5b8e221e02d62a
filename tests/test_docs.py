"""The documentation site builds with warnings as errors, and every notebook executes."""

from __future__ import annotations

import importlib
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_docs_build_strict(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(site),
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for page in ("index.html", "multiscales/index.html", "cli/index.html", "api/index.html"):
        assert (site / page).is_file(), page
    # figures are drawn at build time (nothing binary is committed) and are real PNGs
    for figure in ("geometry", "levels", "methods"):
        data = (site / "figures" / f"{figure}.png").read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000
    cli_page = (site / "cli" / "index.html").read_text()
    assert "usage: xarray-ngff convert" in cli_page and "--chunks-per-shard" in cli_page
    api_page = (site / "api" / "index.html").read_text()
    assert "to_multiscales" in api_page and "NgffDataTreeAccessor" in api_page
    home = re.sub(r"<[^>]+>", "", (site / "index.html").read_text())
    assert "xarray-ngff convert --sample cells_3d cells.ome.zarr" in home


def test_readme_leads_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    code = [ln for ln in lines if ln.startswith("python3 -m pip")]
    assert code[:2] == [
        'python3 -m pip install ".[cli]" && xarray-ngff convert --sample cells_3d cells.ome.zarr',
        'python3 -m pip install -e ".[test]" && python3 -m pytest',
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    book = nbformat.read(path, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    book = nbformat.read(path, as_version=4)
    # a notebook names the modules it needs: all are part of the package now
    for module in book.metadata.get("xarray_ngff", {}).get("requires", []):
        assert importlib.util.find_spec(module) is not None, f"{path.name} needs {module}"
    # the kernel must import this checkout's xarray_ngff
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = nbclient.NotebookClient(
        book,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors
    images = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]
    assert images, f"{path.name} drew no figure"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    importlib.import_module("xarray_ngff._writer")
    importlib.import_module("xarray_ngff.backend")
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert len(block.strip().splitlines()) == 5
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    back = namespace["back"]
    assert [lvl.shape for lvl in back.ngff.levels] == [(64, 256, 256), (32, 128, 128), (16, 64, 64)]
    assert back.ngff.levels[0].ngff.axes_units["z"] == "micrometer"


# -- the first hour: what the README and docs promise works after the install they give -----


def _extras() -> tuple[list[str], dict[str, list[str]]]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"], project["optional-dependencies"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_cli_extra_holds_what_validate_needs():
    core, extras = _extras()
    assert "ome-zarr-models" in _names(extras["cli"])  # xarray-ngff validate after ".[cli]"
    assert {"ome-zarr-models", "jsonschema"} <= _names(extras["validate"])
    # the README promises img.pint.quantify() after its first command
    assert "pint-xarray" in _names(core)
    assert "`import pint_xarray`, then `img.pint.quantify()`" in (ROOT / "README.md").read_text()


def test_install_lines_work_from_a_clone():
    texts = {p: p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
    cli = ROOT / "xarray_ngff" / "_cli" / "__init__.py"  # the command line's install line
    texts[cli] = cli.read_text()
    found = 0
    for path, text in texts.items():
        for m in re.finditer(r'pip install (?:-e )?("[^"]+"|\S+)', text):
            if m.group(1).strip('"').startswith((".", "distributed", "pint")):
                found += 1
                continue
            if not m.group(1).strip('"').startswith("xarray-ngff"):
                continue  # a peer installed beside us (iohub in its own venv), not our package
            # the package-index form is only named as what comes once it is released
            context = text[max(0, m.start() - 120) : m.end() + 40]
            assert re.search(r"(?i)once\s+(it\s+is\s+)?released", context), (path, m.group(0))
    assert found >= 5


def test_pint_quantify_works_on_an_image():
    pint_xarray = pytest.importorskip("pint_xarray")
    import xarray_ngff as xn

    assert pint_xarray is not None
    img = xn.datasets.cells_3d()
    quantified = img.pint.quantify()
    assert str(quantified.x.data.units) == "micrometer"


@pytest.mark.skipif(
    os.environ.get("XARRAY_NGFF_FRESH_VENV") != "1",
    reason="installs from the package index into a fresh venv (minutes, network): set "
    "XARRAY_NGFF_FRESH_VENV=1 to run",
)
def test_first_hour_in_a_fresh_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py, bin_ = venv / "bin" / "python", venv / "bin"
    # the README's first command, from a copy of the clone
    subprocess.run([str(py), "-m", "pip", "install", "-q", f"{ROOT}[cli]"], check=True)
    run = {"cwd": tmp_path, "check": True, "capture_output": True, "text": True}
    out = subprocess.run(
        [str(bin_ / "xarray-ngff"), "convert", "--sample", "cells_3d", "cells.ome.zarr"], **run
    )
    assert "scale2" in out.stdout
    subprocess.run([str(bin_ / "xarray-ngff"), "validate", "cells.ome.zarr"], **run)
    script = (
        "import pint_xarray, xarray as xr, xarray_ngff as xn, xarray_ngff.compat as nz\n"
        "img = xn.datasets.cells_3d()\n"
        "assert str(img.pint.quantify().x.data.units) == 'micrometer'\n"
        "ds = xr.open_dataset('cells.ome.zarr', engine='ngff', group='scale1')\n"
        "assert ds['cells'].shape[1] == img.shape[1] // 2\n"
        "ds.close()\n"
        "ms = nz.from_ngff_zarr('cells.ome.zarr', validate=True)\n"
        "print([i.data.shape for i in ms.images])\n"
    )
    out = subprocess.run([str(py), "-c", script], **run)
    assert out.stdout.startswith("[(")
