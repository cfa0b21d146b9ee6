"""Duplicate detection: fingerprints and the story index, on the seed and real press releases."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.dedup import DedupPolicy, StoryEntry, StoryIndex, entry_from_state, entry_to_state
from streams.fingerprint import SIGNATURE_BYTES, Fingerprint, fingerprint, signature_similarity
from streams.text import clean_body, clean_headline
from tests.syndication import render, story_of, truncate

T0 = datetime(2024, 7, 3, 11, 0, tzinfo=UTC)
POLICY = DedupPolicy()
BOILERPLATE = {"Defence NewsÖne Çıkan", "Abone Ol", "Source: Da,lySabah", "Related Articles", "Back to top button"}
ASCII = str.maketrans(
    {"ğ": "g", "Ğ": "G", "ş": "s", "Ş": "S", "ı": "i", "İ": "I", "ü": "u", "Ü": "U", "ö": "o", "Ö": "O", "ç": "c"}
    | {"Ç": "C", "“": '"', "”": '"', "’": "'", "‘": "'"}
)


def _fp(headline: str, body: str) -> Fingerprint:
    return fingerprint(clean_headline(headline), clean_body(body, headline))


def _entry(article_id: str, fp: Fingerprint, published: datetime = T0) -> StoryEntry:
    return StoryEntry(article_id, article_id, fp.exact, fp.signature, fp.shingles, published)


def _index_with(*entries: StoryEntry) -> StoryIndex:
    index = StoryIndex(POLICY)
    for entry in entries:
        index.add(entry)
    return index


@pytest.fixture
def seed_fp(seed_text) -> Fingerprint:
    return _fp(*seed_text)


@pytest.fixture
def seed_index(seed_fp) -> StoryIndex:
    return _index_with(_entry("m5-seed", seed_fp))


def _clean_copy(body: str) -> str:
    """The Daily Sabah original: the same story without the re-publisher's lines."""
    lines = [line for line in body.split("\n") if line.strip() not in BOILERPLATE]
    return "\n".join(lines).replace("Erdoğan invites Putin to Türkiye as leaders discuss strategic ties", "")


def _release_fp(release: dict) -> Fingerprint:
    return _fp(release["title"], release["body"])


def test_clean_copy_from_another_source_is_a_duplicate(seed_text, seed_index):
    """The original without boilerplate and under its own headline collapses onto the re-published copy."""
    _, body = seed_text
    copy = _fp("Turkish, Russian leaders discuss ties, energy in Astana", _clean_copy(body))

    verdict = seed_index.match(copy, T0 + timedelta(hours=2))

    assert verdict is not None
    assert (verdict.duplicate_of, verdict.cluster_id) == ("m5-seed", "m5-seed")
    assert verdict.similarity == 1.0


def test_truncated_copy_is_a_duplicate(seed_text, seed_index):
    """A copy cut to the first 40% of the story (a wire teaser) is still the same story."""
    headline, body = seed_text
    text = clean_body(body, headline)
    words = text.split(" ")
    truncated = " ".join(words[: int(len(words) * 0.4)])

    verdict = seed_index.match(fingerprint("Erdoğan, Putin meet in Astana", truncated), T0)

    assert verdict is not None
    assert verdict.duplicate_of == "m5-seed"
    assert verdict.similarity is not None
    assert verdict.similarity >= POLICY.min_containment


def test_ascii_folded_copy_is_a_duplicate(seed_text, seed_index):
    """A copy whose outlet stripped diacritics and curly quotes (Erdogan, Turkiye, BOTAS) is the same text."""
    headline, body = seed_text
    ascii_body = body.translate(ASCII)
    assert "Erdogan" in ascii_body
    assert "Turkiye" in ascii_body
    assert "BOTAS" in ascii_body

    verdict = seed_index.match(_fp(headline.translate(ASCII), ascii_body), T0)

    assert verdict is not None
    assert verdict.duplicate_of == "m5-seed"


def test_two_kremlin_calls_with_macron_are_not_duplicates(press_release):
    """Two releases about different phone calls, same template and same people, are different stories."""
    first, second = press_release("kremlin-67709"), press_release("kremlin-68035")
    index = _index_with(_entry(first["id"], _release_fp(first)))

    verdict = index.match(_release_fp(second), T0)

    assert verdict is None


def test_unrelated_story_is_not_a_duplicate(seed_index, press_release):
    """A press release about a music school does not match the seed."""
    release = press_release("kremlin-66988")

    assert seed_index.match(_release_fp(release), T0) is None


def test_exact_copy_is_a_duplicate_with_similarity_one(seed_text, seed_index):
    """The same text again is found by its exact hash."""
    verdict = seed_index.match(_fp(*seed_text), T0)

    assert verdict is not None
    assert verdict.similarity == 1.0


def test_excluded_id_does_not_match_itself(seed_text, seed_index):
    """An article is never its own duplicate (a redelivery is handled elsewhere)."""
    assert seed_index.match(_fp(*seed_text), T0, exclude="m5-seed") is None


def test_entry_older_than_horizon_stops_matching(seed_text, seed_fp):
    """A story re-filed after the horizon (in event time) is a new story."""
    index = _index_with(_entry("m5-seed", seed_fp, T0))

    late = index.match(_fp(*seed_text), T0 + POLICY.horizon + timedelta(minutes=1))
    in_time = index.match(_fp(*seed_text), T0 + POLICY.horizon - timedelta(minutes=1))

    assert late is None
    assert in_time is not None


def test_copy_from_before_the_horizon_does_not_match(seed_text, seed_fp):
    """Event time cuts both ways: an old copy replayed late does not join a newer story."""
    index = _index_with(_entry("m5-seed", seed_fp, T0))

    assert index.match(_fp(*seed_text), T0 - POLICY.horizon - timedelta(minutes=1)) is None


