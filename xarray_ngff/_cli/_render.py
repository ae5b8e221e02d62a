"""What the command line prints: ``info`` outlines as plain text or a rich tree, JSON, and
validation verdicts.

An outline is ``(heading, children)``, each child a line or another outline; it is built
from :func:`~xarray_ngff._cli._describe.describe_store`'s dictionary and printed with rich
when the ``cli`` extra is installed, indented plain text otherwise.

Examples
--------
>>> print("\\n".join(render_plain(("store", ["line", ("image", ["[0] 0: 4×6"])]))))
store
  line
  image
    [0] 0: 4×6
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from typing import Any

from ._options import EXIT_OK, EXIT_PROBLEMS

__all__ = ["info_outline", "render_plain", "print_outline", "print_json", "report_problems"]


def _fmt_bytes(n: int | None) -> str:
    if n is None:
        return "unknown size"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def _fmt_num(x: float) -> str:
    return f"{x:g}" if math.isfinite(x) else str(x)


def _fmt_seq(values: Sequence[Any], sep: str = "×") -> str:
    return sep.join(str(v) for v in values)


def _image_lines(image: dict[str, Any]) -> tuple[str, list[Any]]:
    """Heading and children (strings or (heading, children) pairs) of one image."""
    axes = image["axes"]
    names = [a["name"] for a in axes]
    units = sorted({a["unit"] for a in axes if a.get("unit")})
    physical = [i for i, a in enumerate(axes) if a.get("type") != "channel" and a["name"] != "c"]
    kind = "label" if image.get("label") else "image"
    title = f"{kind} {image['name']!r}" if image.get("name") else kind
    where = f" at {image['path']}/" if image["path"] else ""
    dtype = next((lv["dtype"] for lv in image["levels"] if "dtype" in lv), "?")
    head = f"{title}{where}: axes {','.join(names)} · {dtype}"
    if units:
        head += f" · units {', '.join(units)}"
    children: list[Any] = []
    for k, level in enumerate(image["levels"]):
        if level.get("missing"):
            children.append(f"[{k}] {level['path']}: MISSING ARRAY")
            continue
        line = (
            f"[{k}] {level['path']}: {_fmt_seq(level['shape'])}"
            f" · chunks {_fmt_seq(level['chunks'])}"
        )
        if level["shards"]:
            line += f" · shards {_fmt_seq(level['shards'])}"
        line += " · scale " + " ".join(
            f"{names[i]}={_fmt_num(level['scale'][i])}" for i in physical
        )
        if any(level["translation"][i] for i in physical):
            line += " · translation " + " ".join(
                f"{names[i]}={_fmt_num(level['translation'][i])}" for i in physical
            )
        children.append(line)
    codecs = next((lv.get("compressors") for lv in image["levels"] if "compressors" in lv), None)
    if codecs is not None:
        children.append(f"codecs: {', '.join(codecs) or 'none'}")
    if image.get("method"):
        children.append(f"method: {image['method']}")
    if image.get("channels") and "c" in names:
        children.append(f"channels: {', '.join(str(c) for c in image['channels'])}")
    if image.get("labels"):
        children.append(f"labels: {', '.join(image['labels'])}")
    return head, children


def info_outline(info: dict[str, Any]) -> tuple[str, list[Any]]:
    """The outline of a :func:`describe_store` dictionary: the store, its plate, its images."""
    version = f"OME-Zarr {info['version']}" if info["version"] else "OME-Zarr"
    head = f"{info['store']} · {version} · {info['layout']} · {_fmt_bytes(info.get('bytes'))}"
    children: list[Any] = []
    plate = info.get("plate")
    if plate:
        lines = [
            f"{len(plate['rows'])} rows × {len(plate['columns'])} columns, "
            f"{len(plate['wells'])} wells",
            f"fields per well: {plate.get('field_count') or plate.get('fields_in_first_well')}",
        ]
        if plate["acquisitions"]:
            lines.append(f"acquisitions: {', '.join(str(a) for a in plate['acquisitions'])}")
        present = set(plate["wells"])
        for row in plate["rows"]:
            cells = "".join("■" if f"{row}/{col}" in present else "·" for col in plate["columns"])
            lines.append(f"{row:>3} {cells}")
        children.append((f"plate {plate['name']!r}" if plate["name"] else "plate", lines))
    for image in info["images"]:
        children.append(_image_lines(image))
    return head, children


def render_plain(outline: tuple[str, list[Any]], indent: str = "") -> list[str]:
    """An outline as lines, each level indented by two spaces."""
    head, children = outline
    lines = [indent + head]
    for child in children:
        if isinstance(child, tuple):
            lines.extend(render_plain(child, indent + "  "))
        else:
            lines.append(f"{indent}  {child}")
    return lines


def print_outline(outline: tuple[str, list[Any]]) -> None:
    """Print an outline as a rich tree, or as :func:`render_plain` lines without rich."""
    try:
        from rich.console import Console
        from rich.markup import escape
        from rich.tree import Tree
    except ImportError:  # the cli extra is missing: plain indentation still reads well
        print("\n".join(render_plain(outline)))
        return

    def add(tree: Any, node: Any) -> None:
        if isinstance(node, tuple):
            branch = tree.add(escape(node[0]))
            for child in node[1]:
                add(branch, child)
        else:
            tree.add(escape(node))

    tree = Tree(f"[bold]{escape(outline[0])}[/bold]")
    for child in outline[1]:
        add(tree, child)
    # Piped output (files, tests, CI logs) must not wrap mid-line.
    width = None if sys.stdout.isatty() else 250
    Console(highlight=False, width=width).print(tree)


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON (``info --json``, ``validate --json``)."""
    print(json.dumps(value, indent=2))


def report_problems(
    label: str, problems: list[str], as_json: bool, quiet: bool, **head: Any
) -> int:
    """Print a validation verdict (text, or ``{..head, "valid", "problems"}`` as JSON) and
    return the exit status: 0 valid, 1 problems.

    Examples
    --------
    >>> report_problems("a.zarr", ["0: missing"], as_json=False, quiet=False)
    a.zarr: 1 problem(s)
      - 0: missing
    1
    """
    if as_json:
        print_json({**head, "valid": not problems, "problems": problems})
    elif problems:
        print(f"{label}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  - {problem}")
    elif not quiet:
        print(f"{label}: valid")
    return EXIT_PROBLEMS if problems else EXIT_OK
