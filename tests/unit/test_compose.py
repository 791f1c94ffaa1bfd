"""Checks docker-compose.yml and the services' Dockerfile without a Docker engine.

The compose file is loaded by compose-spec's own loader (the library behind `docker compose`),
and the Dockerfile by BuildKit's parser, through the small Go program in
deploy/docker/composecheck. It is built like the other Go tools the tests use
(tests/support/gotools.py), once, from the Go module proxy.
"""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import json
import os
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.gotools import go_tool

pytestmark = pytest.mark.go_tools("composecheck")

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INIT_DIR = ROOT / "deploy" / "docker" / "postgres-init"

APP_PORTS = {"intake": 8000, "routing": 8001, "status": 8002, "notify": 8003}
# The web pages: no database, no Kafka; it talks to the four services over HTTP.
WEB_PORT = 8080
ALL_PORTS = {**APP_PORTS, "web": WEB_PORT}
INFRASTRUCTURE = ("kafka", "postgres")
PASSWORD = "only-in-this-test-7Qx2"  # what the test exports as SIGAP_PG_PASSWORD
JWT_SECRET = "jwt-secret-only-in-this-test-5Kp9"
OTHER_SECRETS = {
    "SIGAP_JWT_SECRET": JWT_SECRET,
    "SIGAP_INTERNAL_TOKEN": "internal-token-only-in-this-test-3Hd8",
    "SIGAP_IDENTITY_KEY": "aWRlbnRpdHkta2V5LW9ubHktaW4tdGhpcy10ZXN0LTE=",
    "SIGAP_WEBHOOK_SECRET_KEY": "d2ViaG9vay1rZXktb25seS1pbi10aGlzLXRlc3QtISE=",
    "SIGAP_WEB_SESSION_SECRET": "web-session-secret-only-in-this-test-8Wq4",
}


def _check(
    checker: Path, compose_file: Path, **variables: str
) -> subprocess.CompletedProcess[str]:
    """Runs the checker with only PATH and the given variables in its environment."""
    return subprocess.run(
        [str(checker), "-f", str(compose_file)],
        check=False,
        env={"PATH": os.environ.get("PATH", ""), **variables},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def checker() -> Path:
    return go_tool("composecheck")


@pytest.fixture(scope="module")
def loaded(checker: Path) -> dict:
    result = _check(checker, COMPOSE_FILE, SIGAP_PG_PASSWORD=PASSWORD, **OTHER_SECRETS)
    assert result.returncode == 0, f"docker-compose.yml does not load:\n{result.stderr}"
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def services(loaded: dict) -> dict:
    return loaded["project"]["services"]


def _published(service: dict) -> dict[int, int]:
    """container port -> host port."""
    return {int(p["target"]): int(p["published"]) for p in service.get("ports", [])}


# --- the model as docker compose sees it ------------------------------------------------


def test_the_seven_services_are_defined(services: dict) -> None:
    assert set(services) == {*INFRASTRUCTURE, *ALL_PORTS}


@pytest.mark.parametrize("name", APP_PORTS)
def test_app_service_waits_for_healthy_kafka_and_postgres(
    services: dict, name: str
) -> None:
    depends_on = services[name]["depends_on"]
    assert set(depends_on) == set(INFRASTRUCTURE)
    for dependency in INFRASTRUCTURE:
        assert depends_on[dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", [*INFRASTRUCTURE, *ALL_PORTS])
def test_every_service_has_a_healthcheck_and_restarts(
    services: dict, name: str
) -> None:
    healthcheck = services[name].get("healthcheck") or {}
    assert healthcheck.get("test") and not healthcheck.get("disable")
    assert healthcheck["test"][0] in ("CMD", "CMD-SHELL")
    assert services[name]["restart"] == "unless-stopped"


@pytest.mark.parametrize(("name", "port"), ALL_PORTS.items())
def test_app_service_publishes_its_port_and_listens_on_it(
    services: dict, name: str, port: int
) -> None:
    service = services[name]
    assert _published(service) == {port: port}
    assert service["environment"]["SIGAP_HTTP_PORT"] == str(port)
    assert service["environment"]["SIGAP_HTTP_HOST"] == "0.0.0.0"


@pytest.mark.parametrize(("name", "port"), ALL_PORTS.items())
def test_app_healthcheck_gets_healthz_and_fails_on_an_error_status(
    services: dict, name: str, port: int
) -> None:
    """Runs the healthcheck command itself against a local server standing in for the service."""
    argv = services[name]["healthcheck"]["test"]
    assert argv[:2] == ["CMD", "python"], "the slim image has python but no curl"
    with _fake_service() as (server_port, set_status):
        command = [sys.executable] + [
            a.replace(f":{port}/", f":{server_port}/") for a in argv[2:]
        ]
        env = {"PATH": os.environ.get("PATH", ""), "SIGAP_HTTP_PORT": str(server_port)}

        set_status(200)
        healthy = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=10, check=False
        )
        assert healthy.returncode == 0, healthy.stderr
        set_status(503)
        unhealthy = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=10, check=False
        )
        assert unhealthy.returncode != 0