def test_advance_expires_stories_by_event_time(seed_fp, press_release):
    """Moving the watermark past the horizon drops old stories from the index."""
    other = _release_fp(press_release("kremlin-67709"))
    index = _index_with(_entry("m5-seed", seed_fp, T0))
    index.add(_entry("kremlin", other, T0 + POLICY.horizon + timedelta(hours=1)))

    assert [entry.article_id for entry in index] == ["kremlin"]
    assert len(index) == 1


def test_advance_returns_the_expired_ids(seed_fp):
    """The caller learns which stories fell out, to drop them from its tables too."""
    index = _index_with(_entry("m5-seed", seed_fp, T0))

    assert index.advance(T0 + POLICY.horizon) == []
    assert index.advance(T0 + POLICY.horizon + timedelta(seconds=1)) == ["m5-seed"]


def test_similarity_is_a_fraction(seed_text, seed_fp, press_release):
    """Estimated similarity lies in 0..1, is 1 for itself and low for an unrelated text."""
    other = _release_fp(press_release("kremlin-67709"))

    assert signature_similarity(seed_fp.signature, seed_fp.signature) == 1.0
    assert 0.0 <= signature_similarity(seed_fp.signature, other.signature) < 0.2


@settings(max_examples=50)
@given(st.text(min_size=1, max_size=400), st.text(min_size=1, max_size=400))
def test_similarity_in_unit_interval_property(a, b):
    """Any two texts have a similarity in 0..1 and a full-length signature."""
    fa, fb = fingerprint("", a), fingerprint("", b)

    assert len(fa.signature) == SIGNATURE_BYTES
    assert 0.0 <= signature_similarity(fa.signature, fb.signature) <= 1.0


def test_fingerprint_is_deterministic(seed_text):
    """Every worker and every replay computes the same fingerprint."""
    assert _fp(*seed_text) == _fp(*seed_text)


def test_short_body_is_fingerprinted_with_its_headline():
    """Two one-line flashes with different headlines are not exact copies."""
    a = fingerprint("Putin arrives in Astana", "Developing story.")
    b = fingerprint("Erdoğan arrives in Astana", "Developing story.")

    assert a.exact != b.exact


def test_state_round_trip_gives_the_same_entry(seed_fp):
    """An entry survives the changelog's JSON form unchanged."""
    entry = _entry("m5-seed", seed_fp)

    assert entry_from_state("m5-seed", entry_to_state(entry)) == entry


def test_rebuilt_index_matches_the_same(seed_text, seed_fp, press_release):
    """An index rebuilt from persisted entries gives the verdicts the original index gave."""
    headline, body = seed_text
    entries = [_entry("m5-seed", seed_fp), _entry("kremlin", _release_fp(press_release("kremlin-67709")))]
    states = {e.article_id: entry_to_state(e) for e in entries}
    original = _index_with(*entries)
    rebuilt = StoryIndex.rebuilt(POLICY, [entry_from_state(k, v) for k, v in states.items()])
    probes = [
        _fp("Leaders meet", _clean_copy(body)),
        _fp(headline.translate(ASCII), body.translate(ASCII)),
        _release_fp(press_release("kremlin-68035")),
    ]

    assert [rebuilt.match(p, T0) for p in probes] == [original.match(p, T0) for p in probes]
    assert rebuilt.match(probes[0], T0) is not None
    assert sorted(e.article_id for e in rebuilt) == ["kremlin", "m5-seed"]


def test_teaser_joins_its_own_original_not_a_release_with_the_same_template(press_release):
    """A 40 % teaser of a Security Council release (mostly the participant list) joins its own release,
    not another meeting's release that opens with the same list."""
    own, sibling = press_release("kremlin-67023"), press_release("kremlin-67753")
    headline, teaser = render(truncate(story_of(own["title"], own["body"]), random.Random(1), share=0.4))
    index = _index_with(_entry(sibling["id"], _release_fp(sibling)), _entry(own["id"], _release_fp(own)))

    verdict = index.match(_fp(headline, teaser), T0)  # own: J 0.6, C ~1; sibling: J 0.3, C 0.79

    assert verdict is not None
    assert verdict.duplicate_of == "kremlin-67023"


def test_cleaning_keeps_the_first_line_of_hard_wrapped_wire_text():
    """A wire body wrapped at 65 columns keeps its short first line: it is prose, not a crumb."""
    body = "Standard Oil Co and BP North America\nInc said they plan to form a venture to manage the money market."

    assert clean_body(body, "STANDARD OIL, BP FORM VENTURE").startswith("Standard Oil Co and BP North America")


def test_cleaning_does_not_empty_a_price_table():
    """A body made of short rows of figures is kept (it would otherwise be dead-lettered as empty)."""
    body = "Shr 34 cts vs 1.19 dlrs\nNet 807,000 vs 2,858,000\nRevs 60.8 mln vs 32.9 mln"

    assert clean_body(body, "ACME CORP 4TH QTR NET").split() == body.split()


def test_cleaning_drops_the_headline_repeated_with_a_republisher_suffix():
    """The headline at the top of the body goes, with or without the " - M5 Dergi" suffix on either side."""
    body = "Leaders meet in Astana to discuss trade - M5 Dergi\n\nThe two leaders met in Astana on Wednesday."

    assert clean_body(body, "Leaders meet in Astana to discuss trade") == "The two leaders met in Astana on Wednesday."
    assert clean_body(body, "Leaders meet in Astana to discuss trade - M5 Dergi").startswith("The two leaders")
