"""Changing rules and watchlists while running: a compacted control topic that every worker reads whole.

`wirewatch config publish` validates rules, watchlist and topic files with the same parsers the
workers use, then sends one message per kind (key `rules` | `watchlist` | `topics`, so compaction
keeps the latest of each) to the control topic (`<app id>.control.v1`, one partition). Every worker
reads that topic with its own consumer and no consumer group, so each sees every message: first to
its end before it starts processing, then as messages arrive. A valid document replaces its part of
the running configuration; an invalid one (a hand-made message, or a field this worker's version
does not know) is rejected with a `config_rejected` log line and the running version stays.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from agents.kafka_io import PLAINTEXT, bootstrap, client_options, ensure_topics
from agents.metrics import init_series, set_config_versions
from agents.resources import parse_document
from agents.settings import KafkaSecurity
from streams.errors import ConfigError
from streams.pipeline import Config, Enricher
from streams.rules import RuleSet, parse_rules
from streams.topics import Taxonomy, parse_taxonomy
from streams.watchlist import Watchlist, parse_watchlist

__all__ = ["KINDS", "LiveConfig", "apply", "catch_up", "encode", "files_by_kind", "follow", "latest", "publish"]

log = structlog.get_logger(__name__)

KINDS = ("watchlist", "topics", "rules")
_MAX_BYTES = 16 * 2**20  # the default watchlist is ~350 kB; leave room for larger user lists
CONTROL_CONFIG = {"cleanup.policy": "compact", "max.message.bytes": str(_MAX_BYTES)}
_POLL_MS = 1000


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    version: str
    previous: str
    digest: str


def encode(kind: str, files: Sequence[Path]) -> bytes:
    """A control message for one kind of document, validated first (raises `ConfigError`)."""
    documents = []
    for path in files:
        try:
            documents.append({"name": path.name, "text": path.read_text(encoding="utf-8")})
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(str(path), None, "(file)", f"cannot read: {exc}") from exc
    parsed = _parse(kind, documents)
    return orjson.dumps(
        {
            "kind": kind,
            "version": parsed.version,
            "documents": documents,
            "digest": _digest(documents),
            "published_at": datetime.now(UTC).isoformat(),
        }
    )


def _error(problem: str, *, field: str) -> ConfigError:
    return ConfigError("control message", None, field, problem)


def _digest(documents: Sequence[Mapping[str, str]]) -> str:
    return hashlib.sha256(orjson.dumps([d["text"] for d in documents])).hexdigest()[:16]


def _parse(kind: str, documents: Sequence[Mapping[str, str]]) -> Watchlist | Taxonomy | RuleSet:
    if not documents:
        problem = f"no {kind} document in the message"
        raise _error(problem, field="documents")
    if kind == "rules":
        return parse_document(documents[0]["text"], documents[0]["name"], parse_rules)
    if kind == "topics":
        return parse_document(documents[0]["text"], documents[0]["name"], parse_taxonomy)
    if kind == "watchlist":
        lists = [parse_document(d["text"], d["name"], parse_watchlist) for d in documents]
        merged = lists[0]
        for other in lists[1:]:
            merged = merged.merged(other)
        return merged
    problem = f"must be one of {', '.join(KINDS)}, got {kind!r}"
    raise _error(problem, field="kind")


def _decode(raw: bytes) -> tuple[str, list[dict[str, str]], str]:
    """(kind, documents, digest) of a control message, or `ConfigError` naming what is wrong."""
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        problem = f"not JSON: {exc}"
        raise _error(problem, field="(syntax)") from None
    if not isinstance(message, dict):
        problem = "must be a JSON object"
        raise _error(problem, field="(document)")
    kind, documents = message.get("kind"), message.get("documents")
    valid = isinstance(documents, list) and all(
        isinstance(d, dict) and isinstance(d.get("name"), str) and isinstance(d.get("text"), str) for d in documents
    )
    if not isinstance(kind, str) or not valid:
        problem = "needs `kind` and `documents: [{name, text}]`"
        raise _error(problem, field="documents")
    assert isinstance(documents, list)
    return kind, documents, _digest(documents)


class LiveConfig:
    """The configuration in force in this worker and the Enricher built for it; replaced, never mutated."""

    def __init__(self, config: Config, *, alert_partitions: int = 4) -> None:
        self.config = config
        self.enricher = Enricher(config)
        self.digests: dict[str, str] = {}
        self.alert_partitions = alert_partitions
        """Partitions of an alert topic a new rule names, created before the rule goes live."""

    def versions(self) -> dict[str, str]:
        return {
            "watchlist": self.config.watchlist.version,
            "topics": self.config.taxonomy.version,
            "rules": self.config.rules.version,
        }

    def prepare(self, raw: bytes) -> tuple[Change, Config] | None:
        """Validate a control message into the next configuration; None when it changes nothing.

        Raises `ConfigError` for an invalid message: the running configuration is untouched."""
        kind, documents, digest = _decode(raw)
        if self.digests.get(kind) == digest:
            return None
        parsed = _parse(kind, documents)
        if isinstance(parsed, RuleSet):
            config = replace(self.config, rules=parsed)
        elif isinstance(parsed, Taxonomy):
            config = replace(self.config, taxonomy=parsed)
        else:
            config = replace(self.config, watchlist=parsed)
        return Change(kind, parsed.version, self.versions()[kind], digest), config

    def install(self, change: Change, config: Config, enricher: Enricher | None = None) -> None:
        """Switch to `config` (and `enricher`, built for it when the tagging data changed)."""
        self.config = config
        if change.kind != "rules":
            self.enricher = enricher or Enricher(config)
        self.digests[change.kind] = change.digest
        set_config_versions(config)  # the versions in force, old ones removed
        init_series(config, ())  # a new rule's or entity type's series start at 0


async def publish(
    broker_url: str, topic: str, messages: Sequence[tuple[str, bytes]], *, security: KafkaSecurity = PLAINTEXT
) -> list[int]:
    """Send (kind, message) pairs to the control topic, creating it (compacted) if needed; offsets."""
    await ensure_topics(broker_url, {topic: 1}, {topic: CONTROL_CONFIG}, security=security)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap(broker_url),
        acks="all",
        compression_type="gzip",
        max_request_size=_MAX_BYTES,
        **client_options(security),
    )
    await producer.start()
    try:
        sent = [await producer.send_and_wait(topic, value=value, key=kind.encode()) for kind, value in messages]
    finally:
        await producer.stop()
    return [record.offset for record in sent]


async def catch_up(broker_url: str, topic: str, live: LiveConfig, *, security: KafkaSecurity = PLAINTEXT) -> int:
    """Apply the control topic from its beginning to its end at the call; the offset to follow from.
    (Bound it with `asyncio.timeout`: a broker that does not answer must not hang start-up.)"""
    consumer = _consumer(broker_url, security)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        position = int(await consumer.position(partition))
        while position < end:
            batch = await consumer.getmany(partition, timeout_ms=_POLL_MS)
            for message in batch.get(partition, []):
                await apply(broker_url, live, message.value or b"", offset=message.offset, security=security)
            position = int(await consumer.position(partition))
        return position
    finally:
        await consumer.stop()


async def follow(
    broker_url: str, topic: str, live: LiveConfig, *, offset: int, security: KafkaSecurity = PLAINTEXT
) -> None:
    """Apply control messages as they arrive, until cancelled. Broker errors are logged and retried."""
    partition = TopicPartition(topic, 0)
    while True:
        consumer = _consumer(broker_url, security)
        try:
            await consumer.start()
            consumer.assign([partition])
            consumer.seek(partition, offset)
            while True:
                batch = await consumer.getmany(partition, timeout_ms=_POLL_MS)
                for message in batch.get(partition, []):
                    await apply(broker_url, live, message.value or b"", offset=message.offset, security=security)
                    offset = message.offset + 1
        except KafkaError as exc:
            log.warning("control_topic_unavailable", topic=topic, error=str(exc))
            await asyncio.sleep(5)
        finally:
            await consumer.stop()


async def apply(
    broker_url: str, live: LiveConfig, raw: bytes, *, offset: int, security: KafkaSecurity = PLAINTEXT
) -> bool:
    """Validate and install one control message; False (and an error log line) when rejected."""
    try:
        prepared = live.prepare(raw)
    except ConfigError as exc:
        log.error("config_rejected", offset=offset, error=str(exc), running=live.versions())
        return False
    if prepared is None:
        return True
    change, config = prepared
    enricher = None
    if change.kind != "rules":  # building the tagger takes a moment: not on the event loop
        enricher = await asyncio.get_running_loop().run_in_executor(None, Enricher, config)
    else:
        await ensure_topics(broker_url, dict.fromkeys(config.rules.topics, live.alert_partitions), security=security)
    live.install(change, config, enricher)
    log.info("config_applied", kind=change.kind, version=change.version, previous=change.previous, offset=offset)
    return True


def _consumer(broker_url: str, security: KafkaSecurity) -> AIOKafkaConsumer:
    # No group: every worker reads every message, and nothing is committed.
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap(broker_url),
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=_MAX_BYTES,
        **client_options(security),
    )


async def latest(broker_url: str, topic: str, *, security: KafkaSecurity = PLAINTEXT) -> dict[str, dict[str, object]]:
    """The latest message of each kind on the control topic (decoded, not validated), with its offset."""
    consumer = _consumer(broker_url, security)
    await consumer.start()
    found: dict[str, dict[str, object]] = {}
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        while await consumer.position(partition) < end:
            batch = await consumer.getmany(partition, timeout_ms=_POLL_MS)
            for message in batch.get(partition, []):
                try:
                    body = orjson.loads(message.value or b"")
                except orjson.JSONDecodeError:
                    continue
                if isinstance(body, dict) and isinstance(body.get("kind"), str):
                    found[body["kind"]] = {**body, "offset": message.offset}
    finally:
        await consumer.stop()
    return found


def files_by_kind(rules: Path | None, watchlists: Sequence[Path], topics: Path | None) -> list[tuple[str, list[Path]]]:
    """The documents a `config publish` sends, watchlist and topics before rules (rules may name new topics)."""
    chosen = [
        ("watchlist", list(watchlists)),
        ("topics", [topics] if topics else []),
        ("rules", [rules] if rules else []),
    ]
    return [(kind, paths) for kind, paths in chosen if paths]
