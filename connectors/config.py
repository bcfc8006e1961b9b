"""Reading and writing source configurations: one TOML per source, or `[[source]]` lists.

Adding the 301st foundation is writing one small file like this::

    id = "yayasan-001"
    kind = "csv"                      # csv | xlsx | json | http-json | sql
    content = "persons"               # persons (the default) | deciles (a DTSEN decile file)
    location = "../sources/yayasan-001.csv"   # relative to this file
    organization = "ORG-YAYASAN-001"
    organization_type = "foundation"  # agency | foundation | dinsos
    [columns]                         # source column -> canonical field
    "Nama Lengkap" = "full_name"
    [values.sex]                      # value maps per canonical field
    "Laki-laki" = "L"
    [services]                        # service field -> source column
    program = "Jenis Bantuan"

UU PDP: `legal_basis` (one of connectors.legal.LEGAL_BASES) and `purposes`
(codes of the purpose registry, reference/purposes.csv) say why the hub may
hold the source's personal data; `retention` says how long: "24 months" (after
the source last delivered a record) or "until withdrawn" (erased once the
source withdraws it). Without `retention` records are kept.

Programs that write configurations (the simulator, the API intake) write them with
`write_config`, which checks them as `parse_config` will before the file exists.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import tomli_w

from connectors.canonical import DECILE_FIELDS, PERSON_FIELDS, SERVICE_FIELDS
from connectors.errors import SourceConfigError
from connectors.legal import LEGAL_BASES, purposes

#: "intake" is the hub's API submissions, read from its store (`hub.intake.IntakeReader`)
KINDS: Final[tuple[str, ...]] = ("csv", "xlsx", "json", "http-json", "sql", "intake")
#: what a source's rows are: person records (with services), or a DTSEN decile file
CONTENTS: Final[tuple[str, ...]] = ("persons", "deciles")
ORGANIZATION_TYPES: Final[tuple[str, ...]] = ("agency", "foundation", "dinsos")
SERVICE_COLUMNS: Final[tuple[str, ...]] = tuple(
    f for f in SERVICE_FIELDS if f != "source_record_id"
)

_KNOWN_KEYS: Final[frozenset[str]] = frozenset(
    {
        "id", "kind", "location", "organization", "organization_name", "organization_type",
        "encoding", "delimiter", "header_row", "sheet", "date_formats", "personal",
        "special_category", "columns", "values", "services", "http", "sql", "query", "table",
        "allow_empty", "description", "legal_basis", "purposes", "retention", "content",
    }
)  # fmt: skip
_HTTP_KEYS: Final[frozenset[str]] = frozenset(
    {
        "token_env", "records_path", "next_path", "page_param", "limit_param", "page_size",
        "first_page", "params", "timeout", "max_pages",
    }
)  # fmt: skip


@dataclass(frozen=True)
class HttpOptions:
    """How to page through a partner's REST API (kind = "http-json")."""

    token_env: str | None = None
    records_path: str | None = None
    next_path: str | None = None
    page_param: str | None = None
    limit_param: str | None = None
    page_size: int = 100
    first_page: int = 1
    params: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    max_pages: int = 100_000


@dataclass(frozen=True)
class SourceConfig:
    id: str
    kind: str
    location: str
    organization: str
    config_file: Path
    organization_name: str | None = None
    organization_type: str = "foundation"
    encoding: str = "utf-8"
    delimiter: str | None = None
    header_row: int = 1
    sheet: str | None = None
    date_formats: tuple[str, ...] = ()
    personal: tuple[str, ...] = ()
    special_category: tuple[str, ...] = ()
    #: source column -> canonical person field
    columns: Mapping[str, str] = field(default_factory=dict)
    #: canonical field -> {source value -> canonical value}
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: service field (program, service_date, amount, funder) -> source column
    services: Mapping[str, str] = field(default_factory=dict)
    http: HttpOptions | None = None
    query: str | None = None
    table: str | None = None
    allow_empty: bool = False
    #: UU PDP Art. 20 basis for holding this source's personal data (None: undeclared)
    legal_basis: str | None = None
    #: purpose registry codes the data is held for
    purposes: tuple[str, ...] = ()
    #: "N months" after last delivered, "until withdrawn", or None (kept)
    retention: str | None = None
    #: "persons" (records of people, with services) or "deciles" (a DTSEN decile file:
    #: connectors.deciles; its columns map to canonical.DECILE_FIELDS)
    content: str = "persons"

    @property
    def retention_months(self) -> int | None:
        return retention_months(self.retention)

    @property
    def path(self) -> Path:
        """The location as a file path, relative locations resolved against the TOML."""
        loc = self.location.removeprefix("sqlite:///").removeprefix("file://")
        p = Path(loc).expanduser()
        return p if p.is_absolute() else (self.config_file.parent / p).resolve()

    @property
    def mapped_fields(self) -> frozenset[str]:
        return frozenset(self.columns.values())


