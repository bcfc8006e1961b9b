"""Program cycles (siklus program): who a program pays in a period, frozen when
approved, and what has changed since.

A cycle's **roster** is the households the program's rule valid on the
cycle's first day finds eligible on that day (`draw_roster`): the rule is the
entitlement, so a household enrolled by an override or not yet enrolled is
judged like any other (an enrolment that breaks the rule stays a targeting
finding). Each entry keeps what the rule saw (`HouseholdFacts`), its verdict
and every condition's sentence, and the rule's version. Once approved the
entries are stored as they are; `recheck` judges the frozen roster again with
the rule and data of another day and lists each `Difference` in words.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Final

from domain.eligibility import (
    FACT_NAMES,
    ConditionResult,
    Eligibility,
    HouseholdFacts,
    Rule,
    household_facts,
)


@dataclass(frozen=True)
class RosterEntry:
    """One household of a roster, as the rule saw it when the roster was drawn."""

    household_id: str
    facts: HouseholdFacts
    eligibility: Eligibility
    kelurahan_code: str | None = None
    kecamatan_code: str | None = None

    def to_json(self) -> str:
        """The entry as stored with an approved cycle (`entry_of` reads it back)."""
        e = self.eligibility
        return json.dumps(
            {
                "household_id": self.household_id,
                "kelurahan_code": self.kelurahan_code,
                "kecamatan_code": self.kecamatan_code,
                "facts": asdict(self.facts),
                "program": e.program,
                "eligible": e.eligible,
                "rule_version": e.rule_version,
                "valid_from": e.valid_from.isoformat(),
                "valid_to": e.valid_to.isoformat() if e.valid_to else None,
                "conditions": [asdict(c) for c in e.conditions],
            },
            sort_keys=True,
        )


def entry_of(text: str) -> RosterEntry:
    data = json.loads(text)
    facts = dict(data["facts"])
    facts["ppks"] = tuple(facts["ppks"])
    return RosterEntry(
        household_id=data["household_id"],
        facts=HouseholdFacts(**facts),
        eligibility=Eligibility(
            program=data["program"],
            eligible=data["eligible"],
            rule_version=data["rule_version"],
            valid_from=date.fromisoformat(data["valid_from"]),
            valid_to=date.fromisoformat(data["valid_to"]) if data["valid_to"] else None,
            conditions=tuple(ConditionResult(**c) for c in data["conditions"]),
        ),
        kelurahan_code=data.get("kelurahan_code"),
        kecamatan_code=data.get("kecamatan_code"),
    )


def judge(rule: Rule, rows: Iterable[Mapping[str, Any]], on: date) -> list[RosterEntry]:
    """Every household of `rows` (as `targeting_facts` reads them) judged by
    `rule` on `on`, eligible or not, by household id."""
    judged: dict[HouseholdFacts, Eligibility] = {}  # households alike are judged once
    out = []
    for row in rows:
        facts = household_facts(row.get("decile"), row["members"], on)
        if facts not in judged:
            judged[facts] = rule.evaluate(facts)
        out.append(
            RosterEntry(
                str(row["household_id"]),
                facts,
                judged[facts],
                row.get("kelurahan_code"),
                row.get("kecamatan_code"),
            )
        )
    out.sort(key=lambda e: e.household_id)
    return out


def draw_roster(rule: Rule, rows: Iterable[Mapping[str, Any]], on: date) -> list[RosterEntry]:
    """The roster of a cycle starting `on`: the households `rule` finds eligible then."""
    return [e for e in judge(rule, rows, on) if e.eligibility.eligible]


#: The kinds of difference a re-check finds, and their words (Bahasa Indonesia).
DIFFERENCES: Final[dict[str, str]] = {
    "NOW_INELIGIBLE": "Keluarga tidak lagi memenuhi syarat {program} menurut aturan {version}.",
    "NEWLY_ELIGIBLE": "Keluarga kini memenuhi syarat {program} menurut aturan {version}, "
    "tetapi tidak ada dalam daftar siklus ini.",
    "FACTS_CHANGED": "Keluarga masih memenuhi syarat {program}, tetapi datanya berubah.",
    "GONE": "Keluarga tidak lagi ada di registri aktif (digabung, pindah atau dihapus).",
}
#: How a changed fact reads: its name in words, then "was" and "now".
FACT_WORDS: Final[dict[str, str]] = {
    "decile": "desil",
    "members": "jumlah anggota aktif",
    "children_under_18": "anak di bawah 18 tahun",
    "school_age_children": "anak usia sekolah",
    "elders": "anggota berusia 60 tahun ke atas",
    "disabled_members": "anggota penyandang disabilitas",
    "pregnant_members": "anggota yang hamil",
    "ppks": "masalah kesejahteraan sosial (PPKS)",
}


@dataclass(frozen=True)
class FactChange:
    fact: str
    then: str
    now: str

    @property
    def explanation(self) -> str:
        words = FACT_WORDS[self.fact]
        return f"{words[:1].upper()}{words[1:]} berubah dari {self.then} menjadi {self.now}."


@dataclass(frozen=True)
class Difference:
    """One household whose standing differs from the frozen roster: the kind,
    the words, the facts that changed and today's conditions."""

    household_id: str
    kind: str
    explanation: str
    changes: tuple[FactChange, ...] = ()
    conditions: tuple[ConditionResult, ...] = ()


def _shown(value: Any) -> str:
    if value is None:
        return "tidak tercatat"
    if isinstance(value, tuple):
        return ", ".join(value) or "tidak ada"
    return str(value)


def changed_facts(then: HouseholdFacts, now: HouseholdFacts) -> tuple[FactChange, ...]:
    return tuple(
        FactChange(name, _shown(getattr(then, name)), _shown(getattr(now, name)))
        for name in FACT_NAMES
        if getattr(then, name) != getattr(now, name)
    )


def recheck(
    roster: Sequence[RosterEntry], rule: Rule, rows: Iterable[Mapping[str, Any]], on: date
) -> list[Difference]:
    """The frozen `roster` against every household of `rows` judged by `rule`
    (the one valid on `on`) on `on`, by household id: who is no longer
    eligible, who is newly eligible and not on it, whose facts changed, who is
    gone from the registry."""
    today = {e.household_id: e for e in judge(rule, rows, on)}
    frozen = {e.household_id: e for e in roster}
    words = {"program": rule.program, "version": rule.version}
    found = []
    for hid in sorted(frozen.keys() | today.keys()):
        then, now = frozen.get(hid), today.get(hid)
        if now is None:
            found.append(Difference(hid, "GONE", DIFFERENCES["GONE"]))
            continue
        eligible = now.eligibility.eligible
        if then is None:
            if eligible:
                kind = "NEWLY_ELIGIBLE"
                found.append(
                    Difference(
                        hid, kind, DIFFERENCES[kind].format(**words), (), now.eligibility.conditions
                    )
                )
            continue
        changes = changed_facts(then.facts, now.facts)
        if eligible and not changes:
            continue
        kind = "FACTS_CHANGED" if eligible else "NOW_INELIGIBLE"
        sentences = [DIFFERENCES[kind].format(**words)]
        sentences += [c.explanation for c in now.eligibility.failed]
        sentences += [c.explanation for c in changes]
        found.append(
            Difference(hid, kind, " ".join(sentences), changes, now.eligibility.conditions)
        )
    return found


__all__ = [
    "DIFFERENCES",
    "FACT_WORDS",
    "Difference",
    "FactChange",
    "RosterEntry",
    "changed_facts",
    "draw_roster",
    "entry_of",
    "judge",
    "recheck",
]
