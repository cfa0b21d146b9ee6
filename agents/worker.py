"""`wirewatch worker`: create topics, then run the Faust worker until a signal stops it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import structlog
from aiokafka.errors import KafkaError

from agents.control import CONTROL_CONFIG, LiveConfig, catch_up
from agents.deadletter import record_size_bound
from agents.kafka_io import deadletter_config, ensure_topics, matching_topics
from agents.logconfig import configure_logging, logging_dict
from agents.resources import load_config
from agents.service import build_service
from agents.settings import Settings, setting_error

__all__ = ["run_worker", "topic_plan"]

log = structlog.get_logger(__name__)


def topic_plan(settings: Settings, alert_topics: tuple[str, ...]) -> dict[str, int]:
    """Every topic the service reads or writes, with its partition count."""
    return {
        "wire.raw.default": settings.partitions,
        settings.articles_topic: settings.partitions,
        settings.deadletter_topic: settings.partitions,
        settings.enriched_topic: 1,  # the decision stage is serial by design
        settings.control: 1,  # compacted; every worker reads all of it
        **dict.fromkeys(alert_topics, settings.partitions),
    }


def run_worker(settings: Settings, *, create_topics_only: bool = False) -> int:
    configure_logging(settings.log_level)
    # Everything is validated before the first connection: a bad file or setting consumes nothing.
    config = replace(
        load_config(
            settings.watchlists, settings.topics_file, settings.rules_file, dedup_horizon=settings.dedup_horizon
        ),
        limits=settings.limits(),
    )
    log.info(
        "worker_starting",
        **settings.describe(),
        watchlist=config.watchlist.version,
        rules=config.rules.version,
        topics=config.taxonomy.version,
    )
    plan = topic_plan(settings, config.rules.topics)
    dlq_config = deadletter_config(record_size_bound(settings.max_message_bytes))
    configs = {settings.deadletter_topic: dlq_config, settings.control: CONTROL_CONFIG}
    try:
        created = asyncio.run(ensure_topics(settings.broker_url, plan, configs, security=settings.kafka))
        log.info("topics_ready", created=created, topics=sorted(plan))
        if create_topics_only:
            return 0
        raw_topics = asyncio.run(
            matching_topics(settings.broker_url, settings.raw_topic_pattern, security=settings.kafka)
        )
    except KafkaError as exc:  # wrong address or credentials, or no broker yet: one line, not a traceback
        variable, problem = "WIREWATCH_BROKER_URL", f"cannot reach Kafka ({exc}); check it and WIREWATCH_KAFKA_*"
        raise setting_error(variable, problem) from None
    log.info("raw_topics_resolved", pattern=settings.raw_topic_pattern, topics=raw_topics)
    live = LiveConfig(config, alert_partitions=settings.partitions)
    offset = asyncio.run(_catch_up(settings, live))
    log.info("control_topic_read", topic=settings.control, offset=offset, **live.versions())
    service = build_service(settings, live.config, raw_topics, live=live, control_offset=offset)

    from faust.worker import Worker

    worker = Worker(
        service.app, loglevel=settings.log_level, quiet=True, logging_config=logging_dict(settings.log_level)
    )
    worker.execute_from_commandline()  # runs until a signal, then exits the process


async def _catch_up(settings: Settings, live: LiveConfig) -> int:
    """The versions published so far, applied before the first article is processed."""
    async with asyncio.timeout(60):
        return await catch_up(settings.broker_url, settings.control, live, security=settings.kafka)
