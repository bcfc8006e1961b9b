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
