"""The front desk's two public pages, for residents, without sign-in:

- `/cek-status`: a request's number and the last four digits of the
  applicant's NIK give its status and next step, and nothing else. An unknown
  number and a known number with the wrong digits get the same page, so the
  page cannot tell whether a NIK or a number exists.
- `/permohonan-baru`: a resident registers a request themselves (channel
  WEB_FORM); the front desk checks it like any other.

Both are rate-limited per client address (`PublicDoor.limit`, the hub's own
rate limiter) and protected by a double-submit CSRF cookie (there is no
session to hold the token). The status comes from the check function the hub
hands over (which audits each check); the request is registered through the
console's runner as the web form's own service identity, never with a key the
browser sees.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from console.app import MAX_FORM_BYTES, Console, Refused
from console.i18n import LANGUAGES, Labels
from console.runner import Outcome
from console.service_desk import request_input
from domain.service_desk import NIK_SUFFIX_DIGITS, normalise_number

#: the double-submit cookie of the public forms, and the shape of its token
FORM_COOKIE: Final = "satupintu_form"
TOKEN_BYTES: Final = 24
TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{32}")

StatusCheck = Callable[[str, str], Awaitable[Any]]
"""(number, NIK suffix) -> the public status, or None for an unknown number and a
wrong suffix alike; audits the check (hub.status_check)."""


@dataclass(frozen=True)
class PublicDoor:
    check: StatusCheck
    limit: Callable[[str], None]
    """Takes one from a key's budget (a page and a client address); raises one of
    the console's refusals when it is spent."""
    run: Callable[[str, dict[str, Any]], Awaitable[Outcome]]
    """Runs a console operation as the web form's own service identity (the
    narrowest that may register a request)."""
    secure: bool = False
    """Whether the form cookie is HTTPS-only (production)."""


class PublicPages:
    def __init__(self, core: Console, door: PublicDoor) -> None:
        self.core = core
        self.door = door

    # -- helpers -------------------------------------------------------------

    def _client(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def _page(
        self, request: Request, template: str, lang: str, status: int = 200, **values: Any
    ) -> Response:
        kept = request.cookies.get(FORM_COOKIE, "")
        token = kept if TOKEN.fullmatch(kept) else secrets.token_urlsafe(TOKEN_BYTES)
        response = self.core.render(
            request, template, status, None, lang, csrf_token=token, **{"errors": [], **values}
        )
        response.set_cookie(
            FORM_COOKIE,
            token,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=self.door.secure,
        )
        return response

    async def _form(self, request: Request) -> tuple[dict[str, list[str]], Labels]:
        """The POSTed form and its language; Refused(403) unless its token is the cookie's."""
        body = (await request.body())[:MAX_FORM_BYTES].decode("utf-8", "replace")
        form = parse_qs(body)
        labels = Labels(next(iter(form.get("lang") or []), LANGUAGES[0]))
        sent = next(iter(form.get("csrf") or []), "")
        cookie = request.cookies.get(FORM_COOKIE, "")
        if not (sent and cookie and hmac.compare_digest(sent.encode(), cookie.encode())):
            raise Refused(403, labels["csrf"])
        return form, labels

    def _limited(self, request: Request, *more: str) -> bool:
        """Whether the client address (and each of `more`, e.g. the number tried)
        has spent its budget for this page."""
        try:
            for key in (self._client(request), *more):
                self.door.limit(f"public:{request.url.path}:{key}")
        except self.core.settings.refusals:
            return True
        return False

    # -- Cek status ----------------------------------------------------------

    async def status(self, request: Request) -> Response:
        lang = self.core.labels(request).lang
        if request.method == "GET":
            return self._page(request, "public_status.html", lang, values={}, result=None)
        form, labels = await self._form(request)
        values = {k: v[0].strip()[:40] for k, v in form.items() if k in ("nomor", "nik4")}
        number = values.get("nomor", "")
        suffix = values.get("nik4", "")
        # per client, and per number: one number cannot be tried with every suffix
        if self._limited(request, "number:" + normalise_number(number)):
            return self._page(
                request,
                "public_status.html",
                labels.lang,
                429,
                values=values,
                result=None,
                errors=[{"message": labels["too_many"], "code": None}],
            )
        if not (number and suffix.isdigit() and len(suffix) == NIK_SUFFIX_DIGITS):
            return self._page(
                request,
                "public_status.html",
                labels.lang,
                400,
                values=values,
                result=None,
                errors=[{"message": labels["cek_bad_input"], "code": None}],
            )
        found = await self.door.check(number, suffix)
        return self._page(
            request,
            "public_status.html",
            labels.lang,
            # nothing typed is echoed: a wrong suffix and an unknown number read the same
            values={},
            number=number if found is not None else None,
            result=found if found is not None else False,
        )

    # -- Permohonan baru -----------------------------------------------------

    async def new_request(self, request: Request) -> Response:
        lang = self.core.labels(request).lang
        if request.method == "GET":
            return await self._request_form(request, lang, {}, [], [])
        form, labels = await self._form(request)
        values = {k: v[0].strip()[:400] for k, v in form.items() if k != "needs"}
        needs = [n for n in form.get("needs", []) if n.strip()][:10]
        if self._limited(request):
            errors = [{"message": labels["too_many"], "code": None}]
            return await self._request_form(request, labels.lang, values, needs, errors, 429)
        problems, made = request_input(
            {k: v for k, v in values.items() if k != "household"}, needs, "WEB_FORM", labels
        )
        if problems:
            return await self._request_form(request, labels.lang, values, needs, problems, 400)
        out = await self.door.run("RegisterServiceRequest", {"request": made})
        registered = (out.data or {}).get("registerServiceRequest") if out.ok else None
        if not registered:
            intro = labels["api_refused"]
            errors = [{"message": f"{intro} {e['message']}", "code": None} for e in out.errors]
            return await self._request_form(request, labels.lang, values, needs, errors, 400)
        return self._page(request, "receipt.html", labels.lang, made=registered)

    async def _request_form(
        self,
        request: Request,
        lang: str,
        values: dict[str, str],
        needs: list[str],
        errors: list[dict[str, Any]],
        status: int = 200,
    ) -> Response:
        catalogue = await self.door.run("PpksCategories", {})
        return self._page(
            request,
            "public_request.html",
            lang,
            status,
            values=values,
            needs=needs,
            catalogue=list((catalogue.data or {}).get("ppksCategories") or []),
            errors=errors + catalogue.errors,
        )

    def routes(self) -> list[BaseRoute]:
        def guarded(
            handler: Callable[[Request], Awaitable[Response]],
        ) -> Callable[[Request], Awaitable[Response]]:
            async def endpoint(request: Request) -> Response:
                try:
                    return await handler(request)
                except Refused as exc:
                    labels = self.core.labels(request)
                    return self.core.render(
                        request,
                        "message.html",
                        exc.status,
                        None,
                        labels.lang,
                        title=labels["forbidden"],
                        text=str(exc),
                    )

            return endpoint

        return [
            Route("/cek-status", guarded(self.status), methods=["GET", "POST"]),
            Route("/permohonan-baru", guarded(self.new_request), methods=["GET", "POST"]),
        ]


__all__ = ["FORM_COOKIE", "PublicDoor", "PublicPages"]
