"""domain/ and journal/ import nothing of ours and nothing outside the standard
library (journal/ may use domain/), so every package may import them."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import domain
import journal

ALLOWED: dict[object, set[str]] = {domain: {"domain"}, journal: {"journal", "domain"}}


@pytest.mark.parametrize("package", list(ALLOWED), ids=lambda p: p.__name__)
def test_imports_only_the_standard_library_and_allowed(package: object) -> None:
    root = Path(str(getattr(package, "__file__", ""))).resolve().parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in ALLOWED[package] or top in sys.stdlib_module_names, (path, name)
