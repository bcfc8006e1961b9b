"""Who may receive a program: eligibility rules as data, each result explained.

A rules file (`connectors/reference/eligibility.toml` for the program
catalogue) holds two kinds of table:

- `[condition.NAME]`: one fact about a household, a CEL expression over the
  household's facts (`HouseholdFacts`) and the rule's parameters, with the
  sentence a social worker reads to the family when it holds and when it fails,
  in Bahasa Indonesia (`held`, `failed`) and English (`held_en`, `failed_en`);
  a sentence may name a fact or parameter in braces (`desil {decile}`);
- `[[rule]]`: one version of one program's rule: `program`, `version`,
  `valid_from` and optionally `valid_to` (both inclusive dates), `when` (a CEL
  expression over condition names) and `params` (numbers the conditions read,
  e.g. `decile_max`).

`load_rules` compiles every expression and checks it at load: syntax, an
unknown variable, a condition or parameter a rule needs but lacks, a program
not in the catalogue, two versions of one program valid on the same day. Each
error names the file, the line and the rule. A household's facts come from
one function, `household_facts`; `RuleBook.evaluate` says for each program
with a rule valid that day whether the household is eligible and why.
"""

from __future__ import annotations

import functools
import itertools
import re
import string
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, Final

import cel

from domain.thresholds import CHILD_AGE_BELOW, DISABILITY_PPKS, ELDER_AGE, SCHOOL_AGES


class RuleError(ValueError):
    """A rules file or a rule (a what-if's) that cannot be used; the message
    says where (file, line, rule) and what to change."""


@dataclass(frozen=True)
class HouseholdFacts:
    """What a rule may read about a household on a day: the one shape every
    caller (the API, the findings, the what-if, the tests) builds with
    `household_facts`. Counts are of active members.

    `pregnant_members` is 0 until a source records pregnancy: none does yet."""

    decile: int | None
    members: int
    children_under_18: int
    school_age_children: int
    elders: int
    disabled_members: int
    pregnant_members: int
    ppks: tuple[str, ...]


#: the names a condition may read: the facts, then the rule's parameters
FACT_NAMES: Final[tuple[str, ...]] = tuple(f.name for f in fields(HouseholdFacts))


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def household_facts(
    decile: int | None, members: Iterable[Mapping[str, Any]], on: date
) -> HouseholdFacts:
    """The facts of a household from its decile and its members (each a mapping
    with `birth_date`, `status` and `ppks`, a list of PPKS codes, or
    `problems`, a list of `{code}`), ages counted on `on`. A member without a
    birth date counts in no age group."""
    active = [m for m in members if (m.get("status") or "active") == "active"]
    return facts_of(decile, [m.get("birth_date") for m in active], map(_ppks, active), on)


def facts_of(
    decile: int | None,
    births: Sequence[date | None],
    problems: Iterable[Collection[str]],
    on: date,
) -> HouseholdFacts:
    """The facts of a household from its active members alone: their birth
    dates (one per member, None when not recorded) and the PPKS codes of each
    (members without a problem may be left out), ages counted on `on`. The one
    home of the household's facts; `household_facts` reads members into it."""
    ages = [age_on(b, on) for b in births if b is not None]
    codes = [set(c) for c in problems]
    school_from, school_to = SCHOOL_AGES
    return HouseholdFacts(
        decile=decile,
        members=len(births),
        children_under_18=sum(a < CHILD_AGE_BELOW for a in ages),
        school_age_children=sum(school_from <= a <= school_to for a in ages),
        elders=sum(a >= ELDER_AGE for a in ages),
        disabled_members=sum(bool(c & DISABILITY_PPKS) for c in codes),
        pregnant_members=0,
        ppks=tuple(sorted(set().union(*codes))),
    )


def _ppks(member: Mapping[str, Any]) -> list[str]:
    if member.get("ppks") is not None:
        return list(member["ppks"])
    return [p["code"] for p in member.get("problems") or []]


@dataclass(frozen=True)
class Condition:
    name: str
    expression: str
    held: str
    failed: str
    held_en: str
    failed_en: str
    line: int
    program: cel.Program

    @property
    def variables(self) -> list[str]:
        return list(self.program.variables())

    @functools.cached_property
    def reads(self) -> tuple[str, ...]:
        """Every name its outcome and its sentences depend on."""
        named = {
            field_name
            for text in (self.held, self.failed, self.held_en, self.failed_en)
            for _, field_name, _, _ in string.Formatter().parse(text)
            if field_name
        }
        return tuple(sorted({*self.variables, *named}))


@dataclass(frozen=True)
class ConditionResult:
    name: str
    held: bool
    explanation: str
    explanation_en: str


@dataclass(frozen=True)
class Eligibility:
    program: str
    eligible: bool
    rule_version: str
    valid_from: date
    valid_to: date | None
    conditions: tuple[ConditionResult, ...]

    @property
    def failed(self) -> tuple[ConditionResult, ...]:
        return tuple(c for c in self.conditions if not c.held)


