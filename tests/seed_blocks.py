"""The Python blocks of the seed document (ngff-zarr's "Python Interface" page), runnable.

:func:`python_blocks` splits every fenced ``python`` block into steps: a statement (``>>>``
prompts stripped, continuation lines joined) and the text the document shows it printing.
:func:`stand_ins` writes small generated stand-ins for the files the seed reads.
"""

from __future__ import annotations

import codeop
import pathlib
import re
from dataclasses import dataclass

SEED = pathlib.Path(__file__).resolve().parents[2] / "shared" / "seed"
SEED_DOC = SEED / "ngff-zarr-python-interface.md"

_FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@dataclass
class Step:
    block: int
    source: str
    shown: str  # what the document prints after the statement ("" when nothing)


def _complete(source: str) -> bool:
    try:
        return codeop.compile_command(source, "<seed>", "exec") is not None
    except SyntaxError:
        return True


def python_blocks(text: str) -> list[list[Step]]:
    """Steps of every ``python`` block, in document order.

    Examples
    --------
    >>> blocks = python_blocks("```python\\n>>> x = f(1,\\n        2)\\n>>> print(x)\\n3\\n```\\n")
    >>> [(s.source, s.shown) for s in blocks[0]]
    [('x = f(1,\\n2)', ''), ('print(x)', '3')]
    """
    out = []
    for k, match in enumerate(_FENCE.finditer(text)):
        body = match.group(1)
        if ">>> " not in body:
            out.append([Step(k, body, "")])
            continue
        steps: list[Step] = []
        lines = body.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            if not line.startswith(">>> "):
                i += 1
                continue
            source = line[4:]
            i += 1
            while not _complete(source + "\n") and i < len(lines):
                source += "\n" + lines[i].strip()
                i += 1
            shown = []
            while i < len(lines) and not lines[i].startswith(">>> "):
                shown.append(lines[i])
                i += 1
            steps.append(Step(k, source, "\n".join(shown).strip()))
        out.append(steps)
    return out


def squash(text: str) -> str:
    """Text without any whitespace (the seed wraps its reprs by hand)."""
    return re.sub(r"\s+", "", text)
