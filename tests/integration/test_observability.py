"""Observability for real: a `wirewatch worker` on the real broker, scraped by Debian's Prometheus.

Prometheus runs from its own binary on a free 127.0.0.1 port with its own storage directory, using
deploy/prometheus/prometheus.yml unchanged (targets written beside a copy of it), so a packaged
Prometheus service on :9090, if any, is neither needed nor touched.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import REPO, SEED_PUBLISHED
from tests.integration.conftest import Namespace, produce

pytestmark = pytest.mark.integration

DEPLOY = REPO / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "wirewatch-overview.json"
SCRAPE_INTERVAL = 5.0  # deploy/prometheus/prometheus.yml, job wirewatch


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found (Debian: apt-get install prometheus; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait(what: str, check: Callable[[], Any], timeout: float, on_fail: Callable[[], str] = str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except (OSError, urllib.error.URLError):
            result = None
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{on_fail()}")


@dataclass
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def query(self, expr: str, **params: str) -> list[dict[str, Any]]:
        path = "query_range" if "start" in params else "query"
        query = urllib.parse.urlencode({"query": expr, **params})
        status, body = _get(f"{self.url}/api/v1/{path}?{query}")
        payload = json.loads(body)
        assert status == 200, (expr, payload)
        return list(payload["data"]["result"])

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[Callable[[str], Prometheus]]:
    """Start Prometheus against one worker address, with the project's own config and rules."""
    binary = _tool("prometheus")
    started: list[Prometheus] = []

    def start(target: str) -> Prometheus:
        home = tmp_path / "prometheus"
        (home / "targets").mkdir(parents=True)
        shutil.copy(DEPLOY / "prometheus" / "prometheus.yml", home / "prometheus.yml")
        (home / "rules").symlink_to(DEPLOY / "prometheus" / "rules")
        (home / "targets" / "wirewatch.json").write_text(json.dumps([{"targets": [target]}]))
        port = _free_port()
        log = home / "prometheus.log"
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={home / 'prometheus.yml'}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        server = Prometheus(f"http://127.0.0.1:{port}", process, log)
        started.append(server)
        _wait("Prometheus to be ready", lambda: _get(f"{server.url}/-/ready")[0] == 200, 30, log.read_text)
        return server

    yield start
    for server in started:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def _web_port(namespace: Namespace) -> int:
    """The worker logs its settings (web port included) as its first JSON line."""

    def find() -> int | None:
        for line in (namespace.tmp / "worker0.log").read_text(errors="replace").splitlines():
            if '"worker_starting"' in line:
                return int(orjson.loads(line)["web_port"])
        return None

    port: int = _wait("the worker's start-up line", find, 60, namespace.logs)
    return port


