"""The docker/ deployment renders, and it wires Aperture the way aperture/settings.py reads it.

`compose config` needs only the compose client, not a Docker engine: it validates the file,
fills in the variables and prints the result, which these tests read.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from aperture.settings import Settings
from aperture.settings_table import documented_variables

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
NGINX_CONF = DOCKER / "nginx.conf"
DOCKERFILE = DOCKER / "Dockerfile"

# What `aperture api` and `aperture worker` need to run against the compose stores
REQUIRED_SETTINGS = (
    "MONGODB_URL",
    "REDIS_URL",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "CDN_BASE_URL",
    "APERTURE_SECRET_KEY",
)


def _clean_environment() -> dict[str, str]:
    """The caller's environment without anything that would change what compose renders.

    Drops the Docker and compose client settings, and every variable compose.yaml
    interpolates, so that its defaults are what is checked.
    """
    interpolated = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_FILE.read_text()))
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DOCKER_", "COMPOSE_")) and name not in interpolated
    }


def _compose_cli(env: dict[str, str]) -> list[str]:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, env=env, timeout=60, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy is not None:
        return [legacy]
    pytest.fail(
        "no compose CLI found (neither `docker compose` nor `docker-compose`): "
        "./dev test installs Debian's docker-compose, or run "
        "`apt-get install -y --no-install-recommends docker-compose`"
    )


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    env = _clean_environment()
    command = [*_compose_cli(env), "-f", str(COMPOSE_FILE), "config"]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{shlex.join(command)} failed:\n{result.stderr}{result.stdout}"
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = (item.partition("=") for item in environment)
        return {name: value for name, _, value in pairs}
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def _replicas(service: dict[str, Any]) -> int:
    return int((service.get("deploy") or {}).get("replicas", 1))


def _services_running(config: dict[str, Any], subcommand: str) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in config["services"].items()
        if _command(service)[:2] == ["aperture", subcommand]
    }


def _aperture_services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _services_running(config, "api") | _services_running(config, "worker")


def _bind_sources(service: dict[str, Any]) -> list[Path]:
    sources = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                sources.append(Path(volume["source"]))
        elif volume.split(":", 1)[0].startswith(("/", ".")):
            sources.append(Path(volume.split(":", 1)[0]))
    return [source if source.is_absolute() else (DOCKER / source) for source in sources]


def _host(url: str) -> str:
    host = urlsplit(url).hostname
    assert host is not None, url
    return host


def test_compose_file_renders(rendered: dict[str, Any]) -> None:
    assert rendered["services"]


def test_two_api_replicas_and_two_workers(rendered: dict[str, Any]) -> None:
    apis = _services_running(rendered, "api")
    workers = _services_running(rendered, "worker")
    assert sum(_replicas(service) for service in apis.values()) == 2, sorted(apis)
    assert sum(_replicas(service) for service in workers.values()) == 2, sorted(workers)


def test_aperture_services_are_built_from_the_dockerfile(rendered: dict[str, Any]) -> None:
    for name, service in _aperture_services(rendered).items():
        build = service["build"]
        context = Path(build["context"] if isinstance(build, dict) else build)
        dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
        assert context.resolve() == ROOT, name
        assert (context / dockerfile).resolve() == DOCKERFILE, name


def test_environment_uses_only_known_settings(rendered: dict[str, Any]) -> None:
    known = documented_variables()
    for name, service in _aperture_services(rendered).items():
        unknown = sorted(set(_environment(service)) - set(known))
        assert unknown == [], f"{name} sets variables that aperture/settings.py does not read: {unknown}"


def test_required_settings_are_set_on_every_api_and_worker(rendered: dict[str, Any]) -> None:
    services = _aperture_services(rendered)
    assert services
    for name, service in services.items():
        environment = _environment(service)
        missing = [variable for variable in REQUIRED_SETTINGS if not environment.get(variable)]
        assert missing == [], f"{name} lacks {missing}"
        settings = Settings.from_env(environment)  # raises on a value of the wrong type
        assert settings.uses_s3, name


def test_urls_name_services_of_the_stack(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    for name, service in _aperture_services(rendered).items():
        environment = _environment(service)
        mongodb = urlsplit(environment["MONGODB_URL"])
        assert mongodb.scheme == "mongodb", name
        hosts = [member.rsplit(":", 1)[0] for member in mongodb.netloc.split("@")[-1].split(",")]
        assert len(hosts) == 3, f"{name}: MONGODB_URL should name the three replica set members"
        replica_set = parse_qs(mongodb.query).get("replicaSet")
        assert replica_set, f"{name}: MONGODB_URL has no replicaSet"
        for host in hosts:
            assert host in services, f"{name}: MONGODB_URL names {host}, which is not a service"
            command = _command(services[host])
            assert "--replSet" in command, f"{host} is not a replica set member"
            assert command[command.index("--replSet") + 1] == replica_set[0], host
        assert _host(environment["REDIS_URL"]) in services, name
        assert _host(environment["S3_ENDPOINT_URL"]) in services, name


def test_s3_credentials_and_bucket_match_minio(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    minio = _environment(services["minio"])
    bucket_setup = _environment(services["minio-init"])
    nginx = _environment(services["nginx"])
    for name, service in _aperture_services(rendered).items():
        environment = _environment(service)
        assert environment["S3_ACCESS_KEY_ID"] == minio["MINIO_ROOT_USER"], name
        assert environment["S3_SECRET_ACCESS_KEY"] == minio["MINIO_ROOT_PASSWORD"], name
        assert environment["S3_BUCKET"] == bucket_setup["S3_BUCKET"] == nginx["S3_BUCKET"], name


def test_mongodb_replica_set_is_initiated_once(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    members = [name for name, service in services.items() if "--replSet" in _command(service)]
    assert len(members) == 3
    for member in members:
        assert "--bind_ip_all" in _command(services[member])
        assert services[member].get("healthcheck"), member
    init = _command(services["mongo-init"])
    assert init[0] == "mongosh"
    script = init[-1]
    assert "rs.initiate" in script
    assert "NotYetInitialized" in script, "mongo-init must succeed when the set already exists"
    for member in members:
        assert f"{member}:27017" in script


def test_redis_persists_with_aof(rendered: dict[str, Any]) -> None:
    redis = rendered["services"]["redis"]
    command = _command(redis)
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any("/data" in str(volume) for volume in redis["volumes"]), "the AOF file must be on a volume"
    assert redis.get("healthcheck")


def test_bucket_setup_is_idempotent_and_opens_only_media(rendered: dict[str, Any]) -> None:
    script = " ".join(_command(rendered["services"]["minio-init"]))
    assert "mc mb --ignore-existing" in script
    resources = re.findall(r"arn:aws:s3:::[^\"]*", script)
    assert resources, "the anonymous policy should name its resources"
    assert all(resource.endswith("/media/*") for resource in resources), resources
    assert "uploads" not in script


def test_nginx_mounts_its_config(rendered: dict[str, Any]) -> None:
    nginx = rendered["services"]["nginx"]
    assert NGINX_CONF in [source.resolve() for source in _bind_sources(nginx)]


def _block(text: str, opening: str) -> str:
    start = text.index(opening)
    depth = 0
    for index in range(text.index("{", start), len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start : index + 1]
    raise AssertionError(f"unbalanced braces after {opening!r}")


def test_nginx_proxies_websockets_and_caches_media(rendered: dict[str, Any]) -> None:
    conf = re.sub(r"#[^\n]*", "", NGINX_CONF.read_text())
    for name in _services_running(rendered, "api"):
        assert re.search(rf"server\s+{re.escape(name)}:8000\b", conf), f"nginx upstream lacks {name}"
    graphql = _block(conf, "location /graphql")
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", graphql)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade;", graphql)
    assert re.search(r"proxy_read_timeout\s+\d+[hm];", graphql)
    media = _block(conf, "location /media/")
    assert re.search(r"proxy_cache\s+\w+;", media)
    assert re.search(r"proxy_cache_valid\s+200\s+206\s+\w+;", media)
    assert "$slice_range" in media or "$http_range" in media, "the cache key must distinguish ranges"
    assert "X-Cache-Status" in media
    assert re.search(r"proxy_pass\s+http://\w+/\$\{S3_BUCKET\}/media/;", media)


def test_dockerfile_runs_as_a_user_and_installs_magickwand() -> None:
    dockerfile = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim-bookworm\b", dockerfile, re.MULTILINE)
    assert "libmagickwand-6.q16-6" in dockerfile
    assert "--no-install-recommends" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK\b.*/healthz", dockerfile, re.MULTILINE | re.DOTALL)


def test_dockerfile_copies_every_package() -> None:
    dockerfile = DOCKERFILE.read_text()
    copied = {
        Path(source).name
        for line in re.findall(r"^COPY\s+(.+)$", dockerfile, re.MULTILINE)
        for source in line.split()[:-1]
        if not source.startswith("--")
    }
    for source in copied:
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which does not exist"
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {
        path.parent.name
        for pattern in setuptools["packages"]["find"]["include"]
        for path in ROOT.glob(f"{pattern}/__init__.py")
    }
    modules = {f"{module}.py" for module in setuptools["py-modules"]}
    assert packages, "no packages found from pyproject.toml"
    # web/ holds the GraphiQL assets, found next to the source rather than in the wheel
    expected = packages | modules | {"web", "pyproject.toml", "requirements.lock", "README.md"}
    assert expected <= copied, f"the Dockerfile does not copy {sorted(expected - copied)}"
