"""deploy/prometheus and deploy/grafana agree with the code: names that exist, rules that behave, docs per panel."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import faust
import pytest
from prometheus_client import REGISTRY, CollectorRegistry

from agents.metrics import setup_faust_sensors
from tests.conftest import REPO

DEPLOY = REPO / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "wirewatch-overview.json"
RULES = sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"), "gauge": ("",)}


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("promtool not found")
        pytest.skip("promtool not found (apt-get install prometheus)")
    return path


def _exported_names() -> set[str]:
    """Every sample name the worker can export: ours, Faust's sensor's, and Prometheus's own `up`."""
    faust_registry = CollectorRegistry()
    setup_faust_sensors(faust.App("deploy-names-test", broker="memory://", web_enabled=False), registry=faust_registry)
    names = {"up"}
    for registry in (REGISTRY, faust_registry):
        for family in registry.collect():
            names |= {family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",))}
    return names


def _panel_exprs() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]


def test_dashboard_json_is_built_from_its_generator():
    """The committed dashboard is exactly what deploy/grafana/dashboard.py builds."""
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "grafana" / "dashboard.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_series_named_in_dashboard_and_rules_is_exported():
    """A typo in a metric name is caught here, before any Prometheus runs."""
    texts = [expr for _, expr in _panel_exprs()] + [path.read_text(encoding="utf-8") for path in RULES]
    used = {
        name for text in texts for name in re.findall(r"\b((?:wirewatch|faust|process)_[a-z_]+|up)\b(?=[{\[)\s])", text)
    }
    assert used - _exported_names() == set()
    assert {"wirewatch_consumer_lag", "wirewatch_alert_latency_seconds_bucket"} <= used


def test_panels_use_the_provisioned_datasource_and_unique_titles():
    """Every panel queries datasource uid `prometheus` (deploy/grafana/provisioning) and titles are unique."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert {t["datasource"]["uid"] for p in panels for t in p["targets"]} == {"prometheus"}
    titles = [p["title"] for p in panels]
    assert len(titles) == len(set(titles))


def test_operations_doc_explains_every_panel():
    """docs/OPERATIONS.md has a heading for each dashboard panel."""
    doc = (REPO / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#### (.+)$", doc, re.M))
    missing = [title for title in dict.fromkeys(t for t, _ in _panel_exprs()) if title not in headings]
    assert missing == []


def test_alert_rules_are_valid_and_behave_as_their_unit_tests_say():
    """`promtool check rules` is clean and `promtool test rules` passes (a firing and a quiet case per alert)."""
    promtool = _promtool()
    check = subprocess.run([promtool, "check", "rules", *map(str, RULES)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    tests = sorted((DEPLOY / "prometheus" / "tests").glob("*.yml"))
    result = subprocess.run([promtool, "test", "rules", *map(str, tests)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_config_is_valid_with_local_targets(tmp_path):
    """The shipped prometheus.yml, copied unchanged beside the rules and a local targets file, checks clean."""
    promtool = _promtool()
    (tmp_path / "targets").mkdir()
    shutil.copy(DEPLOY / "prometheus" / "prometheus.yml", tmp_path)
    (tmp_path / "rules").symlink_to(DEPLOY / "prometheus" / "rules")
    (tmp_path / "targets" / "wirewatch.json").write_text('[{"targets": ["127.0.0.1:6066"]}]')
    result = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