@dataclass(frozen=True)
class Rule:
    program: str
    version: str
    valid_from: date
    valid_to: date | None
    when: str
    params: Mapping[str, int | float | str]
    conditions: tuple[Condition, ...]
    """The conditions `when` names, in the order it names them."""
    compiled: cel.Program
    where: str
    """`file line N, rule PROGRAM VERSION`, for errors about it."""

    def valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    judged: dict[tuple[Any, ...], ConditionResult] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Each condition's result by the values it reads: a city has a few thousand
    kinds of household, so each condition runs once per kind, not per household."""

    def evaluate(self, facts: HouseholdFacts) -> Eligibility:
        values: dict[str, Any] = {**_fact_values(facts), **self.params}
        results = tuple(self._judge(c, values) for c in self.conditions)
        eligible = self.compiled.execute({r.name: r.held for r in results})
        return Eligibility(
            self.program,
            bool(eligible),
            self.version,
            self.valid_from,
            self.valid_to,
            results,
        )

    def _judge(self, c: Condition, values: Mapping[str, Any]) -> ConditionResult:
        key = (c.name, *(_hashable(values.get(n)) for n in c.reads))
        found = self.judged.get(key)
        if found is not None:
            return found
        outcome = c.program.execute(dict(values))
        if not isinstance(outcome, bool):
            raise RuleError(
                f"{self.where}: condition {c.name} gave {outcome!r}, not true or "
                "false; write it as a comparison."
            )
        words = _Words(values)
        id_, en = (c.held, c.held_en) if outcome else (c.failed, c.failed_en)
        found = ConditionResult(c.name, outcome, id_.format_map(words), en.format_map(words.en))
        self.judged[key] = found
        return found


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class _Words(dict[str, Any]):
    """Values for a sentence's braces: an unknown fact reads as not recorded."""

    def __init__(self, values: Mapping[str, Any], missing: str = "tidak tercatat") -> None:
        super().__init__(values)
        self._missing = missing

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return self._missing if value is None else value

    @property
    def en(self) -> _Words:
        return _Words(self, "not recorded")


def _fact_values(facts: HouseholdFacts) -> dict[str, Any]:
    values = {f: getattr(facts, f) for f in FACT_NAMES}
    values["ppks"] = list(facts.ppks)
    return values


@dataclass(frozen=True)
class RuleBook:
    """Every rule of a rules file, by program; `version` is the file's.

    `covered_by` says, per program, which programs already give what it gives:
    those the combination table forbids alongside it (SEMBAKO-KOTA is for
    families outside BPNT). A household served by one of them is not excluded
    from the program, whatever its rule says."""

    version: str
    path: Path
    conditions: Mapping[str, Condition]
    rules: tuple[Rule, ...]
    covered_by: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def programs(self) -> tuple[str, ...]:
        return tuple(sorted({r.program for r in self.rules}))

    def rule(self, program: str, on: date) -> Rule | None:
        """The version of `program`'s rule valid on `on`, if any."""
        return next((r for r in self.rules if r.program == program and r.valid_on(on)), None)

    def evaluate(
        self, facts: HouseholdFacts, on: date, programs: Collection[str] | None = None
    ) -> list[Eligibility]:
        """The household's eligibility for each program (of `programs`, when
        given) that has a rule valid on `on`, by program code."""
        found = []
        for program in self.programs:
            rule = self.rule(program, on)
            if rule is not None and (programs is None or program in programs):
                found.append(rule.evaluate(facts))
        return found

    def what_if(
        self,
        program: str,
        on: date,
        *,
        when: str | None = None,
        params: Mapping[str, int | float | str] | None = None,
    ) -> Rule:
        """`program`'s rule valid on `on` with another `when` or other parameters,
        compiled and checked as a file's rule is; nothing is stored."""
        rule = self.rule(program, on)
        if rule is None:
            raise RuleError(f"{program}: no rule valid on {on.isoformat()} to change.")
        where = f"what-if on {rule.where}"
        expression = rule.when if when is None else when
        merged = {**rule.params, **(params or {})}
        compiled, conditions = _compile_when(expression, self.conditions, merged, where)
        return replace(
            rule,
            when=expression,
            params=merged,
            compiled=compiled,
            conditions=conditions,
            version=f"{rule.version}+what-if",
            where=where,
        )


# --- loading ----------------------------------------------------------------------

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SENTENCES: Final = ("held", "failed", "held_en", "failed_en")


