"""Duplicate decision: exact hash first, then MinHash-LSH candidates verified by estimated similarity.

The index is derived state: the shell keeps one `StoryEntry` per indexed story in a
changelog-backed table and rebuilds this index from it after a restart or rebalance.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from heapq import heappop, heappush

import numpy as np
import numpy.typing as npt

from streams.fingerprint import NUM_PERM, Fingerprint

__all__ = ["DedupPolicy", "DedupVerdict", "StoryEntry", "StoryIndex", "entry_from_state", "entry_to_state"]


@dataclass(frozen=True, slots=True)
class DedupPolicy:
    """Thresholds on estimated similarity, and how long a story stays matchable (event time)."""

    horizon: timedelta = timedelta(hours=72)
    bands: int = 64
    """LSH bands of NUM_PERM // bands rows: 64 x 2 finds pairs down to Jaccard ~0.3 (truncated copies)."""
    min_jaccard: float = 0.5
    """A copy whose estimated Jaccard reaches this is a duplicate outright."""
    min_containment: float = 0.8
    """Or: this share of the shorter text's shingles lies in the longer one (a truncated copy) ..."""
    min_jaccard_for_containment: float = 0.25
    """... provided they still share this much (guards against tiny texts)."""


@dataclass(frozen=True, slots=True)
class StoryEntry:
    """One original story in the index."""

    article_id: str
    cluster_id: str
    exact: str
    signature: tuple[int, ...]
    shingles: int
    published: datetime


@dataclass(frozen=True, slots=True)
class DedupVerdict:
    """`duplicate_of` and `similarity` are None for an original; `cluster_id` is then its own id."""

    cluster_id: str
    duplicate_of: str | None = None
    similarity: float | None = None


@dataclass(slots=True)
class _Indexed:
    entry: StoryEntry
    signature: npt.NDArray[np.uint64]
    band_keys: tuple[bytes, ...]


class StoryIndex:
    """In-memory LSH index over live stories, expired by event time."""

    def __init__(self, policy: DedupPolicy) -> None:
        self.policy = policy
        self._rows = NUM_PERM // policy.bands
        self._stories: dict[str, _Indexed] = {}
        self._by_exact: dict[str, str] = {}
        self._buckets: dict[bytes, list[str]] = {}
        self._expiry: list[tuple[datetime, str]] = []
        self.watermark: datetime | None = None
        """Highest event time seen: stories older than watermark - horizon are dropped."""

    def __len__(self) -> int:
        return len(self._stories)

    def __iter__(self) -> Iterator[StoryEntry]:
        return (indexed.entry for indexed in self._stories.values())

    @classmethod
    def rebuilt(cls, policy: DedupPolicy, entries: Iterable[StoryEntry]) -> StoryIndex:
        """Rebuild from the persisted entries (after recovery)."""
        index = cls(policy)
        for entry in sorted(entries, key=lambda e: e.published):
            index.add(entry)
        return index

    def add(self, entry: StoryEntry) -> None:
        self.remove(entry.article_id)
        signature = np.array(entry.signature, dtype=np.uint64)
        keys = self._band_keys(signature)
        self._stories[entry.article_id] = _Indexed(entry, signature, keys)
        self._by_exact.setdefault(entry.exact, entry.article_id)
        for key in keys:
            self._buckets.setdefault(key, []).append(entry.article_id)
        heappush(self._expiry, (entry.published, entry.article_id))
        self.advance(entry.published)

    def remove(self, article_id: str) -> None:
        indexed = self._stories.pop(article_id, None)
        if indexed is None:
            return
        if self._by_exact.get(indexed.entry.exact) == article_id:
            del self._by_exact[indexed.entry.exact]
        for key in indexed.band_keys:
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.remove(article_id)
                if not bucket:
                    del self._buckets[key]

    def advance(self, event_time: datetime) -> list[str]:
        """Move the watermark forward; return the ids of stories that fell out of the horizon."""
        if self.watermark is None or event_time > self.watermark:
            self.watermark = event_time
        expired: list[str] = []
        cutoff = self.watermark - self.policy.horizon
        while self._expiry and self._expiry[0][0] < cutoff:
            published, article_id = heappop(self._expiry)
            indexed = self._stories.get(article_id)
            if indexed is not None and indexed.entry.published == published:
                self.remove(article_id)
                expired.append(article_id)
        return expired

    def match(self, fp: Fingerprint, published: datetime, *, exclude: str | None = None) -> DedupVerdict | None:
        """The best live original this fingerprint duplicates, or None."""
        exact_id = self._by_exact.get(fp.exact)
        if exact_id is not None and exact_id != exclude and self._live(exact_id, published):
            return DedupVerdict(self._stories[exact_id].entry.cluster_id, exact_id, 1.0)
        signature = np.array(fp.signature, dtype=np.uint64)
        best: tuple[float, str] | None = None
        for candidate_id in self._candidates(signature):
            if candidate_id == exclude or not self._live(candidate_id, published):
                continue
            score = self._score(signature, fp.shingles, self._stories[candidate_id])
            if score is not None and (best is None or score > best[0]):
                best = (score, candidate_id)
        if best is None:
            return None
        score, original_id = best
        return DedupVerdict(self._stories[original_id].entry.cluster_id, original_id, round(score, 3))

    def _candidates(self, signature: npt.NDArray[np.uint64]) -> list[str]:
        seen: dict[str, None] = {}
        for key in self._band_keys(signature):
            for article_id in self._buckets.get(key, ()):
                seen[article_id] = None
        return list(seen)

    def _band_keys(self, signature: npt.NDArray[np.uint64]) -> tuple[bytes, ...]:
        rows = self._rows
        raw = signature.tobytes()
        width = rows * 8
        return tuple(bytes((band,)) + raw[band * width : (band + 1) * width] for band in range(self.policy.bands))

    def _live(self, article_id: str, published: datetime) -> bool:
        other = self._stories[article_id].entry.published
        return abs(published - other) <= self.policy.horizon

    def _score(self, signature: npt.NDArray[np.uint64], shingles: int, other: _Indexed) -> float | None:
        policy = self.policy
        jaccard = float(np.count_nonzero(signature == other.signature)) / NUM_PERM
        if jaccard >= policy.min_jaccard:
            return jaccard
        if jaccard < policy.min_jaccard_for_containment:
            return None
        smaller, larger = sorted((shingles, other.entry.shingles))
        containment = min(1.0, jaccard * (smaller + larger) / ((1 + jaccard) * smaller))
        return containment if containment >= policy.min_containment else None


def entry_to_state(entry: StoryEntry) -> dict[str, object]:
    """Compact JSON-able form for the changelog-backed table."""
    return {
        "c": entry.cluster_id,
        "x": entry.exact,
        "s": list(entry.signature),
        "n": entry.shingles,
        "t": entry.published.isoformat(),
    }


def entry_from_state(article_id: str, state: Mapping[str, object]) -> StoryEntry:
    signature = state["s"]
    assert isinstance(signature, list)
    return StoryEntry(
        article_id=article_id,
        cluster_id=str(state["c"]),
        exact=str(state["x"]),
        signature=tuple(int(v) for v in signature),
        shingles=int(str(state["n"])),
        published=datetime.fromisoformat(str(state["t"])),
    )
