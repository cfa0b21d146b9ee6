"""Configuration changes on the real broker: published versions reach running workers; invalid ones do not."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.conftest import REPO
from tests.integration.conftest import Namespace, produce

pytestmark = pytest.mark.integration

DEFAULT_RULES = (REPO / "agents" / "defaults" / "rules.yaml").read_text(encoding="utf-8")
DEFAULT_WATCHLIST = REPO / "agents" / "defaults" / "watchlist.json"
EXTRA_WATCHLIST = """version: "it-extra-1"
entities:
  - id: "ww:zara-quill"
    name: Zara Quill
    type: person
    aliases: [President Quill]
    offices: [{role: head_of_state, country: ZZQ, start: "2020-01-01"}]
"""


def _rules(ns: Namespace, version: str, severity: str = "high") -> Path:
    text = re.sub(
        r'^version: ".*"$', f'version: "{version}"', DEFAULT_RULES.replace("wire.alerts", ns.alerts), flags=re.M
    )
    text = text.replace("severity: high", f"severity: {severity}", 1)
    path = ns.tmp / f"rules-{version}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _cli(ns: Namespace, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # the real `wirewatch config …`, as an operator runs it
        [sys.executable, "-m", "agents", "config", *args],
        env=ns.env(0),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _meeting(article_id: str, body: str) -> tuple[bytes, bytes]:
    article = {
        "id": article_id,
        "headline": "Leaders meet",
        "body": body,
        "source": f"Wire {article_id}",
        "published": "2024-07-03T14:00:00+03:00",
        "language": "en",
    }
    return article_id.encode(), orjson.dumps(article)


async def _wait_for_log(ns: Namespace, worker: int, needle: str, *, timeout: float = 60) -> None:
    log = ns.tmp / f"worker{worker}.log"
    for _ in range(int(timeout * 2)):
        ns.check_workers()
        if log.exists() and needle in log.read_text(errors="replace"):
            return
        await asyncio.sleep(0.5)
    pytest.fail(f"{needle!r} not in worker{worker}'s log:\n{ns.logs()}")


async def _alerts_for(ns: Namespace, article_id: str) -> list[dict[str, object]]:
    for _ in range(3):
        alerts = await ns.collect(ns.alerts, until=1_000_000, timeout=10)
        found = [a for a in alerts if a["article_id"] == article_id]
        if found:
            return found
    pytest.fail(f"no alert for {article_id}:\n{ns.logs()}")


async def test_rules_reach_a_running_worker_and_an_invalid_version_is_rejected(namespace: Namespace):
    """A version published before start-up is read first; one published while running is used for the
    next article; an invalid one is refused by the CLI, and a hand-made one by the worker, which keeps
    the running version."""
    ns = namespace
    assert _cli(ns, "publish", "--rules", str(_rules(ns, "it-2"))).returncode == 0
    ns.start_worker()
    await produce(ns.broker, ns.raw, [_meeting("a1", "Vladimir Putin met Recep Tayyip Erdoğan in Astana.")])
    [first] = await _alerts_for(ns, "a1")
    assert (first["rules_version"], first["severity"]) == ("it-2", "high")

    published = _cli(ns, "publish", "--rules", str(_rules(ns, "it-3", severity="critical")))
    assert published.returncode == 0, published.stderr
    await _wait_for_log(ns, 0, '"version":"it-3"')
    await produce(ns.broker, ns.raw, [_meeting("a2", "Vladimir Putin held talks with Emmanuel Macron in Moscow.")])
    [second] = await _alerts_for(ns, "a2")
    assert (second["rules_version"], second["severity"]) == ("it-3", "critical")

    refused = _cli(ns, "publish", "--rules", str(_rules(ns, "it-4", severity="urgent")))
    assert refused.returncode == 2
    assert "rules-it-4.yaml:" in refused.stderr
    assert "severity: must be one of low, medium, high, critical, got 'urgent'" in refused.stderr
    bad = {"kind": "rules", "documents": [{"name": "hand-made.yaml", "text": "version: x\nrules: []\n"}]}
    await produce(ns.broker, ns.env(0)["WIREWATCH_APP_ID"] + ".control.v1", [(b"rules", orjson.dumps(bad))])
    await _wait_for_log(ns, 0, "config_rejected")
    assert "hand-made.yaml" in (ns.tmp / "worker0.log").read_text()
    await produce(ns.broker, ns.raw, [_meeting("a3", "Vladimir Putin had a telephone conversation with Xi Jinping.")])
    [third] = await _alerts_for(ns, "a3")
    assert (third["rules_version"], third["severity"]) == ("it-3", "critical")


async def test_a_watchlist_reaches_every_worker(namespace: Namespace):
    """With two workers, a published watchlist is applied by both: a leader only it knows is tagged in
    articles on every raw partition, and the alert records that watchlist's version."""
    ns = namespace
    ns.start_worker(0)
    ns.start_worker(1)
    await _wait_for_log(ns, 0, "control_topic_read")
    await _wait_for_log(ns, 1, "control_topic_read")
    extra = ns.tmp / "extra.yaml"
    extra.write_text(EXTRA_WATCHLIST, encoding="utf-8")
    published = _cli(ns, "publish", "--watchlist", str(DEFAULT_WATCHLIST), "--watchlist", str(extra))
    assert published.returncode == 0, published.stderr
    await _wait_for_log(ns, 0, '"kind":"watchlist"')
    await _wait_for_log(ns, 1, '"kind":"watchlist"')

    for partition in range(ns.partitions):
        body = f"President Quill met Vladimir Putin in Minsk on day {partition}."
        await produce(ns.broker, ns.raw, [_meeting(f"q{partition}", body)], partition=partition)
    articles = await ns.collect(ns.articles, until=ns.partitions, timeout=90)
    participants = {a["id"]: a["events"][0]["participants"] for a in articles if a["events"]}
    assert participants == {f"q{p}": ["Q7747", "ww:zara-quill"] for p in range(ns.partitions)}, ns.logs()
    alerts = await ns.collect(ns.alerts, until=1, timeout=30)
    [new] = [a for a in alerts if a["kind"] == "new" and {"id": "ww:zara-quill", "name": "Zara Quill"} in a["entities"]]
    assert str(new["watchlist_version"]).endswith("+it-extra-1")
