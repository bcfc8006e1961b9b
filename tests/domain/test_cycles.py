"""Program-cycle words and the budget cover, on hand-made figures."""

from __future__ import annotations

import pytest

from domain.cover import Funds, capacity
from domain.cycles import FACT_WORDS, FactChange
from domain.eligibility import FACT_NAMES


def test_every_fact_a_rule_reads_has_words_for_a_change() -> None:
    assert set(FACT_WORDS) == set(FACT_NAMES)
    assert FactChange("decile", "2", "6").explanation == "Desil berubah dari 2 menjadi 6."


def test_each_budget_pays_for_whole_households_up_to_its_quota() -> None:
    budgets = [Funds(7_500_000, 10), Funds(30_000_000, 4), Funds(0, 5)]
    assert capacity(budgets, 2_400_000) == 3 + 4 + 0
    with pytest.raises(ValueError, match="positive"):
        capacity(budgets, 0)
