"""What counts as duplicated aid ("bantuan ganda"): the rules' names and the
words a social worker reads out for each. The graph finds them
(`graph.repository.GraphRepository.duplicated_aid`); the API and the console
explain them from here.

A household's services in a period overlap when:

- `same_program`: one program came from more than one funder or organization
  (a food parcel from three foundations in one month);
- `not_allowed`: two programs came together that the combination table
  (`connectors/reference/program_combination.csv`) says must not, whatever
  their needs (PKH already pays an elderly component, so not with the city's
  elderly cash);
- `same_need`: two programs for one need came from different funders and the
  table does not allow the pair.
"""

from __future__ import annotations

from typing import Final

DUPLICATION_RULES: Final[dict[str, str]] = {
    "same_program": "Program yang sama diterima dari lebih dari satu penyandang dana atau "
    "lembaga dalam periode ini.",
    "not_allowed": "Dua program ini menurut tabel kombinasi tidak boleh diterima bersamaan.",
    "same_need": "Dua program untuk kebutuhan yang sama dari penyandang dana berbeda, "
    "dan kombinasinya tidak diizinkan dalam tabel.",
}


def explain(rule: str, reason: str | None) -> str:
    """The rule's words, then the combination table's own reason if it gives one."""
    words = DUPLICATION_RULES[rule]
    return f"{words} ({reason})" if reason else words


__all__ = ["DUPLICATION_RULES", "explain"]
