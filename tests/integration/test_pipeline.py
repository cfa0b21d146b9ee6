"""End to end on the real broker: raw topics → `wirewatch worker` → articles, alerts, dead letters."""

from __future__ import annotations

import orjson
import pytest

from tests.conftest import SEED_PUBLISHED
from tests.integration.conftest import Namespace, produce

pytestmark = pytest.mark.integration

_BOILERPLATE = ("Abone Ol", "Back to top button", "Related Articles", "Source: Da,lySabah", "Defence NewsÖne Çıkan")


def _clean_copy(headline: str, body: str) -> str:
    """The story as its original outlet would carry it: no re-publisher lines, no repeated headline."""
    title = headline.removesuffix(" - M5 Dergi")
    kept = [line for line in body.splitlines() if line.strip() not in (*_BOILERPLATE, title)]
    return "\n".join(kept)


async def test_seed_and_clean_copy_give_one_alert_and_bad_input_is_dead_lettered(namespace: Namespace, seed_text):
    """The seed and its clean copy on different topics and partitions give one leaders-meeting alert for
    Erdoğan and Putin, the copy is a duplicate, and a malformed message is dead-lettered without stopping
    the worker (the copy is produced after it)."""
    headline, body = seed_text
    seed = {
        "id": "m5-seed",
        "headline": headline,
        "body": body,
        "source": "M5 Dergi",
        "url": "https://www.m5dergi.com/example",
        "published": SEED_PUBLISHED,
        "language": "en",
    }
    copy = {
        "id": "dailysabah-1",
        "headline": headline.removesuffix(" - M5 Dergi"),
        "body": _clean_copy(headline, body),
        "source": "Daily Sabah",
        "published": "2024-07-03T14:20:00+03:00",
        "language": "en",
    }
    namespace.start_worker()

    await produce(namespace.broker, namespace.raw, [(b"m5-seed", orjson.dumps(seed))], partition=0)
    first = await namespace.collect(namespace.articles, until=1, timeout=120)
    assert [a["id"] for a in first] == ["m5-seed"], namespace.logs()
    await produce(namespace.broker, namespace.raw, [(b"bad", b'{"id": "broken", "body": ')], partition=1)
    await produce(namespace.broker, namespace.raw_b, [(b"dailysabah-1", orjson.dumps(copy))], partition=3)

    articles = await namespace.collect(namespace.articles, until=2, timeout=60)
    assert [a["id"] for a in articles] == ["m5-seed", "dailysabah-1"], namespace.logs()
    assert articles[0]["duplicate_of"] is None
    assert articles[1]["duplicate_of"] == "m5-seed"
    assert articles[1]["cluster_id"] == "m5-seed"
    assert articles[1]["similarity"] is not None
    assert articles[1]["similarity"] >= 0.8

    dead = await namespace.collect(namespace.deadletter, until=1, timeout=30)
    assert [(d["reason"], d["original"]) for d in dead] == [("invalid_json", "eyJpZCI6ICJicm9rZW4iLCAiYm9keSI6IA==")]

    alerts = await namespace.collect(namespace.alerts, until=1, timeout=30, settle=5)
    meetings = [a for a in alerts if a["rule"] == "leaders-meeting"]
    assert len(meetings) == 1, alerts
    assert meetings[0]["kind"] == "new"
    assert {e["id"] for e in meetings[0]["entities"]} == {"Q39259", "Q7747"}
    assert "Q44329" not in {e["id"] for a in alerts for e in a["entities"]}  # "might meet Assad" is no meeting
