"""Match evidence as a role that masks identifiers sees it: one declaration
(`schema.permissions.EVIDENCE_VALUES`) says how each compared value shows."""

from __future__ import annotations

from linkage.explain import COMPARISON_VALUES
from schema.permissions import EVIDENCE_VALUES, POLICIES, mask_evidence, mask_text

NIK, KK, PHONE = "3273011204800001", "3273010101010001", "081234567890"
EVIDENCE = [
    {
        "comparison": "nik",
        "level": "exact",
        "match_weight": 3.2,
        "values": {"nik_clean": [NIK, NIK], "nik_raw": [NIK, None]},
        "note": NIK,
    },
    {
        "comparison": "household",
        "level": "same KK",
        "match_weight": 0.5,
        "values": {
            "kk_clean": [KK, None],
            "phone_clean": [PHONE, PHONE],
            "home_key": ["jl contoh|1", "jl contoh|1"],
        },
    },
]


def test_every_value_linkage_writes_into_evidence_is_declared() -> None:
    """A column added to the evidence must be declared (masked or shown); until it is,
    it is withheld from agencies and foundations."""
    written = {column for columns in COMPARISON_VALUES.values() for column in columns}
    assert written == set(EVIDENCE_VALUES)


def test_identifiers_are_masked_and_undeclared_values_withheld() -> None:
    for role in ("agency", "foundation", "analyst", "auditor"):
        assert mask_evidence(EVIDENCE, POLICIES[role]) == [
            {
                "comparison": "nik",
                "level": "exact",
                "match_weight": 3.2,
                "values": {"nik_clean": ["3273**********01", "3273**********01"], "nik_raw": None},
            },
            {
                "comparison": "household",
                "level": "same KK",
                "match_weight": 0.5,
                "values": {
                    "kk_clean": ["3273**********01", None],
                    "phone_clean": ["0812*****890", "0812*****890"],
                    "home_key": ["jl contoh|1", "jl contoh|1"],
                },
            },
        ]


def test_evidence_in_another_shape_is_withheld_whole() -> None:
    foundation = POLICIES["foundation"]
    assert mask_evidence({"nik": NIK}, foundation) is None
    assert mask_evidence(NIK, foundation) is None
    assert mask_evidence([NIK], foundation) == []


def test_dinsos_roles_see_the_evidence_as_it_is() -> None:
    for role in ("dinsos_admin", "social_worker"):
        assert mask_evidence(EVIDENCE, POLICIES[role]) is EVIDENCE


def test_identifiers_written_into_free_text_are_masked() -> None:
    """A referral note or a purpose someone typed a NIK, KK or phone number into."""
    text = "NIK 3273011204800001, KK 3273-0101-0101-0001, call 0812 3456 7890 (H-000000285)"
    for role in ("agency", "foundation", "auditor"):
        assert (
            mask_text(text, POLICIES[role])
            == "NIK 3273**********01, KK 3273**********01, call 0812*****890 (H-000000285)"
        )
    assert mask_text(text, POLICIES["social_worker"]) == text
    assert (
        mask_text("delivered 2026-11-20, 250000 rupiah", POLICIES["foundation"])
        == "delivered 2026-11-20, 250000 rupiah"
    )
