"""The Helm chart in deploy/helm/sigap, checked with Helm itself (lint, template) and by reading
what it renders with the default values, the production values and a chart-made Secret:

- a Deployment, Service and PodDisruptionBudget for each of the five services, with probes on
  /readyz and /healthz, resources, and a non-root, read-only, unprivileged container;
- every secret a service's settings declare (each `SecretStr` field) comes from a Secret, and
  no secret is ever a plain value;
- NetworkPolicies: the web pages only from the ingress controller (and Prometheus), the APIs
  only from Sigap's own pods, the ingress controller where the ingress sends it, and Prometheus;
  the web service reaches nothing but the APIs and DNS; PostgreSQL only from the data services;
- production: 3 copies of each topic, 2 in sync; HPAs on CPU, and on consumer lag for the
  consumers; the Strimzi example lets each department read only its own topic.

Helm is built from the Go module proxy (deploy/helm/tool/go.mod) on the first run."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from sigap_intake.settings import IntakeSettings
from sigap_notify.settings import NotifySettings
from sigap_routing.settings import RoutingSettings
from sigap_shared.events import all_topics
from sigap_shared.settings import ServiceSettings
from sigap_status.settings import StatusSettings
from sigap_web.settings import WebSettings
from tests.support.gotools import go_tool
from tests.support.infra import REPO_ROOT

pytestmark = pytest.mark.go_tools("helm")

CHART = REPO_ROOT / "deploy" / "helm" / "sigap"
PRODUCTION = CHART / "values-production.yaml"
EXAMPLES = REPO_ROOT / "deploy" / "helm" / "examples"
RELEASE = "sigap"
NAMESPACE = "sigap"
SETTINGS = {
    "intake": IntakeSettings,
    "routing": RoutingSettings,
    "status": StatusSettings,
    "notify": NotifySettings,
    "web": WebSettings,
}
DATA_SERVICES = ("intake", "routing", "status", "notify")
CHART_MADE_SECRETS = {
    "SIGAP_PG_PASSWORD": "pg-only-in-this-test",
    "SIGAP_JWT_SECRET": "jwt-only-in-this-test",
    "SIGAP_INTERNAL_TOKEN": "internal-only-in-this-test",
    "SIGAP_IDENTITY_KEY": "aWRlbnRpdHkta2V5LW9ubHktaW4tdGhpcy10ZXN0LTE=",
    "SIGAP_WEBHOOK_SECRET_KEY": "d2ViaG9vay1rZXktb25seS1pbi10aGlzLXRlc3QtISE=",
    "SIGAP_WEB_SESSION_SECRET": "session-only-in-this-test",
    "SIGAP_SMTP_PASSWORD": "smtp-only-in-this-test",
}


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice in one mapping (the API server would too)."""


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    keys = [loader.construct_object(key, deep=deep) for key, _ in node.value]
    twice = [key for key, count in Counter(map(str, keys)).items() if count > 1]
    if twice:
        raise yaml.constructor.ConstructorError(None, None, f"keys given twice: {twice}", node.start_mark)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


@pytest.fixture(scope="module")
def helm() -> Path:
    return go_tool("helm")


def _helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], check=False, capture_output=True, text=True, timeout=120)


