"""Every Prometheus series the service records, declared once. Labels are small closed sets."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["ALERTS", "ARTICLES", "DEAD_LETTERS", "STAGE_SECONDS", "VERSIONS"]

ARTICLES = Counter(
    "wirewatch_articles",
    "Articles handled, by stage and outcome (processed, duplicate, redelivered, dead_lettered).",
    ["stage", "outcome"],
)
ALERTS = Counter("wirewatch_alerts", "Alert messages sent, by rule, kind and severity.", ["rule", "kind", "severity"])
DEAD_LETTERS = Counter(
    "wirewatch_dead_letters", "Records sent to the dead-letter topic, by stage and reason.", ["stage", "reason"]
)
STAGE_SECONDS = Histogram(
    "wirewatch_stage_duration_seconds",
    "Wall time in the pure core for one record.",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
VERSIONS = Gauge("wirewatch_config_info", "Configuration versions in force (value 1).", ["kind", "version"])
