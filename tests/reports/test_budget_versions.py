"""The budgets in force: the budgets file's, with the journal's `budget.set`
facts (as setBudget appends them) applied in order; every value kept."""

from __future__ import annotations

from pathlib import Path

from journal import Journal, NewFact, kinds
from reports.budgets import Budget, in_force, read_budgets, versions


def test_the_file_seeds_and_the_journal_changes_in_order(tmp_path: Path) -> None:
    (tmp_path / "budgets.csv").write_text(
        "funder,program,year,quota_households,amount\n"
        "APBN,PKH,2026,100,300000000\n"
        "APBD_KOTA,BEASISWA-KOTA,2026,50,60000000\n",
        encoding="utf-8",
    )
    seed = read_budgets(tmp_path / "budgets.csv")
    journal = Journal.at_home(tmp_path)
    journal.append(
        [
            NewFact(
                kinds.BUDGET_SET,
                {"funder": "APBN", "program": "PKH", "year": 2026}
                | {"amount": amount, "quota_households": quota, "reason": why},
                actor="kabid",
            )
            for amount, quota, why in ((250000000.0, 80, "APBN-P"), (270000000.0, 90, None))
        ]
    )
    assert set(in_force(seed, journal).budgets) == {
        Budget("APBN", "PKH", 2026, 90, 270000000.0),
        Budget("APBD_KOTA", "BEASISWA-KOTA", 2026, 50, 60000000.0),
    }
    history = versions(seed, journal, "APBN", "PKH", 2026)
    assert [(v["source"], v["amount"], v["quota_households"], v["set_by"]) for v in history] == [
        ("file", 300000000.0, 100, None),
        ("api", 250000000.0, 80, "kabid"),
        ("api", 270000000.0, 90, "kabid"),
    ]
    assert in_force(seed, None) == seed
