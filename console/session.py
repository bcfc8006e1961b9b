"""The console's view of the signed session cookie it shares with /dashboard.

The hub keeps the cookie (hub.dashboard.Sessions: HMAC-signed, HttpOnly,
SameSite=Strict) and hands the console a `SessionStore`. The console adds two
things to the payload, both signed with it:

- `csrf`: a random token made at sign-in; every POST form carries it back in
  the `csrf` field and a missing or wrong one is refused (403);
- `purposes`: the purpose stated for each task (e.g. `cari` for searching and
  reading households), asked once per task and sent with each operation;
- `lang`: the language the pages are shown in (console.i18n.LANGUAGES), switched by
  the header's language control.

Before there is a session, a sign-in POST from another site's page is refused
(`from_another_site`), by the console's sign-in and the dashboard's alike.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response


class SessionStore(Protocol):
    def current(self, request: Request) -> dict[str, Any] | None: ...

    def redeem_link(self, token: str) -> dict[str, Any] | None: ...

    def with_credential(self, credential: str) -> dict[str, Any]:
        """An API key's or a staff JWT's session payload; raises (with a `code`) if refused."""
        ...

    def store(self, response: Response, payload: dict[str, Any]) -> None: ...

    def clear(self, response: Response) -> None: ...


@dataclass(frozen=True)
class Session:
    """Who is signed in, as the cookie's payload says."""

    payload: Mapping[str, Any]

    @property
    def organization(self) -> str:
        return str(self.payload.get("org", ""))

    @property
    def role(self) -> str:
        return str(self.payload.get("role", ""))

    @property
    def csrf(self) -> str:
        return str(self.payload.get("csrf", ""))

    @property
    def lang(self) -> str | None:
        value = self.payload.get("lang")
        return value if isinstance(value, str) else None

    def with_lang(self, lang: str) -> dict[str, Any]:
        """The payload with the pages' language set to `lang`."""
        return {**self.payload, "lang": lang}

    def purpose(self, task: str) -> str | None:
        purposes = self.payload.get("purposes")
        value = purposes.get(task) if isinstance(purposes, Mapping) else None
        return value if isinstance(value, str) and value else None

    def with_purpose(self, task: str, purpose: str) -> dict[str, Any]:
        """The payload with `purpose` kept for `task`."""
        purposes = dict(self.payload.get("purposes") or {})
        purposes[task] = purpose
        return {**self.payload, "purposes": purposes}

    def csrf_ok(self, sent: str | None) -> bool:
        """Whether a form's token is this session's (constant-time)."""
        return bool(self.csrf) and bool(sent) and hmac.compare_digest(self.csrf, str(sent))


#: what `Sec-Fetch-Site` says of a request from one of our own pages, or typed in
_OWN_SITE: Final = ("same-origin", "none")


def from_another_site(request: Request) -> bool:
    """Whether the browser says this request comes from a page of another site:
    `Sec-Fetch-Site` (every current browser sends it; `same-site` is a sibling
    host, not ours either), else an `Origin` other than this host (`null`: a
    sandboxed frame or a data: page). The sign-in forms, which no session's CSRF
    token can guard yet, refuse such a POST: a page elsewhere that submits the
    attacker's own key would sign a social worker's browser in as the attacker
    (login CSRF). A request with neither header is not a browser's form."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in _OWN_SITE
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return urlsplit(origin.strip()).netloc.lower() != request.headers.get("host", "").lower()


__all__ = ["Session", "SessionStore", "from_another_site"]
