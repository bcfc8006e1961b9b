"""DCI search: a `SearchRequest` run as the sender through the hub's GraphQL.

Each `search_request` item becomes one `households(filter: ...)` query, run by
console.runner as the sender's principal (its registered organization and
role), so what opens a household, masking, purpose and the audit log are
GraphQL's own. The audit records the read as `read:dciSearch...` with the
stated purpose, the DCI transaction and reference, and the consent the sender
asserted. A DCI `consent` object is that: an assertion; it opens nothing.

What a query may be (README "DCI Social Registry API"):

- `idtype-value`: `{type: NIK | KK, value}`;
- `predicate` (or `expression` with the same list): read by hub.dci.criteria,
  as a subscription's filter is, over `kecamatan_code`, `kelurahan_code`, `rt`,
  `rw`, `decile` and `ppks` (a PPKS code the sender's role may see; any other is
  refused, never answered empty), one value each (a decile also as a bound);
- an `ExpTemplate` is refused (`rjct.search_criteria.invalid`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.dci.criteria import PREDICATE_TYPES, CriteriaError, criteria_of, household_filter_of
from hub.dci.service import DciService, utc_now
from hub.security import Principal
from schema.extensions.input_limits import INPUT_LIMITS
from schema.pagination import MAX_FIRST, encode_cursor

SEARCH_DOCUMENT = """query DciSearch($filter: HouseholdFilter, $first: Int!, $after: String,
    $purpose: String) {
  dciSearch: households(filter: $filter, first: $first, after: $after, purpose: $purpose) {
    totalCount
    edges {
      node {
        id noKk address rt rw kelurahanCode kelurahan kecamatanCode kecamatan decile status
        members { id fullName nik sex birthDate relationship status }
      }
    }
  }
}
"""

PPKS_DOCUMENT = """query DciPpks {
  dciPpks: ppksCategories { code }
}
"""

OPERATIONS = {"DciSearch": SEARCH_DOCUMENT, "DciPpks": PPKS_DOCUMENT}

#: identifier types -> HouseholdFilter fields
ID_TYPES = {"NIK": "nik", "KK": "noKk"}
DEFAULT_PAGE_SIZE = 20
#: the furthest a page may start (more households than DTSEN's 95 million families,
#: and what the graph's SKIP takes; beyond 64 bits the search failed as an outage)
MAX_OFFSET = 2**31 - 1


def _invalid(message: str) -> CriteriaError:
    return CriteriaError("rjct.search_criteria.invalid", message)


def _text(value: object, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CriteriaError("rjct.filter.invalid", f"{what} must be a string or a whole number")
    return str(value).strip()


def household_filter(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """The GraphQL `HouseholdFilter` of a search item's criteria."""
    query_type = criteria.get("query_type")
    query = criteria.get("query")
    if query_type == "idtype-value":
        if not isinstance(query, Mapping) or not {"type", "value"} <= set(query):
            raise _invalid("an idtype-value query is {type, value}")
        field = ID_TYPES.get(str(query["type"]).upper())
        if field is None:
            raise _invalid(f"identifier type {query['type']!r} is not searchable: use NIK or KK")
        return {field: _text(query["value"], "the identifier value")}
    if query_type in PREDICATE_TYPES:
        found = household_filter_of(criteria_of(query))
        if not found:
            raise _invalid("a predicate search needs at least one predicate")
        return found
    raise _invalid(f"query_type {query_type!r} is not supported")


def _purpose_source(criteria: Mapping[str, Any]) -> Mapping[str, Any]:
    for key in ("authorize", "consent"):
        block = criteria.get(key)
        purpose = block.get("purpose") if isinstance(block, Mapping) else None
        if isinstance(purpose, Mapping) and str(purpose.get("code") or "").strip():
            return purpose
    raise _invalid(
        "PURPOSE_REQUIRED: state why in search_criteria.consent.purpose.code (or "
        "authorize.purpose.code), one of the hub's purpose codes"
    )


