"""The story index's machinery: its key table against a plain model, growth, deletion, rebuilds, tie-breaks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.dedup import DedupPolicy, StoryEntry, StoryIndex
from streams.fingerprint import SIGNATURE_BYTES, Fingerprint, fingerprint
from streams.keytable import KeyTable

T0 = datetime(2024, 7, 3, 11, 0, tzinfo=UTC)
POLICY = DedupPolicy()


def _random_entry(rng: np.random.Generator, article_id: str, published: datetime = T0) -> StoryEntry:
    signature = rng.integers(0, 256, SIGNATURE_BYTES, dtype=np.uint8).tobytes()
    return StoryEntry(article_id, article_id, f"{int(rng.integers(2**62)):024x}", signature, 300, published)


def _probe(entry: StoryEntry) -> Fingerprint:
    """The same signature under another exact hash: found only through the LSH bands."""
    return Fingerprint("e" * 24, entry.signature, entry.shingles)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 60)), max_size=300))
def test_key_table_finds_what_a_plain_multimap_holds(operations):
    """After any inserts and deletes, a lookup returns every slot stored under the key (and rarely more)."""
    table = KeyTable()
    model: dict[int, set[int]] = {}
    keys_of = {slot: np.array([slot * 2654435761 % 2**32, 7, slot % 5], dtype=np.uint32) for slot in range(61)}
    for insert, slot in operations:
        keys = keys_of[slot]
        if insert and slot not in {s for v in model.values() for s in v}:
            table.insert(keys, slot)
            for key in keys.tolist():
                model.setdefault(key, set()).add(slot)
        elif not insert:
            table.delete(keys, slot)
            for key in keys.tolist():
                model.get(key, set()).discard(slot)
    for key, slots in model.items():
        found = np.concatenate(table.find(np.array([key], dtype=np.uint32))).tolist()
        assert slots <= set(found)


def test_key_table_bulk_load_finds_the_same_as_inserts():
    """Loading many keys at once places them where one-by-one inserts would find them."""
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 2**32, 20_000, dtype=np.uint32)
    keys[::7] = keys[0]  # a long run of one key
    slots = np.arange(keys.size) % 3000
    table = KeyTable()
    table.load(keys, slots)

    for key, slot in zip(keys[:500].tolist(), slots[:500].tolist(), strict=True):
        assert slot in np.concatenate(table.find(np.array([key], dtype=np.uint32))).tolist()
    assert table.used == keys.size


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 14), st.integers(0, 6), st.integers(20, 3000))
def test_probed_insert_places_keys_where_insert_does(seed, stories, deleted, distinct):
    """One story's keys go to the same cells through `probe` + `insert_probed` as through `insert`."""
    rng = np.random.default_rng(seed)
    crowded, through_probe = KeyTable(), KeyTable()
    spread = int(rng.integers(1, 2**32))  # few distinct keys: long runs, shared cells, full windows
    for slot in range(stories):
        keys = (rng.integers(0, distinct, 65, dtype=np.uint64) * spread % 2**32).astype(np.uint32)
        crowded.insert(keys, slot)
        through_probe.insert_probed(through_probe.probe(keys.astype(np.uint64)), slot)
        np.testing.assert_array_equal(crowded.cells, through_probe.cells)
        assert crowded.used == through_probe.used
        if slot < deleted:
            crowded.delete(keys, slot)
            through_probe.delete(keys, slot)


def test_probe_finds_what_find_finds():
    """The one-story lookup returns the same slots as `find`, runs longer than its window included."""
    rng = np.random.default_rng(9)
    table = KeyTable()
    pool = rng.integers(0, 2**32, 120, dtype=np.uint64).astype(np.uint32)
    for slot in range(11):
        table.insert(rng.choice(pool, 65), slot)
    for _ in range(50):
        keys = rng.choice(pool, 65)
        expected = np.concatenate(table.find(keys)).tolist()
        assert sorted(table.probe(keys.astype(np.uint64)).found) == sorted(expected)


def test_index_survives_growth_and_deletion():
    """Thousands of stories in, half expired: every live story is still found, no expired one is."""
    rng = np.random.default_rng(1)
    index = StoryIndex(POLICY)
    entries = [_random_entry(rng, f"a{i}", T0 + timedelta(seconds=i)) for i in range(6000)]
    for entry in entries:
        index.add(entry)
    expired = index.advance(entries[2999].published + POLICY.horizon + timedelta(microseconds=1))

    assert len(expired) == 3000
    assert len(index) == 3000
    now = entries[-1].published
    for entry in entries[::97]:
        verdict = index.match(_probe(entry), now)
        if entry.article_id in expired:
            assert verdict is None
        else:
            assert verdict is not None
            assert verdict.duplicate_of == entry.article_id


