"""Connected components in DuckDB, with cannot-link constraints.

Labels propagate (each node takes the smallest label among its neighbours) until
nothing changes; clusters here are small, so this converges in a few rounds.
Clusters that would join a pair someone marked "not the same" are rebuilt greedily,
strongest edge first, refusing any union that joins such a pair.
"""

from __future__ import annotations

import duckdb

from linkage._sql import scalar

__all__ = ["cluster"]


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
        f"""CREATE OR REPLACE TEMP TABLE _edges AS
            SELECT node_l AS a, node_r AS b FROM {edges} WHERE node_l <> node_r
            UNION SELECT node_r, node_l FROM {edges} WHERE node_l <> node_r"""
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _labels AS SELECT node, node AS label FROM {nodes}")
    while True:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _next AS
               SELECT l.node, least(l.label, coalesce(min(n.label), l.label)) AS label
               FROM _labels l
               LEFT JOIN _edges e ON e.a = l.node
               LEFT JOIN _labels n ON n.node = e.b
               GROUP BY l.node, l.label"""
        )
        changed = scalar(
            con,
            "SELECT count(*) FROM _next JOIN _labels USING (node) "
            "WHERE _next.label <> _labels.label",
        )
        con.execute("CREATE OR REPLACE TEMP TABLE _labels AS SELECT * FROM _next")
        if changed == 0:
            break
    if cannot_link is not None:
        _enforce_cannot_link(con, edges, cannot_link)
    con.execute(f"CREATE OR REPLACE TABLE {out} AS SELECT node, label AS cluster_key FROM _labels")
    con.execute("DROP TABLE IF EXISTS _next")


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