def load_configs(path: Path) -> list[SourceConfig]:
    """All source configurations in a TOML file, or in every `**/*.toml` under a directory."""
    path = Path(path)
    if not path.exists():
        raise SourceConfigError(str(path), None, "no such file or directory; check --config.")
    files = sorted(path.rglob("*.toml")) if path.is_dir() else [path]
    configs: list[SourceConfig] = []
    seen: dict[str, Path] = {}
    for file in files:
        for cfg in read_config_file(file):
            if cfg.id in seen:
                raise SourceConfigError(
                    str(file), "id", f"source id '{cfg.id}' is already used in {seen[cfg.id]}."
                )
            seen[cfg.id] = file
            configs.append(cfg)
    return configs


def read_config_file(file: Path) -> list[SourceConfig]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceConfigError(str(file), None, f"not valid TOML ({exc}).") from exc
    if "source" in data and isinstance(data["source"], list):
        return [parse_config(item, file, f"source[{i}].") for i, item in enumerate(data["source"])]
    return [parse_config(data, file)]


def render_config(data: Mapping[str, Any], file: Path) -> str:
    """`data` as TOML that `read_config_file` reads back to the same values (any text:
    quotes, backslashes, newlines, control characters, any script). It is parsed and
    checked as the reader will (against `file`, for a relative location) first, so a
    writer cannot leave a configuration that `hub ingest` refuses."""
    try:
        text = tomli_w.dumps(data)
    except TypeError as exc:  # None, or an object TOML has no type for
        raise SourceConfigError(str(file), None, f"cannot be written as TOML ({exc}).") from exc
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SourceConfigError(
            str(file), None, f"a value is not valid Unicode text ({exc})."
        ) from exc
    parse_config(tomllib.loads(text), file)
    return text


