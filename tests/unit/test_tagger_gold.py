"""The hand-labelled gold set stays consistent with the shipped watchlist and taxonomy.

Scoring the tagger against it is a benchmark (bench/tagging_eval.py), not a unit test."""

from __future__ import annotations

import orjson
import pytest

from agents.resources import load_config
from tests.conftest import TEST_DATA

GOLD = TEST_DATA / "gold" / "tagging.jsonl"
CORPORA = {"leaders_pressreleases_2021_2022", "reuters21578", "ecbplus", "seed"}


@pytest.fixture(scope="module")
def labels() -> list[dict]:
    return [orjson.loads(line) for line in GOLD.read_bytes().splitlines() if line.strip()]


def test_gold_set_is_big_and_mixed(labels):
    """At least 60 articles from the three corpora and the seed, split into dev and test halves."""
    assert len(labels) >= 60
    assert {label["corpus"] for label in labels} == CORPORA
    assert {label["split"] for label in labels} == {"dev", "test"}
    assert len({label["id"] for label in labels}) == len(labels)


def test_every_label_names_a_shipped_entity_or_topic_with_a_note(labels):
    """Entity ids exist in the default watchlist, topic ids in the taxonomy, and each decision has a note."""
    config = load_config()
    entities = {e.id for e in config.watchlist.entities}
    topics = {t.id for t in config.taxonomy.topics}
    for label in labels:
        for field, known in (("entities", entities), ("not_entities", entities)):
            for entity_id, note in label.get(field, {}).items():
                assert entity_id in known, (label["id"], entity_id)
                assert note.strip(), (label["id"], entity_id)
        for field in ("topics", "not_topics"):
            for topic_id, note in label.get(field, {}).items():
                assert topic_id in topics, (label["id"], topic_id)
                assert note.strip(), (label["id"], topic_id)


def test_undated_articles_carry_their_event_date(labels):
    """ECB documents have no date; roles resolve by date, so the label gives the event's day."""
    for label in labels:
        if label["id"].startswith("ecbplus-") and label["id"].endswith("ecb"):
            assert "day" in label, label["id"]