def _render(helm: Path, *args: str) -> list[dict]:
    rendered = _helm(helm, "template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args)
    assert rendered.returncode == 0, rendered.stderr
    return [doc for doc in yaml.load_all(rendered.stdout, Loader=_UniqueKeyLoader) if doc]


@pytest.fixture(scope="module")
def default(helm) -> list[dict]:
    return _render(helm)


@pytest.fixture(scope="module")
def production(helm) -> list[dict]:
    return _render(helm, "-f", str(PRODUCTION))


@pytest.fixture(scope="module")
def chart_made_secret(helm) -> list[dict]:
    return _render(
        helm, "--set", "secrets.create=true", *[f"--set-string=secrets.values.{k}={v}" for k, v in CHART_MADE_SECRETS.items()]
    )


def _of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def _deployments(docs: list[dict]) -> dict[str, dict]:
    """Deployments by the service they run."""
    return {
        doc["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]: doc
        for doc in _of_kind(docs, "Deployment").values()
    }


def _container(deployment: dict) -> dict:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _env(deployment: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in _container(deployment)["env"]}


def _secret_variables(service: str) -> set[str]:
    """SIGAP_* names of the secrets a service's settings declare; the web service's are only
    its own (it holds no database password and signs no staff tokens)."""
    settings = SETTINGS[service]
    names = set(settings.model_fields)
    if service == "web":
        names -= set(ServiceSettings.model_fields)
    return {
        f"SIGAP_{name.upper()}"
        for name in names
        if "SecretStr" in str(settings.model_fields[name].annotation)
        or settings.model_fields[name].annotation is SecretStr
    }


@pytest.mark.parametrize("values", [[], ["-f", str(PRODUCTION)]], ids=["default", "production"])
def test_helm_lints_the_chart(helm, values):
    linted = _helm(helm, "lint", "--strict", str(CHART), *values)
    assert linted.returncode == 0, linted.stdout + linted.stderr


@pytest.mark.parametrize("which", ["default", "production", "chart_made_secret"])
def test_every_service_runs_with_probes_resources_and_no_privileges(which, request):
    docs = request.getfixturevalue(which)
    deployments = _deployments(docs)
    assert set(deployments) == set(SETTINGS)
    services = {doc["spec"]["selector"]["app.kubernetes.io/component"]: doc for doc in _of_kind(docs, "Service").values()}
    budgets = {
        doc["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]: doc
        for doc in _of_kind(docs, "PodDisruptionBudget").values()
    }
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        labels = pod["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
        assert services[name]["spec"]["selector"].items() <= labels.items(), name
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
        container = _container(deployment)
        port = container["ports"][0]["containerPort"]
        assert str(port) == _env(deployment)["SIGAP_HTTP_PORT"]["value"], name
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, name
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][bound]), (name, bound)
        pod_security = pod["spec"]["securityContext"]
        assert pod_security["runAsNonRoot"] is True and pod_security["runAsUser"] > 0, name
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        assert pod["spec"]["automountServiceAccountToken"] is False, name
        assert pod["metadata"]["annotations"]["prometheus.io/path"] == "/metrics", name


@pytest.mark.parametrize("which", ["default", "production", "chart_made_secret"])
def test_every_secret_comes_from_a_secret(which, request):
    docs = request.getfixturevalue(which)
    every_secret = set().union(*map(_secret_variables, SETTINGS))
    for name, deployment in _deployments(docs).items():
        env = _env(deployment)
        for variable in _secret_variables(name):
            assert variable in env, (name, variable)
            assert "value" not in env[variable], (name, variable)
            assert env[variable]["valueFrom"]["secretKeyRef"]["name"] == "sigap-secrets", (name, variable)
        plain = {variable for variable, entry in env.items() if "value" in entry}
        assert not plain & every_secret, (name, plain & every_secret)


def test_the_web_service_gets_no_database_or_kafka_settings(default):
    env = _env(_deployments(default)["web"])
    assert not [name for name in env if name.startswith(("SIGAP_PG_", "SIGAP_KAFKA_"))]
    assert env["SIGAP_WEB_STATUS_URL"]["value"] == "http://sigap-status:8002"


def test_a_chart_made_secret_holds_the_given_values(chart_made_secret, helm):
    (secret,) = _of_kind(chart_made_secret, "Secret").values()
    assert secret["metadata"]["name"] == "sigap-secrets"
    assert secret["stringData"] == CHART_MADE_SECRETS
    missing = _helm(helm, "template", RELEASE, str(CHART), "--set", "secrets.create=true")
    assert missing.returncode != 0
    assert "secrets.values.SIGAP_PG_PASSWORD is required" in missing.stderr


def _ingress_sources(policy: dict) -> list[dict]:
    return [peer for rule in policy["spec"].get("ingress", []) for peer in rule["from"]]


@pytest.mark.parametrize("which", ["default", "production"])
def test_network_policies_let_only_the_web_service_and_the_ingress_reach_the_apis(which, request):
    docs = request.getfixturevalue(which)
    policies = _of_kind(docs, "NetworkPolicy")
    ingress_controller = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    prometheus = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    own_pods = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "sigap", "app.kubernetes.io/instance": RELEASE}}}
    routed = set()
    for ingress in _of_kind(docs, "Ingress").values():
        for path in ingress["spec"]["rules"][0]["http"]["paths"]:
            routed.add(path["backend"]["service"]["name"].removeprefix(f"{RELEASE}-"))
    for name in SETTINGS:
        policy = policies[f"{RELEASE}-{name}-ingress"]
        assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == name
        sources = _ingress_sources(policy)
        expected = [prometheus]
        if name == "web" or name in routed:
            expected.append(ingress_controller)
        if name != "web":
            expected.append(own_pods)
        assert sorted(map(str, sources)) == sorted(map(str, expected)), (name, sources)
    web_egress = policies[f"{RELEASE}-web-egress"]["spec"]
    assert web_egress["policyTypes"] == ["Egress"]
    api, dns = web_egress["egress"]
    assert api["to"][0]["podSelector"]["matchLabels"]["sigap.io/data-access"] == "true"
    assert {port["port"] for port in api["ports"]} == {8000, 8001, 8002, 8003}
    assert {port["port"] for port in dns["ports"]} == {53}


