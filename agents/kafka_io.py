"""Plain aiokafka helpers for the CLI: topic creation, producing files, following a topic."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterable, Mapping

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

__all__ = ["bootstrap", "ensure_topics", "follow", "matching_topics", "produce_lines"]

DEADLETTER_CONFIG = {"retention.ms": str(30 * 24 * 3600 * 1000)}  # a month to inspect and replay


def bootstrap(broker_url: str) -> str:
    """`kafka://host:port[;kafka://host2:port]` (Faust style) → `host:port,host2:port`."""
    return ",".join(part.strip().removeprefix("kafka://") for part in broker_url.replace(";", ",").split(","))


async def ensure_topics(
    broker_url: str, topics: Mapping[str, int], configs: Mapping[str, Mapping[str, str]] = {}
) -> list[str]:  # read-only default
    """Create the missing topics with explicit partition counts; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap(broker_url))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, partitions, replication_factor=1, topic_configs=dict(configs.get(name, {})))
            for name, partitions in topics.items()
            if name not in existing
        ]
        if wanted:
            # Another worker may create one between our list and create: that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def matching_topics(broker_url: str, pattern: str) -> list[str]:
    """Existing topics whose names match the regex (Faust's own pattern subscription does not work)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap(broker_url))
    await admin.start()
    try:
        compiled = re.compile(pattern)
        return sorted(t for t in await admin.list_topics() if compiled.match(t))
    finally:
        await admin.close()


async def produce_lines(broker_url: str, topic: str, lines: Iterable[tuple[bytes | None, bytes]]) -> int:
    """Send (key, value) pairs; returns how many were acknowledged."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap(broker_url), linger_ms=5, acks="all")
    await producer.start()
    sent = 0
    try:
        pending = []
        for key, value in lines:
            pending.append(await producer.send(topic, value=value, key=key))
            if len(pending) >= 1000:
                await asyncio.gather(*pending)
                sent += len(pending)
                pending = []
        await asyncio.gather(*pending)
        sent += len(pending)
    finally:
        await producer.stop()
    return sent


async def follow(
    broker_url: str, topics: list[str], *, from_beginning: bool, idle_timeout: float | None = None
) -> AsyncIterator[tuple[str, bytes]]:
    """Yield (topic, value) from the topics; stop after `idle_timeout` seconds without a message."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap(broker_url),
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=int((idle_timeout or 1.0) * 1000))
            if not batch and idle_timeout is not None:
                return
            for tp, messages in batch.items():
                for message in messages:
                    if message.value is not None:
                        yield tp.topic, message.value
    finally:
        await consumer.stop()
