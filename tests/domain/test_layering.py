"""domain/ and journal/ import nothing of ours and nothing outside the standard
library (journal/ may use domain/), so every package may import them. reports/
reads staging, linkage's output and the journal; hub/ wires it and schema/ gets
its figures through the request context, so neither is imported by it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import domain
import journal
import reports

#: the top-level packages of ours each package may import
ALLOWED: dict[object, set[str]] = {
    domain: {"domain"},
    journal: {"journal", "domain"},
    reports: {"reports", "domain", "journal", "connectors"},
}
#: the third-party libraries a package may use (None: any)
THIRD_PARTY: dict[object, set[str] | None] = {domain: set(), journal: set(), reports: None}
#: modules of other packages reports/ reads until linkage's output contract holds them
#: (the person-status rules and a service's funder, both shared with the graph's tables)
EXCEPTIONS: dict[object, set[str]] = {reports: {"hub.person_status", "hub.graph_tables"}}
OURS = {"domain", "journal", "reports", "connectors", "linkage", "graph", "schema", "hub"}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", list(ALLOWED), ids=lambda p: p.__name__)
def test_imports_only_what_it_is_allowed(package: object) -> None:
    root = Path(str(getattr(package, "__file__", ""))).resolve().parent
    third_party = THIRD_PARTY[package]
    for path in root.rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or name in EXCEPTIONS.get(package, set()):
                continue
            if top in OURS:
                assert top in ALLOWED[package], (path, name)
            else:
                assert third_party is None or top in third_party, (path, name)


def test_nothing_of_ours_but_hub_imports_reports() -> None:
    here = Path(str(reports.__file__)).resolve().parents[1]
    for package in OURS - {"reports", "hub"}:
        for path in (here / package).rglob("*.py"):
            assert not [n for n in _imports(path) if n.split(".")[0] == "reports"], path
