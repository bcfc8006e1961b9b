from __future__ import annotations

from schema.export import SDL_PATH, main, sdl


def test_schema_file_is_in_sync() -> None:
    assert SDL_PATH.read_text() == sdl(), "schema/schema.graphql is stale: python -m schema.export"
    assert main(["--check"]) == 0


def test_schema_has_every_root_field() -> None:
    text = sdl()
    for name in (
        "household(",
        "person(",
        "searchPersons(",
        "households(",
        "coverageGaps(",
        "duplicatedAid(",
        "programs:",
        "funders:",
        "povertyIndicators(",
        "submitRecord(",
        "recordService(",
        "recordAssessment(",
        "createReferral(",
        "advanceReferral(",
        "enrolHousehold(",
        "decideReviewPair(",
        "fileChangeRequest(",
        "verifyChangeRequest(",
        "approveChangeRequest(",
        "applyChangeRequest(",
        "rejectChangeRequest(",
        "changeRequests(",
        "householdChanged(",
        "referralsForOrganization(",
    ):
        assert name in text, name
