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
from typing import Any, cast

import faust
import orjson
import structlog
from aiokafka.errors import KafkaError
from structlog.contextvars import bound_contextvars

from agents.control import LiveConfig, follow
from agents.deadletter import ProcessingError, dead_letter, record_size_bound
from agents.enrich_pool import EnrichPool, enrich_batch
from agents.kafka_io import faust_credentials, matching_topics
from agents.settings import Settings
from agents.web import instrument
from streams.errors import WirewatchError
from streams.pipeline import Config, Decider, Decision, State

__all__ = ["Service", "build_service"]

log = structlog.get_logger(__name__)
_MAX_KEY_BYTES = 1024  # a dead letter keeps the message key only when it is small
# Per table: 32 MiB of block cache and at most 2 × 4 MiB of memtables (at 2,000 articles/s of
# ~300 B values a memtable fills every ~7 s, so flushes stay rare).
_ROCKSDB_OPTIONS = {"block_cache_size": 32 * 2**20, "write_buffer_size": 4 * 2**20, "max_write_buffer_number": 2}
_BATCH_BYTES = 256 * 1024
"""An enriched batch closes before it would pass this size (a larger single record still goes, alone, as before);
also the producer's batch size."""
_PRODUCER_BUFFER_MESSAGES = 10_000
_FLUSH_STALL_SECONDS = 60.0


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
    live: LiveConfig
    """The configuration in force; replaced when the control topic brings a new version."""


def _json_schema() -> Any:
    """str keys and JSON values: what the core reads and writes, and what survives recovery."""
    return faust.Schema(key_type=str, key_serializer="json", value_serializer="json")


_FRESH_SEEK_TOPICS: set[str] = set()
"""Input topics whose never-committed partitions a rebalance seeks to the beginning (see below)."""


def _seek_fresh_partitions_to_beginning(topics: set[str]) -> None:
    """Make a rebalance skip nothing on partitions that never had an offset committed.

    When a rebalance starts Faust drops the records it had buffered, then seeks every partition back
    to its committed offset; aiokafka's `seek_to_committed` seeks only to an offset > 0, so on a
    partition with no commit yet the dropped records were skipped (seen in the dedup integration
    test under load). For our input topics such a partition is sought to its beginning, which is what
    `auto_offset_reset="earliest"` means; reprocessing is idempotent (a redelivery repeats its
    outputs). Changelog partitions are left to Faust's recovery.
    """
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread as Consumer

    _FRESH_SEEK_TOPICS.update(topics)
    original = Consumer.seek_to_committed
    if getattr(original, "wirewatch_patched", False):
        return

    async def seek_to_committed(self: Any) -> Any:
        committed = await original(self)
        fresh = [tp for tp, offset in committed.items() if not offset and tp.topic in _FRESH_SEEK_TOPICS]
        if fresh:
            await self.seek_to_beginning(*fresh)
        return committed

    seek_to_committed.wirewatch_patched = True  # type: ignore[attr-defined]
    Consumer.seek_to_committed = seek_to_committed  # type: ignore[method-assign]  # a targeted fix, once


