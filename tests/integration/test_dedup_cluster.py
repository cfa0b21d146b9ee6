"""Dedup on the real broker: copies on other partitions, topics and workers; a SIGKILLed worker; the horizon."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from tests.integration.conftest import Namespace, produce
from tests.syndication import syndicate

pytestmark = pytest.mark.integration

T0 = datetime(2024, 7, 3, 9, 0, tzinfo=UTC)


def _article(article_id: str, headline: str, body: str, source: str, published: datetime) -> bytes:
    record = {
        "id": article_id,
        "headline": headline,
        "body": body,
        "source": source,
        "published": published.isoformat(),
    }
    return orjson.dumps(record)


def _original(release: dict[str, Any], published: datetime) -> tuple[str, bytes]:
    return release["id"], _article(release["id"], release["title"], release["body"], "Office", published)


def _copy(release: dict[str, Any], copy_id: str, source: str, variations: list[str], published: datetime) -> bytes:
    headline, body = syndicate(release["title"], release["body"], variations, random.Random(copy_id))
    return _article(copy_id, headline, body, source, published)


def _latest(records: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    """One record per article id (at-least-once delivery may repeat one; a repeat carries the same verdict)."""
    return {str(r["id"]): r for r in records}


async def test_copies_on_other_partitions_topics_and_workers_join_their_story(namespace: Namespace, press_release):
    """With two workers sharing 2 x 4 raw partitions, copies produced to partitions of the other worker and to
    the other raw topic join their original's cluster; the same-template releases (two Zelenskyy-Duda calls,
    a Macron call told by each side) stay apart; the cluster counts distinct sources; and a copy published
    past the configured 24 h horizon starts a new story."""
    namespace.extra_env = {"WIREWATCH_DEDUP_HORIZON_HOURS": "24"}
    poland_1, poland_2 = press_release("ua-president-71493"), press_release("ua-president-71669")
    macron_kremlin, macron_kyiv = press_release("kremlin-67709"), press_release("ua-president-72601")
    namespace.start_worker(0)
    namespace.start_worker(1)
    first, second = await namespace.wait_for_members(2, timeout=120)
    for member in (first, second):  # each worker holds partitions of both raw topics
        assert member.get(namespace.raw), (first, second)
        assert member.get(namespace.raw_b), (first, second)
    probes = await namespace.wait_until_flowing(timeout=120)
    assert await namespace.assignments() in ([first, second], [second, first])  # no rebalance since

    originals = [_original(r, T0) for r in (poland_1, poland_2, macron_kremlin, macron_kyiv)]
    for i, (key, value) in enumerate(originals):  # all on the first worker's partitions of topic a
        raw_partitions = first[namespace.raw]
        await produce(namespace.broker, namespace.raw, [(key.encode(), value)], partition=raw_partitions[i % 2 - 1])
    wanted = {key for key, _ in originals}
    seen = await namespace.collect(namespace.articles, ids=wanted, timeout=60)
    assert {r["id"] for r in seen} - probes == wanted, namespace.logs()

    hour = timedelta(hours=1)
    a, b = namespace.raw, namespace.raw_b
    plan = [  # (topic, partition, copy id, release, source, variations, published): mostly the second worker's
        (b, second[b][0], "m5-1", poland_1, "M5 Dergi", ["boilerplate", "headline"], T0 + hour),
        (a, second[a][0], "sabah-1", poland_1, "Daily Sabah", ["truncate", "dateline"], T0 + 2 * hour),
        (b, first[b][0], "m5-2", poland_1, "M5 Dergi", ["html", "ascii_fold"], T0 + 3 * hour),
        (b, second[b][-1], "hurriyet-2", poland_2, "Hürriyet", ["typos", "reflow", "dateline"], T0 + hour),
        (a, second[a][-1], "ukrinform-3", macron_kremlin, "Ukrinform", ["boilerplate", "quotes", "typos"], T0 + hour),
    ]
    copies = [
        (topic, p, cid, _copy(release, cid, src, names, when)) for topic, p, cid, release, src, names, when in plan
    ]
    for topic, partition, key, value in copies:
        await produce(namespace.broker, topic, [(key.encode(), value)], partition=partition)
    wanted |= {copy_id for _, _, copy_id, _ in copies}
    articles = _latest(await namespace.collect(namespace.articles, ids=wanted, timeout=60))
    assert set(articles) - probes == wanted, namespace.logs()

    for original, _ in originals:
        assert (articles[original]["cluster_id"], articles[original]["duplicate_of"]) == (original, None)
    expected = {
        "m5-1": poland_1,
        "sabah-1": poland_1,
        "m5-2": poland_1,
        "hurriyet-2": poland_2,
        "ukrinform-3": macron_kremlin,
    }
    for copy_id, release in expected.items():
        record = articles[copy_id]
        assert (record["cluster_id"], record["duplicate_of"]) == (release["id"], release["id"]), record
        assert isinstance(record["similarity"], float)
        assert 0.5 <= record["similarity"] <= 1.0
    poland = [r for r in articles.values() if r["cluster_id"] == poland_1["id"]]
    biggest = max(poland, key=lambda r: int(str(r["cluster_size"])))
    assert biggest["cluster_size"] == 4
    assert sorted(biggest["cluster_sources"]) == ["Daily Sabah", "M5 Dergi", "Office"]  # type: ignore[arg-type]

    late = _copy(macron_kyiv, "late-4", "Unian", ["boilerplate"], T0 + 25 * hour)  # the horizon is 24 h
    await produce(namespace.broker, namespace.raw_b, [(b"late-4", late)], partition=second[namespace.raw_b][0])
    articles = _latest(await namespace.collect(namespace.articles, ids=[*wanted, "late-4"], timeout=60))
    assert (articles["late-4"]["cluster_id"], articles["late-4"]["duplicate_of"]) == ("late-4", None)


async def test_worker_killed_and_restarted_still_recognises_a_copy(namespace: Namespace, press_release):
    """A worker SIGKILLed after it decided an original, restarted on its data directory, recognises a copy;
    killed again and replaced by a worker on a fresh directory (state from the changelog only), it still does."""
    namespace.extra_env = {"BROKER_SESSION_TIMEOUT": "6", "BROKER_HEARTBEAT_INTERVAL": "1"}  # Faust's own settings
    release = press_release("ua-president-72601")
    worker = namespace.start_worker(0)
    key, original = _original(release, T0)
    await produce(namespace.broker, namespace.raw, [(key.encode(), original)], partition=0)
    assert {r["id"] for r in await namespace.collect(namespace.articles, until=1, timeout=120)} == {key}
    await namespace.wait_committed(namespace.enriched, 1, timeout=60)  # no redelivery can stand in for the table
    namespace.kill_worker(worker)

    worker = namespace.start_worker(0)
    first_copy = _copy(release, "m5-1", "M5 Dergi", ["boilerplate", "headline", "truncate"], T0 + timedelta(hours=5))
    await produce(namespace.broker, namespace.raw_b, [(b"m5-1", first_copy)], partition=3)
    articles = _latest(await namespace.collect(namespace.articles, ids=[key, "m5-1"], timeout=120))
    assert (articles["m5-1"]["cluster_id"], articles["m5-1"]["duplicate_of"]) == (key, key), namespace.logs()
    assert articles["m5-1"]["cluster_size"] == 2
    await namespace.wait_committed(namespace.enriched, 2, timeout=60)
    namespace.kill_worker(worker)

    namespace.start_worker(1)  # another data directory: nothing local survives
    second_copy = _copy(release, "sabah-2", "Daily Sabah", ["html", "ascii_fold", "typos"], T0 + timedelta(hours=9))
    await produce(namespace.broker, namespace.raw, [(b"sabah-2", second_copy)], partition=2)
    articles = _latest(await namespace.collect(namespace.articles, ids=[key, "m5-1", "sabah-2"], timeout=120))
    assert (articles["sabah-2"]["cluster_id"], articles["sabah-2"]["duplicate_of"]) == (key, key), namespace.logs()
    assert articles["sabah-2"]["cluster_size"] == 3
    assert articles["sabah-2"]["cluster_sources"] == ["Office", "M5 Dergi", "Daily Sabah"]
