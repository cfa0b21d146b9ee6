"""Plain aiokafka helpers for the CLI: topic creation, producing files, following a topic; Kafka security."""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from agents.settings import KafkaSecurity, setting_error
from streams.errors import ConfigError

__all__ = [
    "bootstrap",
    "client_options",
    "deadletter_config",
    "ensure_topics",
    "faust_credentials",
    "follow",
    "matching_topics",
    "produce_lines",
]

PLAINTEXT = KafkaSecurity()


def deadletter_config(max_record_bytes: int) -> dict[str, str]:
    """The dead-letter topic keeps a month to inspect and replay, and takes records up to the given size
    (a dead letter carries the original bytes, base64: a third larger than the raw message)."""
    return {"retention.ms": str(30 * 24 * 3600 * 1000), "max.message.bytes": str(max_record_bytes)}


def client_options(security: KafkaSecurity) -> dict[str, Any]:
    """Keyword arguments for any aiokafka client (producer, consumer, admin) under these settings."""
    options: dict[str, Any] = {"security_protocol": security.protocol}
    if security.uses_ssl:
        options["ssl_context"] = ssl_context(security)
    if security.uses_sasl:
        assert security.sasl_password is not None  # Settings.check() requires it with SASL
        options |= {
            "sasl_mechanism": security.sasl_mechanism,
            "sasl_plain_username": security.sasl_username,
            "sasl_plain_password": security.sasl_password.reveal(),
        }
    return options


def faust_credentials(security: KafkaSecurity) -> Any:
    """`faust.App(broker_credentials=...)`: Faust turns these into the same aiokafka options as above."""
    from faust.auth import SASLCredentials, SSLCredentials  # the CLI's other commands do not need Faust

    if security.uses_sasl:
        assert security.sasl_password is not None
        return SASLCredentials(
            username=security.sasl_username,
            password=security.sasl_password.reveal(),
            ssl_context=ssl_context(security) if security.uses_ssl else None,
            mechanism=security.sasl_mechanism,
        )
    if security.uses_ssl:
        return SSLCredentials(ssl_context(security))
    return None


def ssl_context(security: KafkaSecurity) -> ssl.SSLContext:
    """TLS that verifies the brokers (system CAs unless a CA file is given), with an optional client
    certificate (what aiokafka's `create_ssl_context` builds); a bad file fails start-up naming its variable."""
    cafile = str(security.ssl_cafile) if security.ssl_cafile is not None else None
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    except (ssl.SSLError, OSError) as exc:
        variable = "WIREWATCH_KAFKA_SSL_CAFILE"
        raise _tls_error(variable, exc) from None
    if security.ssl_certfile is not None:
        password = security.ssl_key_password.reveal() if security.ssl_key_password is not None else None
        try:
            context.load_cert_chain(security.ssl_certfile, security.ssl_keyfile, password)
        except (ssl.SSLError, OSError) as exc:
            variable = "WIREWATCH_KAFKA_SSL_CERTFILE / WIREWATCH_KAFKA_SSL_KEYFILE"
            raise _tls_error(variable, exc) from None
    context.check_hostname = security.ssl_check_hostname
    return context


def _tls_error(variable: str, exc: Exception) -> ConfigError:
    return setting_error(variable, f"cannot build the TLS context: {exc}")


def bootstrap(broker_url: str) -> str:
    """`kafka://host:port[;kafka://host2:port]` (Faust style) → `host:port,host2:port`."""
    return ",".join(part.strip().removeprefix("kafka://") for part in broker_url.replace(";", ",").split(","))


async def ensure_topics(
    broker_url: str,
    topics: Mapping[str, int],
    configs: Mapping[str, Mapping[str, str]] = {},  # read-only default
    *,
    security: KafkaSecurity = PLAINTEXT,
) -> list[str]:
    """Create the missing topics with explicit partition counts; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap(broker_url), **client_options(security))
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


async def matching_topics(broker_url: str, pattern: str, *, security: KafkaSecurity = PLAINTEXT) -> list[str]:
    """Existing topics whose names match the regex (Faust's own pattern subscription does not work)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap(broker_url), **client_options(security))
    await admin.start()
    try:
        compiled = re.compile(pattern)
        return sorted(t for t in await admin.list_topics() if compiled.match(t))
    finally:
        await admin.close()


async def produce_lines(
    broker_url: str, topic: str, lines: Iterable[tuple[bytes | None, bytes]], *, security: KafkaSecurity = PLAINTEXT
) -> int:
    """Send (key, value) pairs; returns how many were acknowledged."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap(broker_url), linger_ms=5, acks="all", **client_options(security)
    )
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
    broker_url: str,
    topics: list[str],
    *,
    from_beginning: bool,
    idle_timeout: float | None = None,
    security: KafkaSecurity = PLAINTEXT,
) -> AsyncIterator[tuple[str, bytes]]:
    """Yield (topic, value) from the topics; stop after `idle_timeout` seconds without a message."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap(broker_url),
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=False,
        group_id=None,
        **client_options(security),
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
