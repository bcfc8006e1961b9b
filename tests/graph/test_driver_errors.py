"""Neo4j's own errors reach callers as graph errors that carry the status code
and no server internals (Java exception text, the statement)."""

from __future__ import annotations

import pytest

from graph.errors import GraphQueryError
from graph.repository import GraphRepository

pytestmark = pytest.mark.anyio


async def test_a_statement_neo4j_refuses_becomes_a_plain_graph_error(
    repository: GraphRepository,
) -> None:
    # an unparsable full-text query: Lucene's parser fails inside the server
    with pytest.raises(GraphQueryError) as info:
        await repository._run(
            "CALL db.index.fulltext.queryNodes('person_names', $q) YIELD node RETURN node",
            {"q": "((( AND OR"},
        )
    message = str(info.value)
    assert info.value.code is not None and info.value.code.startswith("Neo.ClientError")
    assert info.value.code in message and "wrote nothing" in message
    for internal in ("java", "lucene", "exception", "queryNodes", "((("):
        assert internal.lower() not in message.lower()
    assert info.value.__cause__ is not None  # the server's text stays for the log
