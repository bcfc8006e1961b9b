"""What a DCI predicate list may say about households: one reading for a search
(hub.dci.search, `query_type: predicate`) and for a subscription's filter
(hub.dci.subscribe, `filter_type: predicate`), so a filter means the same on
both and what neither can read is refused for the same reason.

A predicate list is `[{expression1: {attribute_name, operator, attribute_value},
condition: and, expression2}, ...]` (`expression` is taken as the same list).
It becomes `Criteria`: for each attribute the values a household may have, all
to hold. The attributes, what they read and the operators they take are
`ATTRIBUTES`:

- `kecamatan_code`, `kelurahan_code`, `rt`, `rw`, `ppks`: `eq` a code, `in`
  codes (a list, or joined by commas: `AttributeValue` has no array); an RT or
  RW as the graph stores it, three digits (`3` is RT 003);
- `decile`: `eq`, `in`, `le`, `lt` a whole number 1..10 (`le 3` is 1, 2, 3).

Two conditions on one attribute both hold (the values both allow); when none
does, the filter is refused, as are `or` / `not`, another attribute or operator
and a value of the wrong kind: `CriteriaError` with its `SearchStatusReasonCode`
(`rjct.filter.invalid`, or `rjct.search_criteria.invalid` for a list that is not
predicates). A subscription answers `rjct.notify_details.invalid` (the code its
enum has) with the same message, the search code first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from domain.rows import rt_rw

#: the reason codes of a refused filter (the search's `SearchStatusReasonCode`)
FILTER_INVALID: Final = "rjct.filter.invalid"
CRITERIA_INVALID: Final = "rjct.search_criteria.invalid"
#: the query / filter types a predicate list comes as
PREDICATE_TYPES: Final = ("predicate", "expression")


class CriteriaError(Exception):
    """A filter that cannot be read: its `SearchStatusReasonCode` and why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Attribute:
    """A predicate attribute: the `HouseholdFilter` field a search sets and the
    household row field a subscription's filter reads (None: read from the
    members, `ppks`)."""

    filter_field: str
    row_field: str | None
    operators: tuple[str, ...] = ("eq", "in")
    deciles: bool = False
    """values are deciles, whole numbers 1..10"""
    padded: bool = False
    """an RT or RW: read as the graph stores it, three digits (domain.rows `rt_rw`)"""


ATTRIBUTES: Final[dict[str, Attribute]] = {
    "kecamatan_code": Attribute("kecamatanCode", "kecamatan_code"),
    "kelurahan_code": Attribute("kelurahanCode", "kelurahan_code"),
    "rt": Attribute("rt", "rt", padded=True),
    "rw": Attribute("rw", "rw", padded=True),
    "ppks": Attribute("ppks", None),
    "decile": Attribute("decile", "welfare_decile", ("eq", "in", "le", "lt"), deciles=True),
}
DECILES: Final = tuple(range(1, 11))
#: the most codes one `in` may name: as many as a province has kelurahan. A
#: subscription's filter is read against every fact the notify pump looks at
MAX_CODES: Final = 10_000

#: attribute -> the values a household may have (sorted; deciles as text)
Criteria = dict[str, list[str]]


def _refused(message: str) -> CriteriaError:
    return CriteriaError(FILTER_INVALID, message)


def _code(value: object, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _refused(f"{name}: a code is a string or a whole number")
    return str(value).strip()


def _decile(value: object) -> int:
    text = str(value).strip()
    # read as text: a number too long for a float (JSON gives it as an int) is no decile
    whole, _, fraction = text.partition(".")
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | str)
        or not whole.isdigit()
        or fraction.strip("0")
        or len(whole.lstrip("0")) > 2
        or int(whole) not in DECILES
    ):
        raise _refused("a decile is a whole number 1..10")
    return int(whole)


