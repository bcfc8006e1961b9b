"""linkage's public face: `linkage.__all__` is what hub/, bench/ and other
callers may import, each name importable and none private, and no module
outside linkage/ (tests aside) imports a submodule of linkage."""

from __future__ import annotations

import ast
import importlib.util
import types
from pathlib import Path

import linkage

ROOT = Path(linkage.__file__).resolve().parent.parent
#: where the callers live: every package and folder of ours but linkage/ and tests/
CALLERS = sorted(
    p
    for p in ROOT.iterdir()
    if p.is_dir()
    and p.name not in {"linkage", "tests"}
    and not p.name.startswith(".")
    and not p.name.endswith(".egg-info")
    and any(p.rglob("*.py"))
)


def test_every_name_in_all_is_importable_and_public() -> None:
    names = linkage.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert not name.startswith("_"), name
        value = getattr(linkage, name)  # importable: `from linkage import name`
        assert not isinstance(value, types.ModuleType), f"{name} is a module, not an API"
        # a name may be its own module's main function (evaluate, reconcile), but
        # must not hide a subpackage with a public surface (linkage.standardise)
        spec = importlib.util.find_spec(f"linkage.{name}")
        assert spec is None or spec.submodule_search_locations is None, f"{name} hides a package"
        module = getattr(value, "__module__", None) or "linkage"
        assert module.startswith("linkage"), (name, module)  # ours, not re-exported
        assert not any(part.startswith("_") for part in module.split(".")), (name, module)


def _linkage_imports(path: Path) -> list[str]:
    """Every `linkage...` import in a file, as `module` or `module:name`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "linkage"]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.split(".")[0] == "linkage"
        ):
            found += [f"{node.module}:{a.name}" for a in node.names]
    return found


def test_callers_import_only_the_facade() -> None:
    assert {p.name for p in CALLERS} >= {"hub", "bench", "graph", "schema", "connectors"}
    allowed = set(linkage.__all__)
    wrong = []
    for folder in CALLERS:
        for path in folder.rglob("*.py"):
            for imported in _linkage_imports(path):
                module, _, name = imported.partition(":")
                if module != "linkage" or name not in allowed:
                    wrong.append(f"{path.relative_to(ROOT)}: {imported}")
    assert wrong == []


def test_hub_uses_the_facade() -> None:
    """The check above sees real imports (it would catch a submodule one)."""
    uses = [i for p in (ROOT / "hub").rglob("*.py") for i in _linkage_imports(p)]
    assert "linkage:output_queries" in uses and "linkage:RealtimeLinker" in uses
