"""The packages' layering, read from their imports. domain/ and journal/ import nothing
of ours and nothing outside the standard library but CEL, the eligibility rules'
language (journal/ may use domain/), so every package may import them. Of our other
packages, each imports only what `OURS` lists: graph/ and schema/ nothing else of
ours, linkage/ only the connectors' canonical contract, connectors/ never the
simulator, the simulator only the reference data and the source configuration format
of the connectors it writes for, and reports/ staging's contract, linkage's output
and the journal; hub/ wires reports/ and schema/ gets its figures through the
request context, so nothing else imports it. console/ (the web console) imports
only domain/ of ours, for the rules' names and words it shows (a request's steps,
their SLA days, the sentences a resident reads), never data: its pages run GraphQL
operations through the schema the hub hands it, and only hub/ imports it."""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Packages that may import only the standard library and these (of ours, and `cel`:
#: domain.eligibility compiles the eligibility rules, which are CEL, and is the one
#: place that does).
STDLIB_ONLY: dict[str, set[str]] = {
    "domain": {"domain", "cel"},
    "journal": {"journal", "domain", "store"},
}

#: Each package, and the modules of ours it may import (a name and everything under it).
OURS: dict[str, tuple[str, ...]] = {
    "domain": ("domain",),
    # the shared state seam (SQLite files or PostgreSQL): below journal, linkage and hub
    "store": ("store",),
    "journal": ("journal", "domain", "store"),
    "connectors": ("connectors", "domain"),
    "graph": ("graph", "domain", "journal"),
    "schema": ("schema", "domain", "journal"),
    "linkage": ("linkage", "domain", "journal", "connectors.canonical", "store"),
    "simulator": ("simulator", "domain", "connectors.reference", "connectors.config"),
    "reports": ("reports", "domain", "journal", "connectors", "linkage"),
    # the console reads people's data only through GraphQL operations the hub runs for
    # it; domain/ gives it the rules' names and words, and holds no data
    "console": ("console", "domain"),
}
OUR_PACKAGES = {*OURS, "hub"}


def imports(package: str) -> Iterator[tuple[Path, str]]:
    """(file, imported name) for every absolute import in `package`; `from a import b`
    gives `a.b`, so a submodule imported that way is named in full."""
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    yield path, f"{node.module}.{alias.name}"


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("package", list(STDLIB_ONLY))
def test_imports_only_the_standard_library_and_allowed(package: str) -> None:
    for path, name in imports(package):
        top = name.split(".")[0]
        assert top in STDLIB_ONLY[package] or top in sys.stdlib_module_names, (path, name)


@pytest.mark.parametrize("package", list(OURS))
def test_imports_of_ours_only_what_the_layering_allows(package: str) -> None:
    for path, name in imports(package):
        if name.split(".")[0] in OUR_PACKAGES:
            assert any(under(name, allowed) for allowed in OURS[package]), (path, name)


#: The server entry points: only they take the web app; the offline pipeline (hub ingest,
#: link, load, status, erasure...) takes its settings and connections from hub.settings.
APP_ENTRY_POINTS = {"hub/app.py", "hub/server.py"}


def test_only_the_server_entry_points_import_the_web_app() -> None:
    importers = {
        str(path.relative_to(ROOT)) for path, name in imports("hub") if under(name, "hub.app")
    }
    assert importers <= APP_ENTRY_POINTS


def test_every_package_is_installed_type_checked_and_in_the_image() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    installed = {
        name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = {
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ") and line.split()[2] == f"./{line.split()[1]}"
    }
    assert packages == OUR_PACKAGES
    assert installed == packages
    assert set(project["tool"]["mypy"]["packages"]) == packages
    assert copied == packages


def test_nothing_of_ours_but_hub_imports_reports() -> None:
    for package in set(OURS) - {"reports"}:
        for path, name in imports(package):
            assert not under(name, "reports"), (path, name)


def test_nothing_of_ours_but_hub_imports_the_console() -> None:
    for package in set(OURS) - {"console"}:
        for path, name in imports(package):
            assert not under(name, "console"), (path, name)