@pytest.mark.parametrize("name", APP_PORTS)
def test_app_service_configuration(services: dict, name: str) -> None:
    env = services[name]["environment"]
    assert env["SIGAP_ENVIRONMENT"] == "production"
    assert env["SIGAP_LOG_FORMAT"] == "json"
    assert env["SIGAP_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert (env["SIGAP_PG_HOST"], env["SIGAP_PG_PORT"]) == ("postgres", "5432")
    assert env["SIGAP_PG_DATABASE"] == f"sigap_{name}"
    assert env["SIGAP_PG_USER"] == services["postgres"]["environment"]["POSTGRES_USER"]
    assert env["SIGAP_PG_PASSWORD"] == PASSWORD


@pytest.mark.parametrize("name", ["status", "notify"])
def test_services_that_call_intake_know_where_it_is(services: dict, name: str) -> None:
    # status claims after-photos and reveals identities there; notify resolves reporter contacts.
    env = services[name]["environment"]
    assert env["SIGAP_INTAKE_INTERNAL_URL"] == f"http://intake:{APP_PORTS['intake']}"
    assert env["SIGAP_INTERNAL_TOKEN"] == services["intake"]["environment"]["SIGAP_INTERNAL_TOKEN"]


@pytest.mark.parametrize("name", ["routing", "notify"])
def test_services_with_staff_endpoints_check_accounts_at_status(services: dict, name: str) -> None:
    # Production settings refuse to start without it (a deactivated account must lose access here too).
    env = services[name]["environment"]
    assert env["SIGAP_STATUS_INTERNAL_URL"] == f"http://status:{APP_PORTS['status']}"
    assert env["SIGAP_INTERNAL_TOKEN"] == services["status"]["environment"]["SIGAP_INTERNAL_TOKEN"]


def test_kafka_is_a_single_kraft_node_the_services_can_reach(
    services: dict, loaded: dict
) -> None:
    kafka = services["kafka"]
    env = kafka["environment"]
    assert kafka["image"] == "apache/kafka:3.9.1"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert ":9093" in env["KAFKA_LISTENERS"]
    advertised = [
        listener.split("://", 1)[1]
        for listener in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    ]
    assert "kafka:9092" in advertised
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"
    assert env["KAFKA_NUM_PARTITIONS"] == "6"
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])
    data = [v for v in kafka["volumes"] if v["target"] == env["KAFKA_LOG_DIRS"]]
    assert (
        data
        and data[0]["type"] == "volume"
        and data[0]["source"] in loaded["project"]["volumes"]
    )


