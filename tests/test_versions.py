"""The version table's validation facts agree with the official schemas and suites."""

from __future__ import annotations

import ast
import importlib
import json
import pathlib
import re

import pytest

from xarray_ngff._metadata.versions import VERSIONS
from xarray_ngff._validate._v06 import schema_dir

WITH_SCHEMAS = [v for v in VERSIONS if v in ("0.1", "0.2", "0.3", "0.4", "0.5", "0.6")]


def _schema(spec_dir, version: str, stem: str) -> dict:
    return json.loads((spec_dir / version / "schemas" / f"{stem}.schema").read_text())


def _body(schema: dict, key: str) -> dict:
    """The schema object holding ``key`` (under ``ome`` when the version has the envelope)."""
    props = schema["properties"]
    return props["ome"] if "ome" in props and key not in props else schema


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref", "")
    return schema["$defs"][ref.rsplit("/", 1)[1]] if ref.startswith("#/$defs/") else node


@pytest.mark.parametrize("version", [v for v in WITH_SCHEMAS if VERSIONS[v].transforms != "none"])
def test_omero_optional_matches_the_image_schema(spec_dir, version):
    schema = _schema(spec_dir, version, "image")
    omero = _resolve(schema, _body(schema, "omero")["properties"]["omero"])
    channel = omero["properties"]["channels"]["items"]
    required = set(channel.get("required", ()))
    assert VERSIONS[version].omero_optional == (not {"window", "color"} & required)


@pytest.mark.parametrize("version", ["0.4", "0.5", "0.6"])
def test_label_required_matches_the_label_schema(spec_dir, version):
    schema = _schema(spec_dir, version, "label")
    required = set(_body(schema, "image-label").get("required", ()))
    assert VERSIONS[version].label_required == ("image-label" in required)


def test_implied_version_is_the_first_whose_plates_may_omit_it(spec_dir):
    implied = [v for v in VERSIONS.values() if v.implied]
    assert [v.version for v in implied] == ["0.4"]
    for version in WITH_SCHEMAS:
        plate = _schema(spec_dir, version, "plate")["properties"]
        if VERSIONS[version].envelope:
            continue  # the version is the envelope's
        required = "version" in plate["plate"].get("required", ())
        # before the implied row a plate had to declare its version; from it on, not
        assert required == (version < implied[0].version), version


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_document_well_paths_follows_the_plate_suite(spec_dir, version):
    # the 0.4 suite marks plates whose paths are column/row valid, the 0.5 suite rejects them
    suite = json.loads((spec_dir / version / "tests" / "plate_suite.json").read_text())
    swapped_valid = []
    for case in suite["tests"]:
        body = case["data"].get("ome", case["data"])
        plate = body.get("plate", {})
        rows = {r.get("name") for r in plate.get("rows", []) if isinstance(r, dict)}
        columns = {c.get("name") for c in plate.get("columns", []) if isinstance(c, dict)}
        for well in plate.get("wells", []):
            first, _, second = str(well.get("path")).partition("/")
            if first in columns - rows and second in rows - columns:
                swapped_valid.append(case["valid"])
    assert swapped_valid, "the suite has plates with column/row paths"
    assert VERSIONS[version].document_well_paths == (not any(swapped_valid))


@pytest.mark.parametrize("version", [v for v in VERSIONS if VERSIONS[v].models])
def test_models_name_an_ome_zarr_models_subpackage(version):
    pytest.importorskip("ome_zarr_models")
    module = importlib.import_module(f"ome_zarr_models.{VERSIONS[version].models}.image")
    assert hasattr(module, "ImageAttrs")


@pytest.mark.parametrize("version", [v for v in VERSIONS if VERSIONS[v].schemas])
def test_schemas_name_a_schema_set(version):
    pytest.importorskip("ngff_zarr")
    folder = schema_dir(schemas=VERSIONS[version].schemas)
    assert (folder / "image.schema").is_file()
    # every version is judged by exactly one kind of rules: models, schemas or the own ones
    assert VERSIONS[version].models is None


PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "xarray_ngff"

# literals that stay, with their reason: the table itself, and ngff-zarr's own defaults that
# compat mirrors (they follow ngff-zarr, not our table)
ALLOWED = {
    "_metadata/versions.py": "the version table",
    "compat/_model.py": "ngff-zarr's Metadata, Plate and Well default version (0.4)",
    "compat/_io.py": "ngff-zarr's to_ngff_zarr (0.5) and validate (0.4) defaults",
}
_SPELLED = re.compile(r"(version|OME-Zarr|needs|writing|drop) 0\.\d")


def _code_strings(path: pathlib.Path) -> list[tuple[int, str]]:
    """The string constants of a module's code: docstrings (prose, examples) left out."""
    tree = ast.parse(path.read_text())
    docs = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def test_logic_asks_the_table_not_a_version_literal():
    found = [
        (path.relative_to(PACKAGE).as_posix(), line, value)
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).as_posix() not in ALLOWED
        for line, value in _code_strings(path)
        if value in VERSIONS
    ]
    assert not found, "ask xarray_ngff._metadata.versions instead"


def test_the_scan_sees_a_logic_literal(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""Doc naming "0.4"."""\ndef f(version="0.5"):\n    """0.6"""\n')
    assert [v for _, v in _code_strings(module) if v in VERSIONS] == ["0.5"]


def test_cli_messages_spell_no_version():
    # the command line's words about versions come from the table too
    found = [
        (path.name, line, value)
        for path in sorted((PACKAGE / "_cli").glob("*.py"))
        for line, value in _code_strings(path)
        if value in VERSIONS or _SPELLED.search(value)
    ]
    assert not found
