"""`wirewatch worker`: create topics, then run the Faust worker until a signal stops it."""

from __future__ import annotations

import asyncio

import structlog

from agents.kafka_io import DEADLETTER_CONFIG, ensure_topics, matching_topics
from agents.logconfig import configure_logging, logging_dict
from agents.resources import load_config
from agents.service import build_service
from agents.settings import Settings

__all__ = ["run_worker", "topic_plan"]

log = structlog.get_logger(__name__)


def topic_plan(settings: Settings, alert_topics: tuple[str, ...]) -> dict[str, int]:
    """Every topic the service reads or writes, with its partition count."""
    return {
        "wire.raw.default": settings.partitions,
        settings.articles_topic: settings.partitions,
        settings.deadletter_topic: settings.partitions,
        settings.enriched_topic: 1,  # the decision stage is serial by design
        **dict.fromkeys(alert_topics, settings.partitions),
    }


def run_worker(settings: Settings, *, create_topics_only: bool = False) -> int:
    configure_logging(settings.log_level)
    config = load_config(
        settings.watchlists, settings.topics_file, settings.rules_file, dedup_horizon=settings.dedup_horizon
    )
    log.info(
        "worker_starting",
        **settings.describe(),
        watchlist=config.watchlist.version,
        rules=config.rules.version,
        topics=config.taxonomy.version,
    )
    plan = topic_plan(settings, config.rules.topics)
    created = asyncio.run(ensure_topics(settings.broker_url, plan, {settings.deadletter_topic: DEADLETTER_CONFIG}))
    log.info("topics_ready", created=created, topics=sorted(plan))
    if create_topics_only:
        return 0
    raw_topics = asyncio.run(matching_topics(settings.broker_url, settings.raw_topic_pattern))
    log.info("raw_topics_resolved", pattern=settings.raw_topic_pattern, topics=raw_topics)
    service = build_service(settings, config, raw_topics)

    from faust.worker import Worker

    worker = Worker(
        service.app, loglevel=settings.log_level, quiet=True, logging_config=logging_dict(settings.log_level)
    )
    worker.execute_from_commandline()  # runs until a signal, then exits the process