def _flush_producer_buffer_completely() -> None:
    """Make a commit wait until every table write has reached the Kafka producer.

    Before committing offsets Faust flushes its producer buffer (the table changelog writes), then the
    aiokafka producer. Faust's buffer flush returns early in two cases, and the commit then covers table
    writes that were never sent, lost if the worker dies next (a restarted worker then lacks the story
    and marks its copies as originals: seen as wrong verdicts in the fault tests under load): when one
    message takes over 0.1 s to hand over (it gives up), and while the last message is taken off the
    queue but not yet handed to the producer (the queue looks empty). This flush counts the message in
    hand and waits until nothing is left; it gives up (raising, so nothing is committed) only when the
    buffer stopped moving for `_FLUSH_STALL_SECONDS`.
    """
    from faust.transport.producer import ProducerBuffer

    if getattr(ProducerBuffer.flush, "wirewatch_patched", False):
        return
    send_pending = ProducerBuffer._send_pending

    async def _send_pending(self: Any, fut: Any) -> None:
        self.wirewatch_in_hand = getattr(self, "wirewatch_in_hand", 0) + 1
        try:
            await send_pending(self, fut)
        finally:
            self.wirewatch_in_hand -= 1

    async def flush(self: Any) -> None:
        loop = asyncio.get_running_loop()
        last_progress = loop.time()
        while self.size or getattr(self, "wirewatch_in_hand", 0):
            if self.state != "running":  # as Faust's own flush
                msg = "Cannot flush: Producer not Running"
                raise RuntimeError(msg)
            self.message_sent.clear()
            try:
                await asyncio.wait_for(self.message_sent.wait(), timeout=0.1)
            except TimeoutError:
                if loop.time() - last_progress > _FLUSH_STALL_SECONDS:
                    msg = f"producer buffer stalled with {self.size} messages"
                    raise RuntimeError(msg) from None
            else:
                last_progress = loop.time()

    flush.wirewatch_patched = True  # type: ignore[attr-defined]
    ProducerBuffer._send_pending = _send_pending  # type: ignore[method-assign]  # targeted fixes, once
    ProducerBuffer.flush = flush  # type: ignore[method-assign]


