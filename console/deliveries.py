"""Catat layanan: an agency, a foundation or Dinsos records a delivery (a
service) to a household from its 360 page, through `recordService` as the
signed-in organization. Who may record for which household, the funder a
foundation may name and the journal are the API's."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from console.app import PREFIX, SEARCH_TASK, Console
from console.casework import Casework, _date, _refused, _say
from console.i18n import Labels
from console.session import Session

#: the largest amount (IDR) the form takes: a typo of extra zeros, not a delivery
MAX_AMOUNT = 1_000_000_000


class Deliveries:
    def __init__(self, core: Console) -> None:
        self.core = core
        self.casework = Casework(core)

    async def record(self, request: Request, session: Session) -> Response:
        if session.purpose(SEARCH_TASK) is None:
            return self.core.ask_purpose(request, SEARCH_TASK)
        values = await self.core.form(request, session) if request.method == "POST" else {}
        household, errors = await self.casework._household(request, session)
        if household is None:
            return self.casework._missing(request, session, errors)
        problems: list[dict[str, Any]] = []
        if request.method == "POST":
            service, problems = delivery_input(values, household)
            if not problems:
                out = await self.core.run(session, "RecordService", SEARCH_TASK, service=service)
                if out.ok:
                    return self.core.redirect(f"{PREFIX}/keluarga/{household['id']}#s-timeline")
                problems = _refused(out.errors)
        catalogue = await self.core.run(session, "ProgramCatalogue", None)
        return self.core.render(
            request,
            "delivery.html",
            400 if problems else 200,
            session,
            household=household,
            programs=list((catalogue.data or {}).get("programs") or []),
            values={"service_date": date.today().isoformat(), **values},
            errors=problems + catalogue.errors,
            purpose=session.purpose(SEARCH_TASK),
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route(
                "/keluarga/{household_id}/layanan",
                self.core.page(self.record),
                methods=["GET", "POST"],
            )
        ]


def delivery_input(
    values: dict[str, str], household: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ServiceInput the form makes, or what is wrong with it (in the console's words)."""
    labels = Labels()
    problems = []
    program = values.get("program", "").strip()
    if not program:
        problems.append(_say(labels["delivery_need_program"]))
    served = _date(values.get("service_date", ""))
    if served is None:
        problems.append(_say(labels["delivery_bad_date"]))
    amount: float | None = None
    text = values.get("amount", "").strip().replace(".", "").replace(",", "")
    if text:
        if not text.isdigit() or int(text) > MAX_AMOUNT:
            problems.append(_say(labels["delivery_bad_amount"]))
        else:
            amount = float(text)
    members = {m["id"] for m in household.get("members", [])}
    person = values.get("person", "").strip() or None
    if person is not None and person not in members:
        problems.append(_say(labels["delivery_bad_person"]))
    return {
        "householdId": household["id"],
        "personId": person,
        "program": program,
        "serviceDate": served.isoformat() if served else None,
        "amount": amount,
    }, problems


__all__ = ["Deliveries", "delivery_input"]
