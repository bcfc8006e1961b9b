from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.settings import load_settings


def test_defaults_use_the_local_neo4j_under_dot_hub(tmp_path: Path) -> None:
    s = load_settings({}, toml_path=tmp_path / "absent.toml")
    assert s.home == Path(".hub")
    assert s.uses_local_neo4j
    assert s.bolt_uri == "bolt://127.0.0.1:7687"
    assert s.mode == "dev"
    assert s.duckdb_path == Path(".hub/hub.duckdb")


def test_environment_overrides_toml(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('home = "/srv/hub"\nport = 9000\n[neo4j]\nport = 7700\n')
    s = load_settings({"HUB_PORT": "9100"}, toml_path=toml)
    assert s.home == Path("/srv/hub")
    assert s.port == 9100
    assert s.neo4j_port == 7700


def test_external_neo4j_is_selected_by_uri_and_needs_a_password(tmp_path: Path) -> None:
    s = load_settings({"NEO4J_URI": "neo4j+s://x.databases.neo4j.io"}, toml_path=tmp_path / "n")
    assert not s.uses_local_neo4j
    with pytest.raises(ConfigError, match="NEO4J_PASSWORD"):
        s.neo4j_auth()


def test_local_password_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    s = load_settings({"HUB_HOME": str(tmp_path)}, toml_path=tmp_path / "n")
    first = s.neo4j_auth()
    assert first == s.neo4j_auth()
    assert len(first[1]) >= 20
    assert (tmp_path / "keys" / "neo4j-password").stat().st_mode & 0o077 == 0


def test_bad_mode_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mode must be"):
        load_settings({"HUB_MODE": "staging"}, toml_path=tmp_path / "n")


def test_bad_port_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="whole numbers"):
        load_settings({"HUB_PORT": "eighty"}, toml_path=tmp_path / "n")


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text("home = \n")
    with pytest.raises(ConfigError, match=r"hub\.toml"):
        load_settings({}, toml_path=toml)


def test_link_threshold_is_a_probability_between_the_review_band_and_one(tmp_path: Path) -> None:
    absent = tmp_path / "absent.toml"
    assert load_settings({}, toml_path=absent).link_threshold is None
    assert load_settings({"HUB_LINK_THRESHOLD": "0.99"}, toml_path=absent).link_threshold == 0.99
    for bad in ("0.4", "1", "high"):
        with pytest.raises(ConfigError, match="link_threshold"):
            load_settings({"HUB_LINK_THRESHOLD": bad}, toml_path=absent)


def test_the_front_desks_settings_come_from_the_environment_and_toml(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('[desk]\norganization = "ORG-DINSOS-KAB"\n[public]\nburst = 3\n')
    s = load_settings({"HUB_PUBLIC_RATE_PER_MINUTE": "2.5"}, toml_path=toml)
    assert (s.desk_organization, s.public_burst, s.public_rate_per_minute) == (
        "ORG-DINSOS-KAB",
        3,
        2.5,
    )
    assert not s.extra  # real settings, not leftovers
    with pytest.raises(ConfigError, match="public_rate_per_minute"):
        load_settings({"HUB_PUBLIC_RATE_PER_MINUTE": "banyak"}, toml_path=toml)
    with pytest.raises(ConfigError, match="public_burst at least 1"):
        load_settings({"HUB_PUBLIC_BURST": "0"}, toml_path=toml)


def test_web_form_retention_days_come_from_toml_and_environment(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text("[web_form]\nretention_days = 14\n")
    assert load_settings({}, toml_path=toml).web_form_retention_days == 14
    env = {"HUB_WEB_FORM_RETENTION_DAYS": "60"}
    assert load_settings(env, toml_path=toml).web_form_retention_days == 60
    with pytest.raises(ConfigError, match="web_form_retention_days"):
        load_settings({"HUB_WEB_FORM_RETENTION_DAYS": "0"}, toml_path=toml)


def test_neo4j_uri_schemes_and_a_certificate_authority_of_ones_own(tmp_path: Path) -> None:
    """Neo4j clusters and Aura (issue 17): bolt or neo4j, plain, +s or +ssc; a CA
    file goes with a plain scheme (the driver then encrypts and trusts that CA)."""
    from hub.settings import graph_target

    absent = tmp_path / "absent.toml"
    for uri in ("bolt://db:7687", "neo4j://lb:7687", "neo4j+s://x.databases.neo4j.io"):
        assert load_settings({"NEO4J_URI": uri}, toml_path=absent).neo4j_uri == uri
    for uri in ("http://db:7474", "db:7687", "neo4j+x://db"):
        with pytest.raises(ConfigError, match="not a Neo4j address"):
            load_settings({"NEO4J_URI": uri}, toml_path=absent)
    ca = tmp_path / "ca.pem"
    with pytest.raises(ConfigError, match="not a file"):
        load_settings({"NEO4J_URI": "neo4j://lb", "NEO4J_TRUSTED_CA": str(ca)}, toml_path=absent)
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match="use neo4j:// instead"):
        load_settings({"NEO4J_URI": "neo4j+s://lb", "NEO4J_TRUSTED_CA": str(ca)}, toml_path=absent)
    s = load_settings(
        {"NEO4J_URI": "neo4j://lb", "NEO4J_TRUSTED_CA": str(ca), "NEO4J_PASSWORD": "p"},
        toml_path=absent,
    )
    assert graph_target(s).trusted_ca == str(ca)


def test_duckdb_memory_limit_and_temp_directory_reach_the_staging_database(
    tmp_path: Path,
) -> None:
    from hub.pipeline import open_db

    s = load_settings(
        {
            "HUB_HOME": str(tmp_path),
            "HUB_DUCKDB_MEMORY_LIMIT": "1GB",
            "HUB_DUCKDB_TEMP_DIRECTORY": str(tmp_path / "spill"),
        },
        toml_path=tmp_path / "n",
    )
    con = open_db(s)
    try:
        [(limit, spill)] = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchall()
    finally:
        con.close()
    assert limit == "953.6 MiB"  # DuckDB shows 1GB (10^9 bytes) in MiB
    assert spill == str(tmp_path / "spill")
