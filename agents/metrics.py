"""Every Prometheus series wirewatch records, declared once, and the one place that records them.

Conventions (https://prometheus.io/docs/practices/naming/): a `wirewatch_` prefix, base units in
the name (`_seconds`), `_total` on counters (prometheus_client adds it), `_info` gauges of value 1
for versions. Labels are small closed sets fixed by configuration: raw topic, outcome, stage,
rule, kind, severity, entity type, news topic, dead-letter reason, partition. Never an article id,
a URL, a source name or an entity as a label.

The worker (agents/service.py) and `wirewatch replay --metrics-port` record through the same
`Recorder`, so both expose the same series. The pure core never imports this module.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any, get_args, get_type_hints

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from schemas.records import EventV1

if TYPE_CHECKING:
    import faust

    from streams.pipeline import Config, Decision

__all__ = [
    "ALERTS",
    "ALERT_LATENCY",
    "ARTICLES",
    "ARTICLE_LATENCY",
    "BUILD_INFO",
    "CLUSTERS",
    "CLUSTER_SIZE",
    "CONFIG_INFO",
    "CONSUMER_LAG",
    "DEAD_LETTERS",
    "ENTITIES",
    "LAST_RECORD",
    "MEETINGS",
    "NEWS_TOPICS",
    "OUTCOMES",
    "READY",
    "RULE_INFO",
    "STAGE_SECONDS",
    "Recorder",
    "init_series",
    "set_build_info",
    "set_config_versions",
    "setup_faust_sensors",
]

OUTCOMES = ("processed", "duplicate", "redelivered", "dead_lettered")
"""Fate of one input article: a new story, a copy of one, a redelivery (verdict repeated, no new
output state), or rejected to the dead-letter topic. Each input record gets exactly one."""
STAGES = ("enrich", "decide")
LATENCY_SINCE = ("arrival", "event_time")
_MEETING_STATUSES: tuple[str, ...] = get_args(get_type_hints(EventV1)["status"])
_MEETING_MODES: tuple[str, ...] = get_args(get_type_hints(EventV1)["mode"])

ARTICLES = Counter(
    "wirewatch_articles",
    "Input articles by raw topic (replay: input file name) and outcome: processed (a new story), duplicate, "
    "redelivered, dead_lettered.",
    ["topic", "outcome"],
)
CLUSTERS = Counter("wirewatch_clusters", "Stories (clusters) opened: articles that were not a copy of an earlier one.")
CLUSTER_SIZE = Histogram(
    "wirewatch_cluster_size",
    "Size of the story each decided article joined, counting that article (1 for a new story).",
    buckets=(1, 2, 3, 5, 10, 20, 50, 100),
)
ENTITIES = Counter(
    "wirewatch_entities_tagged", "Watched entities found, one per entity per article, by entity type.", ["type"]
)
NEWS_TOPICS = Counter("wirewatch_topics_tagged", "Articles tagged with a news topic, by topic id.", ["news_topic"])
MEETINGS = Counter(
    "wirewatch_meeting_events", "Meeting events detected in articles, by status and mode.", ["status", "mode"]
)
ALERTS = Counter(
    "wirewatch_alerts", "Alert messages sent, by rule, kind (new, update) and severity.", ["rule", "kind", "severity"]
)
DEAD_LETTERS = Counter(
    "wirewatch_dead_letters", "Records sent to the dead-letter output, by stage and reason.", ["stage", "reason"]
)
STAGE_SECONDS = Histogram(
    "wirewatch_stage_duration_seconds",
    "Wall time in the pure core for one record, by stage (enrich: parse, clean, fingerprint, tag, detect; "
    "decide: dedup verdict, clusters, alert rules).",
    ["stage"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
_LATENCY_BUCKETS = (
    *(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    *(300.0, 900.0, 3600.0, 6 * 3600.0, 86400.0, 7 * 86400.0),
)
ARTICLE_LATENCY = Histogram(
    "wirewatch_article_latency_seconds",
    "From the article's arrival (Kafka timestamp of the raw message) or its event time (published) "
    "to its wire.articles record being handed to the producer.",
    ["since"],
    buckets=_LATENCY_BUCKETS,
)
ALERT_LATENCY = Histogram(
    "wirewatch_alert_latency_seconds",
    "From the triggering article's arrival (Kafka timestamp of the raw message) or its event time (published) "
    "to the alert being handed to the producer.",
    ["since"],
    buckets=_LATENCY_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "wirewatch_consumer_lag",
    "Records between the end of a partition this worker consumes and its committed offset.",
    ["topic", "partition"],
)
LAST_RECORD = Gauge(
    "wirewatch_last_record_timestamp_seconds",
    "Unix time at which the last record left a stage (start-up time until the first record).",
)
READY = Gauge("wirewatch_worker_ready", "1 when /readyz answers 200: partitions assigned and consuming.")
CONFIG_INFO = Gauge("wirewatch_config_info", "Configuration versions in force (value 1).", ["kind", "version"])
RULE_INFO = Gauge("wirewatch_rule_info", "Alert rules in force (value 1).", ["rule", "version", "severity"])
BUILD_INFO = Gauge(
    "wirewatch_build_info",
    "Versions of wirewatch and of its stream libraries (value 1).",
    ["version", "faust", "aiokafka"],
)


class Recorder:
    """Records what one stage did with one record; both the worker and `replay` call it.

    `latency=False` (replay) skips the end-to-end latencies: a replay has no arrival, and the wall
    clock against last month's event times means nothing.
    """

    def __init__(self, *, latency: bool = True) -> None:
        self.latency = latency
        self.last_progress: float | None = None
        """time.monotonic() of the last record handled by any stage (health checks read it)."""
        self._children: dict[tuple[Any, ...], Any] = {}
        LAST_RECORD.set(time.time())  # until the first record: "nothing since start-up", not since 1970

    def _child(self, metric: Any, *labels: str) -> Any:
        """`metric.labels(*labels)`, memoised: `labels()` validates and locks on every call."""
        key = (metric, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def enriched(self, record: dict[str, Any], *, seconds: float) -> None:
        """An article left the enrich stage: its tags and events, and the time the core took."""
        self._child(STAGE_SECONDS, "enrich").observe(seconds)
        for entity in record["entities"]:
            self._child(ENTITIES, entity["type"]).inc()
        for topic in record["topics"]:
            self._child(NEWS_TOPICS, topic["id"]).inc()
        for event in record["events"]:
            self._child(MEETINGS, event["status"], event["mode"]).inc()
        self._progress()

    def dead_lettered(self, *, stage: str, reason: str, topic: str, seconds: float | None = None) -> None:
        """A record was rejected to the dead-letter output."""
        if seconds is not None:
            self._child(STAGE_SECONDS, stage).observe(seconds)
        self._child(DEAD_LETTERS, stage, reason).inc()
        self._child(ARTICLES, topic, "dead_lettered").inc()
        self._progress()

    def decided(self, decision: Decision, *, topic: str, seconds: float, arrived: float | None = None) -> str:
        """The decide stage handled an article and its outputs were handed on; returns the outcome label.

        `arrived`: Unix time of the raw message (its Kafka timestamp), when known.
        """
        article = decision.article
        if decision.redelivered:
            outcome = "redelivered"
        else:
            outcome = "duplicate" if article["duplicate_of"] is not None else "processed"
            if outcome == "processed":
                CLUSTERS.inc()
            CLUSTER_SIZE.observe(article.get("cluster_size", 1))
        self._child(ARTICLES, topic, outcome).inc()
        self._child(STAGE_SECONDS, "decide").observe(seconds)
        for alert in decision.alerts:
            self._child(ALERTS, alert["rule"], alert["kind"], alert["severity"]).inc()
        if self.latency and not decision.redelivered:
            now = time.time()
            # Clocks differ between producers and workers: a negative delay is a skew, recorded as 0.
            since_published = max(0.0, now - datetime.fromisoformat(article["published"]).timestamp())
            since_arrival = None if arrived is None else max(0.0, now - arrived)
            for histogram, times in ((ARTICLE_LATENCY, 1), (ALERT_LATENCY, len(decision.alerts))):
                for _ in range(times):
                    self._child(histogram, "event_time").observe(since_published)
                    if since_arrival is not None:
                        self._child(histogram, "arrival").observe(since_arrival)
        self._progress()
        return outcome

    def _progress(self) -> None:
        self.last_progress = time.monotonic()
        LAST_RECORD.set(time.time())


def set_config_versions(config: Config) -> None:
    """Publish the watchlist, topics and rules versions in force; call again after a reload."""
    CONFIG_INFO.clear()
    CONFIG_INFO.labels("watchlist", config.watchlist.version).set(1)
    CONFIG_INFO.labels("topics", config.taxonomy.version).set(1)
    CONFIG_INFO.labels("rules", config.rules.version).set(1)
    RULE_INFO.clear()
    for rule in config.rules.rules:
        RULE_INFO.labels(rule.id, rule.version, rule.severity).set(1)


def init_series(config: Config, topics: Iterable[str]) -> None:
    """Create every label set the configuration allows at 0, so a rate sees the first event and a
    silent feed shows as 0 rather than as no data. Dead-letter reasons appear when first used."""
    for topic in topics:
        for outcome in OUTCOMES:
            ARTICLES.labels(topic, outcome)
    for rule in config.rules.rules:
        for kind in ("new", "update"):
            ALERTS.labels(rule.id, kind, rule.severity)
    for entity_type in sorted({e.type for e in config.watchlist.entities}):
        ENTITIES.labels(entity_type)
    for news_topic in config.taxonomy.topics:
        NEWS_TOPICS.labels(news_topic.id)
    for status in _MEETING_STATUSES:
        for mode in _MEETING_MODES:
            MEETINGS.labels(status, mode)
    for stage in STAGES:
        STAGE_SECONDS.labels(stage)
    for since in LATENCY_SINCE:
        ARTICLE_LATENCY.labels(since)
        ALERT_LATENCY.labels(since)


def set_build_info() -> None:
    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "unknown"

    BUILD_INFO.clear()
    BUILD_INFO.labels(version("wirewatch"), version("faust-streaming"), version("aiokafka")).set(1)


# Faust's sensor observes its latencies in milliseconds under names without a unit
# (`faust_producer_send_latency`, `faust_events_runtime_ms`); Prometheus wants seconds in the name.
_FAUST_HISTOGRAMS = {
    "events_runtime_latency": ("faust_events_runtime_seconds", "Time an agent took for one event."),
    "producer_send_latency": ("faust_producer_send_latency_seconds", "From send to broker acknowledgement."),
    "producer_error_send_latency": ("faust_producer_error_send_latency_seconds", "From send to a send error."),
    "assign_latency": ("faust_assign_latency_seconds", "Partition assignment time."),
    "rebalance_done_consumer_latency": (
        "faust_rebalance_done_consumer_latency_seconds",
        "Rebalance start to the consumer's reply to the broker.",
    ),
    "rebalance_done_latency": ("faust_rebalance_done_latency_seconds", "Rebalance start to recovery done."),
    "http_latency": ("faust_http_latency_seconds", "Web server response time."),
    "consumer_commit_latency": ("faust_consumer_commit_latency_seconds", "Offset commit time."),
}


class _MillisecondsToSeconds:
    """Stands in for one of Faust's histograms: Faust observes ms, the series records seconds."""

    def __init__(self, histogram: Histogram) -> None:
        self._histogram = histogram

    def observe(self, milliseconds: float) -> None:
        self._histogram.observe(milliseconds / 1000.0)


def setup_faust_sensors(app: faust.App, registry: CollectorRegistry = REGISTRY) -> None:
    """Faust's Prometheus sensor with fixed `faust_` names and its latency histograms in seconds.

    Once per process: the series live in the process-wide registry. `/metrics` is served by
    agents/web.py, not by the sensor.
    """
    from faust.sensors.prometheus import MS_LATENCY_BUCKETS, FaustMetrics, PrometheusMonitor

    scratch = CollectorRegistry(auto_describe=True)  # Faust's own series land here first
    original = FaustMetrics.create(scratch, "faust")
    buckets = tuple(ms / 1000.0 for ms in MS_LATENCY_BUCKETS)
    in_seconds: dict[str, Any] = {  # duck-typed stand-ins for the ms histograms
        field: _MillisecondsToSeconds(Histogram(name, doc, buckets=buckets, registry=registry))
        for field, (name, doc) in _FAUST_HISTOGRAMS.items()
    }
    for field, collector in original._asdict().items():
        if field not in in_seconds:
            registry.register(collector)
    app.monitor = PrometheusMonitor(metrics=original._replace(**in_seconds))
