"""Faults on the real broker: SIGKILLed workers, a broker restart, workers joining and leaving, overload.

Each test streams meeting stories (original, syndicated copy, independent report) in waves and audits
the outputs: every article on wire.articles with one verdict, per story exactly one `new` alert id and
one `update`. A copy or report always arrives after a fault that followed its original, so the dedup
and cooldown state must have survived the fault for the verdicts and alerts to come out right.
"""

from __future__ import annotations

import asyncio

import orjson
import pytest

from tests.integration.conftest import (
    Audit,
    Namespace,
    OwnBroker,
    Story,
    audit,
    free_port,
    has_ids,
    meeting_stories,
    messages,
    produce,
)

pytestmark = pytest.mark.integration

FAST_FAILOVER = {"WIREWATCH_SESSION_TIMEOUT_S": "6"}
"""A killed worker's partitions are reassigned after 6 s instead of 30 s: keeps the tests short."""


def waves(stories: list[Story]) -> list[list[dict[str, object]]]:
    """Originals first; copies and reports of the first half come with the originals of the second half."""
    half = len(stories) // 2
    first, second = stories[:half], stories[half:]
    return [
        [s.original for s in first],
        [s.copy for s in first] + [s.original for s in second],
        [s.report for s in first] + [s.copy for s in second],
        [s.report for s in second],
    ]


def _assert_nothing_lost_or_doubled(result: Audit, dead: list[dict[str, object]], namespace: Namespace) -> None:
    """Every article once with its right verdict, every expected alert exactly once, no dead letter."""
    assert result.lost_articles == [], namespace.logs()
    assert result.verdict_conflicts == {}
    assert result.wrong_verdicts == []
    assert result.lost_alerts == []
    assert result.doubled_alerts == []
    assert result.unexpected_alerts == []
    assert dead == []


async def _finish(namespace: Namespace, stories: list[Story], *, timeout: float = 60):
    every_id = [a["id"] for s in stories for a in s.articles]
    articles = await namespace.collect(namespace.articles, until=has_ids(every_id), timeout=timeout)

    def all_alerts(alerts: list[dict[str, object]]) -> bool:
        return not audit(stories, articles, alerts).lost_alerts

    alerts = await namespace.collect(namespace.alerts, until=all_alerts, timeout=30, settle=3)
    result = audit(stories, articles, alerts)
    dead = await namespace.collect(namespace.deadletter, until=0, timeout=1, settle=1)
    return result, dead


async def test_sigkilled_worker_loses_and_doubles_nothing(namespace: Namespace):
    """The worker is SIGKILLed three times while waves of articles flow and restarted on its local state:
    every article comes out once-verdicted, every expected alert exactly once by id, and copies and
    reports after each kill are still judged against the state from before it. The restarted worker
    gets its partitions once the killed one's session has expired."""
    stories = meeting_stories(30)
    namespace.extra_env = FAST_FAILOVER
    worker = namespace.start_worker()
    kills = 0
    for number, wave in enumerate(waves(stories)):
        await produce(namespace.broker, namespace.raw, messages(wave))
        ids = [a["id"] for a in wave]
        if number < 3:  # kill while this wave is being processed: as soon as its first verdict is out
            await namespace.collect(namespace.articles, until=has_ids(ids, at_least=1), timeout=60)
            namespace.kill_worker(worker)
            kills += 1
            worker = namespace.start_worker()
        await namespace.collect(namespace.articles, until=has_ids(ids), timeout=75)

    result, dead = await _finish(namespace, stories)

    print(f"\nsigkill: kills survived {kills}, {result.summary()}")
    assert kills == 3
    _assert_nothing_lost_or_doubled(result, dead, namespace)
    assert namespace.count_log("story_index_rebuilt") >= 4  # each start rebuilt its index from the tables
    assert worker.poll() is None


