"""Simulated syndication of real articles: every copy finds its original, and nothing else.

Real articles from the three corpora are re-published by `tests/syndication.py` (boilerplate,
new headline or suffix, dateline, truncation to 40-90 %, merged and split paragraphs, HTML,
ASCII-folded diacritics, straightened quotes, typos; alone and combined), then decided against
an index holding thousands of other real articles. bench/dedup_eval.py runs the same on more.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import numpy as np
import orjson
import pytest

from streams.article import Article, parse_article
from streams.dedup import DedupPolicy, StoryEntry, StoryIndex
from streams.fingerprint import Fingerprint, _token_hash, fingerprint, shingle_hashes
from streams.text import clean_body, fold
from tests.conftest import SHARED_DATA, _require
from tests.syndication import VARIATIONS, copies_of, render, story_of, truncate, word_count

T0 = datetime(2024, 7, 3, 11, 0, tzinfo=UTC)
POLICY = DedupPolicy()
PER_CORPUS = 60
MIN_WORDS = 100


@dataclass
class Doc:
    id: str
    record: dict[str, Any]
    article: Article
    fp: Fingerprint

    @property
    def shingles(self) -> frozenset[int]:
        return _shingle_set(self.article.headline, self.article.text)


@cache
def _shingle_set(headline: str, text: str) -> frozenset[int]:
    tokens = fold(text).split()
    if len(tokens) < 8:
        tokens = fold(headline).split() + tokens
    hashes = np.fromiter((_token_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    return frozenset(shingle_hashes(hashes).tolist())


def _containment(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


@dataclass
class Outcome:
    copies: int = 0
    found: int = 0
    false: list[tuple[str, str, str]] = field(default_factory=list)
    false_alone: list[tuple[str, str, str]] = field(default_factory=list)
    by_variation: Counter[str] = field(default_factory=Counter)
    found_by_variation: Counter[str] = field(default_factory=Counter)


def _docs() -> list[Doc]:
    """All ECB+ and press releases, every 8th Reuters story: ~5,500 real articles."""
    docs = []
    for name, step in (("ecbplus.jsonl", 1), ("leaders_pressreleases_2021_2022.jsonl", 1), ("reuters21578.jsonl", 8)):
        with _require(SHARED_DATA / name).open("rb") as lines:
            for number, line in enumerate(lines):
                if number % step:
                    continue
                record = orjson.loads(line)
                payload = {"id": record["id"], "title": record.get("title") or "", "body": record.get("body") or ""}
                try:
                    article = parse_article(payload, fallback_time=T0)
                except Exception:  # noqa: BLE001  # no text at all: nothing to index
                    continue
                docs.append(Doc(record["id"], record, article, fingerprint(article.headline, article.text)))
    return docs


@pytest.fixture(scope="module")
def outcome() -> Outcome:
    docs = _docs()
    by_id = {d.id: d for d in docs}
    rng = random.Random(20240703)
    originals = []
    for prefix in ("ecbplus-", "kremlin-", "ua-president-", "reuters21578-"):
        pool = [d for d in docs if d.id.startswith(prefix) and word_count(d.article.text) >= MIN_WORDS]
        originals += rng.sample(pool, PER_CORPUS // (2 if prefix in ("kremlin-", "ua-president-") else 1))
    left_out = {d.id for d in originals}
    everything, without = StoryIndex(POLICY), StoryIndex(POLICY)
    for doc in docs:
        entry = StoryEntry(doc.id, doc.id, doc.fp.exact, doc.fp.signature, doc.fp.shingles, T0)
        everything.add(entry)
        if doc.id not in left_out:
            without.add(entry)
    result = Outcome()
    for original in originals:
        for copy in copies_of(original.id, original.article.headline, original.record["body"] or "", rng):
            article = parse_article({"id": "copy", "headline": copy.headline, "body": copy.body}, fallback_time=T0)
            fp = fingerprint(article.headline, article.text)
            verdict, alone = everything.match(fp, T0), without.match(fp, T0)
            label = "mix" if copy.variation.startswith("mix:") else copy.variation
            result.copies += 1
            result.by_variation[label] += 1

            def near_copy(other: str, original: Doc = original) -> bool:
                return other == original.id or _containment(by_id[other].shingles, original.shingles) >= 0.5

            if alone is not None and not near_copy(str(alone.duplicate_of)):
                result.false_alone.append((original.id, copy.variation, str(alone.duplicate_of)))
            if verdict is None:
                continue
            if near_copy(str(verdict.duplicate_of)):
                result.found += 1
                result.found_by_variation[label] += 1
            else:
                result.false.append((original.id, copy.variation, str(verdict.duplicate_of)))
    return result


def test_copies_of_real_articles_find_their_original(outcome):
    """At least 98 % of the simulated copies are recognised as copies of their original."""
    assert outcome.copies >= 2500
    assert outcome.found / outcome.copies >= 0.98, outcome.found_by_variation


def test_copies_never_merge_into_another_real_article(outcome):
    """No copy joins a different story, with its original indexed or not (then it must stay a new story)."""
    assert outcome.false == []
    assert outcome.false_alone == []


@pytest.mark.parametrize("variation", sorted(VARIATIONS))
def test_each_variation_alone_is_recognised(outcome, variation):
    """A copy changed in one way only is always recognised (truncation included, down to 40 %)."""
    assert outcome.found_by_variation[variation] == outcome.by_variation[variation] > 0


def test_exact_forty_percent_teasers_are_recognised(outcome):
    """A copy cut to the first 40 % of the story is recognised."""
    assert outcome.found_by_variation["truncate@40%"] == outcome.by_variation["truncate@40%"]


# --- the simulator does what it says ------------------------------------------------------------


def test_ascii_fold_strips_the_seed_diacritics_and_quotes(seed_text):
    """Erdoğan → Erdogan, Türkiye → Turkiye, BOTAŞ → BOTAS, and no curly quotes remain."""
    headline, body = seed_text
    story = VARIATIONS["ascii_fold"](story_of(headline, body), random.Random(1))
    text = render(story)[1]

    assert "Erdogan" in text
    assert "Turkiye" in text
    assert "BOTAS" in text
    assert not any(c in text for c in "ğüşŞıİ“”‘’")


def test_truncation_keeps_at_least_the_asked_share(seed_text):
    """A 40 % teaser keeps at least 40 % of the words, from the start, and fewer than all of them."""
    headline, body = seed_text
    story = story_of(headline, body)
    total = sum(word_count(p) for p in story.paragraphs)
    teaser = truncate(story, random.Random(1), share=0.4)
    kept = sum(word_count(p) for p in teaser.paragraphs)

    assert 0.4 * total <= kept < 0.6 * total
    assert teaser.paragraphs[0] == story.paragraphs[0]


def test_html_copy_reads_back_as_the_same_paragraphs(seed_text):
    """The HTML page a re-publisher serves cleans back to the story's text."""
    headline, body = seed_text
    story = story_of(headline, body)
    page_headline, page = render(VARIATIONS["html"](story, random.Random(1)))

    assert page.startswith("<html>")
    assert "<p>" in page
    cleaned = parse_article({"id": "x", "headline": page_headline, "body": page}, fallback_time=T0).text
    assert cleaned.split() == clean_body("\n\n".join(story.paragraphs), headline).split()


def test_typos_change_one_or_two_words(seed_text):
    """A typo is a swapped, dropped or doubled letter: one or two words differ, nothing else."""
    headline, body = seed_text
    story = story_of(headline, body)
    changed = VARIATIONS["typos"](story, random.Random(3))
    before = " ".join(story.paragraphs).split()
    after = " ".join(changed.paragraphs).split()

    assert len(before) == len(after)
    assert 1 <= sum(a != b for a, b in zip(before, after, strict=True)) <= 2


def test_boilerplate_and_headline_wrap_the_story(seed_text):
    """Boilerplate adds the re-publisher's lines around the story; a new headline repeats the old one in the body."""
    headline, body = seed_text
    story = story_of(headline, body)
    wrapped = VARIATIONS["headline"](VARIATIONS["boilerplate"](story, random.Random(2)), random.Random(2))
    new_headline, text = render(wrapped)

    assert new_headline != story.headline
    assert story.headline in text.split("\n\n")
    assert len(text.split("\n\n")) > len(story.paragraphs) + 2