def stated_purpose(
    criteria: Mapping[str, Any], sender_id: str, transaction_id: str, reference_id: str
) -> str:
    """The purpose the audit log records (`code: note`), with the sender's
    consent assertion, never verified, written down as such; cut to the length
    GraphQL takes (schema.extensions.input_limits), the sender's text last."""
    purpose = _purpose_source(criteria)
    code = str(purpose["code"]).strip()
    note = [f"DCI {sender_id} txn {transaction_id} ref {reference_id}"]
    consent = criteria.get("consent")
    if isinstance(consent, Mapping):
        asserted = consent.get("purpose")
        said: dict[str, Any] = {
            "ts": consent.get("ts"),
            "purpose": asserted.get("code") if isinstance(asserted, Mapping) else None,
            "ref_uri": consent.get("ref_uri"),
        }
        if said["purpose"] == code:
            said["purpose"] = None
        note.append(
            "consent asserted by the sender: " + ", ".join(f"{k}={v}" for k, v in said.items() if v)
        )
    text = str(purpose.get("text") or "").strip()
    if text:
        note.append(text)
    return f"{code}: {'; '.join(note)}"[: INPUT_LIMITS.string]


def _page(criteria: Mapping[str, Any]) -> tuple[int, int]:
    pagination = criteria.get("pagination") or {}
    size = pagination.get("page_size", DEFAULT_PAGE_SIZE)
    number = pagination.get("page_number", 1)
    if (
        not isinstance(size, int | float)
        or not isinstance(number, int | float)
        or size != int(size)
        or number != int(number)
        or not 1 <= size <= MAX_FIRST
        or not 1 <= number <= MAX_OFFSET // size + 1
    ):
        raise CriteriaError(
            "rjct.pagination.invalid",
            f"page_size is a whole number 1..{MAX_FIRST} and page_number 1 or more, "
            f"at most {MAX_OFFSET:,} households in",
        )
    return int(size), int(number)


# --- households as DCI groups ----------------------------------------------------


def _identifier(kind: str, value: object) -> dict[str, Any]:
    return {"@type": "Identifier", "identifier_type": kind, "identifier_value": value}


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != [] and v != {}}


def member(person: Mapping[str, Any]) -> dict[str, Any]:
    nik = person.get("nik")
    return _compact(
        {
            "@type": "Member",
            "@id": f"urn:satupintu:person:{person['id']}",
            "member_identifier": [_identifier("NIK", nik)] if nik else None,
            "demographic_info": _compact(
                {
                    "@type": "SRPerson",
                    "identifier": [_identifier("NIK", nik)] if nik else None,
                    "name": _compact({"@type": "Name", "given_name": person.get("fullName")}),
                    "sex": person.get("sex"),
                    "birth_date": person.get("birthDate"),
                }
            ),
            "relationship": person.get("relationship"),
            "status": person.get("status"),
        }
    )


def group(household: Mapping[str, Any]) -> dict[str, Any]:
    """A household as a DCI `Group` (extensions/social/Group.yaml's example's fields),
    with what the caller may see as GraphQL showed it (masked KK and NIK included)."""
    members = [member(p) for p in household.get("members") or []]
    heads = [
        m
        for m, p in zip(members, household.get("members") or [], strict=True)
        if "kepala" in str(p.get("relationship") or "").lower()
    ]
    kk = household.get("noKk")
    return _compact(
        {
            "@type": "spdci:Group",
            "@id": f"urn:satupintu:household:{household['id']}",
            "group_identifier": [
                _identifier("SATUPINTU_HOUSEHOLD_ID", household["id"]),
                *([_identifier("KK", kk)] if kk else []),
            ],
            "group_type": "family",
            "place": _compact(
                {
                    "@type": "Place",
                    "address": household.get("address"),
                    "rt": household.get("rt"),
                    "rw": household.get("rw"),
                    "kelurahan_code": household.get("kelurahanCode"),
                    "kelurahan": household.get("kelurahan"),
                    "kecamatan_code": household.get("kecamatanCode"),
                    "kecamatan": household.get("kecamatan"),
                }
            ),
            "poverty_score": household.get("decile"),
            "poverty_score_type": "DTSEN decile (1 poorest to 10)",
            "group_size": len(members),
            "group_head_info": heads[0] if heads else None,
            "member_list": members,
            "status": household.get("status"),
        }
    )


# --- running a search ------------------------------------------------------------


