"""Duplicate decision: exact hash first, then MinHash-LSH candidates verified by estimated similarity.

The index is derived state: the shell keeps one `StoryEntry` per indexed story in a
changelog-backed table and rebuilds this index from it after a restart or rebalance.

Memory layout (measured in docs/DEDUP.md): a story is a slot in flat numpy arrays (signature,
exact hash, event time, size); its LSH band keys (one 32-bit key per band, plus one for the
exact hash) live in one open-addressing table of 4-byte cells. No Python object per key, and a
lookup touches about one cache line per band, so the decision stays cheap at 100k stories.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from streams.fingerprint import (
    NUM_PERM,
    SIGNATURE_BYTES,
    Fingerprint,
    decode_signature,
    encode_signature,
    signature_array,
)
from streams.keytable import LSH_SLOTS, MAX_STORIES, NO_SLOT, KeyTable, Probe

__all__ = [
    "DedupPolicy",
    "DedupVerdict",
    "StoryEntry",
    "StoryIndex",
    "entry_from_state",
    "entry_to_state",
    "event_micros",
    "exact_key",
]


_SIG_ITEM = np.dtype(signature_array(bytes(SIGNATURE_BYTES)).dtype).itemsize


@dataclass(frozen=True, slots=True)
class DedupPolicy:
    """Thresholds on estimated similarity, and how long a story stays matchable (event time)."""

    horizon: timedelta = timedelta(hours=72)
    bands: int = 64
    """LSH bands over the first 128 slots (64 x 2 rows): finds pairs down to Jaccard ~0.2 (truncated copies)."""
    min_jaccard: float = 0.5
    """A copy whose estimated Jaccard reaches this is a duplicate outright."""
    min_containment: float = 0.7
    """Or: this share of the shorter text's shingles lies in the longer one (a truncated copy) ..."""
    min_jaccard_for_containment: float = 0.2
    """... provided they still share this much (templated items, e.g. a weekly stocks report, stay apart)."""

    def __post_init__(self) -> None:
        if self.bands < 1 or LSH_SLOTS % self.bands:
            msg = f"bands must divide {LSH_SLOTS}, got {self.bands}"
            raise ValueError(msg)
        if self.horizon <= timedelta(0):
            msg = f"horizon must be positive, got {self.horizon}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class StoryEntry:
    """One original story in the index."""

    article_id: str
    cluster_id: str
    exact: str
    signature: bytes
    shingles: int
    published: datetime


@dataclass(frozen=True, slots=True)
class DedupVerdict:
    """`duplicate_of` and `similarity` are None for an original; `cluster_id` is then its own id."""

    cluster_id: str
    duplicate_of: str | None = None
    similarity: float | None = None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_KEY_MUL = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93] * 16, np.uint64)
_BAND_MUL = np.uint64(0xFF51AFD7ED558CCD)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICRO


def event_micros(moment: datetime) -> int:
    """An (aware) event time as whole microseconds since the epoch: how the index keeps it."""
    return (moment - _EPOCH) // _MICRO


def exact_key(exact: str) -> int:
    """A fingerprint's exact hash as the index keys it (see `_exact_key`)."""
    return _exact_key(exact)


def _exact_key(exact: str) -> int:
    """The exact hash folded to 64 bits (idempotent on 16 hex digits; any other text is hashed)."""
    try:
        value = int(exact, 16)
    except ValueError:
        return _hashed(exact)
    key = 0
    while value:
        key ^= value & 0xFFFF_FFFF_FFFF_FFFF
        value >>= 64
    return key


