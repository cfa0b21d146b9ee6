"""The Faust application: two thin agents around the core's two stages.

    wire.raw.* ──enrich (parallel, stateless)──▶ wirewatch.enriched.v1 (1 partition)
                                                   │
                  decide (serial: story index, clusters, alert state in tables)
                                                   ▼
                              wire.articles · wire.alerts[.<x>] · wire.deadletter

The decision is serialised on one partition so every copy of a story meets the same index,
whatever raw topic or partition it came from; it is the cheap part of the work.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

import faust
import orjson
import structlog
from aiokafka.errors import KafkaError
from faust.sensors.prometheus import setup_prometheus_sensors

from agents.deadletter import ProcessingError, dead_letter, record_size_bound
from agents.kafka_io import faust_credentials, matching_topics
from agents.metrics import ALERTS, ARTICLES, DEAD_LETTERS, STAGE_SECONDS, VERSIONS
from agents.settings import Settings
from streams.errors import WirewatchError
from streams.pipeline import Config, Decider, Enricher, State

__all__ = ["Service", "build_service"]

log = structlog.get_logger(__name__)
_MAX_KEY_BYTES = 1024  # a dead letter keeps the message key only when it is small


@dataclass
class Service:
    app: faust.App
    settings: Settings
    config: Config
    enrich_agent: Any
    decide_agent: Any
    tables: dict[str, Any]
    output_topics: dict[str, Any]
    enriched_topic: Any


def _json_schema() -> Any:
    """str keys and JSON values: what the core reads and writes, and what survives recovery."""
    return faust.Schema(key_type=str, key_serializer="json", value_serializer="json")


def build_service(settings: Settings, config: Config, raw_topics: list[str], *, faust_metrics: bool = True) -> Service:
    """Create the app, its topics, tables and agents for these settings.

    `raw_topics` are the names matching the raw pattern, resolved by the caller at start-up:
    Faust's own `pattern=` subscription is a stub ("XXX pattern does not work" in its driver).
    """
    app = faust.App(
        settings.app_id,
        broker=settings.broker_url,
        store=settings.store,
        datadir=str(settings.data_dir),
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        topic_partitions=settings.partitions,
        consumer_auto_offset_reset="earliest",
        producer_linger=0.005,
        producer_compression_type=None,
        table_cleanup_interval=60.0,
        # at-least-once: offsets are committed after the outputs were handed to the producer.
        processing_guarantee="at_least_once",
        broker_credentials=faust_credentials(settings.kafka),
        # Back-pressure: what a backlog may bring into memory (docs/RELIABILITY.md, overload).
        stream_buffer_maxsize=settings.stream_buffer_maxsize,
        broker_max_poll_records=settings.max_poll_records,
        consumer_max_fetch_size=settings.max_fetch_bytes,
        # A dead letter carries the original message (base64): let the producer send one that large.
        producer_max_request_size=record_size_bound(settings.max_message_bytes),
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=settings.session_timeout / 10,
    )
    if faust_metrics:  # once per process: the sensor registers its series in the global registry
        setup_prometheus_sensors(app, name_prefix="faust")
    VERSIONS.labels("watchlist", config.watchlist.version).set(1)
    VERSIONS.labels("topics", config.taxonomy.version).set(1)
    VERSIONS.labels("rules", config.rules.version).set(1)

    raw = app.topic(*raw_topics, key_serializer="raw", value_serializer="raw")
    enriched = app.topic(settings.enriched_topic, partitions=1, key_serializer="raw", value_serializer="raw")
    outputs = {
        name: app.topic(name, key_serializer="raw", value_serializer="raw")
        for name in (settings.articles_topic, settings.deadletter_topic, *config.rules.topics)
    }
    tables = {
        # One partition, like the topic feeding the decision. RocksDB would take a 2 GiB block
        # cache per partition by default; a fresh options dict per table because Faust mutates it.
        name: app.Table(
            f"{name}-v1",
            partitions=1,
            schema=_json_schema(),
            options={"block_cache_size": 32 * 2**20} if settings.store.startswith("rocksdb") else None,
        )
        for name in ("articles", "clusters", "alerts")
    }
    watch_for_new_raw_topics(app, settings, raw_topics)
    enricher = Enricher(config)
    decider_box: dict[str, Decider] = {}
    needs_rebuild = {"flag": True}

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # faust's signal typing misses **kwargs
    async def _assigned(app: faust.App, assigned: Any, **_: Any) -> None:
        needs_rebuild["flag"] = True  # the tables change with the assignment; the index is derived

    async def send_dead_letter(raw_value: bytes, exc: WirewatchError, stage: str, event: Any) -> None:
        message = event.message
        origin = {"topic": message.topic, "partition": message.partition, "offset": message.offset}
        record = dead_letter(
            raw_value, exc, stage=stage, origin=origin, at=datetime.now(UTC), max_original=settings.max_message_bytes
        )
        key = message.key if message.key is None or len(message.key) <= _MAX_KEY_BYTES else None
        try:
            await _delivered(outputs[settings.deadletter_topic], key, record)
        except KafkaError as refused:  # e.g. a dead-letter topic made before its record size was raised
            log.error("dead_letter_refused", error=repr(refused), action="resent without the original bytes", **origin)
            record |= {"original": "", "original_truncated": True, "original_sha256": sha256(raw_value).hexdigest()}
            await _delivered(outputs[settings.deadletter_topic], key, record)
        DEAD_LETTERS.labels(stage, exc.reason).inc()
        ARTICLES.labels(stage, "dead_lettered").inc()
        log.warning("record_dead_lettered", stage=stage, reason=exc.reason, error=str(exc), **origin)

    @app.agent(raw, concurrency=1)
    async def enrich(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            value: bytes = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
            timestamp = _kafka_time(event.message.timestamp)
            started = time.perf_counter()
            try:
                record = enricher.enrich(value, fallback_time=timestamp)
            except WirewatchError as exc:
                await send_dead_letter(value, exc, "enrich", event)
                continue
            # Deliberate exception to the no-blind-except rule: anything else is a bug in the core, and
            # letting it propagate would make Faust acknowledge the message and restart the agent, so the
            # article would be lost. Dead-letter it (replayable once fixed), with the traceback in the log.
            except Exception as exc:  # logged with its traceback below: not swallowed
                log.exception("processing_failed", stage="enrich", error_type=type(exc).__name__)
                await send_dead_letter(value, ProcessingError(exc), "enrich", event)
                continue
            STAGE_SECONDS.labels("enrich").observe(time.perf_counter() - started)
            record["origin"] = {
                "topic": event.message.topic,
                "partition": event.message.partition,
                "offset": event.message.offset,
            }
            await enriched.send(key=record["id"].encode(), value=orjson.dumps(record))
            ARTICLES.labels("enrich", "processed").inc()

    @app.agent(enriched, concurrency=1)
    async def decide(stream: faust.StreamT[bytes]) -> None:
        async for value in stream:
            if needs_rebuild["flag"] or "decider" not in decider_box:
                state = State(tables["articles"], tables["clusters"], tables["alerts"])
                decider_box["decider"] = Decider(config, state)
                needs_rebuild["flag"] = False
                log.info("story_index_rebuilt", stories=len(decider_box["decider"].index))
            started = time.perf_counter()
            try:
                decision = decider_box["decider"].decide(orjson.loads(value))
            except Exception as exc:  # as in `enrich`: a bug must not lose the article
                log.exception("processing_failed", stage="decide", error_type=type(exc).__name__)
                needs_rebuild["flag"] = True  # the failed call may have left the derived index half-updated
                await send_dead_letter(value, ProcessingError(exc), "decide", stream.current_event)
                continue
            STAGE_SECONDS.labels("decide").observe(time.perf_counter() - started)
            article = decision.article
            await outputs[settings.articles_topic].send(key=article["cluster_id"].encode(), value=orjson.dumps(article))
            for alert in decision.alerts:
                await outputs[alert["topic"]].send(key=alert["alert_id"].encode(), value=orjson.dumps(alert))
                ALERTS.labels(alert["rule"], alert["kind"], alert["severity"]).inc()
                log.info(
                    "alert_sent",
                    alert_id=alert["alert_id"],
                    rule=alert["rule"],
                    kind=alert["kind"],
                    article_id=article["id"],
                )
            outcome = (
                "redelivered" if decision.redelivered else ("duplicate" if article["duplicate_of"] else "processed")
            )
            ARTICLES.labels("decide", outcome).inc()

    return Service(app, settings, config, enrich, decide, tables, outputs, enriched)


async def _delivered(topic: Any, key: bytes | None, record: dict[str, object]) -> None:
    """Send and wait for the broker's ack. Faust only logs a failed send and commits the offset anyway;
    a dead letter is rare, so waiting costs nothing and a refused one cannot vanish."""
    ack = await topic.send(key=key, value=orjson.dumps(record))
    if asyncio.isfuture(ack):
        await ack


def _kafka_time(seconds: float | None) -> datetime | None:
    """The message's Kafka timestamp, the event time of an article without a date; None when absent (-1)
    or not representable (a producer may set any 64-bit value)."""
    if seconds is None or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def watch_for_new_raw_topics(app: faust.App, settings: Settings, subscribed: list[str]) -> None:
    """Warn when a raw topic appears that this worker does not consume (it needs a restart)."""

    @app.timer(interval=60.0)  # type: ignore[untyped-decorator]
    async def check_raw_topics() -> None:
        try:
            current = await asyncio.wait_for(
                matching_topics(settings.broker_url, settings.raw_topic_pattern, security=settings.kafka), 10
            )
        except (TimeoutError, KafkaError) as exc:
            log.warning("raw_topic_check_failed", error=str(exc))
            return
        new = sorted(set(current) - set(subscribed))
        if new:
            log.warning("raw_topics_not_consumed", topics=new, action="restart the workers to consume them")
