"""The console's upload pages: `/unggah` (choose a file; POST: the proposed mapping)
and `/unggah/kolom` (POST the confirmed mapping: staged, quarantined, matched). The
logic is connectors.upload, handed in by the hub as an `Uploads` (the console imports
nothing of ours but itself); the matching is the API's `submitRecord`, run as the
signed-in organization.

The lead wires `routes(console, UploadStore(IntakeStore.config_dir_of(settings.home)))`
(connectors.upload.UploadStore, hub.intake.IntakeStore). Templates get the core's
`labels`, `session` and `prefix`; every POST form carries the session's CSRF token as
`csrf`, checked here with `console.csrf_ok` (the upload is multipart, which the core's
own form reader does not parse); a missing or wrong one is 403.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

#: The operation (console/operations/UploadSubmitRecord.graphql) each staged row is sent with.
SUBMIT_OPERATION = "UploadSubmitRecord"
#: The form field of each column's choice: `col-<index>`, its header in `head-<index>`.
_COLUMN, _HEADER = "col-", "head-"


class Submission(Protocol):
    """connectors.upload.Submission: a staged row as RecordInput, and its digest."""

    @property
    def row_number(self) -> int: ...

    @property
    def record(self) -> Mapping[str, Any]: ...

    @property
    def digest(self) -> str: ...


class Checked(Protocol):
    """connectors.upload.Validation, as the pages use it."""

    @property
    def source(self) -> str: ...

    def submissions(self) -> Sequence[Submission]: ...


class Uploads(Protocol):
    """connectors.upload.UploadStore, as the pages use it; its methods raise
    ValueError (UploadRejected) with a message for the person uploading."""

    @property
    def max_bytes(self) -> int: ...

    @property
    def fields(self) -> Sequence[str]: ...

    def accept(self, organization: str, filename: str, data: bytes) -> str: ...

    def preview(self, organization: str, filename: str) -> Any: ...

    def check(self, organization: str, mapping: Mapping[str, str]) -> Checked: ...

    def submitted(self, organization: str) -> Mapping[str, str]: ...

    def remember_submitted(self, organization: str, taken: Mapping[str, str]) -> None: ...


class Principal(Protocol):
    @property
    def organization(self) -> str | None: ...


class Console(Protocol):
    """What the upload pages use of the console core."""

    def render(self, request: Request, template: str, context: Mapping[str, Any]) -> Response: ...

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


@dataclass(frozen=True)
class Refusal:
    """A staged row submitRecord refused: the API's error `code` (e.g. BAD_USER_INPUT)
    and `field` (e.g. record.fullName), worded by the catalogue (`refused_<code>`, or
    `refused_other` for an error without a code, such as a required field missing from
    the variables, quoting the API's English `message`)."""

    row_number: int
    message: str
    code: str = ""
    field: str = ""

    @property
    def key(self) -> str:
        return f"refused_{self.code.lower() or 'other'}"


@dataclass
class Matched:
    """What submitRecord answered for the staged rows."""

    known: int = 0
    new: int = 0
    #: rows sent before with the same values: not sent again
    unchanged: int = 0
    #: rows not sent because the submission budget was spent, and when to try again
    waiting: int = 0
    retry_after: int | None = None
    refused: list[Refusal] = field(default_factory=list)
    record_keys: list[str] = field(default_factory=list)
    person_ids: list[str] = field(default_factory=list)
    #: sourceRecordId -> digest of the rows the API took
    taken: dict[str, str] = field(default_factory=dict)


async def submit_rows(
    console: Console,
    request: Request,
    rows: Sequence[Submission],
    already: Mapping[str, str] | None = None,
) -> Matched:
    """Each staged row through submitRecord, one at a time (the API links in real time
    one at a time anyway), except those `already` submitted with the same values: how
    many matched known people, how many are new, which the API refused and why. Once
    the submission budget is spent the rest wait (re-uploading the file later sends
    only them)."""
    matched = Matched()
    for row in rows:
        sid = str(row.record.get("sourceRecordId"))
        if (already or {}).get(sid) == row.digest:
            matched.unchanged += 1
            continue
        if matched.retry_after is not None:
            matched.waiting += 1
            continue
        answer = await console.run(request, SUBMIT_OPERATION, {"record": dict(row.record)})
        result = (answer.get("data") or {}).get("submitRecord")
        if not result:
            error = (answer.get("errors") or [{"message": "no answer"}])[0]
            extensions = error.get("extensions") or {}
            if (error.get("code") or extensions.get("code")) == "RATE_LIMITED":
                matched.retry_after = int(
                    error.get("retryAfter") or extensions.get("retryAfter") or 60
                )
                matched.waiting += 1
                continue
            matched.refused.append(
                Refusal(
                    row.row_number,
                    str(error.get("message")),
                    str(error.get("code") or extensions.get("code") or ""),
                    str(error.get("field") or extensions.get("field") or "").removeprefix(
                        "record."
                    ),
                )
            )
            continue
        matched.taken[sid] = row.digest
        matched.record_keys.append(str(result["recordKey"]))
        matched.person_ids.append(str(result["personId"]))
        if result["newPerson"]:
            matched.new += 1
        else:
            matched.known += 1
    return matched


def routes(console: Console, store: Uploads) -> list[BaseRoute]:
    def organization(request: Request) -> str | None:
        principal = console.principal(request)
        return principal.organization if principal is not None else None

    def forbidden(request: Request) -> Response:
        return _page(console, store, request, 403, no_organization=True)

    async def start(request: Request) -> Response:
        if organization(request) is None:
            return forbidden(request)
        return _page(console, store, request, 200)

    async def receive(request: Request) -> Response:
        org = organization(request)
        if org is None:
            return forbidden(request)
        async with request.form(max_files=1, max_fields=10) as form:
            if not console.csrf_ok(request, _text(form.get("csrf"))):
                return _refused_csrf(console, store, request)
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                return _again(
                    console, store, request, Problem("choose a file to upload.", "no_file")
                )
            data = await upload.read(store.max_bytes + 1)
            name = upload.filename or ""
        try:
            await asyncio.to_thread(store.accept, org, name, data)
            preview = await asyncio.to_thread(store.preview, org, name)
        except ValueError as exc:  # UploadRejected
            return _again(console, store, request, Problem.of(exc))
        return console.render(
            request, "upload_map.html", {"preview": preview, "fields": list(store.fields)}
        )

    async def confirm(request: Request) -> Response:
        org = organization(request)
        if org is None:
            return forbidden(request)
        async with request.form(max_files=0, max_fields=2 * 200 + 10) as form:
            if not console.csrf_ok(request, _text(form.get("csrf"))):
                return _refused_csrf(console, store, request)
            mapping = {
                str(form[_HEADER + key[len(_COLUMN) :]]): str(value)
                for key, value in form.multi_items()
                if key.startswith(_COLUMN) and _HEADER + key[len(_COLUMN) :] in form
            }
        try:
            checked = await asyncio.to_thread(store.check, org, mapping)
        except ValueError as exc:  # UploadRejected
            return _again(console, store, request, Problem.of(exc))
        already = await asyncio.to_thread(store.submitted, org)
        matched = await submit_rows(console, request, checked.submissions(), already)
        await asyncio.to_thread(store.remember_submitted, org, matched.taken)
        return console.render(
            request,
            "upload_result.html",
            {"validation": checked, "matched": matched, "source": checked.source},
        )

    async def back(request: Request) -> Response:
        return RedirectResponse(request.url_for("upload"), status_code=303)

    return [
        Route("/unggah", start, methods=["GET"], name="upload"),
        Route("/unggah", receive, methods=["POST"], name="upload_receive"),
        Route("/unggah/kolom", back, methods=["GET"]),
        Route("/unggah/kolom", confirm, methods=["POST"], name="upload_confirm"),
    ]


@dataclass(frozen=True)
class Problem:
    """Why the file was not taken, for the page to word in its language: the label
    `key` (`upload_error_<code>` of console/upload_labels.py) filled with `params`;
    `text` (the English message the CLI and logs use) when the catalogue has none."""

    text: str
    code: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return "csrf" if self.code == "csrf" else f"upload_error_{self.code}"

    @classmethod
    def of(cls, exc: ValueError) -> Problem:
        """An UploadRejected's code and params (connectors.upload.REJECTIONS)."""
        return cls(str(exc), str(getattr(exc, "code", "")), dict(getattr(exc, "params", {})))


def _page(
    console: Console,
    store: Uploads,
    request: Request,
    status: int,
    problem: Problem | None = None,
    no_organization: bool = False,
) -> Response:
    response = console.render(
        request,
        "upload.html",
        {
            "problem": problem,
            "no_organization": no_organization,
            "max_mb": store.max_bytes // 1_000_000,
        },
    )
    response.status_code = status
    return response


def _again(console: Console, store: Uploads, request: Request, problem: Problem) -> Response:
    return _page(console, store, request, 400, problem)


def _refused_csrf(console: Console, store: Uploads, request: Request) -> Response:
    """A form without the session's CSRF token: 403, and the form again."""
    return _page(console, store, request, 403, Problem("CSRF token missing or wrong", "csrf"))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


__all__ = [
    "SUBMIT_OPERATION",
    "Checked",
    "Console",
    "Matched",
    "Principal",
    "Problem",
    "Refusal",
    "Submission",
    "Uploads",
    "routes",
    "submit_rows",
]
