"""No Docker engine here: check the compose file's wiring by reading it."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def test_neo4j_is_the_526_community_image_with_a_volume_and_health_check() -> None:
    neo4j = compose()["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert any(v.endswith(":/data") for v in neo4j["volumes"])
    assert "cypher-shell" in " ".join(neo4j["healthcheck"]["test"])


def test_hub_talks_to_the_neo4j_service_once_it_is_healthy() -> None:
    hub = compose()["services"]["hub"]
    env = hub["environment"]
    assert env["NEO4J_URI"] == "bolt://neo4j:7687"
    assert env["NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD")
    assert hub["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert (ROOT / hub["build"] / "Dockerfile").exists()


def test_the_volumes_named_by_services_are_declared() -> None:
    doc = compose()
    declared = set(doc["volumes"])
    for service in doc["services"].values():
        for volume in service.get("volumes", []):
            name = volume.split(":")[0]
            if not name.startswith((".", "/")):
                assert name in declared


def test_the_hub_runs_the_demo_in_a_mode_that_takes_its_example_purpose() -> None:
    """`docker compose up` shows something: the hub service builds the demo city
    (its size from DEMO_HOUSEHOLDS) before it serves, and the purpose the demo
    prints is one the API takes in the mode compose gives it."""
    from hub.demo import DEMO_PURPOSE
    from hub.security.purposes import PurposeRegistry

    hub = compose()["services"]["hub"]
    command = hub["command"]
    assert command[:2] == ["hub", "demo"]
    assert command[command.index("--households") + 1].startswith("${DEMO_HOUSEHOLDS")
    mode = hub["environment"]["HUB_MODE"].removeprefix("${HUB_MODE:-").removesuffix("}")
    assert mode in ("dev", "production")
    for strict in (mode == "production", True):  # and a real deployment's mode
        resolved = PurposeRegistry(strict=strict).resolve(DEMO_PURPOSE)
        assert resolved is not None and resolved.startswith(DEMO_PURPOSE), resolved
        assert "unregistered" not in resolved
    # the first start builds the city before /health answers: minutes
    period = hub["healthcheck"]["start_period"]
    assert period.endswith("m") and int(period[:-1]) >= 10


def test_the_image_gets_every_file_the_packages_need() -> None:
    """The Dockerfile copies each package and installs `.` (not editable): a
    package's data file reaches the image only when pyproject's package-data
    names its kind (the console's script, the reference CSVs, the templates)."""
    import fnmatch
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = project["tool"]["setuptools"]["packages"]["find"]["include"]
    data = project["tool"]["setuptools"]["package-data"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for pattern in packages:
        package = pattern.rstrip("*")
        assert f"COPY {package} ./{package}" in dockerfile
        for path in (ROOT / package).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "launcher" in path.parts:
                continue
            dotted = ".".join(path.parent.relative_to(ROOT).parts)
            wanted = [*data.get("*", []), *data.get(dotted, [])]
            assert any(fnmatch.fnmatch(path.name, w) for w in wanted), path


def test_the_image_validates_dci_against_the_copy_it_carries() -> None:
    """The DCI endpoints validate every request against the specification's
    schemas; an installed hub finds them only where HUB_DCI_SPEC_DIR points, so
    the image copies standards/ and sets it (otherwise every DCI call is a 503)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY standards/ /app/standards/" in dockerfile
    env = next(line for line in dockerfile.splitlines() if line.startswith("ENV "))
    spec = env.split("HUB_DCI_SPEC_DIR=")[1].split()[0]
    assert spec.startswith("/app/")
    assert (
        ROOT / spec.removeprefix("/app/") / "src" / "registry" / "social_api_v1.0.0.yaml"
    ).is_file()
