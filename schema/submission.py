"""A beneficiary record submitted for real-time linkage: its input, its
checks, and what a linked record writes to the graph. `submitRecord` (a
partner's record) and `registerServiceRequest` (a resident who comes to the
front desk, `schema.service_desk`) both link through here."""

from __future__ import annotations

import json
from datetime import date

import strawberry

from domain import rows
from domain.identity import PROBLEMS, id_digits, kk_problem, nik_problem
from domain.shapes import Row
from domain.thresholds import is_decile
from schema import inputs
from schema.context import Context
from schema.errors import InputError
from schema.services import Intake

Info = strawberry.Info[Context, None]


@strawberry.input(description="A beneficiary record as a partner holds it (canonical fields).")
class RecordInput:
    source_record_id: str
    full_name: str
    nik: str | None = None
    no_kk: str | None = None
    birth_date: date | None = None
    birth_place: str | None = None
    sex: str | None = None
    relationship: str | None = None
    address: str | None = None
    rt: str | None = None
    rw: str | None = None
    kelurahan: str | None = None
    kecamatan: str | None = None
    phone: str | None = None
    ppks: list[str] = strawberry.field(default_factory=list)
    welfare_decile: int | None = None


def submitted_rows(record: RecordInput, linked: Row, org: str, key: str) -> list[rows.WrittenRow]:
    """What a linked submission writes to the graph: its household and person
    when the linker made them new, the record, and the link's evidence (as a
    bulk load writes it), in that order."""
    pid, hid = str(linked["person_id"]), str(linked["household_id"])
    out: list[rows.WrittenRow] = []
    if linked.get("new_household"):
        out.append(
            rows.Household(
                household_id=hid,
                no_kk=record.no_kk,
                address=record.address,
                rt=linked.get("rt"),
                rw=linked.get("rw"),
                kelurahan_code=linked.get("kelurahan_code"),
                kecamatan_code=linked.get("kecamatan_code"),
                welfare_decile=record.welfare_decile,
                status="active",
            )
        )
    if linked.get("new_person"):
        out.append(
            rows.Person(
                person_id=pid,
                household_id=hid,
                full_name=record.full_name,
                name_tokens=" ".join(linked.get("name_tokens") or []) or None,
                nik=record.nik,
                no_kk=record.no_kk,
                birth_date=record.birth_date,
                birth_place=record.birth_place,
                sex=record.sex,
                relationship=record.relationship,
                phone=record.phone,
                status="active",
                ppks=tuple(record.ppks),
            )
        )
    out.append(
        rows.SourceRecord(
            record_key=key,
            source=linked.get("source") or org,
            organization=org,
            source_record_id=record.source_record_id,
            person_id=pid,
            full_name=record.full_name,
            nik=record.nik,
            no_kk=record.no_kk,
            birth_date=record.birth_date,
            address=record.address,
            rt=record.rt,
            rw=record.rw,
            kelurahan=record.kelurahan,
            match_probability=linked.get("match_probability"),
            loaded_at=inputs.now(),
            via_api=True,
        )
    )
    matched = linked.get("matched_record_key")
    if matched:
        left, right = sorted((key, str(matched)))
        out.append(
            rows.MatchEvidence(
                record_key_l=left,
                record_key_r=right,
                match_probability=linked.get("match_probability"),
                match_weight=linked.get("match_weight"),
                evidence=json.dumps(linked.get("evidence") or []),
            )
        )
    return out


def identity_numbers(record: RecordInput, field: str = "record") -> None:
    """NIK and KK by the rules every path uses (`domain.identity`); kept as their digits."""
    for name, label, problem in (
        (f"{field}.nik", "NIK", nik_problem(record.nik)),
        (f"{field}.noKk", "KK number", kk_problem(record.no_kk)),
    ):
        if problem is not None:  # the value is not echoed: errors may be logged
            raise InputError(name, f"not a valid {label}: it {PROBLEMS[problem]}.")
    record.nik, record.no_kk = id_digits(record.nik), id_digits(record.no_kk)


def check_record(record: RecordInput, field: str = "record") -> None:
    """Names, ids and decile by the rules every path uses; NIK and KK kept as their digits."""
    inputs.required_text(f"{field}.fullName", record.full_name)
    inputs.required_text(f"{field}.sourceRecordId", record.source_record_id)
    identity_numbers(record, field)
    if record.welfare_decile is not None and not is_decile(record.welfare_decile):
        raise InputError(f"{field}.welfareDecile", "is between 1 and 10.")


async def link_record(info: Info, intake: Intake, record: RecordInput) -> Row:
    """Link a checked record in real time and write what it makes to the graph;
    the linker's answer, with its `record_key`."""
    org = str(info.context.principal.organization)
    linked = dict(await intake.submit(strawberry.asdict(record), org))
    key = str(linked.get("record_key") or f"{org}:{record.source_record_id}")
    linked["record_key"] = key
    await info.context.repository.write(submitted_rows(record, linked, org, key))
    return linked


__all__ = ["RecordInput", "check_record", "identity_numbers", "link_record", "submitted_rows"]