def load_rules(
    path: Path,
    programs: Collection[str] | None = None,
    forbidden_pairs: Iterable[tuple[str, str]] = (),
) -> RuleBook:
    """Read, compile and check a rules file; `programs`, when given, are the
    catalogue's program codes every rule must name one of; `forbidden_pairs`
    the combination table's pairs not allowed together (see `covered_by`)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RuleError(f"{path}: not valid TOML: {e}.") from None
    lines = _Lines(path, text)
    conditions = {
        name: _condition(name, spec, lines) for name, spec in (data.get("condition") or {}).items()
    }
    rules = tuple(
        _rule(i, spec, conditions, lines, programs) for i, spec in enumerate(data.get("rule") or [])
    )
    _check_overlaps(rules)
    covered: dict[str, set[str]] = {}
    for a, b in forbidden_pairs:
        covered.setdefault(a, set()).add(b)
        covered.setdefault(b, set()).add(a)
    return RuleBook(
        str(data.get("version", "")),
        path,
        conditions,
        rules,
        {p: frozenset(c) for p, c in covered.items()},
    )


class _Lines:
    """Where each table of a TOML file starts, for error messages."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self._lines = text.splitlines()

    def of(self, header: str, nth: int = 0) -> int:
        seen = -1
        for number, line in enumerate(self._lines, start=1):
            if line.strip().startswith(header):
                seen += 1
                if seen == nth:
                    return number
        return 0

    def at(self, line: int) -> str:
        return f"{self.path} line {line}"


def _condition(name: str, spec: Mapping[str, Any], lines: _Lines) -> Condition:
    line = lines.of(f"[condition.{name}]")
    where = f"{lines.at(line)}, condition {name}"
    missing = [k for k in ("when", *_SENTENCES) if not isinstance(spec.get(k), str)]
    if missing:
        raise RuleError(f"{where}: give {', '.join(missing)} (text).")
    program = _compile(spec["when"], where)
    return Condition(
        name,
        spec["when"],
        held=spec["held"],
        failed=spec["failed"],
        held_en=spec["held_en"],
        failed_en=spec["failed_en"],
        line=line,
        program=program,
    )


def _rule(
    index: int,
    spec: Mapping[str, Any],
    conditions: Mapping[str, Condition],
    lines: _Lines,
    programs: Collection[str] | None,
) -> Rule:
    line = lines.of("[[rule]]", index)
    where = f"{lines.at(line)}, rule {spec.get('program', '?')} {spec.get('version', '?')}"
    for key, kind in (("program", str), ("version", str), ("when", str), ("valid_from", date)):
        if not isinstance(spec.get(key), kind):
            raise RuleError(f"{where}: give {key} ({'a date' if kind is date else 'text'}).")
    valid_to = spec.get("valid_to")
    if valid_to is not None and (not isinstance(valid_to, date) or valid_to < spec["valid_from"]):
        raise RuleError(f"{where}: valid_to must be a date on or after valid_from.")
    if programs is not None and spec["program"] not in programs:
        raise RuleError(f"{where}: program {spec['program']} is not in the program catalogue.")
    params = dict(spec.get("params") or {})
    compiled, used = _compile_when(spec["when"], conditions, params, where)
    return Rule(
        spec["program"],
        spec["version"],
        spec["valid_from"],
        valid_to,
        spec["when"],
        params,
        used,
        compiled,
        where,
    )


def _compile_when(
    when: str,
    conditions: Mapping[str, Condition],
    params: Mapping[str, Any],
    where: str,
) -> tuple[cel.Program, tuple[Condition, ...]]:
    compiled = _compile(when, where)
    names = set(compiled.variables())
    unknown = sorted(names - conditions.keys())
    if unknown:
        raise RuleError(
            f"{where}: unknown condition {', '.join(unknown)}; `when` combines the "
            f"conditions of the file ({', '.join(sorted(conditions))})."
        )
    order = [n for n in dict.fromkeys(_IDENTIFIER.findall(when)) if n in names]
    used = tuple(conditions[n] for n in order)
    for c in used:
        lacking = sorted(set(c.variables) - set(FACT_NAMES) - params.keys())
        if lacking:
            raise RuleError(
                f"{where}: condition {c.name} (line {c.line}) reads unknown variable "
                f"{', '.join(lacking)}; use a fact ({', '.join(FACT_NAMES)}) or set it "
                "in the rule's params."
            )
    return compiled, used


def _compile(expression: str, where: str) -> cel.Program:
    try:
        return cel.compile(expression)
    except ValueError as e:
        raise RuleError(f"{where}: the expression does not parse: {e}") from None


def _check_overlaps(rules: tuple[Rule, ...]) -> None:
    by_program: dict[str, list[Rule]] = {}
    for r in rules:
        by_program.setdefault(r.program, []).append(r)
    for versions in by_program.values():
        versions.sort(key=lambda r: r.valid_from)
        for before, after in itertools.pairwise(versions):
            if before.valid_to is None or before.valid_to >= after.valid_from:
                raise RuleError(
                    f"{after.where}: valid from {after.valid_from.isoformat()}, while "
                    f"version {before.version} ({before.where}) is still valid then; "
                    f"end {before.version} with valid_to before it."
                )


__all__ = [
    "FACT_NAMES",
    "Condition",
    "ConditionResult",
    "Eligibility",
    "HouseholdFacts",
    "Rule",
    "RuleBook",
    "RuleError",
    "age_on",
    "facts_of",
    "household_facts",
    "load_rules",
]
