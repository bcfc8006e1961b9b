"""Clustering: a record that would join two people keeps at most one of its weak links."""

import duckdb

from linkage.components import cluster, drop_ambiguous_links


def _setup(
    edges: list[tuple[str, str, float]], pairs: list[tuple[str, str]]
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    nodes = sorted({n for e in edges for n in e[:2]})
    con.execute("CREATE TABLE nodes AS SELECT unnest($n) AS node", {"n": nodes})
    con.execute("CREATE TABLE edges (node_l VARCHAR, node_r VARCHAR, weight DOUBLE)")
    con.executemany("INSERT INTO edges VALUES (?, ?, ?)", edges)
    con.execute("CREATE TABLE pairs (record_key_l VARCHAR, record_key_r VARCHAR)")
    con.executemany("INSERT INTO pairs VALUES (?, ?)", [*pairs, *[e[:2] for e in edges]])
    return con


def _clusters(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    drop_ambiguous_links(con, "nodes", "edges", "pairs", "clear", 0.99)
    cluster(con, "nodes", "clear", "out")
    return dict(con.execute("SELECT node, cluster_key FROM out").fetchall())


def test_a_mononym_between_father_and_son_joins_neither() -> None:
    # f1-f2: the father's records; s1-s2: the son's; "asep" links weakly to both
    edges = [("f1", "f2", 0.9999), ("s1", "s2", 0.9999), ("asep", "f1", 0.96), ("asep", "s1", 0.96)]
    c = _clusters(_setup(edges, []))
    assert c["f1"] != c["s1"]
    assert c["asep"] not in (c["f1"], c["s1"])


def test_a_clearly_better_link_is_kept() -> None:
    edges = [
        ("f1", "f2", 0.9999),
        ("s1", "s2", 0.9999),
        ("asep", "f1", 0.96),
        ("asep", "s1", 0.985),
    ]
    c = _clusters(_setup(edges, []))
    assert c["asep"] == c["s1"] != c["f1"]


def test_a_bridge_between_two_parts_of_one_person_stays() -> None:
    # the two cores have a scored pair between them: no conflict, the bridge joins them
    edges = [("a1", "a2", 0.9999), ("b1", "b2", 0.9999), ("x", "a1", 0.96), ("x", "b1", 0.96)]
    c = _clusters(_setup(edges, [("a1", "b1")]))
    assert c["a1"] == c["b1"] == c["x"]
