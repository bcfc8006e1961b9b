"""What a load changes about identities, as journal facts (issue 12, item 5).

`derive` compares the rows a load is about to send (only the changed ones)
and the ids it retires with what the graph holds now, before the load writes:

- `household.merged`  a household id retired into its survivor;
- `household.split`   members of a household moved to households that did
                      not exist before, and the old household stays;
- `person.merged`     a person id retired into its survivor;
- `person.retired`    a person id whose records were all withdrawn, or a
                      person no longer active (deceased, moved): the
                      payload's `status` says which;
- `household.decile_changed`  a household's welfare decile moved;
- `household.registered`  a household the graph did not hold (a new family
                      card, or one a split made);
- `household.members_changed`  people joined or left a household the graph
                      held and that stays (moved in or out, new, withdrawn,
                      deceased; a person merged into a duplicate does not
                      count; the members a merged household brings to its
                      survivor do);
- `service.loaded`    a service from a source file that the graph did not hold.

Each fact carries the household ids it concerns (who may see it in the feed
follows from them) and ids, codes, dates and deciles only: no NIK, KK number,
phone or name. Its `key` is the change and the load it belongs to (`epoch`:
the previous successful load's mark), so a load that is run again after an
interruption appends nothing twice, and a later load that makes the same
change again (a decile going 3 -> 5 -> 3 -> 5) is told apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, LiteralString

from neo4j import Driver

from journal import NewFact, kinds

#: ids per read of what the graph holds
_CHUNK: Final = 20_000
#: the loader tables whose changed rows `derive` reads (a caller holding a big
#: load's rows out of memory hands over only these)
FACT_TABLES: Final[tuple[str, ...]] = ("households", "persons", "services")
_HOUSEHOLDS: Final[LiteralString] = (
    "UNWIND $ids AS hid OPTIONAL MATCH (h:Household {household_id: hid}) "
    "RETURN hid AS id, h IS NOT NULL AS known, h.welfare_decile AS decile"
)
_PERSONS: Final[LiteralString] = (
    "UNWIND $ids AS pid OPTIONAL MATCH (p:Person {person_id: pid}) "
    "OPTIONAL MATCH (p)-[:MEMBER_OF]->(h:Household) "
    "RETURN pid AS id, p.status AS status, min(h.household_id) AS household_id"
)
_SERVICES: Final[LiteralString] = (
    "UNWIND $ids AS sid MATCH (s:Service {service_id: sid}) RETURN sid AS id"
)


def derive(
    driver: Driver,
    database: str,
    tables: Mapping[str, Any],
    retired: Mapping[str, Sequence[Mapping[str, Any]]],
    epoch: str,
) -> list[NewFact]:
    """The facts of a load: `tables` are the changed rows per loader table
    (pyarrow tables or lists of dicts), `retired` the retired ids per entity
    ({id, status, survivor_id}); call it before the load writes."""
    households, persons, services = (_rows(tables.get(name)) for name in FACT_TABLES)
    retired_persons = list(retired.get("person", ()))
    retired_households = list(retired.get("household", ()))
    before = _read(driver, database, _HOUSEHOLDS, [str(r["household_id"]) for r in households])
    member_ids = (
        {str(r["person_id"]) for r in persons}
        | {str(r["id"]) for r in retired_persons}
        | {str(r["survivor_id"]) for r in retired_persons if r.get("survivor_id")}
    )
    people = _read(driver, database, _PERSONS, sorted(member_ids))
    member_of = {row["id"]: row["household_id"] for row in people}
    status_of = {row["id"]: row["status"] for row in people}
    known_services = {
        row["id"]
        for row in _read(driver, database, _SERVICES, [str(r["service_id"]) for r in services])
    }
    facts: list[NewFact] = []
    facts += _household_merges(retired_households, epoch)
    facts += _person_retirements(retired_persons, member_of, epoch)
    facts += _status_changes(persons, status_of, member_of, epoch)
    facts += _splits(
        persons,
        member_of,
        {r["id"] for r in before if r["known"]},
        {str(r["id"]) for r in retired_households},
        epoch,
    )
    facts += _deciles(households, {r["id"]: r["decile"] for r in before if r["known"]}, epoch)
    new = {str(r["id"]) for r in before if not r["known"]}
    facts += _registered(households, persons, new, epoch)
    facts += _members_changed(
        persons,
        retired_persons,
        member_of,
        status_of,
        new | {str(r["id"]) for r in retired_households},
        epoch,
    )
    facts += _loaded_services(services, known_services, epoch)
    return facts


def _rows(table: Any) -> list[dict[str, Any]]:
    if table is None:
        return []
    rows = table.to_pylist() if hasattr(table, "to_pylist") else table
    return [dict(r) for r in rows]


def _read(
    driver: Driver, database: str, query: LiteralString, ids: list[str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        records, _, _ = driver.execute_query(
            query, {"ids": ids[start : start + _CHUNK]}, database_=database
        )
        out += [dict(r) for r in records]
    return out


def _household_merges(rows: Iterable[Mapping[str, Any]], epoch: str) -> list[NewFact]:
    out = []
    for row in rows:
        hid, survivor, status = str(row["id"]), row.get("survivor_id"), str(row["status"])
        if status == "merged" and survivor:
            out.append(
                NewFact(
                    kind=kinds.HOUSEHOLD_MERGED,
                    subject=hid,
                    household_ids=(hid, str(survivor)),
                    payload={"household_id": hid, "survivor_id": str(survivor)},
                    key=f"{kinds.HOUSEHOLD_MERGED}:{hid}>{survivor}@{epoch}",
                )
            )
    return out


def _person_retirements(
    rows: Iterable[Mapping[str, Any]], member_of: Mapping[str, str | None], epoch: str
) -> list[NewFact]:
    out = []
    for row in rows:
        pid, survivor, status = str(row["id"]), row.get("survivor_id"), str(row["status"])
        households = tuple(
            dict.fromkeys(
                h
                for h in (member_of.get(pid), member_of.get(str(survivor)) if survivor else None)
                if h
            )
        )
        if status == "merged" and survivor:
            out.append(
                NewFact(
                    kind=kinds.PERSON_MERGED,
                    subject=pid,
                    household_ids=households,
                    person_ids=(pid, str(survivor)),
                    payload={"person_id": pid, "survivor_id": str(survivor)},
                    key=f"{kinds.PERSON_MERGED}:{pid}>{survivor}@{epoch}",
                )
            )
        else:
            out.append(
                NewFact(
                    kind=kinds.PERSON_RETIRED,
                    subject=pid,
                    household_ids=households,
                    person_ids=(pid,),
                    payload={"person_id": pid, "status": status},
                    key=f"{kinds.PERSON_RETIRED}:{pid}:{status}@{epoch}",
                )
            )
    return out


def _status_changes(
    persons: Iterable[Mapping[str, Any]],
    before: Mapping[str, str | None],
    member_of: Mapping[str, str | None],
    epoch: str,
) -> list[NewFact]:
    """A person who keeps their id but is no longer active (the civil registry
    says deceased or moved, every record withdrawn)."""
    out = []
    for row in persons:
        pid, status = str(row["person_id"]), row.get("status")
        old = before.get(pid)
        if old is None or status in (None, "active", old):
            continue
        households = tuple(h for h in (row.get("household_id") or member_of.get(pid),) if h)
        out.append(
            NewFact(
                kind=kinds.PERSON_RETIRED,
                subject=pid,
                household_ids=households,
                person_ids=(pid,),
                payload={"person_id": pid, "status": status, "from": old},
                key=f"{kinds.PERSON_RETIRED}:{pid}:{status}@{epoch}",
            )
        )
    return out


def _splits(
    persons: Iterable[Mapping[str, Any]],
    member_of: Mapping[str, str | None],
    existing: set[str],
    retired: set[str],
    epoch: str,
) -> list[NewFact]:
    """Members moving from a household that stays to one the graph did not hold."""
    moved: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in persons:
        pid, new = str(row["person_id"]), row.get("household_id")
        old = member_of.get(pid)
        if old and new and new != old and new not in existing and old not in retired:
            moved[old][str(new)].append(pid)
    out = []
    for old, into in sorted(moved.items()):
        new_ids = sorted(into)
        people = tuple(sorted(p for ps in into.values() for p in ps))
        out.append(
            NewFact(
                kind=kinds.HOUSEHOLD_SPLIT,
                subject=old,
                household_ids=(old, *new_ids),
                person_ids=people,
                payload={"household_id": old, "into": new_ids, "persons_moved": len(people)},
                key=f"{kinds.HOUSEHOLD_SPLIT}:{old}>{','.join(new_ids)}@{epoch}",
            )
        )
    return out


def _deciles(
    rows: Iterable[Mapping[str, Any]], before: Mapping[str, Any], epoch: str
) -> list[NewFact]:
    out = []
    for row in rows:
        hid = str(row["household_id"])
        if hid not in before:
            continue
        old, new = before[hid], row.get("welfare_decile")
        if old != new:
            out.append(
                NewFact(
                    kind=kinds.DECILE_CHANGED,
                    subject=hid,
                    household_ids=(hid,),
                    payload={"household_id": hid, "from": old, "to": new},
                    key=f"{kinds.DECILE_CHANGED}:{hid}:{old}>{new}@{epoch}",
                )
            )
    return out


def _registered(
    households: Iterable[Mapping[str, Any]],
    persons: Iterable[Mapping[str, Any]],
    new: set[str],
    epoch: str,
) -> list[NewFact]:
    """Households the graph did not hold, still active: where they live (codes),
    their decile and how many members the load gives them."""
    members: dict[str, list[str]] = defaultdict(list)
    for row in persons:
        if row.get("household_id") and row.get("status") in (None, "active"):
            members[str(row["household_id"])].append(str(row["person_id"]))
    out = []
    for row in households:
        hid = str(row["household_id"])
        if hid not in new or row.get("status") not in (None, "active"):
            continue
        people = tuple(sorted(members.get(hid, ())))
        out.append(
            NewFact(
                kind=kinds.HOUSEHOLD_REGISTERED,
                subject=hid,
                household_ids=(hid,),
                person_ids=people,
                payload={
                    "household_id": hid,
                    "kelurahan_code": row.get("kelurahan_code"),
                    "kecamatan_code": row.get("kecamatan_code"),
                    "welfare_decile": row.get("welfare_decile"),
                    "members": len(people),
                },
                key=f"{kinds.HOUSEHOLD_REGISTERED}:{hid}@{epoch}",
            )
        )
    return out


def _members_changed(
    persons: Iterable[Mapping[str, Any]],
    retired: Iterable[Mapping[str, Any]],
    member_of: Mapping[str, str | None],
    status_of: Mapping[str, str | None],
    skipped: set[str],
    epoch: str,
) -> list[NewFact]:
    """Who joined and who left each household that the graph held and that
    stays (`skipped`: new or retired households, told by their own facts)."""
    joined: dict[str, set[str]] = defaultdict(set)
    left: dict[str, set[str]] = defaultdict(set)
    for row in persons:
        pid, new, status = str(row["person_id"]), row.get("household_id"), row.get("status")
        old = member_of.get(pid)
        active = status in (None, "active")
        if old and (new != old or (not active and status_of.get(pid) in (None, "active"))):
            left[old].add(pid)
        if new and active and new != old:
            joined[str(new)].add(pid)
    for row in retired:
        pid = str(row["id"])
        old = member_of.get(pid)
        if old and row.get("status") != "merged":
            left[old].add(pid)
    out = []
    for hid in sorted((set(joined) | set(left)) - skipped):
        came, went = sorted(joined.get(hid, ())), sorted(left.get(hid, ()))
        out.append(
            NewFact(
                kind=kinds.HOUSEHOLD_MEMBERS_CHANGED,
                subject=hid,
                household_ids=(hid,),
                person_ids=(*came, *went),
                payload={"household_id": hid, "joined": came, "left": went},
                key=f"{kinds.HOUSEHOLD_MEMBERS_CHANGED}:{hid}"
                f":+{','.join(came)}-{','.join(went)}@{epoch}",
            )
        )
    return out


def _loaded_services(
    rows: Iterable[Mapping[str, Any]], known: set[str], epoch: str
) -> list[NewFact]:
    out = []
    for row in rows:
        sid = str(row["service_id"])
        if sid in known or not row.get("household_id"):
            continue
        hid = str(row["household_id"])
        out.append(
            NewFact(
                kind=kinds.SERVICE_LOADED,
                subject=sid,
                household_ids=(hid,),
                person_ids=(str(row["person_id"]),) if row.get("person_id") else (),
                organization=row.get("organization"),
                payload={
                    "service_id": sid,
                    "household_id": hid,
                    "program": row.get("program"),
                    "service_date": row.get("service_date"),
                    "organization": row.get("organization"),
                    "source": row.get("source"),
                },
                key=f"{kinds.SERVICE_LOADED}:{sid}@{epoch}",
            )
        )
    return out


__all__ = ["FACT_TABLES", "derive"]