def _panel_queries() -> list[tuple[str, str, bool]]:
    """(panel title, expr, instant) for every target of every panel."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [
        (panel["title"], target["expr"], bool(target.get("instant")))
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def _has_data(result: list[dict[str, Any]]) -> bool:
    values = [sample for series in result for sample in series.get("values", [series.get("value")]) if sample]
    return any(not math.isnan(float(value)) for _, value in values)


def test_real_prometheus_scrapes_the_worker_loads_the_rules_and_answers_every_panel(
    namespace: Namespace, prometheus_for: Callable[[str], Prometheus], seed_text: tuple[str, str]
) -> None:
    """A worker handling an original, a copy on another topic and a malformed message exposes lint-clean
    metrics and health pages; Prometheus scrapes it with the shipped config, evaluates every shipped rule
    without error, and every query of the shipped dashboard returns data; every log line is JSON."""
    promtool = _tool("promtool")
    headline, body = seed_text
    original = {"id": "obs-seed", "headline": headline, "body": body, "source": "M5 Dergi", "published": SEED_PUBLISHED}
    copy = {**original, "id": "obs-copy", "source": "Daily Sabah", "headline": headline.removesuffix(" - M5 Dergi")}

    namespace.start_worker()
    worker = f"127.0.0.1:{_web_port(namespace)}"
    _wait("/readyz", lambda: _get(f"http://{worker}/readyz")[0] == 200, 90, namespace.logs)
    prometheus = prometheus_for(worker)
    began = time.time()
    # A first scrape before any article, so that every rate sees the counters move from 0.
    _wait("a first scrape", lambda: prometheus.value('count(wirewatch_articles_total{job="wirewatch"})'), 30)

    asyncio.run(produce(namespace.broker, namespace.raw, [(b"obs-seed", orjson.dumps(original))], partition=0))
    asyncio.run(produce(namespace.broker, namespace.raw, [(b"bad", b'{"id": "broken", ')], partition=1))
    asyncio.run(produce(namespace.broker, namespace.raw_b, [(b"obs-copy", orjson.dumps(copy))], partition=3))
    articles = asyncio.run(namespace.collect(namespace.articles, until=2, timeout=60))
    assert [a["duplicate_of"] for a in articles] == [None, "obs-seed"], namespace.logs()
    asyncio.run(namespace.collect(namespace.alerts, until=1, timeout=30))

    _wait(
        "the processed articles in Prometheus",
        lambda: (prometheus.value('sum(wirewatch_articles_total{job="wirewatch"})') or 0) >= 3,
        30,
    )
    time.sleep(2 * SCRAPE_INTERVAL + 1)  # two more scrapes: series first seen above now have two samples

    counts = {
        (s["metric"]["topic"], s["metric"]["outcome"]): float(s["value"][1])
        for s in prometheus.query('wirewatch_articles_total{job="wirewatch"} > 0')
    }
    assert counts == {
        (namespace.raw, "processed"): 1,
        (namespace.raw, "dead_lettered"): 1,
        (namespace.raw_b, "duplicate"): 1,
    }
    assert prometheus.value('wirewatch_alerts_total{rule="leaders-meeting", kind="new"}') == 1
    assert prometheus.value('wirewatch_dead_letters_total{stage="enrich", reason="invalid_json"}') == 1

    status, scrape = _get(f"http://{worker}/metrics")
    assert status == 200
    lint = subprocess.run([promtool, "check", "metrics"], input=scrape, capture_output=True, check=False)
    assert (lint.returncode, lint.stdout + lint.stderr) == (0, b"")

    rules = subprocess.run(
        [promtool, "check", "rules", *map(str, sorted((DEPLOY / "prometheus" / "rules").glob("*.yml")))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rules.returncode == 0, rules.stdout + rules.stderr
    config = subprocess.run(
        [promtool, "check", "config", str(prometheus.log.parent / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert config.returncode == 0, config.stdout + config.stderr

    for page, key in (("healthz", "live"), ("readyz", "ready")):
        status, body = _get(f"http://{worker}/{page}")
        assert (status, json.loads(body)[key]) == (200, True), body

    def rules_evaluated() -> list[dict[str, Any]] | None:
        _, body = _get(f"{prometheus.url}/api/v1/rules")
        loaded = [r for g in json.loads(body)["data"]["groups"] for r in g["rules"]]
        return loaded if loaded and all(r["health"] != "unknown" for r in loaded) else None

    evaluated = _wait("the rules to be evaluated", rules_evaluated, 30)
    assert {r["name"]: r["health"] for r in evaluated} == {r["name"]: "ok" for r in evaluated}
    assert len(evaluated) == 7

    end = time.time()
    window = {"start": f"{began:.3f}", "end": f"{end:.3f}", "step": "1"}
    empty, report = [], []
    for title, expr, instant in _panel_queries():
        result = prometheus.query(expr) if instant else prometheus.query(expr, **window)
        if not _has_data(result):
            empty.append(f"{title}: {expr}")
        report.append({"panel": title, "expr": expr, "result": result})
    if os.environ.get("WIREWATCH_PANEL_REPORT"):  # what each panel showed, for docs/OPERATIONS.md
        Path(os.environ["WIREWATCH_PANEL_REPORT"]).write_text(json.dumps(report, indent=1))
    assert empty == [], "panels without data:\n" + "\n".join(empty)

    lines = (namespace.tmp / "worker0.log").read_text(errors="replace").splitlines()
    records = [orjson.loads(line) for line in lines]  # every line is one JSON object
    assert all({"event", "level", "timestamp", "logger"} <= r.keys() for r in records)
    loggers = {r["logger"].split(".")[0] for r in records}
    assert {"agents", "faust", "aiokafka"} <= loggers
    [alert_line] = [r for r in records if r["event"] == "alerts_sent"]
    assert {k: alert_line[k] for k in ("article_id", "topic", "partition", "offset")} == {
        "article_id": "obs-seed",
        "topic": namespace.raw,
        "partition": 0,
        "offset": 0,
    }
    [dead_line] = [r for r in records if r["event"] == "record_dead_lettered"]
    assert (dead_line["topic"], dead_line["partition"], dead_line["reason"]) == (namespace.raw, 1, "invalid_json")
