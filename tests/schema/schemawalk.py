"""Walk a GraphQL schema by introspection, for tests/schema/test_protection_walk.py.

`SchemaMap` reads the served schema's introspection. For a root field it builds
a selection of every field reachable from it (each object-typed field once,
with all the scalars of its type, depth-bounded; `split` keeps documents under
the server's token limit) and the arguments it needs, made from values earlier answers gave
(`Harvest`): an argument takes the values of the field of the same name (or
ending in it) on the type the root field returns, else on any type, else any
value of its scalar type, ordered scalars spanning what was seen (`from` the
earliest date, `to` the latest). Nothing names a field: a new one is walked as
soon as the schema has it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

INTROSPECTION = """{ __schema { queryType { name } subscriptionType { name }
  types { kind name
    fields { name args { name defaultValue type { ...T } } type { ...T } }
    inputFields { name defaultValue type { ...T } }
    enumValues { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"""

#: Object levels below a root field (the server allows a depth of 10).
MAX_DEPTH = 8
#: Tokens per document (the server allows 2,000).
TOKEN_BUDGET = 1500
#: Argument values tried per root field.
TRIES = 3

Tree = dict[str, "Tree | None"]


@dataclass(frozen=True)
class TypeRef:
    kind: str
    name: str | None
    of: TypeRef | None

    @classmethod
    def read(cls, raw: dict[str, Any]) -> TypeRef:
        inner = raw.get("ofType")
        return cls(raw["kind"], raw.get("name"), cls.read(inner) if inner else None)

    @property
    def named(self) -> str:
        ref: TypeRef | None = self
        while ref is not None and ref.name is None:
            ref = ref.of
        assert ref is not None and ref.name
        return ref.name

    @property
    def required(self) -> bool:
        return self.kind == "NON_NULL"


@dataclass(frozen=True)
class Arg:
    name: str
    type: TypeRef
    default: str | None

    @property
    def needed(self) -> bool:
        return self.type.required and self.default is None


@dataclass(frozen=True)
class Field:
    owner: str
    name: str
    type: TypeRef
    args: tuple[Arg, ...]

    @property
    def key(self) -> str:
        return f"{self.owner}.{self.name}"


@dataclass
class Harvest:
    """Leaf values seen in answers, by (type, field), in first-seen order."""

    values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, owner: str, name: str, value: Any) -> None:
        for v in value if isinstance(value, list) else [value]:
            if v is not None and not isinstance(v, dict | list):
                self.values[(owner, name)].setdefault(json.dumps(v), v)

    def of(self, owner: str, name: str) -> list[Any]:
        return list(self.values.get((owner, name), {}).values())


class SchemaMap:
    def __init__(self, introspection: dict[str, Any]) -> None:
        schema = introspection["__schema"]
        self.query = schema["queryType"]["name"]
        sub = schema.get("subscriptionType")
        self.subscription = sub["name"] if sub else None
        self.kinds: dict[str, str] = {}
        self.fields: dict[str, dict[str, Field]] = {}
        self.inputs: dict[str, tuple[Arg, ...]] = {}
        self.enums: dict[str, list[str]] = {}
        for t in schema["types"]:
            name = t["name"]
            self.kinds[name] = t["kind"]
            if t.get("fields") is not None:
                self.fields[name] = {
                    f["name"]: Field(
                        name,
                        f["name"],
                        TypeRef.read(f["type"]),
                        tuple(
                            Arg(a["name"], TypeRef.read(a["type"]), a.get("defaultValue"))
                            for a in f["args"]
                        ),
                    )
                    for f in t["fields"]
                }
            if t.get("inputFields") is not None:
                self.inputs[name] = tuple(
                    Arg(a["name"], TypeRef.read(a["type"]), a.get("defaultValue"))
                    for a in t["inputFields"]
                )
            if t.get("enumValues") is not None:
                self.enums[name] = [e["name"] for e in t["enumValues"]]

    # --- what there is ------------------------------------------------------------
    def roots(self, owner: str) -> list[Field]:
        """Root fields, those needing no arguments first (their answers feed the others)."""
        fields = list(self.fields.get(owner, {}).values())
        return sorted(fields, key=lambda f: (any(a.needed for a in f.args), f.name))

    def reachable(self, start: str) -> set[str]:
        """`Type.field` of every field reachable from the root type `start`."""
        out: set[str] = set()
        pending, seen = [start], {start}
        while pending:
            for f in self.fields.get(pending.pop(), {}).values():
                out.add(f.key)
                named = f.type.named
                if self.kinds[named] == "OBJECT" and named not in seen:
                    seen.add(named)
                    pending.append(named)
        return out

    def node_type(self, named: str) -> str:
        """The node type of a Relay connection, else the type itself."""
        edges = self.fields.get(named, {}).get("edges")
        if edges is None:
            return named
        node = self.fields[edges.type.named].get("node")
        return node.type.named if node else named

    def is_connection(self, named: str) -> bool:
        return {"edges", "pageInfo"} <= set(self.fields.get(named, {}))

    # --- selections -------------------------------------------------------------------
    def selection(self, owner: str, depth: int = MAX_DEPTH, taken: set[str] | None = None) -> Tree:
        """Every field reachable from `owner`: each object-typed field once (where the
        walk meets it first), each with every scalar field of its type."""
        taken = set() if taken is None else taken
        tree: Tree = {}
        for f in self.fields[owner].values():
            if any(a.needed for a in f.args):
                raise AssertionError(
                    f"{f.key} needs an argument below the root: teach the walk how to make one"
                )
            kind = self.kinds[f.type.named]
            if kind in ("SCALAR", "ENUM"):
                tree[f.name] = None
            elif kind != "OBJECT":
                raise AssertionError(f"{f.key} is a {kind}: teach the walk about {kind} types")
            elif f.key not in taken and depth > 1:
                taken.add(f.key)
                tree[f.name] = self.selection(f.type.named, depth - 1, taken)
        return tree

    def keys_of(self, owner: str, tree: Tree) -> set[str]:
        """`Type.field` of everything `tree` selects on `owner`."""
        keys = set()
        for name, sub in tree.items():
            f = self.fields[owner].get(name.split("(")[0])
            if f is None:
                continue
            keys.add(f.key)
            if sub is not None:
                keys |= self.keys_of(f.type.named, sub)
        return keys

    # --- arguments --------------------------------------------------------------------
    def arguments(self, root: Field, own: Harvest, known: Harvest) -> list[dict[str, Any]]:
        """Up to TRIES argument sets for `root`: its needed arguments, made from the
        caller's own answers first, then from the answers of someone who sees all."""
        target = self.node_type(root.type.named)
        needed = [a for a in root.args if a.needed]
        if not needed:
            return [{}]
        options: dict[str, list[Any]] = {}
        spans: dict[str, list[Arg]] = defaultdict(list)
        for arg in needed:
            found = self._by_name(arg, target, own) + self._by_name(arg, target, known)
            if found:
                options[arg.name] = _distinct(found)
            elif self.kinds[arg.type.named] == "SCALAR":
                spans[arg.type.named].append(arg)
            else:
                options[arg.name] = [self._made(arg.type)]
        for scalar, args in spans.items():  # ordered values span what was seen
            seen = sorted(
                _distinct(self._by_scalar(scalar, own) + self._by_scalar(scalar, known)),
                key=json.dumps,
            )
            if not seen:
                raise AssertionError(
                    f"no value of {scalar} seen for {root.key}: teach the walk where to find one"
                )
            for i, arg in enumerate(args):
                at = 0 if len(args) == 1 else round(i * (len(seen) - 1) / (len(args) - 1))
                options[arg.name] = [seen[at]]
        tries = max(len(v) for v in options.values())
        return [
            {name: values[min(i, len(values) - 1)] for name, values in options.items()}
            for i in range(min(tries, TRIES))
        ]

    def _by_name(self, arg: Arg, target: str, harvest: Harvest) -> list[Any]:
        """The first of: the target's field of that name; its fields ending in the name;
        for `id`, the ids of the types its `<type>Id` fields name; any type's fields
        ending in the name (of the argument's scalar type)."""
        name = arg.name.lower()
        fields = list(self.fields.get(target, {}))
        tiers = [
            [(target, arg.name)],
            [(target, f) for f in fields if f.lower().endswith(name) and f != arg.name],
            [
                (f[:-2].capitalize(), "id")
                for f in fields
                if name == "id" and f.endswith("Id") and f[:-2].capitalize() in self.fields
            ],
            [
                (owner, f)
                for (owner, f) in list(harvest.values)
                if f.lower().endswith(name) and self._scalar_of(owner, f) == arg.type.named
            ],
        ]
        for tier in tiers:
            found = [v for owner, f in tier for v in harvest.of(owner, f)]
            if found:
                return found
        return []

    def _by_scalar(self, scalar: str, harvest: Harvest) -> list[Any]:
        return [
            v
            for (owner, f) in list(harvest.values)
            if self._scalar_of(owner, f) == scalar
            for v in harvest.of(owner, f)
        ]

    def _scalar_of(self, owner: str, name: str) -> str | None:
        f = self.fields.get(owner, {}).get(name)
        return f.type.named if f else None

    def _made(self, ref: TypeRef) -> Any:
        named = ref.named
        if named in self.enums:
            return Enum(self.enums[named][0])
        if named in self.inputs:
            return {a.name: self._made(a.type) for a in self.inputs[named] if a.needed}
        raise AssertionError(f"cannot make a {named}: teach the walk")

    # --- answers --------------------------------------------------------------------
    def leaves(self, owner: str, data: Any) -> Iterator[tuple[str, str, str]]:
        """(type, field, text) of every leaf of an answer; JSON leaves as JSON text."""
        if isinstance(data, list):
            for item in data:
                yield from self.leaves(owner, item)
            return
        if not isinstance(data, dict):
            return
        for name, value in data.items():
            f = self.fields.get(owner, {}).get(name)
            if f is not None and self.kinds[f.type.named] == "OBJECT":
                yield from self.leaves(f.type.named, value)
            elif value is not None:
                yield owner, name, value if isinstance(value, str) else json.dumps(value)

    def harvest(self, owner: str, data: Any, into: Harvest, keys: set[str]) -> None:
        """Leaf values of an answer into `into`; `keys` gets every `Type.field` answered."""
        if isinstance(data, list):
            for item in data:
                self.harvest(owner, item, into, keys)
            return
        if not isinstance(data, dict):
            return
        for name, value in data.items():
            f = self.fields.get(owner, {}).get(name)
            if f is None:
                continue
            keys.add(f.key)
            if self.kinds[f.type.named] == "OBJECT":
                self.harvest(f.type.named, value, into, keys)
            else:
                into.add(owner, name, value)


@dataclass(frozen=True)
class Enum:
    name: str


def _distinct(values: list[Any]) -> list[Any]:
    return list({json.dumps(v, sort_keys=True, default=str): v for v in values}.values())


def literal(value: Any) -> str:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, dict):
        return "{" + render_args(value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return json.dumps(value)


def render_args(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {literal(v)}" for k, v in args.items())


def render(tree: Tree) -> str:
    return "{ " + " ".join(k if v is None else f"{k} {render(v)}" for k, v in tree.items()) + " }"


def tokens(text: str) -> int:
    """At least as many as GraphQL's lexer counts (names, punctuators, values)."""
    return len(re.findall(r'"(?:[^"\\]|\\.)*"|[_A-Za-z][_0-9A-Za-z]*|-?\d[\d.eE+-]*|[^\s,]', text))


def split(tree: Tree, budget: int) -> list[Tree]:
    """`tree` in parts of at most `budget` tokens: leaves together, each branch apart."""
    if tokens(render(tree)) <= budget:
        return [tree]
    leaves: Tree = {k: None for k, v in tree.items() if v is None}
    parts = [leaves] if leaves else []
    for name, sub in tree.items():
        if sub is not None:
            parts += [{name: part} for part in split(sub, budget - tokens(name) - 2)]
    return parts


def page_info(data: Any) -> dict[str, Any] | None:
    info = data.get("pageInfo") if isinstance(data, dict) else None
    return info if isinstance(info, dict) else None