def test_postgres_keeps_its_data_and_creates_one_database_per_service(
    services: dict, loaded: dict
) -> None:
    postgres = services["postgres"]
    assert postgres["image"] == "postgres:15"
    assert _published(postgres) == {5432: 55432}
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    mounts = {v["target"]: v for v in postgres["volumes"]}
    data = mounts["/var/lib/postgresql/data"]
    assert data["type"] == "volume" and data["source"] in loaded["project"]["volumes"]
    init = mounts["/docker-entrypoint-initdb.d"]
    assert init["type"] == "bind" and Path(init["source"]) == INIT_DIR

    sql = "\n".join(p.read_text() for p in sorted(INIT_DIR.glob("*.sql")))
    created = set(
        re.findall(
            r"^\s*CREATE DATABASE\s+(\w+)\s*;", sql, re.IGNORECASE | re.MULTILINE
        )
    )
    assert created == {
        services[name]["environment"]["SIGAP_PG_DATABASE"] for name in APP_PORTS
    }


def test_web_waits_for_the_four_services_and_knows_where_they_are(services: dict) -> None:
    web = services["web"]
    assert set(web["depends_on"]) == set(APP_PORTS)
    assert all(dependency["condition"] == "service_healthy" for dependency in web["depends_on"].values())
    env = web["environment"]
    for name, port in APP_PORTS.items():
        assert env[f"SIGAP_WEB_{name.upper()}_URL"] == f"http://{name}:{port}"
    assert env["SIGAP_ENVIRONMENT"] == "production" and env["SIGAP_LOG_FORMAT"] == "json"
    assert env["SIGAP_WEB_SESSION_SECRET"] == OTHER_SECRETS["SIGAP_WEB_SESSION_SECRET"]
    assert not any(key.startswith(("SIGAP_PG_", "SIGAP_KAFKA_")) for key in env), "web has no database or Kafka"


def test_intake_and_status_believe_the_forwarded_browser_address_from_web_alone(loaded: dict, services: dict) -> None:
    """Intake's rate limits and status's failed-login limits count the address web forwards;
    uvicorn matches addresses, not names, so web has a fixed address on a network with a fixed
    subnet, and those two trust that."""
    [subnet] = [ipaddress.ip_network(pool["subnet"]) for pool in loaded["project"]["networks"]["default"]["ipam"]["config"]]
    web_address = ipaddress.ip_address(services["web"]["networks"]["default"]["ipv4_address"])
    assert web_address in subnet
    for name in ("intake", "status"):
        assert services[name]["environment"]["SIGAP_FORWARDED_ALLOW_IPS"] == str(web_address), name
    others = [name for name in (*APP_PORTS, "web") if name not in ("intake", "status")]
    assert not any("SIGAP_FORWARDED_ALLOW_IPS" in (services[name].get("environment") or {}) for name in others)


def test_intake_recognises_cropped_mirrored_and_turned_copies_unless_told_otherwise(services: dict) -> None:
    """The scalable reuse check (SIFT keys + ORB) is on in the deployment, off only in code."""
    from sigap_intake.settings import IntakeSettings

    assert IntakeSettings.model_fields["photo_reuse_keys"].default is False
    assert services["intake"]["environment"]["SIGAP_PHOTO_REUSE_KEYS"] == "true"


# --- no default secret ------------------------------------------------------------------


@pytest.mark.parametrize(
    "variables",
    [dict(OTHER_SECRETS), {"SIGAP_PG_PASSWORD": "", **OTHER_SECRETS}],
    ids=["unset", "empty"],
)
def test_compose_refuses_to_start_without_a_password(
    checker: Path, variables: dict
) -> None:
    result = _check(checker, COMPOSE_FILE, **variables)
    assert result.returncode != 0
    assert "SIGAP_PG_PASSWORD" in result.stderr


def test_every_password_comes_from_the_operator(services: dict) -> None:
    raw = COMPOSE_FILE.read_text()
    references = re.findall(r"\$\{SIGAP_PG_PASSWORD([^}]*)\}", raw)
    assert len(references) >= 2, "the services and postgres both take SIGAP_PG_PASSWORD"
    assert all(r.startswith(":?") for r in references), references
    passwords = {
        (name, key): value
        for name, service in services.items()
        for key, value in (service.get("environment") or {}).items()
        if "PASSWORD" in key
    }
    assert ("postgres", "POSTGRES_PASSWORD") in passwords
    assert set(passwords.values()) == {PASSWORD}, passwords


