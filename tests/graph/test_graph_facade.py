"""graph/'s public facade: `graph.__all__` is exactly what the package offers,
and nothing outside graph/ (tests aside) reaches past it into a submodule."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import graph

ROOT = Path(__file__).resolve().parents[2]
#: where graph's importers live; tests/ may import submodules, graph/ is the package
SKIPPED = {"graph", "tests", ".venv", ".hub-test", "node_modules", ".git"}


def _public_names() -> set[str]:
    return {
        name
        for name, value in vars(graph).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }


def _graph_imports(path: Path) -> list[tuple[int, str]]:
    """Each `graph` import in a file: (line, what it names)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name)
                for a in node.names
                if a.name == "graph" or a.name.startswith("graph.")
            ]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and (node.module == "graph" or node.module.startswith("graph."))
        ):
            found += [(node.lineno, f"{node.module}:{a.name}") for a in node.names]
    return found


def _through_facade(what: str) -> bool:
    return what == "graph" or (
        what.startswith("graph:") and what.removeprefix("graph:") in graph.__all__
    )


def _importers() -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in SKIPPED:
            continue
        found = _graph_imports(path)
        if found:
            out[str(rel)] = found
    return out


def test_all_lists_exactly_the_public_names_and_each_imports() -> None:
    assert len(graph.__all__) == len(set(graph.__all__)), "a name is listed twice"
    assert set(graph.__all__) == _public_names()
    for name in graph.__all__:
        module = importlib.import_module("graph")
        assert getattr(module, name) is not None, name


def test_nothing_outside_graph_imports_a_submodule() -> None:
    importers = _importers()
    wrong = {
        path: [(line, what) for line, what in found if not _through_facade(what)]
        for path, found in importers.items()
    }
    assert {path: bad for path, bad in wrong.items() if bad} == {}


def test_hub_imports_graph_through_its_facade_only() -> None:
    hub = {path: found for path, found in _importers().items() if path.startswith("hub/")}
    # the check has something to look at: hub wires the graph in (the app, the load)
    assert {"hub/app.py", "hub/graph_sync.py"} <= set(hub)
    assert all(_through_facade(what) for found in hub.values() for _, what in found)


def test_the_check_sees_a_submodule_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import graph.loader\nfrom graph.driver import open_driver\nfrom graph import load\n",
        encoding="utf-8",
    )
    assert _graph_imports(sample) == [
        (1, "graph.loader"),
        (2, "graph.driver:open_driver"),
        (3, "graph:load"),
    ]