def test_in_production_only_the_data_services_reach_postgresql(production):
    policy = _of_kind(production, "NetworkPolicy")[f"{RELEASE}-postgres-clients"]
    assert policy["metadata"]["namespace"] == "postgres"
    assert policy["spec"]["podSelector"] == {"matchLabels": {"cnpg.io/cluster": "sigap-pg"}}
    services, own_instances, operator = policy["spec"]["ingress"]
    assert services == {
        "from": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/instance": RELEASE, "sigap.io/data-access": "true"}},
            }
        ],
        "ports": [{"port": 5432}],
    }
    assert own_instances == {"from": [{"podSelector": {}}]}
    assert operator["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "cnpg-system"}
    labelled = {
        name
        for name, deployment in _deployments(production).items()
        if deployment["spec"]["template"]["metadata"]["labels"].get("sigap.io/data-access") == "true"
    }
    assert labelled == set(DATA_SERVICES)


def test_production_replicates_topics_and_scales_on_cpu_and_consumer_lag(production):
    deployments = _deployments(production)
    for name in DATA_SERVICES:
        env = _env(deployments[name])
        assert env["SIGAP_KAFKA_REPLICATION_FACTOR"]["value"] == "3", name
        assert env["SIGAP_KAFKA_MIN_INSYNC_REPLICAS"]["value"] == "2", name
    autoscalers = {doc["spec"]["scaleTargetRef"]["name"]: doc for doc in _of_kind(production, "HorizontalPodAutoscaler").values()}
    assert set(autoscalers) == {f"{RELEASE}-{name}" for name in SETTINGS}
    for name in SETTINGS:
        assert "replicas" not in deployments[name]["spec"], name  # the HPA owns the count
        metrics = autoscalers[f"{RELEASE}-{name}"]["spec"]["metrics"]
        assert metrics[0]["resource"]["name"] == "cpu", name
        lag = [metric["external"]["metric"] for metric in metrics if metric["type"] == "External"]
        if name in ("routing", "status", "notify"):
            assert lag == [{"name": "sigap_consumer_lag_messages", "selector": {"matchLabels": {"service": name}}}]
        else:
            assert lag == []


def test_the_strimzi_example_lets_each_department_read_only_its_own_topic():
    docs = [doc for doc in yaml.load_all((EXAMPLES / "strimzi-kafka.yaml").read_text(), Loader=_UniqueKeyLoader) if doc]
    topics = {doc["spec"].get("topicName", doc["metadata"]["name"]): doc["spec"] for doc in docs if doc["kind"] == "KafkaTopic"}
    assert set(all_topics()) <= set(topics)
    for name, spec in topics.items():
        assert (spec["replicas"], spec["config"]["min.insync.replicas"]) == (3, 2), name
    users = [doc for doc in docs if doc["kind"] == "KafkaUser"]
    assert users
    for user in users:
        code = user["metadata"]["name"].removeprefix("sigap-department-")
        acls = user["spec"]["authorization"]["acls"]
        topic_acls = [acl for acl in acls if acl["resource"]["type"] == "topic"]
        assert topic_acls == [
            {
                "resource": {"type": "topic", "name": f"sigap.department.{code.upper()}", "patternType": "literal"},
                "operations": ["Read", "Describe"],
            }
        ], user["metadata"]["name"]
        assert f"sigap.department.{code.upper()}" in topics
        others = [acl for acl in acls if acl["resource"]["type"] != "topic"]
        assert all(acl["resource"]["type"] == "group" and acl["operations"] == ["Read"] for acl in others)
    (kafka,) = [doc for doc in docs if doc["kind"] == "Kafka"]
    plain = next(listener for listener in kafka["spec"]["kafka"]["listeners"] if listener["name"] == "plain")
    assert plain["networkPolicyPeers"][0]["podSelector"]["matchLabels"]["sigap.io/data-access"] == "true"
