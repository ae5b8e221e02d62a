"""The package's import graph (read with ast; nothing is imported): no module imports another
module's private names, and imports flow one way (no cycles).

Both checks keep an explicit allow-list of the violations that remain today. The lists must
match what the code does: a new violation fails the test, and so does one that was fixed but
is still listed (remove it from the list; the lists only shrink). docs/architecture.md says
where each listed edge is going.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "xarray_ngff"

# (importer, module, name): private names imported from a module whose own name is public
# (empty: every module but the public surface is now an _module).
ALLOWED_PRIVATE: set[tuple[str, str, str]] = set()

# (importer, imported): import edges that point back up the layers. Without them the graph
# has no cycle. All are imports inside functions today, so they work, but each ties two layers.
ALLOWED_BACK_EDGES = {
    # NgffImage/NgffMultiscales methods that read and write: inside compat, one way round
    ("xarray_ngff.compat._image", "xarray_ngff.compat._io"),
}


def _modules() -> dict[str, tuple[pathlib.Path, bool]]:
    """Dotted module name -> (file, is a package ``__init__``)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


MODULES = _modules()


def _imports(module: str) -> Iterator[tuple[str, str | None]]:
    """(imported module, imported name or None) for every import of the package in ``module``,
    at module level or inside functions (lazy imports are edges too)."""
    path, is_package = MODULES[module]
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "xarray_ngff":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                # ``from . import hcs`` imports a module; ``from .hcs import x`` a name
                yield (sub, None) if sub in MODULES else (target, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, None


def _is_private_module(module: str) -> bool:
    return any(part.startswith("_") for part in module.split(".")[1:])


def _is_private_name(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports() -> set[tuple[str, str, str]]:
    return {
        (module, target, name)
        for module in MODULES
        for target, name in _imports(module)
        if name is not None and _is_private_name(name) and not _is_private_module(target)
    }


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (a package's ``__init__`` when the name
    imported is not a submodule; parents of a dotted target are not counted)."""
    return {
        module: {target for target, _ in _imports(module) if target != module} for module in MODULES
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or ``None`` (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_graph_sees_the_package():
    # guards the checks below against passing on an empty or misread graph
    graph = import_graph()
    assert {"xarray_ngff._reader", "xarray_ngff._hierarchy", "xarray_ngff._inputs._tiff"} <= set(
        graph
    )
    assert "xarray_ngff._hierarchy" in graph["xarray_ngff._reader"]
    assert "xarray_ngff._metadata.parse" in graph["xarray_ngff._hierarchy"]
    # ``from ..reader import name`` (two dots), ``from .. import module``, ``from . import module``
    assert ("xarray_ngff._reader", "from_ngff_zarr") in set(_imports("xarray_ngff._inputs._zarr"))
    assert ("xarray_ngff._plate_read", None) in set(_imports("xarray_ngff.compat._io"))
    assert ("xarray_ngff.datasets", None) in set(_imports("xarray_ngff"))


def test_no_private_names_cross_modules():
    found = private_imports()
    new = sorted(found - ALLOWED_PRIVATE)
    assert not new, f"import public names, or move the helper to an _module: {new}"
    fixed = sorted(ALLOWED_PRIVATE - found)
    assert not fixed, f"fixed: remove from ALLOWED_PRIVATE: {fixed}"


def test_imports_flow_one_way():
    graph = import_graph()
    missing = sorted(e for e in ALLOWED_BACK_EDGES if e[1] not in graph.get(e[0], ()))
    assert not missing, f"gone: remove from ALLOWED_BACK_EDGES: {missing}"
    for module, target in ALLOWED_BACK_EDGES:
        graph[module].discard(target)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("graph", "cyclic"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
        ({"a": {"a"}}, True),
    ],
)
def test_find_cycle(graph, cyclic):
    assert (find_cycle(graph) is not None) is cyclic


def test_cleaned_modules_stay_clean():
    # the layers this issue made: they import nothing above themselves
    graph = import_graph()
    low = {"xarray_ngff._util", "xarray_ngff._hierarchy"}
    above = {
        "xarray_ngff._reader",
        "xarray_ngff._plate_read",
        "xarray_ngff._image_read",
        "xarray_ngff._validate",
        "xarray_ngff._cli",
    }
    for module in low:
        found = {m for m in graph[module] if _within(m, above)}
        assert not found, (module, found)
    assert "xarray_ngff._plate_read" not in graph["xarray_ngff._hcs_writer"]
    # every module of the validator package stays below the readers and the CLI
    validator = [m for m in graph if _within(m, {"xarray_ngff._validate"})]
    assert len(validator) > 1
    for module in validator:
        assert not _within_any(graph[module], above - {"xarray_ngff._validate"}), module


def _within(module: str, packages: set[str]) -> bool:
    """Whether ``module`` is one of ``packages`` or inside one of them."""
    return any(module == p or module.startswith(p + ".") for p in packages)


def _within_any(modules: set[str], packages: set[str]) -> bool:
    return any(_within(m, packages) for m in modules)


# The read side, bottom first (docs/architecture.md, "Layers"): a module of one layer imports
# read-side modules of its own layer or below only. A module is in the first layer one of whose
# names is the module or a package above it; modules of no layer (building, writing,
# validating, the surface) are not checked here.
READ_LAYERS: list[tuple[str, set[str]]] = [
    ("errors", {"errors", "_warn", "_options", "_util"}),
    ("metadata", {"_metadata", "_units", "_axes", "_transform_graph"}),
    ("store", {"_store", "_staging", "_zarr_docs", "_chunklayout", "_chunkread"}),
    ("hierarchy", {"_hierarchy"}),
    ("image reading", {"_image", "_image_read", "_transforms"}),
    ("plate reading", {"_plate_stack", "_plate_read"}),
    ("dispatch", {"_reader"}),
]


def read_layer(module: str) -> int | None:
    """Index of ``module``'s layer in :data:`READ_LAYERS`, or ``None``."""
    parts = module.split(".")[1:]
    for i, (_, names) in enumerate(READ_LAYERS):
        if any(".".join(parts[:n]) in names for n in range(1, len(parts) + 1)):
            return i
    return None


def test_read_layers_name_real_modules():
    for layer, names in READ_LAYERS:
        for name in names:
            assert read_layer(f"xarray_ngff.{name}") is not None
            assert any(m == f"xarray_ngff.{name}" for m in MODULES), (layer, name)
    assert read_layer("xarray_ngff._metadata.parse") == 1 and read_layer("xarray_ngff._cli") is None


def test_read_side_imports_point_down():
    graph = import_graph()
    up = sorted(
        (module, target)
        for module, targets in graph.items()
        if (low := read_layer(module)) is not None
        for target in targets
        if (high := read_layer(target)) is not None and high > low
    )
    assert not up, f"read-side imports that point up the layers: {up}"
    # plate reading opens fields through image reading, never through the dispatcher
    assert "xarray_ngff._image_read" in graph["xarray_ngff._plate_read"]
    assert "xarray_ngff._plate_read" in graph["xarray_ngff._reader"]


# what the read side may import beside its own layers: the validator (``validate=True``, itself
# below the readers) and the compat registry; never the building or writing side
READ_SIDE_MAY_USE = {"xarray_ngff._validate", "xarray_ngff._bridge"}


def test_read_side_imports_no_building_or_writing():
    graph = import_graph()
    found = sorted(
        (module, target)
        for module, targets in graph.items()
        if read_layer(module) is not None
        for target in targets
        if read_layer(target) is None and not _within(target, READ_SIDE_MAY_USE)
    )
    assert not found, f"the read side imports building or writing modules: {found}"
    # level names are shared from image reading, so the builder imports them, not the reader
    assert "xarray_ngff._pyramid" not in graph["xarray_ngff._image_read"]
