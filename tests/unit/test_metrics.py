"""What the metrics record: one outcome per input record, closed label sets, versions, Faust's sensor in seconds."""

from __future__ import annotations

import os
import shutil
import subprocess

import faust
import pytest
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from agents.metrics import Recorder, init_series, set_build_info, set_config_versions, setup_faust_sensors
from agents.replay import replay
from streams.pipeline import Config


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _lines(*raws: bytes, source: str = "feed.jsonl") -> list[tuple[str, int, bytes]]:
    return [(source, number, raw) for number, raw in enumerate(raws, start=1)]


def test_each_input_line_is_counted_once_under_its_outcome(small_config: Config, make_article):
    """An original, a copy, a malformed line and a redelivery give processed, duplicate, dead_lettered and
    redelivered, one each, under the input's name; only the original opens a cluster."""
    outcomes = ("processed", "duplicate", "dead_lettered", "redelivered")
    before = {o: _value("wirewatch_articles_total", topic="outcome-test.jsonl", outcome=o) for o in outcomes}
    clusters = _value("wirewatch_clusters_total")
    original = make_article("m-1", source="Wire A")
    lines = _lines(
        original,
        make_article("m-2", source="Wire B", headline="Putin and Erdogan meet - Wire B"),
        b"{broken",
        original,
        source="some/dir/outcome-test.jsonl",
    )

    replay(
        small_config, lines, articles_out=None, alerts_out=None, deadletter_out=None, recorder=Recorder(latency=False)
    )

    after = {o: _value("wirewatch_articles_total", topic="outcome-test.jsonl", outcome=o) for o in outcomes}
    assert {o: after[o] - before[o] for o in outcomes} == dict.fromkeys(outcomes, 1.0)
    assert _value("wirewatch_clusters_total") - clusters == 1


def test_tags_events_and_alerts_are_counted(small_config: Config, make_article):
    """A meeting article counts its entity types, its held meeting and its leaders-meeting alert."""
    people = _value("wirewatch_entities_tagged_total", type="person")
    held = sum(_value("wirewatch_meeting_events_total", status="held", mode=m) for m in ("in_person", "unspecified"))
    alerts = _value("wirewatch_alerts_total", rule="leaders-meeting", kind="new", severity="high")

    replay(
        small_config,
        _lines(make_article("t-1", published="2024-01-10T10:00:00+00:00")),
        articles_out=None,
        alerts_out=None,
        deadletter_out=None,
        recorder=Recorder(latency=False),
    )

    assert _value("wirewatch_entities_tagged_total", type="person") - people == 2
    assert (
        sum(_value("wirewatch_meeting_events_total", status="held", mode=m) for m in ("in_person", "unspecified"))
        == held + 1
    )
    assert _value("wirewatch_alerts_total", rule="leaders-meeting", kind="new", severity="high") == alerts + 1


def test_no_label_value_is_an_article_id_or_url(small_config: Config, make_article):
    """After recording articles, no series anywhere carries their ids, URLs or sources as a label."""
    secret = ("label-leak-id-1", "https://example.org/leak", "Leaky Wire")
    article = make_article(secret[0], url=secret[1], source=secret[2])
    replay(
        small_config,
        _lines(article, b'{"id": "label-leak-id-2"}'),
        articles_out=None,
        alerts_out=None,
        deadletter_out=None,
        recorder=Recorder(),
    )

    exposed = generate_latest(REGISTRY).decode()
    assert not [s for s in (*secret, "label-leak-id-2") if s in exposed]


def test_every_configured_label_set_starts_at_zero(small_config: Config):
    """Start-up creates each raw topic x outcome and each rule x kind at 0, so rates see the first event."""
    init_series(small_config, ["zero.raw.a"])

    for outcome in ("processed", "duplicate", "redelivered", "dead_lettered"):
        assert REGISTRY.get_sample_value("wirewatch_articles_total", {"topic": "zero.raw.a", "outcome": outcome}) == 0
    for rule in small_config.rules.rules:
        for kind in ("new", "update"):
            labels = {"rule": rule.id, "kind": kind, "severity": rule.severity}
            assert REGISTRY.get_sample_value("wirewatch_alerts_total", labels) is not None


def test_versions_in_force_replace_the_previous_ones(small_config: Config):
    """After a reload, only the new versions are exported (the old label sets are removed)."""
    set_config_versions(small_config)
    old = small_config.rules.version
    newer = Config(
        watchlist=small_config.watchlist,
        taxonomy=small_config.taxonomy,
        rules=type(small_config.rules)(version="reloaded-2", rules=small_config.rules.rules),
    )

    set_config_versions(newer)

    assert _value("wirewatch_config_info", kind="rules", version="reloaded-2") == 1
    assert REGISTRY.get_sample_value("wirewatch_config_info", {"kind": "rules", "version": old}) is None
    rule = small_config.rules.rules[0]
    assert _value("wirewatch_rule_info", rule=rule.id, version=rule.version, severity=rule.severity) == 1


def test_build_info_names_the_installed_versions():
    """wirewatch_build_info carries the installed wirewatch, faust-streaming and aiokafka versions."""
    from importlib import metadata

    set_build_info()

    labels = {
        "version": metadata.version("wirewatch"),
        "faust": metadata.version("faust-streaming"),
        "aiokafka": metadata.version("aiokafka"),
    }
    assert REGISTRY.get_sample_value("wirewatch_build_info", labels) == 1


def test_faust_sensor_latencies_are_exported_in_seconds():
    """Faust observes milliseconds; the exported histogram holds seconds under a `_seconds` name."""
    registry = CollectorRegistry()
    app = faust.App("metrics-unit-test", broker="memory://", web_enabled=False)

    setup_faust_sensors(app, registry=registry)
    app.monitor._metrics.producer_send_latency.observe(1500.0)

    assert registry.get_sample_value("faust_producer_send_latency_seconds_sum") == 1.5
    assert registry.get_sample_value("faust_producer_send_latency_seconds_bucket", {"le": "2.5"}) == 1
    assert registry.get_sample_value("faust_messages_received_total") == 0


def test_exposition_passes_promtool_lint(small_config: Config, make_article):
    """`promtool check metrics` finds nothing to say about our series or Faust's."""
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI"):
            pytest.fail("promtool not found")
        pytest.skip("promtool not found (apt-get install prometheus)")
    registry = CollectorRegistry()
    setup_faust_sensors(faust.App("lint-unit-test", broker="memory://", web_enabled=False), registry=registry)
    init_series(small_config, ["lint.raw.a"])
    replay(
        small_config,
        _lines(make_article("lint-1")),
        articles_out=None,
        alerts_out=None,
        deadletter_out=None,
        recorder=Recorder(),
    )
    text = generate_latest(REGISTRY) + generate_latest(registry)

    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, check=False)

    assert (result.returncode, result.stdout + result.stderr) == (0, b"")