def test_reused_slot_does_not_answer_for_its_old_story():
    """A removed story's slot goes to a new story; the old story's copies no longer match anything."""
    rng = np.random.default_rng(2)
    index = StoryIndex(POLICY)
    old, new = _random_entry(rng, "old"), _random_entry(rng, "new")
    index.add(old)
    index.remove("old")
    index.add(new)

    assert index.match(_probe(old), T0) is None
    verdict = index.match(_probe(new), T0)
    assert verdict is not None
    assert verdict.duplicate_of == "new"


def test_rebuilt_index_gives_the_same_verdicts_as_the_live_one():
    """The bulk rebuild after a restart answers exactly as the index that was built entry by entry."""
    rng = np.random.default_rng(3)
    entries = [_random_entry(rng, f"s{i}", T0 + timedelta(minutes=i)) for i in range(2000)]
    live = StoryIndex(POLICY)
    for entry in entries:
        live.add(entry)
    rebuilt = StoryIndex.rebuilt(POLICY, reversed(entries))
    probes = [_probe(e) for e in entries[::50]] + [_probe(_random_entry(rng, "x")) for _ in range(20)]
    when = entries[-1].published

    assert [rebuilt.match(p, when) for p in probes] == [live.match(p, when) for p in probes]
    assert sorted(e.article_id for e in rebuilt) == sorted(e.article_id for e in entries)


def test_entries_read_back_from_the_index_rebuild_it():
    """What the index yields can seed another index with the same answers (the exact key round-trips)."""
    first = fingerprint("Leaders meet", "President A met President B in Astana on Wednesday to discuss trade.")
    index = StoryIndex(POLICY)
    index.add(StoryEntry("a", "a", first.exact, first.signature, first.shingles, T0))
    copy = StoryIndex.rebuilt(POLICY, list(index))

    verdict = copy.match(first, T0)
    assert verdict is not None
    assert (verdict.duplicate_of, verdict.similarity) == ("a", 1.0)


def test_equal_candidates_go_to_the_earlier_story():
    """Two indexed copies of one text: a third copy joins the one published first, whatever the insertion order."""
    fp = fingerprint("Leaders meet", "President A met President B in Astana on Wednesday to discuss trade and energy.")
    late = StoryEntry("late", "late", fp.exact, fp.signature, fp.shingles, T0 + timedelta(hours=1))
    early = StoryEntry("early", "early", fp.exact, fp.signature, fp.shingles, T0)
    for order in ([late, early], [early, late]):
        index = StoryIndex(POLICY)
        for entry in order:
            index.add(entry)
        verdict = index.match(fp, T0 + timedelta(hours=2))
        assert verdict is not None
        assert verdict.duplicate_of == "early"


def test_verdict_carries_the_entry_cluster():
    """An indexed story that belongs to another cluster hands that cluster id to its copies."""
    fp = fingerprint("Leaders meet", "President A met President B in Astana on Wednesday to discuss trade and energy.")
    index = StoryIndex(POLICY)
    index.add(StoryEntry("b", "first-seen", fp.exact, fp.signature, fp.shingles, T0))

    verdict = index.match(fp, T0)
    assert verdict is not None
    assert (verdict.cluster_id, verdict.duplicate_of) == ("first-seen", "b")


@pytest.mark.parametrize("bands", [0, 3, 256])
def test_policy_rejects_bands_that_do_not_divide_the_signature(bands):
    """A band count that does not cut the LSH slots evenly is a configuration error."""
    with pytest.raises(ValueError, match="bands"):
        DedupPolicy(bands=bands)


def test_policy_rejects_a_non_positive_horizon():
    """A zero horizon would make every story expire at once."""
    with pytest.raises(ValueError, match="horizon"):
        DedupPolicy(horizon=timedelta(0))


def test_many_random_texts_never_match_each_other():
    """Unrelated texts of realistic length stay apart (no band or tag collision turns into a verdict)."""
    rng = random.Random(4)
    vocabulary = [f"w{i}" for i in range(5000)]
    index = StoryIndex(POLICY)
    fps = []
    for i in range(400):
        fp = fingerprint("", " ".join(rng.choice(vocabulary) for _ in range(150)))
        assert index.match(fp, T0) is None
        index.add(StoryEntry(f"t{i}", f"t{i}", fp.exact, fp.signature, fp.shingles, T0))
        fps.append(fp)

    assert all(index.match(fp, T0, exclude=f"t{i}") is None for i, fp in enumerate(fps))
