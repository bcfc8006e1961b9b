"""No N+1: the number of Cypher statements per request does not grow with the
number of households on the page."""

from __future__ import annotations

import pytest
from gqlkit import ADMIN, Api

pytestmark = pytest.mark.anyio

PAGE = """query($first: Int!) { households(first: $first) { edges { node {
  id members { id problems { code } sourceRecords { recordKey } household { id } }
  problems { code } currentPrograms { programCode } serviceHistory { id }
  assessments { id } referrals { id } sourceRecords { recordKey }
} } } }"""


async def test_statements_per_request_do_not_depend_on_page_size(api: Api) -> None:
    api.counter.queries.clear()
    await api.data(PAGE, ADMIN, first=1)
    one = len(api.counter.queries)
    api.counter.queries.clear()
    data = await api.data(PAGE, ADMIN, first=4)
    four = len(api.counter.queries)
    assert len(data["households"]["edges"]) == 4
    assert four == one, api.counter.queries
    # households + members + person problems + source records + household (cached)
    # + problems + programs + services + assessments + referrals
    assert four <= 10