def _listed(value: object) -> list[object]:
    """`in`'s values: a list, or codes joined by commas."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value) if isinstance(value, list) else [value]


def _values(name: str, operator: object, value: object) -> set[str]:
    attribute = ATTRIBUTES.get(name)
    if attribute is None:
        raise _refused(
            f"attribute {name!r} is not one to filter by: use one of {', '.join(ATTRIBUTES)}"
        )
    if operator not in attribute.operators:
        raise _refused(f"{name} takes operator {', '.join(attribute.operators)}, not {operator!r}")
    listed = _listed(value) if operator == "in" else [value]
    if len(listed) > MAX_CODES:
        raise _refused(f"at most {MAX_CODES:,} codes in one {name} in, not {len(listed):,}")
    if attribute.padded:  # '3' is RT 003, for a search and a subscription alike
        return {rt_rw(code) or code for code in (_code(v, name) for v in listed)}
    if not attribute.deciles:
        return {_code(v, name) for v in listed}
    if operator == "eq" or operator == "in":
        return {str(_decile(v)) for v in listed}
    bound = _decile(value) - (1 if operator == "lt" else 0)
    return {str(d) for d in DECILES if d <= bound}


def criteria_of(query: object) -> Criteria:
    """A predicate list as Criteria (empty list: no condition), or CriteriaError."""
    if not isinstance(query, list):
        raise CriteriaError(
            CRITERIA_INVALID,
            "send a predicate list [{expression1: {attribute_name, operator, attribute_value},"
            " condition: and, expression2}] (expression templates are not supported)",
        )
    found: dict[str, set[str]] = {}
    for item in query:
        if not isinstance(item, Mapping):
            raise CriteriaError(CRITERIA_INVALID, "each predicate is an object")
        if item.get("condition") not in (None, "and"):
            raise _refused(f"only 'and' joins predicates, not {item.get('condition')!r}")
        for side in ("expression1", "expression2"):
            if side not in item:
                continue
            expression = item[side]
            if not isinstance(expression, Mapping):
                raise CriteriaError(
                    CRITERIA_INVALID, "a predicate is {attribute_name, operator, attribute_value}"
                )
            name = str(expression.get("attribute_name", ""))
            values = _values(name, expression.get("operator"), expression.get("attribute_value"))
            kept = found[name] & values if name in found else values
            if not kept:
                raise _refused(f"no household meets every condition on {name}")
            found[name] = kept
    return {name: sorted(values, key=_order(name)) for name, values in sorted(found.items())}


def _order(name: str) -> Any:
    return int if ATTRIBUTES[name].deciles else str


def household_filter_of(criteria: Criteria) -> dict[str, Any]:
    """The GraphQL `HouseholdFilter` a search runs: one value of each attribute
    (a decile also as a bound, `maxDecile`); several values are refused (they
    are for a subscription, which reads each household's own)."""
    out: dict[str, Any] = {}
    for name, values in criteria.items():
        attribute = ATTRIBUTES[name]
        if attribute.deciles:
            numbers = [int(v) for v in values]
            if len(numbers) == 1:
                out[attribute.filter_field] = numbers[0]
            elif numbers == list(range(1, numbers[-1] + 1)):
                out["maxDecile"] = numbers[-1]
            else:
                raise _refused("a search takes one decile, or a bound (le, lt)")
        elif len(values) == 1:
            out[attribute.filter_field] = values[0]
        else:
            raise _refused(f"a search takes one {name} (in with several is for subscriptions)")
    return out


def row_matches(
    criteria: Mapping[str, Collection[str]],
    household: Mapping[str, Any] | None,
    ppks: Sequence[str] = (),
) -> bool:
    """Whether a household row (`repository.households`) meets the criteria (its
    values as sets, for a reader of many rows: `criteria_sets`); `ppks`: the codes
    its active members have, as the reader may see them."""
    if not criteria:
        return True
    if household is None:
        return False
    for name, values in criteria.items():
        field = ATTRIBUTES[name].row_field
        if field is None:
            if not set(values) & set(ppks):
                return False
        elif str(household.get(field)) not in values:
            return False
    return True


def criteria_sets(criteria: Criteria) -> dict[str, frozenset[str]]:
    """The criteria with each attribute's values as a set, to read many rows by."""
    return {name: frozenset(values) for name, values in criteria.items()}


__all__ = [
    "ATTRIBUTES",
    "CRITERIA_INVALID",
    "FILTER_INVALID",
    "MAX_CODES",
    "PREDICATE_TYPES",
    "Attribute",
    "Criteria",
    "CriteriaError",
    "criteria_of",
    "criteria_sets",
    "household_filter_of",
    "row_matches",
]
