"""Connected components in DuckDB, with cannot-link constraints.

Node names are numbered in DuckDB and the components found with vectorised numpy
(hooking and pointer jumping), then joined back: a million records take seconds.
Clusters that would join a pair someone marked "not the same" are rebuilt greedily,
strongest edge first, refusing any union that joins such a pair.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from linkage._sql import scalar

__all__ = ["cluster", "drop_ambiguous_links"]


def cluster(
    con: duckdb.DuckDBPyConnection,
    nodes: str,
    edges: str,
    out: str,
    cannot_link: str | None = None,
) -> None:
    """Write `out(node, cluster_key)`.

    `nodes(node)`; `edges(node_l, node_r, weight)`; `cannot_link(node_l, node_r)`.
    The cluster key is the smallest node of the cluster.
    """
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _node_ids AS
            SELECT node, (row_number() OVER (ORDER BY node) - 1)::BIGINT AS i
            FROM (SELECT DISTINCT node FROM {nodes})"""
    )
    count = scalar(con, "SELECT count(*) FROM _node_ids")
    pairs = con.sql(
        f"""SELECT a.i AS a, b.i AS b FROM {edges} e
            JOIN _node_ids a ON a.node = e.node_l JOIN _node_ids b ON b.node = e.node_r
            WHERE e.node_l <> e.node_r"""
    ).to_arrow_table()
    labels = _components(
        count,
        pairs.column("a").to_numpy(zero_copy_only=False),
        pairs.column("b").to_numpy(zero_copy_only=False),
    )
    con.register("_component_arrow", pa.table({"i": np.arange(count), "label": labels}))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _labels AS
           SELECT n.node, root.node AS label
           FROM _component_arrow c JOIN _node_ids n ON n.i = c.i
           JOIN _node_ids root ON root.i = c.label"""
    )
    con.unregister("_component_arrow")
    if cannot_link is not None:
        _enforce_cannot_link(con, edges, cannot_link)
    con.execute(f"CREATE OR REPLACE TABLE {out} AS SELECT node, label AS cluster_key FROM _labels")


def _components(count: int, left: Any, right: Any) -> Any:
    """Label every node with the smallest node index of its connected component.

    Hooking (each edge pulls both ends to the smaller label) alternates with
    pointer jumping (label = label of label), so long chains converge in a
    logarithmic number of rounds; every round is a few vectorised numpy passes.
    """
    labels = np.arange(count, dtype=np.int64)
    if len(left) == 0:
        return labels
    while True:
        smaller = np.minimum(labels[left], labels[right])
        hooked = labels.copy()
        np.minimum.at(hooked, labels[left], smaller)
        np.minimum.at(hooked, labels[right], smaller)
        while True:
            jumped = hooked[hooked]
            if np.array_equal(jumped, hooked):
                break
            hooked = jumped
        if np.array_equal(hooked, labels):
            return labels
        labels = hooked


def _enforce_cannot_link(con: duckdb.DuckDBPyConnection, edges: str, cannot_link: str) -> None:
    broken = con.execute(
        f"""SELECT DISTINCT a.label FROM {cannot_link} c
            JOIN _labels a ON a.node = c.node_l JOIN _labels b ON b.node = c.node_r
            WHERE a.label = b.label"""
    ).fetchall()
    if not broken:
        return
    labels = [row[0] for row in broken]
    rows = con.execute(
        f"""SELECT e.node_l, e.node_r, e.weight FROM {edges} e
            JOIN _labels l ON l.node = e.node_l
            WHERE l.label IN (SELECT unnest($labels))
            ORDER BY e.weight DESC, e.node_l, e.node_r""",
        {"labels": labels},
    ).fetchall()
    members = con.execute(
        "SELECT node FROM _labels WHERE label IN (SELECT unnest($labels))", {"labels": labels}
    ).fetchall()
    forbidden = {
        frozenset(pair)
        for pair in con.execute(f"SELECT node_l, node_r FROM {cannot_link}").fetchall()
    }
    parent = {m[0]: m[0] for m in members}
    groups: dict[str, set[str]] = {m[0]: {m[0]} for m in members}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for left, right, _ in rows:
        a, b = find(left), find(right)
        if a == b:
            continue
        if any(frozenset((x, y)) in forbidden for x in groups[a] for y in groups[b]):
            continue
        parent[b] = a
        groups[a] |= groups.pop(b)
    relabel = [(node, min(groups[find(node)])) for node in parent]
    con.execute("CREATE OR REPLACE TEMP TABLE _relabel (node VARCHAR, label VARCHAR)")
    con.executemany("INSERT INTO _relabel VALUES (?, ?)", relabel)
    con.execute("UPDATE _labels SET label = r.label FROM _relabel r WHERE _labels.node = r.node")


def drop_ambiguous_links(
    con: duckdb.DuckDBPyConnection, nodes: str, edges: str, pairs: str, out: str, core: float
) -> None:
    """Write `out` as `edges` less the weak links of records that would join two people.

    "Asep" on a foundation's list, at the house of "Asep Suryana" and his son
    "Asep Gumilar", links weakly to both: clustered as it is, it would make father
    and son one person. Core clusters are built from edges of at least `core`; a
    record whose weaker edges reach two or more other core clusters that have no
    scored pair between them (`pairs(record_key_l, record_key_r)`) keeps only the
    edges to the one it matches clearly best, or none when two come close.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _core_edges AS SELECT * FROM {edges} WHERE weight >= {core}"
    )
    cluster(con, nodes, "_core_edges", "_core")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _weak AS
            WITH w AS (
                SELECT e.node_l, e.node_r, e.weight, a.cluster_key AS cl, b.cluster_key AS cr
                FROM {edges} e JOIN _core a ON a.node = e.node_l JOIN _core b ON b.node = e.node_r
                WHERE e.weight < {core} AND a.cluster_key <> b.cluster_key)
            SELECT node_l AS n, node_r AS m, cr AS other, weight FROM w
            UNION ALL SELECT node_r, node_l, cl, weight FROM w"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ambiguous AS
            WITH per AS (SELECT n, other, max(weight) AS w FROM _weak GROUP BY ALL),
            many AS (SELECT n FROM per GROUP BY n HAVING count(*) > 1),
            cand AS (SELECT per.* FROM per JOIN many USING (n)),
            scored AS (
                SELECT a.cluster_key AS x, b.cluster_key AS y
                FROM {pairs} p JOIN _core a ON a.node = p.record_key_l
                JOIN _core b ON b.node = p.record_key_r
                WHERE a.cluster_key IN (SELECT other FROM cand)
                  AND b.cluster_key IN (SELECT other FROM cand)),
            -- both directions, so that the test below is one equi-join (an OR
            -- of the two directions is a nested loop, candidates x pairs)
            linked AS (SELECT x, y FROM scored UNION SELECT y, x FROM scored),
            conflict AS (
                SELECT DISTINCT c1.n FROM cand c1
                JOIN cand c2 ON c1.n = c2.n AND c1.other < c2.other
                WHERE NOT EXISTS (
                    SELECT 1 FROM linked l WHERE l.x = c1.other AND l.y = c2.other)),
            ranked AS (
                SELECT c.*, row_number() OVER (PARTITION BY c.n ORDER BY c.w DESC, c.other) AS rk,
                       lead(c.w) OVER (PARTITION BY c.n ORDER BY c.w DESC, c.other) AS runner_up
                FROM cand c JOIN conflict USING (n))
            SELECT r.n, r.other FROM ranked r
            WHERE r.rk > 1 OR r.w - r.runner_up < 0.02"""
    )
    # the weak edges dropped, as (a, b) = (the ambiguous record, its neighbour);
    # an edge goes when it is one of them either way round: two anti-joins on
    # equalities (one NOT EXISTS with an OR of both ways is a nested loop, edges
    # x dropped, which grew as N^1.5 with the province)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _dropped AS
           SELECT w.n AS a, w.m AS b FROM _weak w JOIN _ambiguous x USING (n, other)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out} AS
            SELECT e.* FROM {edges} e
            WHERE NOT EXISTS (SELECT 1 FROM _dropped d WHERE d.a = e.node_l AND d.b = e.node_r)
              AND NOT EXISTS (SELECT 1 FROM _dropped d WHERE d.a = e.node_r AND d.b = e.node_l)"""
    )
