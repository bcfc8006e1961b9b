"""PostgreSQL restarted, or a connection cut by a proxy or an idle timeout: the
pool checks a connection before handing it out (`ConnectionPool.check_connection`),
so the next call after the server lost its connections succeeds instead of
failing once for each connection idle in the pool."""

from __future__ import annotations

import psycopg

from store.postgres import PgStore


def test_the_next_call_after_the_backends_are_terminated_succeeds(
    postgres_store: PgStore,
) -> None:
    db = postgres_store.database("security")
    with db.write() as con:
        con.execute("CREATE TABLE restart_probe (n INTEGER)")
        con.execute("INSERT INTO restart_probe (n) VALUES (1)")
    with db.read() as con:  # the pool's idle connections, as a restart finds them
        pids = {int(con.execute("SELECT pg_backend_pid()").fetchone()[0])}
    with psycopg.connect(postgres_store.url, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))

    with db.read() as con:  # no OperationalError: a dead connection is replaced
        assert con.execute("SELECT n FROM restart_probe").fetchall() == [(1,)]
        assert int(con.execute("SELECT pg_backend_pid()").fetchone()[0]) not in pids
    with db.write() as con:
        con.execute("INSERT INTO restart_probe (n) VALUES (2)")