def write_config(file: Path, data: Mapping[str, Any]) -> None:
    """Write one source configuration to `file` (see `render_config`). The file is
    replaced at once, so a reader never sees half of it."""
    text = render_config(data, file)
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parse_config(data: Mapping[str, Any], file: Path, prefix: str = "") -> SourceConfig:
    def fail(key: str | None, problem: str) -> SourceConfigError:
        return SourceConfigError(str(file), f"{prefix}{key}" if key else prefix or None, problem)

    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key; known keys are {', '.join(sorted(_KNOWN_KEYS))}.")
    for key in ("id", "kind", "location", "organization"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise fail(
                key, "missing or empty; every source needs id, kind, location, organization."
            )
    kind = data["kind"]
    if kind not in KINDS:
        raise fail("kind", f"unknown kind '{kind}'; use one of {', '.join(KINDS)}.")
    org_type = data.get("organization_type", "foundation")
    if org_type not in ORGANIZATION_TYPES:
        raise fail(
            "organization_type", f"'{org_type}' is not one of {', '.join(ORGANIZATION_TYPES)}."
        )

    content = data.get("content", "persons")
    if content not in CONTENTS:
        raise fail("content", f"'{content}' is not one of {', '.join(CONTENTS)}.")
    fields = DECILE_FIELDS if content == "deciles" else PERSON_FIELDS
    columns = _str_table(data.get("columns", {}), fail, "columns")
    seen_fields: dict[str, str] = {}
    for col, fld in columns.items():
        if fld not in fields:
            raise fail(
                f"columns.{col}",
                f"'{fld}' is not a canonical field; use one of {', '.join(fields)}.",
            )
        if fld in seen_fields:
            raise fail(f"columns.{col}", f"'{fld}' is already mapped from '{seen_fields[fld]}'.")
        seen_fields[fld] = col
    if not columns:
        raise fail("columns", "map at least one source column to a canonical field.")
    if content == "deciles":
        _check_decile_file(data, set(columns.values()), fail)

    values_raw = data.get("values", {})
    if not isinstance(values_raw, dict):
        raise fail("values", 'must be a table of tables: [values.sex] "Laki-laki" = "L".')
    values: dict[str, dict[str, str]] = {}
    for fld, vmap in values_raw.items():
        if fld not in fields and fld not in SERVICE_COLUMNS:
            raise fail(f"values.{fld}", f"'{fld}' is not a canonical field.")
        values[fld] = _str_table(vmap, fail, f"values.{fld}")

    services = _str_table(data.get("services", {}), fail, "services")
    for fld in services:
        if fld not in SERVICE_COLUMNS:
            raise fail(f"services.{fld}", f"use one of {', '.join(SERVICE_COLUMNS)}.")

    header_row = data.get("header_row", 1)
    if not isinstance(header_row, int) or header_row < 1:
        raise fail("header_row", "must be a whole number, 1 for the first row.")
    delimiter = data.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise fail("delimiter", "must be one character, such as ';' or ','.")

    sql = data.get("sql", {})
    if not isinstance(sql, dict):
        raise fail("sql", "must be a table with 'query' or 'table'.")
    query = data.get("query", sql.get("query"))
    table = data.get("table", sql.get("table"))
    if kind == "sql" and not (query or table):
        raise fail("query", "a sql source needs 'query' or 'table'.")

    legal_basis = _opt_str(data, "legal_basis", fail)
    if legal_basis is not None and legal_basis not in LEGAL_BASES:
        raise fail(
            "legal_basis",
            f"'{legal_basis}' is not a UU PDP Art. 20 basis; use one of {', '.join(LEGAL_BASES)}.",
        )
    declared = _str_list(data, "purposes", fail)
    for code in declared:
        if code not in purposes():
            raise fail(
                "purposes",
                f"'{code}' is not in the purpose registry; use one of {', '.join(purposes())}.",
            )
    retention = _retention(_opt_str(data, "retention", fail), fail)

    return SourceConfig(
        id=data["id"].strip(),
        kind=kind,
        location=data["location"],
        organization=data["organization"],
        config_file=file.resolve(),
        organization_name=_opt_str(data, "organization_name", fail),
        organization_type=org_type,
        encoding=_opt_str(data, "encoding", fail) or "utf-8",
        delimiter=delimiter,
        header_row=header_row,
        sheet=_opt_str(data, "sheet", fail),
        date_formats=_str_list(data, "date_formats", fail),
        personal=_str_list(data, "personal", fail),
        special_category=_str_list(data, "special_category", fail),
        columns=columns,
        values=values,
        services=services,
        http=_http_options(data.get("http"), fail) if kind == "http-json" else None,
        query=query,
        table=table,
        allow_empty=bool(data.get("allow_empty", False)),
        legal_basis=legal_basis,
        purposes=declared,
        retention=retention,
        content=content,
    )


def _check_decile_file(data: Mapping[str, Any], mapped: set[str], fail: Any) -> None:
    """A DTSEN decile file names each household (NIK or KK), its decile and period."""
    lacking = [f for f in ("welfare_decile", "dtsen_period") if f not in mapped]
    if not {"nik", "no_kk"} & mapped:
        lacking.insert(0, "nik or no_kk")
    if lacking:
        raise fail(
            "columns",
            f"a DTSEN decile file maps {', '.join(lacking)}: each row names a household by "
            "a member's NIK or its KK number, with its decile and the DTSEN period (YYYY-MM).",
        )
    if data.get("services"):
        raise fail("services", "a DTSEN decile file records no services; remove [services].")


_MONTHS = re.compile(r"(\d+)\s*months?")
UNTIL_WITHDRAWN: Final[str] = "until withdrawn"


def retention_months(retention: str | None) -> int | None:
    """The months of a "N months" retention rule, else None."""
    found = _MONTHS.fullmatch(retention or "")
    return int(found.group(1)) if found else None


def _retention(raw: str | None, fail: Any) -> str | None:
    if raw is None:
        return None
    text = " ".join(raw.lower().replace("_", " ").split())
    if text == UNTIL_WITHDRAWN:
        return text
    months = retention_months(text)
    if months is None or months < 1:
        raise fail("retention", f'\'{raw}\' is not a rule; write "24 months" or "until withdrawn".')
    return f"{months} months"


def _http_options(raw: Any, fail: Any) -> HttpOptions:
    if raw is None:
        return HttpOptions()
    if not isinstance(raw, dict):
        raise fail("http", 'must be a table: [http] token_env = "PARTNER_TOKEN".')
    unknown = sorted(set(raw) - _HTTP_KEYS)
    if unknown:
        raise fail(f"http.{unknown[0]}", f"unknown key; known: {', '.join(sorted(_HTTP_KEYS))}.")
    try:
        return HttpOptions(
            token_env=raw.get("token_env"),
            records_path=raw.get("records_path"),
            next_path=raw.get("next_path"),
            page_param=raw.get("page_param"),
            limit_param=raw.get("limit_param"),
            page_size=int(raw.get("page_size", 100)),
            first_page=int(raw.get("first_page", 1)),
            params={str(k): str(v) for k, v in dict(raw.get("params", {})).items()},
            timeout=float(raw.get("timeout", 30.0)),
            max_pages=int(raw.get("max_pages", 100_000)),
        )
    except (TypeError, ValueError) as exc:
        raise fail("http", f"bad value ({exc}).") from exc


def _str_table(raw: Any, fail: Any, key: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise fail(key, 'must be a table of "name" = "value" strings.')
    out: dict[str, str] = {}
    for k, v in raw.items():
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise fail(f"{key}.{k}", "value must be a string.")
        out[str(k)] = str(v)
    return out


def _str_list(data: Mapping[str, Any], key: str, fail: Any) -> tuple[str, ...]:
    raw = data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise fail(key, "must be a list of strings.")
    return tuple(raw)


def _opt_str(data: Mapping[str, Any], key: str, fail: Any) -> str | None:
    raw = data.get(key)
    if raw is not None and not isinstance(raw, str):
        raise fail(key, "must be a string.")
    return raw


__all__ = [
    "CONTENTS",
    "KINDS",
    "UNTIL_WITHDRAWN",
    "HttpOptions",
    "SourceConfig",
    "load_configs",
    "parse_config",
    "render_config",
    "retention_months",
    "write_config",
]