class SearchUnavailable(Exception):
    """The graph could not answer (retry later); not the request's fault."""


@dataclass(frozen=True)
class SearchOutcome:
    response: dict[str, Any]
    """the `SearchResponse` message"""
    succeeded: int
    households: int


async def run_search(
    dci: DciService,
    principal: Principal,
    sender_id: str,
    message: Mapping[str, Any],
    correlation_id: str,
) -> SearchOutcome:
    """Every item of a `SearchRequest` run as `principal`: the `SearchResponse`."""
    transaction_id = str(message["transaction_id"])
    items = []
    succeeded = households = 0
    for request in message.get("search_request") or []:
        item = await _run_item(dci, principal, sender_id, transaction_id, request)
        items.append(item)
        if item["status"] == "succ":
            succeeded += 1
            households += len(item["data"]["reg_records"])
    return SearchOutcome(
        {
            "transaction_id": transaction_id,
            "correlation_id": correlation_id,
            "search_response": items,
        },
        succeeded,
        households,
    )


async def _run_item(
    dci: DciService,
    principal: Principal,
    sender_id: str,
    transaction_id: str,
    request: Mapping[str, Any],
) -> dict[str, Any]:
    reference_id = str(request["reference_id"])
    criteria = request.get("search_criteria") or {}
    try:
        if criteria.get("response_entity", "Group") != "Group":
            raise _invalid("the hub answers with households (response_entity Group)")
        if criteria.get("sort"):
            raise CriteriaError(
                "rjct.sort.invalid", "sorting is not supported: households come in id order"
            )
        filters = household_filter(criteria)
        size, number = _page(criteria)
        purpose = stated_purpose(criteria, sender_id, transaction_id, reference_id)
        if "ppks" in filters:
            await check_ppks(dci, principal, str(filters["ppks"]))
        offset = (number - 1) * size
        outcome = await dci.runner().run(
            "DciSearch",
            principal,
            purpose=None,
            variables={
                "filter": filters,
                "first": size,
                "after": encode_cursor(offset - 1) if offset else None,
                "purpose": purpose,
            },
        )
        if not outcome.ok:
            _raise_for(outcome.errors)
        assert outcome.data is not None
        page = outcome.data["dciSearch"]
    except CriteriaError as refused:
        return {
            "reference_id": reference_id,
            "timestamp": utc_now(),
            "status": "rjct",
            "status_reason_code": refused.code,
            "status_reason_message": refused.message[:999],
        }
    return {
        "reference_id": reference_id,
        "timestamp": utc_now(),
        "status": "succ",
        "data": {
            "version": "1.0.0",
            "reg_records": [group(edge["node"]) for edge in page["edges"]],
        },
        "pagination": {
            "page_size": size,
            "page_number": number,
            "total_count": page["totalCount"],
        },
    }


async def check_ppks(dci: DciService, principal: Principal, code: str) -> None:
    """A PPKS the sender's role may not see is refused, the same way as an
    unknown one: an empty answer would tell that nobody has it."""
    outcome = await dci.runner().run("DciPpks", principal)
    if not outcome.ok:
        _raise_for(outcome.errors)
    assert outcome.data is not None
    shown = {row["code"] for row in outcome.data["dciPpks"]}
    if code not in shown:
        raise _invalid(
            f"PPKS {code!r} is not one this sender may search by "
            "(unknown, or special-category data its role may not see)"
        )


#: GraphQL error codes that are the request's fault (answered rjct, not retried)
REQUEST_ERRORS = frozenset(
    {"PURPOSE_REQUIRED", "PURPOSE_UNKNOWN", "FORBIDDEN", "BAD_USER_INPUT", "UNAUTHENTICATED"}
)


def _raise_for(errors: Sequence[Mapping[str, Any]]) -> None:
    codes = {str(e.get("code")) for e in errors}
    message = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)[:999]
    if codes and codes <= REQUEST_ERRORS:
        raise _invalid(message)
    raise SearchUnavailable(message or "the search did not run")


__all__ = [
    "ID_TYPES",
    "OPERATIONS",
    "CriteriaError",
    "SearchOutcome",
    "SearchUnavailable",
    "check_ppks",
    "group",
    "household_filter",
    "run_search",
    "stated_purpose",
]
