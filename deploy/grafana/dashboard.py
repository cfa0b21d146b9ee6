"""Build deploy/grafana/dashboards/wirewatch-overview.json from the panel list below (stdlib only).

    python deploy/grafana/dashboard.py           # rewrite the JSON
    python deploy/grafana/dashboard.py --check   # exit 1 if the JSON is not what this file builds

The panel list is the one place to edit: titles, PromQL and descriptions. docs/OPERATIONS.md
explains each panel; tests/integration/test_observability.py runs every query against a real
Prometheus scraping a real worker and fails if one returns no data.

Queries are plain PromQL with fixed windows and no template variables, so they can be run
as they are against any Prometheus that scrapes job="wirewatch".
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent / "dashboards" / "wirewatch-overview.json"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = "__auto"


@dataclass(frozen=True)
class Panel:
    kind: str  # "row" | "stat" | "timeseries"
    title: str
    description: str = ""
    queries: tuple[Query, ...] = ()
    unit: str = "short"
    width: int = 12
    height: int = 8
    decimals: int | None = None
    thresholds: tuple[tuple[str, float | None], ...] = (("green", None),)
    text_mode: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)


def row(title: str) -> Panel:
    return Panel("row", title, width=24, height=1)


def stat(title: str, description: str, *queries: Query, **kw: Any) -> Panel:
    kw.setdefault("width", 3)
    kw.setdefault("height", 4)
    return Panel("stat", title, description, queries, **kw)


def series(title: str, description: str, *queries: Query, **kw: Any) -> Panel:
    return Panel("timeseries", title, description, queries, **kw)


def q(expr: str, legend: str = "__auto") -> Query:
    return Query(" ".join(expr.split()), legend)


def quantiles(metric: str, selector: str, by: str, window: str, levels: tuple[float, ...], label: str) -> list[Query]:
    group = f"{by}, le" if by else "le"
    return [
        q(
            f"histogram_quantile({level}, sum by ({group}) (rate({metric}_bucket{selector}[{window}])))",
            f"p{level * 100:g} {label}".strip(),
        )
        for level in levels
    ]


ARTICLES_IN = "wirewatch_articles_total"
DUP_RATIO = (
    'sum(rate(wirewatch_articles_total{outcome="duplicate"}[5m])) / '
    'sum(rate(wirewatch_articles_total{outcome=~"processed|duplicate"}[5m]))'
)

PANELS: list[Panel] = [
    row("Overview"),
    stat(
        "Workers up",
        "Worker /metrics endpoints that answered Prometheus's last scrape (job wirewatch).",
        q('sum(up{job="wirewatch"})'),
        decimals=0,
        thresholds=(("red", None), ("green", 1)),
    ),
    stat(
        "Workers ready",
        "Workers whose /readyz says 200: partitions assigned and consuming (caught up, or a record handled in the "
        "last minute). A spare worker without partitions counts as not ready.",
        q("sum(wirewatch_worker_ready)"),
        decimals=0,
        thresholds=(("red", None), ("green", 1)),
    ),
    stat(
        "Articles in / s",
        "Input articles per second over all raw topics and outcomes (1m rate of wirewatch_articles_total).",
        q(f"sum(rate({ARTICLES_IN}[1m]))"),
        unit="reqps",
        decimals=2,
    ),
    stat(
        "Duplicate ratio",
        "Share of decided articles that were copies of an earlier story (5m).",
        q(DUP_RATIO),
        unit="percentunit",
        decimals=1,
    ),
    stat(
        "Alerts, last hour",
        "Alert messages (new and update, all rules) sent in the last hour.",
        q("sum(increase(wirewatch_alerts_total[1h]))"),
        decimals=0,
    ),
    stat(
        "Dead letters, last hour",
        "Input records rejected to the dead-letter topic in the last hour.",
        q(f'sum(increase({ARTICLES_IN}{{outcome="dead_lettered"}}[1h]))'),
        decimals=0,
        thresholds=(("green", None), ("orange", 1)),
    ),
    stat(
        "Consumer lag",
        "Records not yet processed, over every partition the workers consume (end offset minus committed offset).",
        q("sum(wirewatch_consumer_lag)"),
        decimals=0,
        thresholds=(("green", None), ("orange", 1000)),
    ),
    stat(
        "Seconds since last record",
        "Time since any worker last finished a record in any stage: wires flowing, or silent.",
        q("time() - max(wirewatch_last_record_timestamp_seconds)"),
        unit="s",
        decimals=0,
        thresholds=(("green", None), ("orange", 300)),
    ),
    row("Configuration in force"),
    stat(
        "Watchlist, topics and rules versions",
        "wirewatch_config_info: the versions each worker has loaded. More than one version of a kind means the "
        "workers disagree (a rollout or reload in progress).",
        q("max by (kind, version) (wirewatch_config_info)", "{{kind}} {{version}}"),
        width=10,
        height=3,
        text_mode="name",
        thresholds=(("blue", None),),
    ),
    stat(
        "Alert rules",
        "wirewatch_rule_info: each rule in force with its version and severity.",
        q("max by (rule, version, severity) (wirewatch_rule_info)", "{{rule}} v{{version}} ({{severity}})"),
        width=8,
        height=3,
        text_mode="name",
        thresholds=(("blue", None),),
    ),
    stat(
        "Build",
        "wirewatch_build_info: wirewatch, faust-streaming and aiokafka versions of the running workers.",
        q(
            "count by (version, faust, aiokafka) (wirewatch_build_info)",
            "wirewatch {{version}} · faust {{faust}} · aiokafka {{aiokafka}}",
        ),
        width=6,
        height=3,
        text_mode="name",
        thresholds=(("blue", None),),
    ),
    row("Throughput"),
    series(
        "Articles in / s by raw topic and outcome",
        "processed: a new story; duplicate: a copy of an earlier one; redelivered: seen before (Kafka redelivery "
        "or a replayed topic), verdict repeated; dead_lettered: rejected (1m rate).",
        q(f"sum by (topic, outcome) (rate({ARTICLES_IN}[1m]))", "{{topic}} · {{outcome}}"),
        unit="reqps",
    ),
    series(
        "Duplicate ratio by raw topic",
        "Copies among the decided articles of each raw topic (5m). A feed near 1 mostly re-publishes others.",
        q(
            f'sum by (topic) (rate({ARTICLES_IN}{{outcome="duplicate"}}[5m])) / '
            f'sum by (topic) (rate({ARTICLES_IN}{{outcome=~"processed|duplicate"}}[5m]))',
            "{{topic}}",
        ),
        unit="percentunit",
        extra={"max": 1},
    ),
    series(
        "Stories opened / s",
        "New clusters: articles that were not a copy of an earlier story (1m rate).",
        q("sum(rate(wirewatch_clusters_total[1m]))", "stories"),
        unit="reqps",
        width=8,
    ),
    series(
        "Cluster size",
        "Size of the story each article joined, counting it (p50, p99 over 5m): how widely stories are syndicated.",
        *quantiles("wirewatch_cluster_size", "", "", "5m", (0.5, 0.99), ""),
        width=8,
    ),
    series(
        "Meeting events / s",
        "Meetings between watched leaders detected in articles, by status and mode (1m rate).",
        q("sum by (status, mode) (rate(wirewatch_meeting_events_total[1m]))", "{{status}} · {{mode}}"),
        unit="reqps",
        width=8,
    ),
    series(
        "Entities tagged / s by type",
        "Watched entities found per second, one per entity per article (1m rate).",
        q("sum by (type) (rate(wirewatch_entities_tagged_total[1m]))", "{{type}}"),
        unit="reqps",
    ),
    series(
        "News topics tagged / s",
        "Articles tagged with each news topic of the taxonomy (1m rate).",
        q("sum by (news_topic) (rate(wirewatch_topics_tagged_total[1m]))", "{{news_topic}}"),
        unit="reqps",
    ),
    row("Alerts"),
    series(
        "Alerts by rule and kind (per 5 min)",
        "Alert messages sent per 5 minutes: new alerts, and updates when more independent sources corroborate.",
        q("sum by (rule, kind) (increase(wirewatch_alerts_total[5m]))", "{{rule}} · {{kind}}"),
    ),
    series(
        "Alert latency",
        "From the raw message's arrival (its Kafka timestamp) to the alert handed to the producer, p50 and p99; "
        "and from the article's own publication time, p50 (large for late or replayed wires). 15m windows.",
        *quantiles("wirewatch_alert_latency_seconds", '{since="arrival"}', "", "15m", (0.5, 0.99), "since arrival"),
        *quantiles("wirewatch_alert_latency_seconds", '{since="event_time"}', "", "15m", (0.5,), "since published"),
        unit="s",
        extra={"scale": "log"},
    ),
    row("Latency"),
    series(
        "Stage duration",
        "Time the pure core spends on one record, per stage, p50 and p99 (1m). enrich: parse, clean, fingerprint, "
        "tag, detect; decide: dedup verdict, clusters, rules.",
        *quantiles("wirewatch_stage_duration_seconds", "", "stage", "1m", (0.5, 0.99), "{{stage}}"),
        unit="s",
    ),
    series(
        "Article latency from arrival",
        "From the raw message's arrival to its wire.articles record handed to the producer, p50, p90 and p99 (1m).",
        *quantiles("wirewatch_article_latency_seconds", '{since="arrival"}', "", "1m", (0.5, 0.9, 0.99), ""),
        unit="s",
    ),
    row("Kafka"),
    series(
        "Consumer lag by topic and partition",
        "Records between each partition's end and the committed offset, per raw topic and the internal enriched "
        "topic (refreshed every 5 s by each worker for the partitions it owns).",
        q("sum by (topic, partition) (wirewatch_consumer_lag)", "{{topic}} [{{partition}}]"),
    ),
    series(
        "Dead letters by stage and reason (per 5 min)",
        "Records rejected to the dead-letter topic per 5 minutes, by the reason recorded in each dead letter.",
        q("sum by (stage, reason) (increase(wirewatch_dead_letters_total[5m]))", "{{stage}} · {{reason}}"),
    ),
    row("Faust"),
    series(
        "Messages received / sent per second",
        "Faust's sensor: messages consumed, messages produced and failed sends (1m rate).",
        q("sum(rate(faust_messages_received_total[1m]))", "received"),
        q("sum(rate(faust_total_sent_messages_total[1m]))", "sent"),
        q("sum(rate(faust_total_error_messages_sent_total[1m]))", "send errors"),
        unit="reqps",
        width=8,
    ),
    series(
        "Messages per topic per second",
        "Faust's sensor by topic (1m rate); produced topics carry Faust's 'topic.' prefix.",
        q("sum by (topic) (rate(faust_messages_received_per_topic_total[1m]))", "in {{topic}}"),
        q("sum by (topic) (rate(faust_topic_messages_sent_total[1m]))", "out {{topic}}"),
        unit="reqps",
        width=8,
    ),
    series(
        "Faust latency p99",
        "Producer send (to broker acknowledgement), offset commit and agent event runtime, p99 over 1m.",
        *quantiles("faust_producer_send_latency_seconds", "", "", "1m", (0.99,), "producer send"),
        *quantiles("faust_consumer_commit_latency_seconds", "", "", "1m", (0.99,), "consumer commit"),
        *quantiles("faust_events_runtime_seconds", "", "", "1m", (0.99,), "event runtime"),
        unit="s",
        width=8,
    ),
]


def _thresholds(steps: tuple[tuple[str, float | None], ...]) -> dict[str, Any]:
    return {"mode": "absolute", "steps": [{"color": color, "value": value} for color, value in steps]}


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    grid = {"x": x, "y": y, "w": panel.width, "h": panel.height}
    if panel.kind == "row":
        return {"type": "row", "title": panel.title, "id": panel_id, "collapsed": False, "gridPos": grid, "panels": []}
    instant = panel.kind == "stat" and panel.text_mode == "name"
    targets = [
        {
            "datasource": DATASOURCE,
            "expr": query.expr,
            "legendFormat": query.legend,
            "refId": chr(ord("A") + i),
            "range": not instant,
            "instant": instant,
            "editorMode": "code",
        }
        for i, query in enumerate(panel.queries)
    ]
    defaults: dict[str, Any] = {
        "unit": panel.unit,
        "mappings": [],
        "thresholds": _thresholds(panel.thresholds),
        "color": {"mode": "thresholds" if panel.kind == "stat" else "palette-classic"},
    }
    if panel.decimals is not None:
        defaults["decimals"] = panel.decimals
    if panel.kind == "stat":
        options: dict[str, Any] = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "orientation": "auto",
            "textMode": panel.text_mode,
            "colorMode": "background" if panel.text_mode == "name" else "value",
            "graphMode": "none" if instant else "area",
            "justifyMode": "auto",
            "wideLayout": True,
            "showPercentChange": False,
        }
    else:
        scale = panel.extra.get("scale")
        defaults["custom"] = {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 10,
            "gradientMode": "none",
            "showPoints": "never",
            "spanNulls": False,
            "axisBorderShow": False,
            "scaleDistribution": {"type": "log", "log": 10} if scale == "log" else {"type": "linear"},
            "stacking": {"mode": "none", "group": "A"},
            "thresholdsStyle": {"mode": "off"},
        }
        if scale != "log":
            defaults["min"] = 0
        if "max" in panel.extra:
            defaults["max"] = panel.extra["max"]
        options = {
            "legend": {"showLegend": True, "displayMode": "list", "placement": "bottom", "calcs": []},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    return {
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "id": panel_id,
        "gridPos": grid,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
    }


def build() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    x = y = line_height = 0
    for panel_id, panel in enumerate(PANELS, start=1):
        if x + panel.width > 24 or panel.kind == "row":
            x, y, line_height = 0, y + line_height, 0
        panels.append(_panel(panel, panel_id, x, y))
        x += panel.width
        line_height = max(line_height, panel.height)
    return {
        "uid": "wirewatch-overview",
        "title": "Wirewatch overview",
        "description": "wirewatch workers: throughput by raw topic and outcome, duplicates, alerts, latency, lag, "
        "dead letters, configuration in force, and Faust's own sensor. Built by deploy/grafana/dashboard.py; "
        "explained panel by panel in docs/OPERATIONS.md.",
        "tags": ["wirewatch", "kafka", "faust"],
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 2,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "links": [],
        "templating": {"list": []},
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "panels": panels,
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if OUTPUT.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{OUTPUT} is out of date: run python deploy/grafana/dashboard.py\n")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
