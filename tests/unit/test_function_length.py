"""DESIGN.md's rule for the layers that hold the product's logic: no function longer than 80
lines (pipelines, services, playback, jobs, matching). A long function there is several steps
that want names of their own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "strmline"
LAYERS = ("pipelines", "services", "playback", "jobs", "matching")
MAX_LINES = 80


def _long_functions(layer: str) -> list[str]:
    found = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_LINES:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({length})")
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_no_function_is_longer_than_80_lines(layer: str) -> None:
    assert _long_functions(layer) == []