async def test_second_worker_joining_and_leaving_changes_no_verdict(namespace: Namespace):
    """A second worker joins as a wave starts and leaves (SIGTERM) in the middle of the next: partitions and
    the decision stage move between workers, yet no article gets two verdicts and no alert is lost or
    doubled, and the second worker did process part of the stream."""
    stories = meeting_stories(30, seed=11)
    namespace.extra_env = FAST_FAILOVER
    namespace.start_worker(0)
    port = free_port()
    second = None
    enriched_by_second = 0.0
    for number, wave in enumerate(waves(stories)):
        await produce(namespace.broker, namespace.raw, messages(wave))
        ids = [a["id"] for a in wave]
        if number == 0:  # joins while this wave flows: the group rebalances under load
            second = namespace.start_worker(1, WIREWATCH_WEB_PORT=str(port))
            await namespace.wait_log(1, "Worker ready", timeout=60)
        if number == 2:  # leaves while this wave flows
            assert second is not None
            await namespace.collect(namespace.articles, until=has_ids(ids, at_least=1), timeout=60)
            enriched_by_second = namespace.metric(port, "wirewatch_stage_duration_seconds_count", stage="enrich")
            namespace.stop_worker(second)
        await namespace.collect(namespace.articles, until=has_ids(ids), timeout=75)

    result, dead = await _finish(namespace, stories)

    print(f"\nrebalance: second worker enriched {enriched_by_second:.0f}, {result.summary()}")
    assert enriched_by_second > 0, namespace.logs()
    _assert_nothing_lost_or_doubled(result, dead, namespace)


async def test_broker_restart_while_worker_runs_loses_nothing(own_broker: OwnBroker, tmp_path):
    """The broker is stopped in the middle of a wave and started again; the worker, never restarted,
    reconnects by itself and every article and alert comes out as in an undisturbed run."""
    namespace = Namespace(own_broker.address, tmp_path / "ns")
    namespace.tmp.mkdir()
    await namespace.create_topics()
    stories = meeting_stories(30, seed=23)
    worker = namespace.start_worker()
    try:
        for number, wave in enumerate(waves(stories)):
            await produce(namespace.broker, namespace.raw, messages(wave))
            ids = [a["id"] for a in wave]
            if number == 1:
                await namespace.collect(namespace.articles, until=has_ids(ids, at_least=1), timeout=60)
                await asyncio.to_thread(own_broker.run, "stop")
                await asyncio.sleep(5)  # the worker sees the broker gone: fetches, commits and sends fail
                await asyncio.to_thread(own_broker.run, "start")
            await namespace.collect(namespace.articles, until=has_ids(ids), timeout=90)

        result, dead = await _finish(namespace, stories)
        survived = worker.poll() is None
    finally:
        namespace.stop_workers()

    print(f"\nbroker restart: the worker ran throughout: {survived}, {result.summary()}")
    assert survived, namespace.logs()
    _assert_nothing_lost_or_doubled(result, dead, namespace)


async def test_backlog_far_larger_than_memory_budget_is_consumed_with_bounded_memory(namespace: Namespace):
    """100 MB arrive in a few seconds while the worker handles ~100 articles/s: the consumer fetches at most
    1 MiB per partition at a time (back-pressure), so the worker's memory grows by a fraction of the
    backlog instead of taking all of it in, and every article still comes out."""
    count, size = 2000, 50_000  # cheap to process (short body) but heavy to hold (a 50 kB attachment)
    body = "Officials met in the capital on Monday to discuss grain, gas and energy prices. " * 10
    backlog = [
        {"id": f"ov-{i}", "headline": f"Story {i}", "body": f"{body} Ref {i}.", "published": "2024-07-03T10:00:00Z"}
        | {"attachment": f"{i:07d}" * (size // 7)}
        for i in range(count)
    ]
    worker = namespace.start_worker()
    await namespace.wait_log(0, "Worker ready", timeout=60)
    await asyncio.sleep(2)  # let start-up allocations settle
    idle = peak = namespace.rss(worker)
    raw = messages(backlog)
    input_bytes = sum(len(value) for _, value in raw)
    sending = asyncio.create_task(produce(namespace.broker, namespace.raw, raw))
    seen: set[str] = set()
    try:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            namespace.articles, bootstrap_servers=namespace.broker, auto_offset_reset="earliest", group_id=None
        )
        await consumer.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 80
        try:
            while len(seen) < count and loop.time() < deadline:
                namespace.check_workers()
                batch = await consumer.getmany(timeout_ms=250)
                seen |= {orjson.loads(m.value)["id"] for ms in batch.values() for m in ms}
                peak = max(peak, namespace.rss(worker))
        finally:
            await consumer.stop()
        await sending
    finally:
        namespace.stop_workers()
        await namespace.delete_topics()

    growth = peak - idle
    print(
        f"\noverload: backlog {count} messages, {input_bytes / 1e6:.0f} MB; worker RSS idle {idle / 2**20:.0f} MiB, "
        f"peak {peak / 2**20:.0f} MiB (+{growth / 2**20:.0f} MiB); articles out {len(seen)}"
    )
    assert len(seen) == count
    assert growth < 0.4 * input_bytes
