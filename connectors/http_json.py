"""Partner REST APIs returning JSON pages, with a bearer token from the environment.

Paging is either a link in each body (`http.next_path`, a URL or a path) or
page/limit query parameters (`http.page_param`, `http.limit_param`), stopping
at the first short or empty page.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx
import pyarrow as pa

from connectors.base import Reader
from connectors.config import HttpOptions, SourceConfig
from connectors.errors import SourceConfigError, SourceHTTPError
from connectors.json_file import find_records, records_to_arrow


class HttpJsonReader(Reader):
    kind = "http-json"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def read(self, config: SourceConfig) -> pa.Table:
        opts = config.http or HttpOptions()
        headers = {"Accept": "application/json"}
        if opts.token_env:
            env = os.environ if self._environ is None else self._environ
            token = env.get(opts.token_env)
            if not token:
                raise SourceConfigError(
                    str(config.config_file), "http.token_env",
                    f"environment variable {opts.token_env} is not set; export the token.",
                )  # fmt: skip
            headers["Authorization"] = f"Bearer {token}"
        records: list[dict[str, Any]] = []
        with httpx.Client(headers=headers, timeout=opts.timeout, follow_redirects=True) as client:
            url: str | None = config.location
            seen: set[str] = set()
            page = opts.first_page
            for page_no in range(1, opts.max_pages + 1):
                if url is None:
                    break
                params = dict(opts.params) if page_no == 1 or not opts.next_path else {}
                if opts.page_param:
                    params[opts.page_param] = str(page)
                if opts.limit_param:
                    params[opts.limit_param] = str(opts.page_size)
                key = str(httpx.URL(url).copy_merge_params(params))
                if key in seen:
                    raise SourceHTTPError(
                        key, "the API sent the same page twice; check http.next_path or paging.",
                        source=config.id,
                    )  # fmt: skip
                seen.add(key)
                body = _get_json(client, url, params, page_no, config)
                batch = find_records(body, f"{url} (page {page_no})", config, opts.records_path)
                records.extend(batch)
                url = _next_url(body, url, opts, len(batch))
                page += 1
        return records_to_arrow(records, first_row=1)


def _get_json(
    client: httpx.Client, url: str, params: dict[str, str], page_no: int, config: SourceConfig
) -> Any:
    where = f"{url} (page {page_no})"
    try:
        response = client.get(url, params=params or None)
    except httpx.HTTPError as exc:
        raise SourceHTTPError(
            where, f"request failed ({exc}); is the partner's API reachable?", source=config.id
        ) from exc
    if response.status_code != 200:
        snippet = response.text[:200].replace("\n", " ")
        raise SourceHTTPError(
            where,
            f"HTTP {response.status_code} {response.reason_phrase}: {snippet!r}. "
            "Try again later or ask the partner; earlier data is kept.",
            source=config.id,
        )
    try:
        return response.json()
    except ValueError as exc:
        lineno = getattr(exc, "lineno", None)
        colno = getattr(exc, "colno", None)
        at = f" at line {lineno}, column {colno}" if lineno else ""
        raise SourceHTTPError(
            where,
            f"the response is not valid JSON{at} (starts {response.text[:80]!r}).",
            row=lineno,
            source=config.id,
        ) from exc


def _next_url(body: Any, url: str, opts: HttpOptions, count: int) -> str | None:
    if opts.next_path:
        link: Any = body
        for part in opts.next_path.split("."):
            link = link.get(part) if isinstance(link, dict) else None
        if not link or not count:
            return None
        return str(httpx.URL(url).join(str(link)))
    if opts.page_param and count >= max(opts.page_size, 1) and count:
        return url
    return None


__all__ = ["HttpJsonReader"]
