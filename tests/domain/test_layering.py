"""domain/ imports nothing of ours and nothing outside the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import domain

ROOT = Path(domain.__file__).resolve().parent


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top == "domain" or top in sys.stdlib_module_names, (path, name)