def build_service(
    settings: Settings,
    config: Config,
    raw_topics: list[str],
    *,
    faust_metrics: bool = True,
    live: LiveConfig | None = None,
    control_offset: int | None = None,
) -> Service:
    """Create the app, its topics, tables and agents for these settings.

    `raw_topics` are the names matching the raw pattern, resolved by the caller at start-up:
    Faust's own `pattern=` subscription is a stub ("XXX pattern does not work" in its driver).
    `control_offset`: follow the control topic from there (None: no hot configuration changes).
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
        producer_linger=settings.producer_linger,
        producer_compression_type=None,
        # Bigger batches than aiokafka's 16 KiB: a backlog's sends go in fewer produce requests.
        producer_max_batch_size=_BATCH_BYTES,
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
    # Table writes reach the changelog through Faust's producer buffer; at its hard-coded 100 messages
    # (faust#173) the agents stall until it drains ("producer buffer full"). A backlog's batches need more.
    app.producer.buffer.max_messages = _PRODUCER_BUFFER_MESSAGES
    _flush_producer_buffer_completely()
    # /metrics, /healthz, /readyz; Faust's own sensor once per process (its series are process-wide).
    sources = [*raw_topics, settings.enriched_topic]
    recorder = instrument(app, config, raw_topics=raw_topics, source_topics=sources, faust_sensors=faust_metrics)

    raw = app.topic(*raw_topics, key_serializer="raw", value_serializer="raw")
    enriched = app.topic(settings.enriched_topic, partitions=1, key_serializer="raw", value_serializer="raw")
    _seek_fresh_partitions_to_beginning({*raw_topics, settings.enriched_topic})
    outputs = {
        name: app.topic(name, key_serializer="raw", value_serializer="raw")
        for name in (settings.articles_topic, settings.deadletter_topic, *config.rules.topics)
    }
    tables = {
        # One partition, like the topic feeding the decision. RocksDB would take a 2 GiB block
        # cache per partition by default, and up to 3 × 64 MiB of memtables per table (which alone
        # showed as ~700 B of RSS per indexed article at 100k); a fresh options dict per table
        # because Faust mutates it.
        name: app.Table(
            f"{name}-v1",
            partitions=1,
            schema=_json_schema(),
            options=_ROCKSDB_OPTIONS.copy() if settings.store.startswith("rocksdb") else None,
        )
        for name in ("articles", "clusters", "alerts")
    }
    watch_for_new_raw_topics(app, settings, raw_topics)
    live = live or LiveConfig(config, alert_partitions=settings.partitions)
    if control_offset is not None:
        follow_control(app, settings, live, control_offset)

    def output(name: str) -> Any:
        """The topic an alert goes to; a rule published at run time may name a new one."""
        if name not in outputs:
            outputs[name] = app.topic(name, key_serializer="raw", value_serializer="raw")
        return outputs[name]

    decider_box: dict[str, Decider] = {}
    needs_rebuild = {"flag": True}

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # faust's signal typing misses **kwargs
    async def _assigned(app: faust.App, assigned: Any, **_: Any) -> None:
        needs_rebuild["flag"] = True  # the tables change with the assignment; the index is derived

    async def send_dead_letter(raw_value: bytes, exc: WirewatchError, stage: str, event: Any, seconds: float) -> None:
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
        recorder.dead_lettered(stage=stage, reason=exc.reason, topic=message.topic, seconds=seconds)
        log.warning("record_dead_lettered", stage=stage, reason=exc.reason, error=str(exc))

    async def enrich_one(event: Any) -> dict[str, Any] | None:
        """The enriched record of one raw message, or None when it was dead-lettered."""
        message = event.message
        with bound_contextvars(topic=message.topic, partition=message.partition, offset=message.offset):
            value: bytes = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
            timestamp = _kafka_time(message.timestamp)
            started = time.perf_counter()
            try:
                record = live.enricher.enrich(value, fallback_time=timestamp)
            except WirewatchError as exc:
                await send_dead_letter(value, exc, "enrich", event, time.perf_counter() - started)
                return None
            # Deliberate exception to the no-blind-except rule: anything else is a bug in the core, and
            # letting it propagate would make Faust acknowledge the message and restart the agent, so the
            # article would be lost. Dead-letter it (replayable once fixed), with the traceback in the log.
            except Exception as exc:  # logged with its traceback below: not swallowed
                log.exception("processing_failed", stage="enrich", error_type=type(exc).__name__)
                await send_dead_letter(value, ProcessingError(exc), "enrich", event, time.perf_counter() - started)
                return None
            recorder.enriched(record, seconds=time.perf_counter() - started)
            record["origin"] = {
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
                "timestamp": message.timestamp,  # arrival, for the end-to-end latency
            }
            log.debug("article_enriched", article_id=record["id"])
            return record

    pool = EnrichPool(settings.enrich_processes) if settings.enrich_processes > 0 else None

    async def enrich_in_pool(events: list[Any]) -> list[dict[str, Any] | None]:
        """`enrich_one` for a batch, the core's work done in the pool; dead letters sent here, in order."""
        assert pool is not None  # only called with a pool
        values = [event.value if isinstance(event.value, bytes) else bytes(event.value or b"") for event in events]
        items = [(value, _kafka_time(event.message.timestamp)) for value, event in zip(values, events, strict=True)]
        version, config = pool.arguments(live.enricher, live.config)
        outcomes = await asyncio.get_running_loop().run_in_executor(pool.executor, enrich_batch, version, config, items)
        records: list[dict[str, Any] | None] = []
        for event, value, outcome in zip(events, values, outcomes, strict=True):
            message = event.message
            with bound_contextvars(topic=message.topic, partition=message.partition, offset=message.offset):
                if outcome.record is None:
                    error = outcome.error
                    if outcome.unexpected is not None:  # as in `enrich_one`: a bug, logged with its traceback
                        error_type, text, trace = outcome.unexpected
                        log.error("processing_failed", stage="enrich", error_type=error_type, exception=trace)
                        error = ProcessingError.__new__(ProcessingError)  # as ProcessingError(exc) would read
                        WirewatchError.__init__(error, f"{error_type}: {text}")
                        error.error_type = error_type
                    assert error is not None  # an outcome has a record or an error
                    await send_dead_letter(value, error, "enrich", event, outcome.seconds)
                    records.append(None)
                    continue
                record = outcome.record
                recorder.enriched(record, seconds=outcome.seconds)
                record["origin"] = {
                    "topic": message.topic,
                    "partition": message.partition,
                    "offset": message.offset,
                    "timestamp": message.timestamp,
                }
                records.append(record)
        return records

    @app.agent(raw, concurrency=1)
    async def enrich(stream: faust.StreamT[bytes]) -> None:
        # Batches of what has arrived (up to `enrich_batch`, waiting at most `enrich_linger` for more): one
        # message on the enriched topic per batch, so the hop costs one send and one consumed event per batch,
        # not per article. `take_events` acknowledges the batch's messages only after this body has handed
        # the batch to the producer, and a commit flushes the producer first: at-least-once holds.
        if pool is not None:  # start the child and build its enricher now, not on the first article's time
            version, config = pool.arguments(live.enricher, live.config)
            await asyncio.get_running_loop().run_in_executor(pool.executor, enrich_batch, version, config, [])
        async for events in cast(faust.Stream[bytes], stream).take_events(
            settings.enrich_batch, within=settings.enrich_linger
        ):
            if pool is not None:
                enriched_records = await enrich_in_pool(list(events))
            else:
                enriched_records = [await enrich_one(event) for event in events]
            batch: list[bytes] = []
            size, key = 0, b""
            for record in enriched_records:
                if record is None:
                    continue
                encoded = orjson.dumps(record)
                if batch and size + len(encoded) > _BATCH_BYTES:
                    await enriched.send(key=key, value=b"[" + b",".join(batch) + b"]")
                    batch, size = [], 0
                if not batch:
                    key = record["id"].encode()
                batch.append(encoded)
                size += len(encoded) + 1
            if batch:
                await enriched.send(key=key, value=b"[" + b",".join(batch) + b"]")

    async def decide_one(record: dict[str, Any], event: Any) -> None:
        origin = record.get("origin") or {}  # the raw message's coordinates, set by `enrich`
        with bound_contextvars(
            article_id=record["id"],
            topic=origin.get("topic"),
            partition=origin.get("partition"),
            offset=origin.get("offset"),
        ):
            started = time.perf_counter()
            decider_box["decider"].config = live.config  # the version in force (control topic)
            try:
                decision = decider_box["decider"].decide(record)
            except Exception as exc:  # as in `enrich`: a bug must not lose the article
                log.exception("processing_failed", stage="decide", error_type=type(exc).__name__)
                needs_rebuild["flag"] = True  # the failed call may have left the derived index half-updated
                seconds = time.perf_counter() - started
                await send_dead_letter(orjson.dumps(record), ProcessingError(exc), "decide", event, seconds)
                return
            seconds = time.perf_counter() - started
            article = decision.article
            await outputs[settings.articles_topic].send(key=article["cluster_id"].encode(), value=orjson.dumps(article))
            for alert in decision.alerts:
                await output(alert["topic"]).send(key=alert["alert_id"].encode(), value=orjson.dumps(alert))
            outcome = recorder.decided(
                decision, topic=origin.get("topic", "unknown"), seconds=seconds, arrived=origin.get("timestamp")
            )
            _log_decision(decision, outcome)

    @app.agent(enriched, concurrency=1)
    async def decide(stream: faust.StreamT[bytes]) -> None:
        async for value in stream:
            event = stream.current_event
            decoded = orjson.loads(value)
            # A batch from `enrich` (a list), or one record as earlier versions wrote it.
            for record in decoded if isinstance(decoded, list) else (decoded,):
                if needs_rebuild["flag"] or "decider" not in decider_box:
                    state = State(tables["articles"], tables["clusters"], tables["alerts"])
                    decider_box["decider"] = Decider(live.config, state)
                    needs_rebuild["flag"] = False
                    log.info("story_index_rebuilt", stories=len(decider_box["decider"].index))
                await decide_one(record, event)

    return Service(app, settings, config, enrich, decide, tables, outputs, enriched, live)


def follow_control(app: faust.App, settings: Settings, live: LiveConfig, offset: int) -> None:
    """Apply rules/watchlist/topics versions from the control topic while the worker runs."""

    @app.task  # type: ignore[untyped-decorator]
    async def follow_control_topic() -> None:
        await follow(settings.broker_url, settings.control, live, offset=offset, security=settings.kafka)


def _log_decision(decision: Decision, outcome: str) -> None:
    """At most one line per article from this stage: INFO when it raised alerts, else DEBUG."""
    article = decision.article
    if decision.alerts:
        alerts = [{"alert_id": a["alert_id"], "rule": a["rule"], "kind": a["kind"]} for a in decision.alerts]
        log.info("alerts_sent", outcome=outcome, cluster_id=article["cluster_id"], alerts=alerts)
    else:
        log.debug("article_decided", outcome=outcome, cluster_id=article["cluster_id"])


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
