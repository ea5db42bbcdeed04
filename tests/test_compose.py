"""docker-compose.yml: valid for Compose, and wired the way the services need."""

import ipaddress
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    return None


def test_compose_wiring() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    plain = {name for name, service in services.items() if "profiles" not in service}
    assert plain == {"postgres", "migrate", "registry", "complaints"}
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("registry", "complaints"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
    assert services["complaints"]["depends_on"]["registry"] == {"condition": "service_healthy"}
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    env = services["registry"]["environment"]
    assert env["REGISTRY_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert services["complaints"]["environment"]["COMPLAINTS_REGISTRY_URL"] == "http://registry:8001"
    # The portal's complaint form reaches the complaints service, not the registry container itself.
    assert env["REGISTRY_COMPLAINTS_URL"] == "http://complaints:8002"
    for name in ("registry", "complaints"):
        module = services[name]["command"][1]
        assert (ROOT / (module.split(":")[0].replace(".", "/") + ".py")).exists()


def test_the_citus_profile_runs_the_registry_on_a_distributed_cluster() -> None:
    """Coordinator and two workers (official image); the migration job registers the workers,
    migrates and distributes; a registry points at the coordinator."""
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    citus = {name for name, service in services.items() if "citus" in service.get("profiles", [])}
    assert citus == {
        "citus-coordinator",
        "citus-worker-1",
        "citus-worker-2",
        "migrate-citus",
        "registry-citus",
    }
    for node in ("citus-coordinator", "citus-worker-1", "citus-worker-2"):
        assert services[node]["image"].startswith("citusdata/citus:")
        assert services[node]["environment"]["POSTGRES_DB"] == "registry"
        assert "pg_isready" in " ".join(services[node]["healthcheck"]["test"])
    job = services["migrate-citus"]
    assert {n: c["condition"] for n, c in job["depends_on"].items()} == {
        "citus-coordinator": "service_healthy",
        "citus-worker-1": "service_healthy",
        "citus-worker-2": "service_healthy",
        "migrate": "service_completed_successfully",
    }
    steps = " ".join(job["command"])
    first, migrate, last = (s.strip() for s in steps.split(" -c ", 1)[1].split("&&"))
    assert (
        "qcr citus distribute" in first
        and "--worker citus-worker-1" in first
        and "--worker citus-worker-2" in first
    )
    assert migrate.startswith("qcr migrate registry") and last.startswith("qcr citus distribute")
    coordinator = "@citus-coordinator:5432/registry"
    assert coordinator in job["environment"]["REGISTRY_DATABASE_URL"]
    registry = services["registry-citus"]
    assert coordinator in registry["environment"]["REGISTRY_DATABASE_URL"]
    assert registry["depends_on"]["migrate-citus"] == {"condition": "service_completed_successfully"}
    assert "/readyz" in " ".join(registry["healthcheck"]["test"])


def test_compose_config_validates() -> None:
    command = _compose_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install docker-compose to validate docker-compose.yml")
        pytest.skip("docker-compose is not installed here; .ci/run installs it")
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr


def test_the_complaints_service_trusts_the_registry_as_its_only_proxy() -> None:
    """The portal forwards each person's address (X-Forwarded-For): the complaints service believes
    it from the registry's fixed address only, so portal users do not share one rate-limit bucket
    and nobody else can pick their own address."""
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    (network,) = services["registry"]["networks"]
    registry_address = services["registry"]["networks"][network]["ipv4_address"]
    subnet = spec["networks"][network]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(registry_address) in ipaddress.ip_network(subnet)
    assert network in services["complaints"]["networks"]
    trusted = services["complaints"]["environment"]["FORWARDED_ALLOW_IPS"]
    assert trusted == registry_address
    assert "--proxy-headers" in services["complaints"]["command"]
