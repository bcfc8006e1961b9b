"""How many pairs each prediction blocking rule makes, on a linked hub.duckdb.

    .venv/bin/python bench/blocking_counts.py HOME/hub.duckdb [more.duckdb ...]

For each rule (linkage.model.prediction_blocking_rules): the pairs its equi-join
makes before any other condition (Σ c·(c-1)/2 over the blocks of its equal keys,
exact, by GROUP BY: the join's cost) and its largest block. A rule whose count
grows like N² across databases of N and k·N records (ratio ≈ k²) is keyed on
values that repeat across the population; ratio ≈ k is linear.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from linkage import model_input_sql, prediction_blocking_rules, rule_sql  # noqa: E402

# `l.x = r.x` or `f(l.x, …) = f(r.x, …)`: an equal key of a rule's top-level AND
_EQUI = re.compile(r"^(.*?)\bl\.(\w+)(.*?)\s*=\s*\1r\.\2\3$")


def equi_keys(sql: str) -> list[str]:
    """The key expressions (over one record, no alias) a rule joins on."""
    keys = []
    for part in re.split(r"\s+AND\s+", sql.replace("\n", " "), flags=re.IGNORECASE):
        part = part.strip()
        if part.startswith("(") and part.endswith(")") and part.count("(") == 1:
            part = part[1:-1].strip()  # block_on's "(l.x = r.x)"
        if part.startswith("(") or " OR " in part.upper():
            continue
        if m := _EQUI.match(part.replace('"', "")):
            keys.append(f"{m.group(1)}{m.group(2)}{m.group(3)}")
    return keys


def counts(database: Path) -> list[dict[str, Any]]:
    con = duckdb.connect(str(database), read_only=True)
    con.execute(f"CREATE TEMP TABLE m AS {model_input_sql(con)}")
    [(records,)] = con.execute("SELECT count(*) FROM m").fetchall()
    out = []
    for rule in prediction_blocking_rules():
        sql, explode = rule_sql(rule, "duckdb")
        keys = equi_keys(sql)
        source = "m"
        if explode:
            source = (
                "(SELECT * REPLACE ("
                + ", ".join(f"unnest({c}) AS {c}" for c in explode)
                + ") FROM m)"
            )
        not_null = " AND ".join(f"({k}) IS NOT NULL" for k in keys)
        [(pairs, largest)] = con.execute(
            f"SELECT sum(c * (c - 1) / 2)::BIGINT, max(c) FROM "
            f"(SELECT count(*) AS c FROM {source} WHERE {not_null} GROUP BY {', '.join(keys)})"
        ).fetchall()
        out.append(
            {"rule": sql, "keys": keys, "records": records, "pairs": pairs, "largest": largest}
        )
    con.close()
    return out


def main() -> None:
    found = [counts(Path(p)) for p in sys.argv[1:]]
    for i, rule in enumerate(found[0]):
        cells = [f"{f[i]['pairs']:,} (max {f[i]['largest']:,})" for f in found]
        ratio = ""
        if len(found) > 1 and found[0][i]["pairs"]:
            k = found[-1][i]["records"] / found[0][i]["records"]
            r = found[-1][i]["pairs"] / found[0][i]["pairs"]
            ratio = f" | ×{r:.1f} for ×{k:.1f} records (b = {math.log(r) / math.log(k):.2f})"
        print(f"| {' + '.join(rule['keys'])} | " + " | ".join(cells) + ratio + " |")
    print("records:", [f[0]["records"] for f in found])


if __name__ == "__main__":
    main()
