"""The front desk's two public pages, for residents, without sign-in:

- `/cek-status`: a request's number and the last four digits of the
  applicant's NIK give its status and next step, and nothing else. An unknown
  number and a known number with the wrong digits get the same page, so the
  page cannot tell whether a NIK or a number exists.
- `/permohonan-baru`: a resident registers a request themselves (channel
  WEB_FORM). It waits PENDING_VERIFICATION until the front desk checks who
  they are, so its receipt reads the same whatever NIK was typed. The POST
  redirects (303) to `/permohonan-baru/tanda-terima`, which shows the number
  kept in a short-lived cookie of that browser only: a refresh registers
  nothing again.

Both are rate-limited per client address, GET and POST (`PublicDoor.limit`,
the hub's own rate limiter; a spent budget anywhere is a 429 page with
Retry-After, never an error), and protected by a double-submit CSRF cookie (there is no
session to hold the token). The status comes from the check function the hub
hands over (which audits each check); the request is registered through the
console's runner as the web form's own service identity, never with a key the
browser sees.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from console.app import MAX_FORM_BYTES, Console, Refused, office_day_text
from console.i18n import LANGUAGES, Labels
from console.runner import Outcome
from console.service_desk import request_input
from domain.service_desk import (
    NIK_SUFFIX_DIGITS,
    PENDING_VERIFICATION,
    normalise_number,
    status_sentence,
)

#: the double-submit cookie of the public forms, and the shape of its token
FORM_COOKIE: Final = "satupintu_form"
TOKEN_BYTES: Final = 24
TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{32}")
#: the receipt of the request this browser just sent (its number and day), for
#: the page the form's POST redirects to
RECEIPT_COOKIE: Final = "satupintu_receipt"
RECEIPT: Final = re.compile(r"(SP-[0-9A-Z]{1,12})\.(\d{4}-\d{2}-\d{2})")
RECEIPT_PATH: Final = "/permohonan-baru/tanda-terima"
#: seconds the public form keeps the needs catalogue before asking the API again
CATALOGUE_SECONDS: Final = 3600.0

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
        self._catalogue: tuple[float, list[Any]] | None = None

    # -- helpers -------------------------------------------------------------

    def _client(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def _page(
        self, request: Request, template: str, lang: str, status: int = 200, **values: Any
    ) -> Response:
        kept = request.cookies.get(FORM_COOKIE, "")
        token = kept if TOKEN.fullmatch(kept) else secrets.token_urlsafe(TOKEN_BYTES)
        response = self.core.render(
            request,
            template,
            status,
            None,
            lang,
            csrf_token=token,
            nik_digits=NIK_SUFFIX_DIGITS,
            **{"errors": [], **values},
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
            if self._limited(request):
                return await self._too_many(request, lang)
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
        # redirect after POST: a refresh shows the receipt again, and registers nothing
        day = office_day_text(
            registered.get("receivedAt") or registered.get("registeredAt"),
            self.core.settings.office_day,
        )
        response = RedirectResponse(f"{RECEIPT_PATH}?lang={labels.lang}", status_code=303)
        response.set_cookie(
            RECEIPT_COOKIE,
            f"{registered['number']}.{day}",
            max_age=3600,
            path=RECEIPT_PATH,
            httponly=True,
            samesite="strict",
            secure=self.door.secure,
        )
        return response

    async def receipt(self, request: Request) -> Response:
        """The receipt of the request this browser sent: from its cookie alone (no
        look-up), so the page tells nothing to a browser that did not send it."""
        lang = self.core.labels(request).lang
        kept = RECEIPT.fullmatch(request.cookies.get(RECEIPT_COOKIE, ""))
        if kept is None:
            return RedirectResponse("/permohonan-baru", status_code=303)
        made = {
            "number": kept.group(1),
            "registeredAt": None,
            "receivedAt": kept.group(2),
            "status": PENDING_VERIFICATION,
            "statusText": status_sentence(PENDING_VERIFICATION),
        }
        return self._page(request, "receipt.html", lang, made=made)

    async def _too_many(self, request: Request, lang: str, retry_after: float = 60) -> Response:
        labels = Labels(lang)
        response = self.core.render(
            request,
            "message.html",
            429,
            None,
            lang,
            title=labels["too_many"],
            text=labels["too_many"],
        )
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        return response

    async def _needs_catalogue(self) -> tuple[list[Any], list[dict[str, Any]]]:
        """The PPKS catalogue, asked of the API once an hour, not on every page."""
        now = time.monotonic()
        if self._catalogue is not None and now - self._catalogue[0] < CATALOGUE_SECONDS:
            return self._catalogue[1], []
        out = await self.door.run("PpksCategories", {})
        found = list((out.data or {}).get("ppksCategories") or [])
        if out.ok and found:
            self._catalogue = (now, found)
        return found, out.errors

    async def _request_form(
        self,
        request: Request,
        lang: str,
        values: dict[str, str],
        needs: list[str],
        errors: list[dict[str, Any]],
        status: int = 200,
    ) -> Response:
        catalogue, refused = await self._needs_catalogue()
        return self._page(
            request,
            "public_request.html",
            lang,
            status,
            values=values,
            needs=needs,
            catalogue=catalogue,
            errors=errors + refused,
        )

    def routes(self) -> list[BaseRoute]:
        def guarded(
            handler: Callable[[Request], Awaitable[Response]],
        ) -> Callable[[Request], Awaitable[Response]]:
            async def endpoint(request: Request) -> Response:
                try:
                    return await handler(request)
                except self.core.settings.refusals as exc:
                    # a spent budget (the web form's own, say) is a 429 page, not a 500
                    wait = float(getattr(exc, "retry_after", 60) or 60)
                    return await self._too_many(request, self.core.labels(request).lang, wait)
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
            Route(RECEIPT_PATH, guarded(self.receipt), methods=["GET"]),
        ]


__all__ = ["FORM_COOKIE", "PublicDoor", "PublicPages"]
