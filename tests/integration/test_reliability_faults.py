"""Faults on the real broker: SIGKILLed workers, a broker restart, workers joining and leaving, overload.

Each test streams meeting stories (original, syndicated copy, independent report) in waves and audits
the outputs: every article on wire.articles with one verdict, per story exactly one `new` alert id and
one `update`. A copy or report always arrives after a fault that followed its original, so the dedup
and cooldown state must have survived the fault for the verdicts and alerts to come out right.
"""

from __future__ import annotations

import pytest

from tests.integration.conftest import Namespace, Story, audit, has_ids, meeting_stories, messages, produce

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
    reports after each kill are still judged against the state from before it."""
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
    assert result.lost_articles == [], namespace.logs()
    assert result.verdict_conflicts == {}
    assert result.wrong_verdicts == []
    assert result.lost_alerts == []
    assert result.doubled_alerts == []
    assert result.unexpected_alerts == []
    assert dead == []
    assert namespace.count_log("story_index_rebuilt") >= 4  # each start rebuilt its index from the tables
    assert worker.poll() is None


async def test_second_worker_joining_and_leaving_changes_no_verdict(namespace: Namespace):
    """A second worker joins after the first wave and leaves (SIGTERM) after the second: partitions and the
    decision stage move between workers, yet no article gets two verdicts and no alert is lost or doubled."""
    stories = meeting_stories(30, seed=11)
    namespace.extra_env = FAST_FAILOVER
    namespace.start_worker(0)
    second = None
    for number, wave in enumerate(waves(stories)):
        await produce(namespace.broker, namespace.raw, messages(wave))
        ids = [a["id"] for a in wave]
        if number == 0:
            second = namespace.start_worker(1)
        elif number == 1:
            assert second is not None
            await namespace.collect(namespace.articles, until=has_ids(ids, at_least=1), timeout=60)
            namespace.stop_worker(second)
        await namespace.collect(namespace.articles, until=has_ids(ids), timeout=75)

    result, dead = await _finish(namespace, stories)

    print(f"\nrebalance: {result.summary()}")
    assert result.lost_articles == [], namespace.logs()
    assert result.verdict_conflicts == {}
    assert result.wrong_verdicts == []
    assert result.lost_alerts == []
    assert result.doubled_alerts == []
    assert result.unexpected_alerts == []
    assert dead == []