# --- the images -------------------------------------------------------------------------


SERVICE_DOCKERFILE = "deploy/docker/service.Dockerfile"


def _stages(instructions: list[dict]) -> list[list[dict]]:
    stages: list[list[dict]] = []
    for instruction in instructions:
        if instruction["name"] == "from":
            stages.append([])
        assert stages, "a Dockerfile starts with FROM (after ARG at most)"
        stages[-1].append(instruction)
    return stages


def _stage_name(stage: list[dict]) -> str | None:
    args = stage[0]["args"]
    return args[2] if len(args) == 3 and args[1].upper() == "AS" else None


def _expand(stage: list[dict], build_args: dict[str, str]) -> list[dict]:
    """The stage with build args substituted as the builder does: a stage sees only the args it
    declares with ARG after its FROM; anything else (such as $PATH) is left as written."""
    seen: dict[str, str] = {}
    for instruction in stage:
        if instruction["name"] == "arg":
            for declaration in instruction["args"]:
                name, _, default = declaration.partition("=")
                seen[name] = build_args.get(name, default)

    def substitute(text: str) -> str:
        return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: seen.get(m[1] or m[2], m[0]), text)

    return [{**i, "args": [substitute(a) for a in i["args"]]} for i in stage]


def _image(by_name: dict[str | None, list[dict]], target: str) -> list[dict]:
    """The instructions of the image a target builds: its stage after the stages it is FROM."""
    chain = [by_name[target]]
    while chain[0][0]["args"][0] in by_name:
        chain.insert(0, by_name[chain[0][0]["args"][0]])
    return [instruction for stage in chain for instruction in stage]


