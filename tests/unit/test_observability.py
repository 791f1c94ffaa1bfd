"""The alert rules and the Grafana dashboard in deploy/observability/, checked with Prometheus's
own promtool (built from the Go module proxy): the rules load, each alert fires on the series
that should wake an operator (alerts.test.yml), every dashboard query parses as PromQL, and
every metric they use is one the services define and docs/metrics.md describes."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml
from prometheus_client import REGISTRY

# The services' own metrics register on import, beside the shared ones.
import sigap_intake.metrics  # noqa: F401
import sigap_notify.metrics  # noqa: F401
import sigap_routing.metrics  # noqa: F401
import sigap_shared.metrics  # noqa: F401
import sigap_status.metrics  # noqa: F401
from tests.support.gotools import go_tool
from tests.support.infra import REPO_ROOT

pytestmark = pytest.mark.go_tools("promtool")

OBSERVABILITY = REPO_ROOT / "deploy" / "observability"
METRICS_DOC = REPO_ROOT / "docs" / "metrics.md"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
METRIC_NAME = re.compile(r"\bsigap_[a-z_]+\b")


@pytest.fixture(scope="module")
def promtool():
    return go_tool("promtool")


def _promtool(promtool, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(promtool), *args], cwd=OBSERVABILITY, capture_output=True, text=True, timeout=120, check=False
    )


def _defined() -> dict[str, str]:
    """Series names the services expose (sigap_*), each with the family it belongs to."""
    names = {}
    for family in REGISTRY.collect():
        if family.name.startswith("sigap_") and not family.name.startswith("sigap_test_"):
            for suffix in SUFFIXES[family.type]:
                names[family.name + suffix] = family.name
    return names


def _dashboard_queries() -> list[str]:
    dashboard = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def _alert_queries() -> list[str]:
    rules = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_the_alert_rules_load(promtool):
    checked = _promtool(promtool, "check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_alert_fires_when_it_should(promtool):
    tested = _promtool(promtool, "test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    tested_alerts = {
        case["alertname"]
        for test in yaml.safe_load((OBSERVABILITY / "alerts.test.yml").read_text())["tests"]
        for case in test["alert_rule_test"]
    }
    alerts = {
        rule["alert"] for group in yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())["groups"] for rule in group["rules"]
    }
    assert tested_alerts == alerts


def test_every_dashboard_query_is_promql(promtool, tmp_path):
    # promtool parses rule expressions: the queries go in as recording rules, variables filled in.
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"sigap_dashboard:panel_{n}", "expr": query.replace("$job", ".*")}
                    for n, query in enumerate(_dashboard_queries())
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump(rules))
    checked = _promtool(promtool, "check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_metric_used_is_defined_and_documented():
    defined = _defined()
    used = {name for query in _dashboard_queries() + _alert_queries() for name in METRIC_NAME.findall(query)}
    assert used - set(defined) == set()
    documented = set(METRIC_NAME.findall(METRICS_DOC.read_text()))
    families = set(defined.values())
    exposed_names = {name for name in defined if name.removesuffix("_total") in families or name in families}
    assert exposed_names - documented - {n for n in defined if n.endswith(("_bucket", "_count", "_sum"))} == set()
    assert families - {name.removesuffix("_total") for name in documented} == set()
    # Every family is on the dashboard or behind an alert, apart from the histogram's raw parts.
    assert families - {defined[name] for name in used} == set()
