"""The official OME-Zarr 0.6 conformance suites and examples decide what our validator says."""

from __future__ import annotations

import json
import pathlib

import pytest

from xarray_ngff._validate import validate_attrs
from xarray_ngff._validate._v06 import _object_refs, load_document

SPEC = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "ngff-spec" / "0.6"
pytestmark = pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/ngff-spec absent")


def _cases(folder: str) -> list[pathlib.Path]:
    root = SPEC / "tests" / folder
    return sorted(root.rglob("*.json")) if root.is_dir() else []


def _expected(path: pathlib.Path, doc: dict) -> bool:
    conformance = doc.get("_conformance") or {}
    return bool(conformance.get("valid", "invalid" not in path.parts))


def _string_refs(doc) -> bool:
    if isinstance(doc, list):
        return any(_string_refs(x) for x in doc)
    if isinstance(doc, dict):
        return any(
            (k in ("input", "output") and isinstance(v, str)) or _string_refs(v)
            for k, v in doc.items()
        )
    return False


def _judge(path: pathlib.Path) -> tuple[bool, bool, list[str]]:
    text = path.read_text()
    try:
        doc = json.loads(text)
    except ValueError:  # two invalid hierarchies are not even JSON
        assert "invalid" in path.parts, path
        return False, False, ["not JSON"]
    if path.name == "zarr.json":
        doc = doc.get("attributes", {})
    expected = _expected(path, doc)
    doc = {k: v for k, v in doc.items() if k != "_conformance"}
    problems = validate_attrs(doc, _kind(path), strict="strict" in path.parts, version="0.6")
    return expected, not problems, problems


def _kind(path: pathlib.Path) -> str | None:
    return next((k for k in ("image", "label", "plate", "well", "scene") if k in path.parts), None)


def _stale_string_form(path: pathlib.Path) -> bool:
    """A Zarr-suite case marked valid only by its folder (no ``valid`` in ``_conformance``)
    that writes ``input``/``output`` as strings, which the attributes suite
    (``invalid_multiscale_transform_input_output.json``) and the released schema reject, and
    that is valid once they are written as objects."""
    doc = json.loads(path.read_text())["attributes"]
    if "valid" in doc.get("_conformance", {}) or not _string_refs(doc):
        return False
    body = {k: v for k, v in doc.items() if k != "_conformance"}
    fixed = _object_refs(body)
    return validate_attrs(fixed, _kind(path), strict="strict" in path.parts, version="0.6") == []


@pytest.mark.parametrize("folder", ["attributes", "zarr"])
def test_official_suite(folder):
    cases = _cases(folder)
    assert len(cases) > 80
    wrong, stale = [], []
    for path in cases:
        expected, valid, problems = _judge(path)
        if expected == valid:
            continue
        if folder == "zarr" and expected and _stale_string_form(path):
            stale.append(path)  # the two suites disagree; we side with the attributes suite
            continue
        wrong.append(f"{path.relative_to(SPEC)}: expected valid={expected}, got {problems[:2]}")
    assert not wrong, "\n".join(wrong)
    assert len(stale) <= 10


def test_official_examples_are_valid():
    examples = sorted((SPEC / "examples").rglob("*.json"))
    assert len(examples) > 30
    wrong = []
    for path in examples:
        doc = load_document(path.read_text())
        doc = doc.get("attributes", doc) if "zarr_format" in doc else doc
        if "ome" not in doc:  # transformation fragments: judged inside a 0.6 envelope
            continue
        problems = validate_attrs(doc)
        if problems:
            wrong.append(f"{path.relative_to(SPEC)}: {problems[:2]}")
    assert not wrong, "\n".join(wrong)
