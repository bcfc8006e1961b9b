"""Every kind of fact the journal holds: one home for their names.

A kind is `<entity>.<verb>`. The feed and the subscriptions carry them as they
are; the report selects by kind.
"""

from __future__ import annotations

from typing import Final

# API writes
SUBMISSION_RECEIVED: Final = "submission.received"
SERVICE_RECORDED: Final = "service.recorded"
ENROLMENT_RECORDED: Final = "enrolment.recorded"
ASSESSMENT_RECORDED: Final = "assessment.recorded"
REFERRAL_CREATED: Final = "referral.created"
REFERRAL_MOVED: Final = "referral.moved"
REVIEW_DECIDED: Final = "review.decided"
CHANGE_REQUEST_FILED: Final = "change_request.filed"
CHANGE_REQUEST_VERIFIED: Final = "change_request.verified"
CHANGE_REQUEST_APPROVED: Final = "change_request.approved"
CHANGE_REQUEST_APPLIED: Final = "change_request.applied"
CHANGE_REQUEST_REJECTED: Final = "change_request.rejected"
# program cycles and budgets (issue 16): a cycle opened, approved (its roster
# frozen), re-checked; a funder's budget set through the API (the old value kept)
PROGRAM_CYCLE_OPENED: Final = "program_cycle.opened"
PROGRAM_CYCLE_APPROVED: Final = "program_cycle.approved"
PROGRAM_CYCLE_RECHECKED: Final = "program_cycle.rechecked"
BUDGET_SET: Final = "budget.set"
# program cycles' last steps (issue 16, session 10): what was paid out against the
# frozen roster (each payment also a service.recorded), then the cycle closed
PROGRAM_CYCLE_DISTRIBUTED: Final = "program_cycle.distributed"
PROGRAM_CYCLE_CLOSED: Final = "program_cycle.closed"
# the one-door front desk (layanan satu pintu): requests and complaints
SERVICE_REQUEST_REGISTERED: Final = "service_request.registered"
SERVICE_REQUEST_MOVED: Final = "service_request.moved"
SERVICE_REQUEST_ENDED: Final = "service_request.ended"
GRIEVANCE_FILED: Final = "grievance.filed"
GRIEVANCE_ACTED: Final = "grievance.acted"
GRIEVANCE_ANSWERED: Final = "grievance.answered"
#: a request's states: its needs may name special-category PPKS
SERVICE_REQUESTS: Final = frozenset(
    {SERVICE_REQUEST_REGISTERED, SERVICE_REQUEST_MOVED, SERVICE_REQUEST_ENDED}
)
#: a complaint's states: tagged with its household (erasure forgets them with it),
#: but read on the feed by Dinsos only, as the API's complaints are
GRIEVANCES: Final = frozenset({GRIEVANCE_FILED, GRIEVANCE_ACTED, GRIEVANCE_ANSWERED})
#: the front desk's kinds (a request's or complaint's every state)
SERVICE_DESK: Final = SERVICE_REQUESTS | GRIEVANCES
# a complaint made a targeting finding (issue 19 -> issue 12): the household's
# targeting check, recorded with the complaint's number; read like a complaint
# (Dinsos only), and special-category (its conditions name disabilities)
REPORTED_FINDING_RECORDED: Final = "reported_finding.recorded"
#: facts the feed shows to Dinsos' roles only, as the API's complaints
COMPLAINTS: Final = GRIEVANCES | {REPORTED_FINDING_RECORDED}

# pipeline runs
HOUSEHOLD_MERGED: Final = "household.merged"
HOUSEHOLD_SPLIT: Final = "household.split"
PERSON_MERGED: Final = "person.merged"
PERSON_RETIRED: Final = "person.retired"
DECILE_CHANGED: Final = "household.decile_changed"
LINK_PUBLISHED: Final = "link.published"
LOAD_PUBLISHED: Final = "load.published"
#: a service from a source file, new in the graph after a load
SERVICE_LOADED: Final = "service.loaded"

# decile threshold alerts (issue 16, DTSEN deciles): a load's decile change made
# a program's rule fail for a household enrolled in it (pipeline); a social
# worker or Dinsos resolved the field check (API)
DECILE_ALERT_RAISED: Final = "decile_alert.raised"
DECILE_ALERT_RESOLVED: Final = "decile_alert.resolved"

# registry events for the DCI subscribe/notify API (issue 17): `hub load` tells of
# a household new to the graph and of people joining or leaving one it held
HOUSEHOLD_REGISTERED: Final = "household.registered"
HOUSEHOLD_MEMBERS_CHANGED: Final = "household.members_changed"

API: Final = frozenset(
    {
        SUBMISSION_RECEIVED,
        SERVICE_RECORDED,
        ENROLMENT_RECORDED,
        ASSESSMENT_RECORDED,
        REFERRAL_CREATED,
        REFERRAL_MOVED,
        REVIEW_DECIDED,
        CHANGE_REQUEST_FILED,
        CHANGE_REQUEST_VERIFIED,
        CHANGE_REQUEST_APPROVED,
        CHANGE_REQUEST_APPLIED,
        CHANGE_REQUEST_REJECTED,
        DECILE_ALERT_RESOLVED,
        PROGRAM_CYCLE_OPENED,
        PROGRAM_CYCLE_APPROVED,
        PROGRAM_CYCLE_RECHECKED,
        BUDGET_SET,
        PROGRAM_CYCLE_DISTRIBUTED,
        PROGRAM_CYCLE_CLOSED,
        REPORTED_FINDING_RECORDED,
    }
    | SERVICE_DESK
)
PIPELINE: Final = frozenset(
    {
        HOUSEHOLD_MERGED,
        HOUSEHOLD_SPLIT,
        PERSON_MERGED,
        PERSON_RETIRED,
        DECILE_CHANGED,
        LINK_PUBLISHED,
        LOAD_PUBLISHED,
        SERVICE_LOADED,
        DECILE_ALERT_RAISED,
        HOUSEHOLD_REGISTERED,
        HOUSEHOLD_MEMBERS_CHANGED,
    }
)
#: facts that reveal special-category data (UU PDP: a person was assessed for a
#: social-welfare problem): shown only to roles that see special categories
SPECIAL_CATEGORY: Final = (
    frozenset({ASSESSMENT_RECORDED, REPORTED_FINDING_RECORDED}) | SERVICE_REQUESTS
)
#: facts whose subject is a source record key (who holds which record): the
#: subject is shown with its organization only
SUBJECT_IS_RECORD_KEY: Final = frozenset({SUBMISSION_RECEIVED})
#: a pipeline run that finished (one per run, changed or not), not a change to a household
RUNS: Final = frozenset({LINK_PUBLISHED, LOAD_PUBLISHED})
ALL: Final = API | PIPELINE


def origin_of(kind: str) -> str:
    """'api' or 'pipeline'; a kind not listed here is refused."""
    if kind in API:
        return "api"
    if kind in PIPELINE:
        return "pipeline"
    raise ValueError(f"unknown journal fact kind {kind!r}")