@pytest.mark.parametrize(("name", "port"), ALL_PORTS.items())
def test_app_image_installs_its_package_and_runs_its_console_script(
    services: dict, loaded: dict, tmp_path: Path, name: str, port: int
) -> None:
    build = services[name]["build"]
    assert Path(build["context"]) == ROOT
    assert build["dockerfile"] == SERVICE_DOCKERFILE, "one Dockerfile builds every service"
    assert build["args"] == {"SERVICE": name, "PORT": str(port)}
    assert build["target"] == ("web" if name == "web" else "service")
    dockerfile = loaded["dockerfiles"][name]
    assert dockerfile["warnings"] == []
    stages = [_expand(stage, build["args"]) for stage in _stages(dockerfile["instructions"])]
    by_name = {_stage_name(stage): stage for stage in stages}
    image = _image(by_name, build["target"])
    assert image[0]["args"][0] == "python:3.11-slim", "a slim runtime image"

    copied_from = [
        by_name[flag.removeprefix("--from=")]
        for i in image
        if i["name"] == "copy"
        for flag in i["flags"]
        if flag.startswith("--from=")
    ]
    bases = {stage[0]["args"][0] for stage in copied_from}
    if name == "web":
        # The npm libraries are installed from the lockfile in a node stage; only their files
        # are copied into the runtime image.
        assert bases == {"python:3.11-slim", "node:20-slim"}
        node = [stage for stage in copied_from if stage[0]["args"][0] == "node:20-slim"]
        node_runs = [" ".join(i["args"]) for i in node[0] if i["name"] == "run"]
        assert any("npm ci" in r for r in node_runs), node_runs
    else:
        assert bases == {"python:3.11-slim"}, "only the web image carries the npm libraries"

    runs = [
        " ".join(i["args"])
        for stage in copied_from
        for i in stage
        if i["name"] == "run"
    ]
    assert any("pip install" in r and "uv==0.9.30" in r for r in runs), runs
    sync = [r.split() for r in runs if "uv sync" in r]
    assert sync and {"--frozen", "--no-dev"} <= set(sync[0])
    assert sync[0][sync[0].index("--package") + 1].strip('"') == f"sigap-{name}"

    users = [i["args"][0] for i in image if i["name"] == "user"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert [i["args"] for i in image if i["name"] == "expose"] == [[str(port)]]
    env = {
        i["args"][k]: i["args"][k + 1]
        for i in image
        if i["name"] == "env"
        for k in range(0, len(i["args"]), 3)
    }
    cmd = [i for i in image if i["name"] == "cmd"][-1]
    assert cmd["json"], "exec form: no shell is left between the container and its signals"
    # Runs the command against a stand-in console script: it must start sigap-<name> and,
    # through exec, be the very process the container started.
    script = tmp_path / f"sigap-{name}"
    script.write_text('#!/bin/sh\necho "$$"\n')
    script.chmod(0o755)
    started = subprocess.Popen(
        cmd["args"],
        env={**env, "PATH": env["PATH"].replace("/app/.venv/bin", str(tmp_path))},
        stdout=subprocess.PIPE,
        text=True,
    )
    output, _ = started.communicate(timeout=10)
    assert started.returncode == 0
    assert output.strip() == str(started.pid)

    pyproject = tomllib.loads((ROOT / "services" / name / "pyproject.toml").read_text())
    assert (
        pyproject["project"]["scripts"][f"sigap-{name}"]
        == f"sigap_{name}.bootstrap:main"
    )


@pytest.mark.parametrize("name", ALL_PORTS)
def test_app_image_copies_only_what_the_build_context_holds(
    loaded: dict, name: str
) -> None:
    ignore = [
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
    ]
    for instruction in loaded["dockerfiles"][name]["instructions"]:
        if instruction["name"] != "copy" or any(
            f.startswith("--from") for f in instruction["flags"]
        ):
            continue
        for source in instruction["args"][:-1]:
            assert (ROOT / source).exists(), source
            if "*" in ignore:
                # Kept when .dockerignore re-includes it or a folder holding it ("!services/").
                kept = [p[1:] for p in ignore if p.startswith("!")]
                path = source.removeprefix("./")
                assert any(path == p or (p.endswith("/") and path.startswith(p)) for p in kept), (
                    f".dockerignore drops {source}"
                )


# --- the checker can fail ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        (
            "      condition: service_healthy\n",
            "      condition: service_healty\n",
            "condition value must be one of",
        ),
        (
            "    postgres:\n      condition:",
            "    postgress:\n      condition:",
            "postgress",
        ),
        ("    restart: unless-stopped\n", "    restarts: unless-stopped\n", "restarts"),
    ],
    ids=["bad-condition", "undefined-dependency", "unknown-key"],
)
def test_checker_rejects_a_broken_compose_file(
    checker: Path, tmp_path: Path, old: str, new: str, complaint: str
) -> None:
    original = COMPOSE_FILE.read_text()
    assert old in original, "the mutation no longer applies: update this test"
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(original.replace(old, new, 1))
    result = _check(checker, broken, SIGAP_PG_PASSWORD=PASSWORD, **OTHER_SECRETS)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_checker_rejects_a_broken_dockerfile(checker: Path, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FORM python:3.11-slim\nCMD ["app"]\n')
    (tmp_path / "docker-compose.yml").write_text("services:\n  app:\n    build: .\n")
    result = _check(checker, tmp_path / "docker-compose.yml")
    assert result.returncode != 0
    assert "unknown instruction" in result.stderr


# --- helpers ----------------------------------------------------------------------------


class _StatusHandler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = type(self).status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@contextlib.contextmanager
def _fake_service() -> Iterator[tuple[int, Callable[[int], None]]]:
    """A local HTTP server answering GET /healthz with a status the test chooses."""
    handler = type("Handler", (_StatusHandler,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()

    def set_status(code: int) -> None:
        handler.status = code

    try:
        yield server.server_address[1], set_status
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("missing", sorted(OTHER_SECRETS))
def test_compose_refuses_to_start_without_each_service_secret(checker: Path, missing: str) -> None:
    variables = {"SIGAP_PG_PASSWORD": PASSWORD, **OTHER_SECRETS}
    del variables[missing]
    result = _check(checker, COMPOSE_FILE, **variables)
    assert result.returncode != 0
    assert missing in result.stderr