def _hashed(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class _Memo(NamedTuple):
    signature: bytes
    exact: int
    probe: Probe


class StoryIndex:
    """In-memory LSH index over live stories, expired by event time."""

    def __init__(self, policy: DedupPolicy) -> None:
        self.policy = policy
        self._rows = LSH_SLOTS // policy.bands
        self._band_ids = np.arange(policy.bands + 1, dtype=np.uint64) * _BAND_MUL
        self._horizon_us = policy.horizon // _MICRO
        self.watermark: datetime | None = None
        """Highest event time seen: stories older than watermark - horizon are dropped."""
        self._watermark_us: int | None = None
        # Per slot.
        self._ids: list[str | None] = []
        self._sigs = np.zeros((0, NUM_PERM), dtype=signature_array(bytes(SIGNATURE_BYTES)).dtype)
        self._exact = np.zeros(0, dtype=np.uint64)
        self._published = np.zeros(0, dtype=np.int64)
        self._shingles = np.zeros(0, dtype=np.int32)
        self._alive = np.zeros(0, dtype=bool)
        self._slot: dict[str, int] = {}
        self._clusters: dict[int, str] = {}
        """Only for entries whose cluster is not their own id."""
        self._free: list[int] = []
        self._expiry: list[int] = []
        """published_us * 2**24 + slot, one int per story: a min-heap by event time."""
        self._table = KeyTable()
        self._memo: _Memo | None = None
        """The last story looked up: `add` after `match` of the same fingerprint reuses its lookup."""

    def __len__(self) -> int:
        return len(self._slot)

    def __iter__(self) -> Iterator[StoryEntry]:
        return (self._entry(slot) for slot in list(self._slot.values()))

    @classmethod
    def rebuilt(cls, policy: DedupPolicy, entries: Iterable[StoryEntry]) -> StoryIndex:
        """Rebuild from the persisted entries (after recovery), in one vectorised pass."""
        index = cls(policy)
        latest = {e.article_id: e for e in sorted(entries, key=lambda e: (e.published, e.article_id))}
        ordered = list(latest.values())
        count = len(ordered)
        if count == 0:
            return index
        if count > MAX_STORIES:
            msg = f"{count} stories exceed the index's {MAX_STORIES}"
            raise ValueError(msg)
        index._grow(count + max(1024, count // 4))  # room for the stories to come
        index._ids = [e.article_id for e in ordered]
        index._slot = {e.article_id: slot for slot, e in enumerate(ordered)}
        index._clusters = {slot: e.cluster_id for slot, e in enumerate(ordered) if e.cluster_id != e.article_id}
        index._sigs[:count] = np.frombuffer(b"".join(e.signature for e in ordered), dtype=index._sigs.dtype).reshape(
            count, NUM_PERM
        )
        index._exact[:count] = [_exact_key(e.exact) for e in ordered]
        index._published[:count] = [_micros(e.published) for e in ordered]
        index._shingles[:count] = [e.shingles for e in ordered]
        index._alive[:count] = True
        index._reload()
        index._expiry = [int(published) * 2**24 + slot for slot, published in enumerate(index._published[:count])]
        heapq.heapify(index._expiry)
        index.advance(ordered[-1].published)
        return index

    # --- writes ---------------------------------------------------------------------------

    def add(self, entry: StoryEntry) -> None:
        self.add_story(
            entry.article_id,
            entry.cluster_id,
            _exact_key(entry.exact),
            entry.signature,
            entry.shingles,
            _micros(entry.published),
            entry.published,
        )

    def add_story(  # the fields of a StoryEntry, as the index keeps them
        self,
        article_id: str,
        cluster_id: str,
        exact: int,
        signature: bytes,
        shingles: int,
        published_us: int,
        published: datetime,
    ) -> None:
        """`add` without the conversions: `exact` folded by `exact_key`, `published_us` from `event_micros`."""
        self.remove(article_id)
        slot = self._take_slot()
        self._ids[slot] = article_id
        self._sigs[slot] = signature_array(signature)
        self._exact[slot] = exact
        self._published[slot] = published_us
        self._shingles[slot] = shingles
        self._alive[slot] = True
        self._slot[article_id] = slot
        if cluster_id != article_id:
            self._clusters[slot] = cluster_id
        self._table.insert_probed(self._probe(signature, exact), slot)
        if self._table.crowded:
            self._reload()
        heapq.heappush(self._expiry, published_us * 2**24 + slot)
        self.advance_micros(published_us, published)

    def remove(self, article_id: str) -> None:
        slot = self._slot.pop(article_id, None)
        if slot is None:
            return
        keys = self._story_keys(self._sigs[slot].tobytes(), int(self._exact[slot]))
        self._table.delete(keys.astype(np.uint32), slot)
        self._alive[slot] = False
        self._ids[slot] = None
        self._clusters.pop(slot, None)
        self._free.append(slot)

    @property
    def watermark_micros(self) -> int:
        """The watermark in µs since the epoch (`advance` must have been called)."""
        assert self._watermark_us is not None
        return self._watermark_us

    def advance(self, event_time: datetime) -> list[str]:
        """Move the watermark forward; return the ids of stories that fell out of the horizon."""
        return self.advance_micros(_micros(event_time), event_time)

    def advance_micros(self, event_us: int, event_time: datetime) -> list[str]:
        """`advance` with the event time also in microseconds since the epoch (`event_micros`)."""
        if self._watermark_us is None or event_us > self._watermark_us:
            self._watermark_us = event_us
            self.watermark = event_time
        cutoff = self._watermark_us - self._horizon_us
        expiry = self._expiry
        if not expiry or expiry[0] >> 24 >= cutoff:
            return []
        expired: list[str] = []
        while expiry and expiry[0] >> 24 < cutoff:
            item = heapq.heappop(expiry)
            published, slot = item >> 24, item & 0xFF_FFFF
            article_id = self._ids[slot]
            if article_id is not None and self._published[slot] == published:
                self.remove(article_id)
                expired.append(article_id)
        return expired

    def _take_slot(self) -> int:
        if self._free:
            return self._free.pop()
        slot = len(self._ids)
        if slot >= MAX_STORIES:
            msg = f"the index holds its maximum of {MAX_STORIES} stories: shorten the horizon"
            raise ValueError(msg)
        if slot == len(self._alive):
            self._grow(max(1024, slot // 4))
        self._ids.append(None)
        return slot

    def _grow(self, extra: int) -> None:
        size = len(self._alive) + extra
        self._sigs = np.concatenate([self._sigs, np.zeros((extra, NUM_PERM), dtype=self._sigs.dtype)])
        self._exact = np.resize(self._exact, size)
        self._published = np.resize(self._published, size)
        self._shingles = np.resize(self._shingles, size)
        alive = np.zeros(size, dtype=bool)
        alive[: len(self._alive)] = self._alive
        self._alive = alive

    def _reload(self) -> None:
        """Rebuild the key table from the live stories (it holds tombstones, or it has grown)."""
        live = np.flatnonzero(self._alive)
        width = self.policy.bands + 1
        chunks = [self._keys_of(live[i : i + 16384]).ravel() for i in range(0, live.size, 16384)]
        keys = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint32)
        self._table.load(keys, np.repeat(live, width))

    # --- reads ----------------------------------------------------------------------------

    def match(self, fp: Fingerprint, published: datetime, *, exclude: str | None = None) -> DedupVerdict | None:
        """The best live original this fingerprint duplicates, or None.

        Exact copies first (similarity 1.0); then the highest estimated similarity that passes the
        policy; ties go to the earlier story, then the smaller id, so a replay or a rebuilt index
        gives the same verdict.
        """
        return self.match_story(_exact_key(fp.exact), fp.signature, fp.shingles, _micros(published), exclude=exclude)

    def match_story(
        self, exact: int, signature: bytes, shingles: int, published_us: int, *, exclude: str | None = None
    ) -> DedupVerdict | None:
        """`match` without the conversions (`exact_key`, `event_micros`)."""
        found = self._probe(signature, exact).found
        if not found:
            return None
        alive, stamps, ids, horizon = self._alive, self._published, self._ids, self._horizon_us
        candidates = [  # ascending slots, as before: the order ties are broken in is the same
            slot
            for slot in sorted(set(found))
            if slot < NO_SLOT and alive[slot] and abs(int(stamps[slot]) - published_us) <= horizon
        ]
        if exclude is not None:
            candidates = [slot for slot in candidates if ids[slot] != exclude]
        if not candidates:
            return None
        exact_hits = [slot for slot in candidates if int(self._exact[slot]) == exact]
        if exact_hits:
            return self._verdict(exact_hits[self._best(exact_hits, [1.0] * len(exact_hits))], 1.0)
        similarity, rank = self._scores(signature_array(signature), shingles, candidates)
        passing = [i for i, value in enumerate(similarity) if value > 0]
        if not passing:
            return None
        best = passing[self._best([candidates[i] for i in passing], [rank[i] for i in passing])]
        return self._verdict(candidates[best], similarity[best])

    def _scores(
        self, signature: npt.NDArray[np.generic], shingles: int, candidates: list[int]
    ) -> tuple[list[float], list[float]]:
        """Per candidate, the similarity it reaches under the policy (0 where it fails) and its rank.

        The similarity is the estimated Jaccard, or for a copy that passes as truncated the estimated
        share of the shorter text found in the longer. Candidates rank by containment plus Jaccard:
        a teaser that is a prefix of its original outranks another story that shares its template
        opening, even when the original passes on Jaccard and the other only on containment.
        (Plain float arithmetic, in the order the earlier numpy version used: the same doubles.)
        """
        policy = self.policy
        equal = np.count_nonzero(self._sigs[candidates] == signature, axis=1).tolist()
        others = self._shingles[candidates].tolist()
        similarity: list[float] = []
        rank: list[float] = []
        for count, other_count in zip(equal, others, strict=True):
            jaccard = count / NUM_PERM
            other = float(other_count)
            smaller = max(min(other, float(shingles)), 1.0)
            containment = min(1.0, jaccard * (other + shingles) / ((1 + jaccard) * smaller))
            if jaccard >= policy.min_jaccard:
                similarity.append(jaccard)
            elif jaccard >= policy.min_jaccard_for_containment and containment >= policy.min_containment:
                similarity.append(containment)
            else:
                similarity.append(0.0)
            rank.append(containment + jaccard)
        return similarity, rank

    def _best(self, slots: list[int], rank: list[float]) -> int:
        """Position of the best candidate: highest rank, then the earlier story, then the smaller id."""
        if len(slots) == 1:
            return 0
        order = sorted(
            range(len(slots)),
            key=lambda i: (-round(rank[i], 9), int(self._published[slots[i]]), self._ids[slots[i]] or ""),
        )
        return order[0]

    def _verdict(self, slot: int, score: float) -> DedupVerdict:
        article_id = self._ids[slot]
        assert article_id is not None
        return DedupVerdict(self._clusters.get(slot, article_id), article_id, round(score, 3))

    def _probe(self, signature: bytes, exact: int) -> Probe:
        """The story's keys looked up in the table; `add` after `match` of the same story reuses the
        lookup while the table is unchanged (its keys, whatever the table did)."""
        memo = self._memo
        if memo is not None and memo.exact == exact and memo.signature == signature:
            if memo.probe.version == self._table.version:
                return memo.probe
            keys = memo.probe.keys
        else:
            keys = self._story_keys(signature, exact)
        probe = self._table.probe(keys)
        self._memo = _Memo(signature, exact, probe)
        return probe

    def _story_keys(self, signature: bytes, exact: int) -> npt.NDArray[np.uint64]:
        """`_band_keys` of one story (as uint64), with fewer array steps when a band is one machine word."""
        bands, rows = self.policy.bands, self._rows
        width = rows * _SIG_ITEM
        if width not in (4, 8):
            keys = self._band_keys(signature_array(signature)[None, :], np.array([exact], dtype=np.uint64))
            wide: npt.NDArray[np.uint64] = keys[0].astype(np.uint64)
            return wide
        mixed = np.empty(bands + 1, dtype=np.uint64)
        mixed[:bands] = np.frombuffer(signature, dtype=f"<u{width}", count=bands)
        mixed[bands] = exact
        mixed ^= self._band_ids
        mixed *= _KEY_MUL[0]
        mixed ^= mixed >> np.uint64(31)
        mixed *= _BAND_MUL
        mixed >>= np.uint64(32)
        return mixed

    def _keys_of(self, slots: npt.NDArray[np.intp]) -> npt.NDArray[np.uint32]:
        return self._band_keys(self._sigs[slots], self._exact[slots])

    def _band_keys(self, signatures: npt.NDArray[np.generic], exact: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
        """Per signature, one 32-bit key per band (its rows and its number mixed), then one for the exact hash."""
        bands, rows = self.policy.bands, self._rows
        lsh = np.ascontiguousarray(signatures[:, : bands * rows])
        if rows * lsh.itemsize in (4, 8):  # a band's rows are one machine word: read them as such
            mixed = lsh.view(f"<u{rows * lsh.itemsize}").astype(np.uint64)
        else:
            wide = lsh.astype(np.uint64).reshape(-1, bands, rows)
            mixed = (wide * _KEY_MUL[:rows]).sum(axis=2, dtype=np.uint64)
        mixed = np.concatenate([mixed, exact[:, None]], axis=1) ^ self._band_ids
        mixed *= _KEY_MUL[0]
        mixed ^= mixed >> np.uint64(31)
        mixed *= _BAND_MUL
        keys: npt.NDArray[np.uint32] = (mixed >> np.uint64(32)).astype(np.uint32)
        return keys

    def _entry(self, slot: int) -> StoryEntry:
        article_id = self._ids[slot]
        assert article_id is not None
        return StoryEntry(
            article_id=article_id,
            cluster_id=self._clusters.get(slot, article_id),
            exact=f"{int(self._exact[slot]):016x}",
            signature=self._sigs[slot].tobytes(),
            shingles=int(self._shingles[slot]),
            published=_EPOCH + int(self._published[slot]) * _MICRO,
        )


def entry_to_state(entry: StoryEntry) -> dict[str, object]:
    """Compact JSON-able form for the changelog-backed table (the signature as base64)."""
    return {
        "c": entry.cluster_id,
        "x": entry.exact,
        "s": encode_signature(entry.signature),
        "n": entry.shingles,
        "t": entry.published.isoformat(),
    }


def entry_from_state(article_id: str, state: Mapping[str, object]) -> StoryEntry:
    return StoryEntry(
        article_id=article_id,
        cluster_id=str(state["c"]),
        exact=str(state["x"]),
        signature=decode_signature(str(state["s"])),
        shingles=int(str(state["n"])),
        published=datetime.fromisoformat(str(state["t"])),
    )
