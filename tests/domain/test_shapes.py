"""The shapes that cross package boundaries, and the role names, have one home in
domain/: no other module of the hub defines them again."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from domain.roles import ROLE_NAMES
from domain.shapes import AuditPage, Page, Scope

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("connectors", "graph", "hub", "journal", "linkage", "schema", "simulator")
SHAPES = {"Row", "Scope", "Page", "AuditPage"}


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(), str(path))


def is_dict_alias(node: ast.expr | None) -> bool:
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "dict"
    )


def test_no_module_outside_domain_defines_a_shape_again() -> None:
    found = []
    for path, tree in modules():
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name in SHAPES:
                found.append((path, node.name))
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            for target in targets:
                name = target.id if isinstance(target, ast.Name) else ""
                # graph.loader's input `Row` (a Mapping) is another shape, not this one
                if name in SHAPES and (name != "Row" or is_dict_alias(node.value)):
                    found.append((path, name))
    assert found == []


def test_no_module_spells_the_role_list_again() -> None:
    roles = set(ROLE_NAMES)
    found = []
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                words = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                if roles <= words:
                    found.append((path, node.lineno))
    assert found == []


def test_the_shapes_have_the_keys_the_stores_fill() -> None:
    assert Scope.__annotations__.keys() == {"organization", "special_category", "opened"}
    assert Page.__annotations__.keys() == {"rows", "total"}
    assert AuditPage.__required_keys__ == {"rows", "total", "as_of"}
