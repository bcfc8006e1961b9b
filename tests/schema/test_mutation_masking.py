"""What a mutation returns is masked as every read is: a scoped role that
writes a NIK, KK or phone number into free text (a referral note, a change
request's reason, a consent's withdrawal reason) is not given it back whole,
nor any other scoped role the receipt is listed to.

The tiny city (tests/graph/city.py): YAY-A serves H1 (Hermawan, P1).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gqlkit import WORKER, YAY_A, Api

pytestmark = pytest.mark.anyio

NIK, KK, PHONE = "3273011204800001", "3273010101010001", "081234567890"
TEXT = f"NIK {NIK}, KK {KK}, call {PHONE}"
#: any of the three written whole, with or without separators
WHOLE = re.compile("|".join(re.escape(v) for v in (NIK, KK, PHONE)))


def assert_masked(result: Any) -> None:
    assert not result.errors, result.errors
    shown = json.dumps(result.data)
    assert not WHOLE.search(shown), shown
    assert "3273**********01" in shown  # masked, not dropped


async def test_mutation_results_mask_identifiers_for_a_scoped_role(api: Api) -> None:
    made = await api.run(
        """mutation($n: String!) { createReferral(referral: {householdId: "H1",
        toOrganization: "YAY-B", note: $n}) { id note } }""",
        YAY_A,
        n=TEXT,
    )
    assert_masked(made)
    advanced = await api.run(
        """mutation($id: ID!, $n: String!) { advanceReferral(id: $id,
        status: CANCELLED, note: $n) { note } }""",
        YAY_A,
        id=made.data["createReferral"]["id"],
        n=TEXT,
    )
    assert_masked(advanced)
    assert_masked(
        await api.run(
            """mutation($r: String!) { fileChangeRequest(request:
        {kind: PERBAIKAN, householdId: "H1", reason: $r}) { reason } }""",
            YAY_A,
            r=TEXT,
        )
    )

    receipt = await api.data(
        """mutation($c: ConsentInput!) { recordConsent(consent: $c)
        { id purpose note } }""",
        WORKER,
        c={
            "personId": "P1",
            "organization": "YAY-A",
            "purpose": TEXT,
            "note": TEXT,
            "categories": ["IDENTITY"],
            "validUntil": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        },
    )
    assert receipt["recordConsent"]["purpose"] == TEXT  # Dinsos sees what it wrote
    assert_masked(await api.run("""{ consents { edges { node { purpose note } } } }""", YAY_A))
    assert_masked(
        await api.run(
            """mutation($id: ID!, $r: String!) { withdrawConsent(id: $id,
        reason: $r) { purpose note withdrawalReason } }""",
            YAY_A,
            id=receipt["recordConsent"]["id"],
            r=TEXT,
        )
    )
