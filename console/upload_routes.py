"""The console's upload pages: `/unggah` (choose a file; POST: the proposed mapping)
and `/unggah/kolom` (POST the confirmed mapping: staged, quarantined, matched). The
logic is console.upload; the matching is the API's `submitRecord`, run as the
signed-in organization.

The console core offers what `Console` names; the lead wires
`routes(console, UploadStore(IntakeStore.config_dir_of(settings.home)))`. Templates get
the core's `labels`, `session` and `prefix`; every POST form carries the session's
CSRF token as `csrf`, checked here with `console.csrf_ok` (the upload is multipart, which
the core's own form reader does not parse); a missing or wrong one is 403.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.canonical import PERSON_FIELDS
from console.upload import (
    MAX_BYTES,
    StagedRow,
    UploadRejected,
    UploadStore,
    Validation,
    submission_input,
    validate,
)

#: The operation (console/operations/upload_submit.graphql) each staged row is sent with.
SUBMIT_OPERATION = "UploadSubmitRecord"
#: The form field of each column's choice: `col-<index>`, its header in `head-<index>`.
_COLUMN, _HEADER = "col-", "head-"


class Principal(Protocol):
    @property
    def organization(self) -> str | None: ...


class Console(Protocol):
    """What the upload pages use of the console core."""

    def render(
        self, request: Request, template: str, context: Mapping[str, Any]
    ) -> Response: ...

    def run(
        self, request: Request, operation_name: str, variables: Mapping[str, Any]
    ) -> Awaitable[Mapping[str, Any]]:
        """The GraphQL response (`data`, `errors`) of a console operation, run as the
        signed-in person."""
        ...

    def principal(self, request: Request) -> Principal | None: ...

    def csrf_ok(self, request: Request, token: str | None) -> bool:
        """Whether `token` is the signed-in session's CSRF token."""
        ...


@dataclass
class Matched:
    """What submitRecord answered for the staged rows."""

    known: int = 0
    new: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # row number, why
    record_keys: list[str] = field(default_factory=list)
    person_ids: list[str] = field(default_factory=list)


async def submit_rows(console: Console, request: Request, rows: list[StagedRow]) -> Matched:
    """Each staged row through submitRecord, one at a time (the API links in real time
    one at a time anyway): how many matched known people, how many are new."""
    matched = Matched()
    for row in rows:
        answer = await console.run(request, SUBMIT_OPERATION, {"record": submission_input(row)})
        result = (answer.get("data") or {}).get("submitRecord")
        if not result:
            errors = answer.get("errors") or [{"message": "no answer"}]
            matched.refused.append((row.row_number, str(errors[0].get("message"))))
            continue
        matched.record_keys.append(str(result["recordKey"]))
        matched.person_ids.append(str(result["personId"]))
        if result["newPerson"]:
            matched.new += 1
        else:
            matched.known += 1
    return matched


def routes(console: Console, store: UploadStore) -> list[BaseRoute]:
    def organization(request: Request) -> str | None:
        principal = console.principal(request)
        return principal.organization if principal is not None else None

    def forbidden(request: Request) -> Response:
        return _page(console, request, 403, no_organization=True)

    async def start(request: Request) -> Response:
        if organization(request) is None:
            return forbidden(request)
        return _page(console, request, 200)

    async def receive(request: Request) -> Response:
        org = organization(request)
        if org is None:
            return forbidden(request)
        async with request.form(max_files=1, max_fields=10) as form:
            if not console.csrf_ok(request, _text(form.get("csrf"))):
                return Response("CSRF token missing or wrong", status_code=403)
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                return _again(console, request, "choose a file to upload.")
            data = await upload.read(MAX_BYTES + 1)
            name = upload.filename or ""
        try:
            await asyncio.to_thread(store.accept, org, name, data)
            preview = await asyncio.to_thread(store.preview, org, name)
        except UploadRejected as exc:
            return _again(console, request, str(exc))
        return console.render(
            request, "upload_map.html", {"preview": preview, "fields": list(PERSON_FIELDS)}
        )

    async def confirm(request: Request) -> Response:
        org = organization(request)
        if org is None:
            return forbidden(request)
        async with request.form(max_files=0, max_fields=2 * 200 + 10) as form:
            if not console.csrf_ok(request, _text(form.get("csrf"))):
                return Response("CSRF token missing or wrong", status_code=403)
            mapping = {
                str(form[_HEADER + key[len(_COLUMN) :]]): str(value)
                for key, value in form.multi_items()
                if key.startswith(_COLUMN) and _HEADER + key[len(_COLUMN) :] in form
            }
        try:
            config = await asyncio.to_thread(store.confirm, org, mapping)
            checked: Validation = await asyncio.to_thread(validate, config)
        except UploadRejected as exc:
            return _again(console, request, str(exc))
        matched = await submit_rows(console, request, checked.staged)
        return console.render(
            request,
            "upload_result.html",
            {"validation": checked, "matched": matched, "source": config.id},
        )

    async def back(request: Request) -> Response:
        return RedirectResponse(request.url_for("upload"), status_code=303)

    return [
        Route("/unggah", start, methods=["GET"], name="upload"),
        Route("/unggah", receive, methods=["POST"], name="upload_receive"),
        Route("/unggah/kolom", back, methods=["GET"]),
        Route("/unggah/kolom", confirm, methods=["POST"], name="upload_confirm"),
    ]


def _page(
    console: Console,
    request: Request,
    status: int,
    problem: str | None = None,
    no_organization: bool = False,
) -> Response:
    response = console.render(
        request,
        "upload.html",
        {"problem": problem, "no_organization": no_organization, "max_mb": MAX_BYTES // 1_000_000},
    )
    response.status_code = status
    return response


def _again(console: Console, request: Request, problem: str) -> Response:
    return _page(console, request, 400, problem)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


__all__ = ["SUBMIT_OPERATION", "Console", "Matched", "Principal", "routes", "submit_rows"]
