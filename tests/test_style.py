"""The code base stays ruff-clean (the linter is part of the test extra) and its modules small."""

import ast
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ruff_check_passes():
    ruff = shutil.which("ruff") or shutil.which(
        "ruff", path=str(pathlib.Path(sys.executable).parent)
    )
    if ruff is None:
        pytest.skip("ruff is not installed")
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# a module longer than this says why in its docstring, with these words
MAX_LINES = 600
REASON = "longer than 600 lines:"


def test_modules_stay_short_or_say_why():
    long = []
    for path in sorted((ROOT / "xarray_ngff").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_LINES:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if REASON not in doc.lower():
                long.append((path.relative_to(ROOT).as_posix(), len(text.splitlines())))
    assert not long, f"split these modules, or give the reason ({REASON!r}) in the docstring"
