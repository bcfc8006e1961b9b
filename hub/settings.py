"""One settings object, read from the environment and an optional `hub.toml`.

Precedence: environment variables > `hub.toml` (in the working directory, or the
file named by `HUB_CONFIG`) > defaults. The object is passed down explicitly;
nothing in the code base reads the environment on its own.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.regions.population import POPULATION_FILE
from domain.service_desk import (
    DESK_ORGANIZATION,
    PUBLIC_BURST,
    PUBLIC_RATE_PER_MINUTE,
    STATUS_CHECK_FAILURES_PER_DAY,
    WEB_FORM_RETENTION_DAYS,
)
from domain.thresholds import (
    OFFICE_TIMEZONE,
    POVERTY_BASELINE,
    POVERTY_TARGET,
    REPORT_CUTOFF_DAY,
    REPORT_CUTOFF_MAX,
)
from hub.errors import ConfigError

if TYPE_CHECKING:  # the graph package (the Neo4j driver) loads only where a command needs it
    from graph import GraphTarget

Mode = Literal["dev", "production"]
LinkageEngine = Literal["duckdb", "spark"]
#: days a finished DCI transaction is kept (`dci_retention_days`)
DCI_RETENTION_DAYS = 30

_ENV_KEYS: dict[str, str] = {
    "HUB_HOME": "home",
    "HUB_MODE": "mode",
    "HUB_HOST": "host",
    "HUB_PORT": "port",
    "NEO4J_URI": "neo4j_uri",
    "NEO4J_USER": "neo4j_user",
    "NEO4J_PASSWORD": "neo4j_password",
    "NEO4J_DATABASE": "neo4j_database",
    "HUB_NEO4J_PORT": "neo4j_port",
    "HUB_NEO4J_HEAP": "neo4j_heap",
    "HUB_NEO4J_PAGECACHE_MB": "neo4j_pagecache_mb",
    "HUB_LINKAGE_ENGINE": "linkage_engine",
    "HUB_LINK_THRESHOLD": "link_threshold",
    "HUB_JWT_ISSUER": "jwt_issuer",
    "HUB_JWT_JWKS": "jwt_jwks_file",
    "HUB_AUDIT_KEY_FILE": "audit_key_file",
    "HUB_AUDIT_ANCHOR_DIR": "audit_anchor_dir",
    "HUB_AUDIT_ANCHOR_INTERVAL": "audit_anchor_interval_s",
    "HUB_REPORT_CUTOFF_DAY": "report_cutoff_day",
    "HUB_REPORT_TIMEZONE": "report_timezone",
    "HUB_REFRESH_NICE": "refresh_nice",
    "HUB_POPULATION_FILE": "population_file",
    "HUB_POVERTY_BASELINE": "poverty_baseline",
    "HUB_POVERTY_TARGET": "poverty_target",
    "HUB_BUDGETS_FILE": "budgets_file",
    # the one-door front desk (layanan satu pintu)
    "HUB_WORKER_AREAS_FILE": "worker_areas_file",
    "HUB_NOTIFY_SENDER": "notify_sender",
    "HUB_NOTIFY_URL": "notify_url",
    "HUB_DESK_ORGANIZATION": "desk_organization",
    "HUB_PUBLIC_RATE_PER_MINUTE": "public_rate_per_minute",
    "HUB_PUBLIC_BURST": "public_burst",
    "HUB_WEB_FORM_RETENTION_DAYS": "web_form_retention_days",
    # shared state for several servers (issue 17): PostgreSQL instead of SQLite files
    "HUB_DATABASE_URL": "database_url",
    "HUB_DATABASE_SCHEMA": "database_schema",
    "HUB_DESK_NIK_KEY_FILE": "desk_nik_key_file",
    # Neo4j clusters and Aura (issue 17): a certificate authority of one's own
    "NEO4J_TRUSTED_CA": "neo4j_trusted_ca",
    # the DCI Social Registry API (hub.dci)
    "HUB_DCI_SENDER_ID": "dci_sender_id",
    "HUB_DCI_SPEC_DIR": "dci_spec_dir",
    # the province bench (issue 17): DuckDB's memory cap and where it spills
    "HUB_DUCKDB_MEMORY_LIMIT": "duckdb_memory_limit",
    "HUB_DUCKDB_TEMP_DIRECTORY": "duckdb_temp_directory",
    # linkage on Spark (issue 17): where it runs, its spark.* settings, its folders
    "HUB_SPARK_MASTER": "spark_master",
    "HUB_SPARK_CONF": "spark_conf",
    "HUB_SPARK_STAGING_URI": "spark_staging_uri",
    "HUB_SPARK_CHECKPOINT_URI": "spark_checkpoint_uri",
    # the DCI signing key shared by every server on one database (issue 17)
    "HUB_DCI_SIGNING_KEY_FILE": "dci_signing_key_file",
    # DCI transactions kept only so long (issue 17 hardening)
    "HUB_DCI_RETENTION_DAYS": "dci_retention_days",
}


@dataclass(frozen=True)
class Settings:
    home: Path = Path(".hub")
    mode: Mode = "dev"
    host: str = "127.0.0.1"
    port: int = 8000
    # External Neo4j (Aura, a cluster, docker compose). When unset, the local
    # launcher under graph/launcher is used on 127.0.0.1:neo4j_port.
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    neo4j_port: int = 7687
    neo4j_heap: str = "4g"
    neo4j_pagecache_mb: int = 1024
    linkage_engine: LinkageEngine = "duckdb"
    # The match probability from which two records are one person without a clerk
    # (`link_threshold`); the pairs below it, down to the queue's floor, wait in the
    # review queue. None: linkage's own default (linkage.LinkageSettings).
    link_threshold: float | None = None
    jwt_issuer: str | None = None
    jwt_jwks_file: Path | None = None
    # The audit chain's HMAC key (default $HUB_HOME/keys/audit-key), a second
    # directory for its exported head (anchors), and how often the server exports it.
    audit_key_file: Path | None = None
    audit_anchor_dir: Path | None = None
    audit_anchor_interval_s: int = 300
    # The monthly report's cut-off day (`[report] cutoff_day`): month M runs from
    # the day after M-1's cut-off to M's, inclusive (DTSEN's cycle: the 17th).
    report_cutoff_day: int = REPORT_CUTOFF_DAY
    # The office's time zone (`[report] timezone`, IANA): where a month's days
    # begin and end, and what "today" is for the dashboard's current month.
    report_timezone: str = OFFICE_TIMEZONE
    # Wrong Cek status checks a request's number takes in a day before it answers
    # "not found" to every check until the next day (`status_check_failures_per_day`).
    status_check_failures_per_day: int = STATUS_CHECK_FAILURES_PER_DAY
    # How much lower than the server the batch commands run (`nice`, 0-19):
    # `hub ingest`, `link`, `load`, `report` and `generate` give the CPU to
    # `hub serve` when both want it, so the API keeps its latency during a refresh.
    refresh_nice: int = 10
    # The poverty rate's denominator (`[population] file`): population per
    # kecamatan and kelurahan (domain.regions.population); a generated city writes
    # its own (DIR/reference/population.csv). The rate is weighed against the
    # baseline and the target (`[poverty] baseline`, `target`, fractions: 0.0314).
    population_file: Path = POPULATION_FILE
    poverty_baseline: float = POVERTY_BASELINE
    poverty_target: float = POVERTY_TARGET
    # The funders' budgets per program and year (`[budgets] file`, CSV; see
    # reports.budgets); none when unset.
    budgets_file: Path | None = None
    # The front desk (layanan satu pintu): which social worker serves which area
    # (`worker_areas_file`, CSV like connectors/reference/worker_areas.csv; the
    # shipped file when unset), and where residents' status messages go
    # (`[notify] sender`: "outbox", a table in $HUB_HOME/notify.sqlite, or "http",
    # a POST of JSON to `[notify] url`, an SMS/WhatsApp gateway's webhook).
    worker_areas_file: Path | None = None
    notify_sender: str = "outbox"
    notify_url: str | None = None
    # Days the outbox keeps a message's phone and text once it was sent or given up
    # (`notify_retention_days`); `hub retention` blanks them after.
    notify_retention_days: int = 30
    # The organization that keeps the front desk (`[desk] organization`): the
    # public web form registers requests as it, and the worker areas' social
    # workers are its staff.
    desk_organization: str = DESK_ORGANIZATION
    # The public pages' budget per client address (`[public] rate_per_minute`,
    # `[public] burst`): Cek status checks and web-form requests a client may make
    # at once, then per minute.
    public_rate_per_minute: float = PUBLIC_RATE_PER_MINUTE
    public_burst: int = PUBLIC_BURST
    # Days an unverified web-form request (PENDING_VERIFICATION) is kept
    # (`[web_form] retention_days`); `hub retention apply` deletes older ones,
    # with what was typed, their journal facts and their messages.
    web_form_retention_days: int = WEB_FORM_RETENTION_DAYS
    # Shared state for several servers (`[database] url`, `[database] schema`): a
    # PostgreSQL URL (postgresql://user:pass@host/db) holds keys, audit, rate limits,
    # intake and the journal in one schema (default satupintu) instead of SQLite
    # files under `home`. Every server sharing it then needs the same audit key
    # (`audit_key_file`) and front-desk NIK key (`desk_nik_key_file`, default
    # $HUB_HOME/keys/desk-nik-key): neither is made on its own.
    database_url: str | None = None
    database_schema: str = "satupintu"
    desk_nik_key_file: Path | None = None
    # Neo4j clusters and Aura (issue 17): NEO4J_URI's scheme says direct (bolt://)
    # or routed (neo4j://: writes to the leader, reads to the readers), plain or
    # encrypted (+s, +ssc: Aura is neo4j+s://). A cluster whose certificates a CA of
    # its own signed: neo4j:// and `[neo4j] trusted_ca`, that CA's PEM file.
    neo4j_trusted_ca: Path | None = None
    # The DCI Social Registry API (hub.dci): the sender id the hub signs its
    # answers and callbacks as (`[dci] sender_id`), and where the copy of the
    # specification's schemas is (`[dci] spec_dir`; default standards/dci
    # in the checkout), against which every request is validated.
    dci_sender_id: str = "satupintu"
    dci_spec_dir: Path | None = None
    # The province bench (issue 17): DuckDB's memory_limit for the staging database
    # and every linkage query run beside it (`[duckdb] memory_limit`, e.g. "12GB";
    # DuckDB's default, 80% of RAM, when unset), and the folder it spills to beyond
    # it (`[duckdb] temp_directory`; DuckDB's default, next to hub.duckdb, when unset).
    duckdb_memory_limit: str | None = None
    duckdb_temp_directory: str | None = None
    # Linkage on Spark (linkage_engine = "spark"; issue 17). `spark_master`: None
    # is spark-submit's --master or Databricks' session, else local[*].
    # `spark_conf` ([spark.conf] table, or HUB_SPARK_CONF "key=value,key=value"):
    # spark.* settings for the session the hub starts (driver and executor memory).
    # `spark_staging_uri`: the folder where DuckDB and Spark hand records and pairs
    # over as Parquet, default $HUB_HOME/spark-staging; on a cluster a path that
    # the driver writes and every executor reads (NFS, /dbfs/...). Spark's
    # checkpoints go to `spark_checkpoint_uri` (hdfs://, s3a://, dbfs:/ on a
    # cluster; default: inside each run's staging folder, removed after the run).
    spark_master: str | None = None
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    spark_staging_uri: str | None = None
    spark_checkpoint_uri: str | None = None
    # The key the hub signs its DCI answers and callbacks with (`[dci]
    # signing_key_file`; default $HUB_HOME/keys/dci-signing-key, made on first
    # start). With `database_url` every server must sign with the same one: it is
    # then required, read from here and never made.
    dci_signing_key_file: Path | None = None
    # DCI transactions (issue 17 hardening): `hub retention apply` deletes a DCI
    # transaction (with the request: the NIK/KK numbers searched) this many days
    # after it was delivered or given up (`[dci] retention_days`), and a sync one
    # (answered at once) this many days after it came.
    dci_retention_days: int = DCI_RETENTION_DAYS
    extra: Mapping[str, Any] = field(default_factory=dict)

    # --- derived locations -------------------------------------------------
    @property
    def duckdb_path(self) -> Path:
        return self.home / "hub.duckdb"

    @property
    def neo4j_home(self) -> Path:
        return self.home / "neo4j"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def uses_local_neo4j(self) -> bool:
        return self.neo4j_uri is None

    @property
    def bolt_uri(self) -> str:
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.neo4j_port}"

    def neo4j_auth(self) -> tuple[str, str]:
        """The Neo4j credentials; for the local server a random password is
        made once and kept in `$HUB_HOME/keys/neo4j-password` (mode 0600)."""
        if self.neo4j_password is not None:
            return self.neo4j_user, self.neo4j_password
        if not self.uses_local_neo4j:
            raise ConfigError("NEO4J_URI is set but NEO4J_PASSWORD is not: set both.")
        path = self.keys_dir / "neo4j-password"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
        return self.neo4j_user, path.read_text().strip()

    def with_home(self, home: Path) -> Settings:
        return replace(self, home=home)


def graph_target(settings: Settings) -> GraphTarget:
    """Where the graph is and how to log in: the server and every CLI command take it here."""
    from graph import GraphTarget

    user, password = settings.neo4j_auth()
    return GraphTarget(
        uri=settings.bolt_uri,
        user=user,
        password=password,
        database=settings.neo4j_database,
        trusted_ca=str(settings.neo4j_trusted_ca) if settings.neo4j_trusted_ca else None,
    )


def load_settings(
    environ: Mapping[str, str] | None = None, toml_path: Path | None = None
) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = toml_path or Path(env.get("HUB_CONFIG", "hub.toml"))
    if path.exists():
        values.update(_read_toml(path))
    elif "HUB_CONFIG" in env:
        raise ConfigError(f"HUB_CONFIG names {path}, which does not exist.")
    for key, name in _ENV_KEYS.items():
        if env.get(key):
            values[name] = env[key]
    return _build(values, origin=str(path))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file or remove it.") from exc
    flat: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, dict):  # [neo4j] uri = ... -> neo4j_uri
            for k2, v2 in v.items():
                flat[f"{k}_{k2}"] = v2
        else:
            flat[k] = v
    return flat


_KNOWN = set(Settings.__dataclass_fields__) - {"extra"}


def _build(values: dict[str, Any], origin: str) -> Settings:
    unknown = {k: v for k, v in values.items() if k not in _KNOWN}
    known = {k: v for k, v in values.items() if k in _KNOWN}
    try:
        for k in (
            "port",
            "neo4j_port",
            "neo4j_pagecache_mb",
            "audit_anchor_interval_s",
            "report_cutoff_day",
            "refresh_nice",
            "status_check_failures_per_day",
            "notify_retention_days",
            "public_burst",
            "web_form_retention_days",
        ):
            if k in known:
                known[k] = int(known[k])
    except ValueError as exc:
        raise ConfigError(f"{origin}: {exc}; ports and sizes are whole numbers.") from exc
    if known.get("neo4j_trusted_ca"):
        known["neo4j_trusted_ca"] = Path(known["neo4j_trusted_ca"])
        if not known["neo4j_trusted_ca"].is_file():
            raise ConfigError(
                f"{origin}: neo4j_trusted_ca names {known['neo4j_trusted_ca']}, which is not "
                "a file; give the PEM file of the CA that signed the Neo4j servers' certificates."
            )
    if known.get("neo4j_uri") or known.get("neo4j_trusted_ca"):
        from graph import scheme_problem  # only here: the driver loads on demand

        problem = scheme_problem(
            str(known.get("neo4j_uri") or "bolt://"),
            str(known["neo4j_trusted_ca"]) if known.get("neo4j_trusted_ca") else None,
        )
        if problem is not None:
            raise ConfigError(f"{origin}: NEO4J_URI {problem}")
    if known.get("link_threshold") is not None:
        try:
            known["link_threshold"] = float(known["link_threshold"])
        except ValueError:
            raise ConfigError(
                f"{origin}: link_threshold is a match probability such as 0.9, "
                f"not {known['link_threshold']!r}."
            ) from None
        if not 0.5 < known["link_threshold"] < 1:
            raise ConfigError(
                f"{origin}: link_threshold is a match probability above 0.5 and below 1, "
                f"not {known['link_threshold']}."
            )
    if "public_rate_per_minute" in known:
        try:
            known["public_rate_per_minute"] = float(known["public_rate_per_minute"])
        except ValueError:
            raise ConfigError(
                f"{origin}: public_rate_per_minute is a number of requests per minute "
                f"such as 6, not {known['public_rate_per_minute']!r}."
            ) from None
    if known.get("public_rate_per_minute", 1) <= 0 or known.get("public_burst", 1) < 1:
        raise ConfigError(
            f"{origin}: public_rate_per_minute must be above 0 and public_burst at least 1 "
            "(the public pages would refuse everyone)."
        )
    if not str(known.get("desk_organization", DESK_ORGANIZATION)).strip():
        raise ConfigError(
            f"{origin}: desk_organization is empty; name the organization id that keeps "
            f"the front desk (default {DESK_ORGANIZATION})."
        )
    for k in ("poverty_baseline", "poverty_target"):
        if k in known:
            try:
                known[k] = float(known[k])
            except ValueError:
                raise ConfigError(
                    f"{origin}: {k} is a fraction such as 0.0314, not {known[k]!r}."
                ) from None
            if not 0 < known[k] < 1:
                raise ConfigError(
                    f"{origin}: {k} is a fraction between 0 and 1 "
                    f"(3.14% is 0.0314), not {known[k]}."
                )
    for k in (
        "home",
        "jwt_jwks_file",
        "audit_key_file",
        "audit_anchor_dir",
        "population_file",
        "budgets_file",
        "worker_areas_file",
    ):
        if known.get(k) is not None:
            known[k] = Path(known[k])
    if known.get("mode", "dev") not in ("dev", "production"):
        raise ConfigError(f"mode must be 'dev' or 'production', not {known['mode']!r}.")
    if known.get("linkage_engine", "duckdb") not in ("duckdb", "spark"):
        raise ConfigError(
            f"linkage_engine must be 'duckdb' or 'spark', not {known['linkage_engine']!r}."
        )
    _spark_settings(known, origin)
    if known.get("web_form_retention_days", WEB_FORM_RETENTION_DAYS) < 1:
        raise ConfigError(
            f"{origin}: web_form_retention_days is a number of days, 1 or more, "
            f"not {known['web_form_retention_days']}."
        )
    if known.get("notify_sender", "outbox") not in ("outbox", "http"):
        raise ConfigError(
            f"notify_sender must be 'outbox' or 'http', not {known['notify_sender']!r}."
        )
    if known.get("notify_sender") == "http" and not known.get("notify_url"):
        raise ConfigError(
            "notify_sender is 'http' but notify_url is not set: set HUB_NOTIFY_URL to the "
            "SMS/WhatsApp gateway's webhook."
        )
    if not 1 <= known.get("report_cutoff_day", REPORT_CUTOFF_DAY) <= REPORT_CUTOFF_MAX:
        raise ConfigError(
            f"report_cutoff_day is a day of the month, 1 to {REPORT_CUTOFF_MAX} "
            f"(every month has it), not {known['report_cutoff_day']}."
        )
    zone = known.get("report_timezone", OFFICE_TIMEZONE)
    try:
        ZoneInfo(str(zone))
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(
            f"report_timezone must be an IANA time zone such as 'Asia/Jakarta' (WIB), "
            f"'Asia/Makassar' (WITA) or 'Asia/Jayapura' (WIT), not {zone!r}."
        ) from None
    if not 0 <= known.get("refresh_nice", 0) <= 19:
        raise ConfigError(
            f"refresh_nice is a niceness, 0 (as the server) to 19 (only idle "
            f"CPU), not {known['refresh_nice']}."
        )
    _check_database(known, origin)
    # the DCI Social Registry API
    if known.get("dci_spec_dir") is not None:
        known["dci_spec_dir"] = Path(known["dci_spec_dir"])
    if not str(known.get("dci_sender_id", "satupintu")).strip():
        raise ConfigError(f"{origin}: dci_sender_id is empty; name the hub's DCI sender id.")
    # the DCI signing key shared by every server on one database
    if known.get("dci_signing_key_file") is not None:
        known["dci_signing_key_file"] = Path(known["dci_signing_key_file"])
    # DCI transactions kept only so long
    try:
        days = int(known.get("dci_retention_days", DCI_RETENTION_DAYS))
    except ValueError:
        days = 0
    if days < 1:
        raise ConfigError(
            f"{origin}: dci_retention_days is a number of days, 1 or more, "
            f"not {known['dci_retention_days']!r}."
        )
    known["dci_retention_days"] = days
    return Settings(**known, extra=unknown)


def _check_database(known: dict[str, Any], origin: str) -> None:
    """Shared state for several servers (issue 17): the database settings."""
    if known.get("desk_nik_key_file") is not None:
        known["desk_nik_key_file"] = Path(known["desk_nik_key_file"])
    url = known.get("database_url")
    if url is not None and not str(url).startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            f"{origin}: database_url must be a PostgreSQL URL such as "
            "postgresql://hub:secret@db.example/satupintu; leave it unset for SQLite files."
        )


def _spark_settings(known: dict[str, Any], origin: str) -> None:
    """HUB_SPARK_CONF as a mapping of spark.* keys; a staging folder DuckDB can write."""
    conf = known.get("spark_conf", {})
    if isinstance(conf, str):
        pairs = [item.strip() for item in conf.split(",") if item.strip()]
        if any("=" not in item for item in pairs):
            raise ConfigError(
                f"{origin}: spark_conf is key=value pairs separated by commas "
                f"(spark.driver.memory=8g,spark.executor.memory=16g), not {conf!r}."
            )
        conf = dict(item.split("=", 1) for item in pairs)
    if not isinstance(conf, Mapping):
        raise ConfigError(f"{origin}: spark_conf is a table of spark.* settings, not {conf!r}.")
    conf = {str(k).strip(): str(v).strip() for k, v in conf.items()}
    wrong = sorted(k for k in conf if not k.startswith("spark."))
    if wrong:
        raise ConfigError(
            f"{origin}: spark_conf takes Spark settings (spark.*), not {', '.join(wrong)}."
        )
    known["spark_conf"] = conf
    staging = known.get("spark_staging_uri")
    if staging and "://" in str(staging) and not str(staging).startswith("file://"):
        raise ConfigError(
            f"{origin}: spark_staging_uri must be a folder DuckDB writes and Spark reads "
            f"(a local path, or a shared mount such as NFS or /dbfs/... on a cluster), "
            f"not {staging!r}."
        )
    if staging and str(staging).startswith("file://"):
        known["spark_staging_uri"] = str(staging).removeprefix("file://")
