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

__all__ = ["DedupPolicy", "DedupVerdict", "StoryEntry", "StoryIndex", "entry_from_state", "entry_to_state"]


_LSH_SLOTS = min(NUM_PERM, 128)
"""Slots the LSH bands are cut from; verification compares all NUM_PERM."""


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
        if self.bands < 1 or _LSH_SLOTS % self.bands:
            msg = f"bands must divide {_LSH_SLOTS}, got {self.bands}"
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


_WINDOW = np.arange(16)
_EMPTY = np.uint32(0xFFFF_FFFF)
_TOMB = np.uint32(0xFFFF_FFFE)
_SLOT_MASK = np.uint32(0x00FF_FFFF)
MAX_STORIES = 0x00FF_FFFE
"""Slots are 24 bits; the two highest values mark empty and deleted cells."""


class _KeyTable:
    """Open-addressing multimap from 32-bit keys to slots, linear probing, in one uint32 array.

    A cell is the key's low 8 bits (a tag) and a 24-bit slot; the key's high bits pick the home
    cell. A lookup reads a 16-cell window per key (one or two cache lines) and may return a slot
    whose tag matched by chance (1 in 256 per occupied cell it reads): callers verify candidates.
    The last cell is always empty, so every probe ends.
    """

    def __init__(self) -> None:
        self._reset(1024)

    def _reset(self, size: int) -> None:
        self.size = size
        self.used = 0
        """Cells holding a key or a tombstone."""
        self.cells = np.full(size + _WINDOW.size + 1, _EMPTY, dtype=np.uint32)

    @property
    def crowded(self) -> bool:
        return self.used > 0.7 * self.size

    def _home(self, keys: npt.NDArray[np.uint32]) -> npt.NDArray[np.intp]:
        return ((keys.astype(np.uint64) * np.uint64(self.size)) >> np.uint64(32)).astype(np.intp)

    def _windows(self, starts: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint32]]:
        index = starts[:, None] + _WINDOW
        return index, self.cells.take(index, mode="clip")  # past the end reads the last cell: always empty

    def find(self, keys: npt.NDArray[np.uint32]) -> list[npt.NDArray[np.uint32]]:
        """Slots stored under these keys (plus the odd tag collision), possibly repeated."""
        return self._scan(keys, None)

    def delete(self, keys: npt.NDArray[np.uint32], slot: int) -> None:
        self._scan(keys, slot)

    def _scan(self, keys: npt.NDArray[np.uint32], delete: int | None) -> list[npt.NDArray[np.uint32]]:
        tags = (keys & np.uint32(0xFF)) << np.uint32(24)
        wanted = (tags | np.uint32(delete) if delete is not None else tags)[:, None]
        starts = self._home(keys)
        found: list[npt.NDArray[np.uint32]] = []
        while True:
            index, cells = self._windows(starts)
            run = ~np.logical_or.accumulate(cells == _EMPTY, axis=1)  # cells before the first empty one
            if delete is None:
                hit = run & ((cells & ~_SLOT_MASK) == wanted) & (cells < _TOMB)
                found.append(cells[hit] & _SLOT_MASK)
            else:
                self.cells[index[run & (cells == wanted)]] = _TOMB
            more = run[:, -1]  # no empty cell in the window: the run goes on
            if not more.any():
                return found
            starts, wanted = starts[more] + _WINDOW.size, wanted[more]

    def insert(self, keys: npt.NDArray[np.uint32], slot: int) -> None:
        values = ((keys & np.uint32(0xFF)) << np.uint32(24)) | np.uint32(slot)
        starts = self._home(keys)
        while True:
            index, cells = self._windows(starts)
            free = cells >= _TOMB  # empty or deleted
            first = free.argmax(axis=1)
            rows = np.arange(starts.size)
            where, ok = index[rows, first], free[rows, first]
            if ok.any() and where[ok].max() >= self.cells.size - 1:  # a run reached the end: room for more
                self.cells = np.concatenate([self.cells, np.full(2 * _WINDOW.size, _EMPTY, dtype=np.uint32)])
                continue
            take = ok.copy()
            targets = where[ok].tolist()
            if len(set(targets)) < len(targets):  # two keys, one free cell: the first takes it, the other waits
                _, first_seen = np.unique(where[ok], return_index=True)
                take[:] = False
                take[np.flatnonzero(ok)[first_seen]] = True
            self.used += int(np.count_nonzero(cells[rows[take], first[take]] == _EMPTY))
            self.cells[where[take]] = values[take]
            if take.all():
                return
            starts = np.where(ok, starts, starts + _WINDOW.size)[~take]
            values = values[~take]

    def load(self, keys: npt.NDArray[np.uint32], slots: npt.NDArray[np.intp]) -> None:
        """Replace the contents in one pass: sorted by home cell, each key takes the next free cell."""
        self._reset(max(1024, int(keys.size / 0.45)))
        if keys.size == 0:
            return
        home = self._home(keys)
        order = np.argsort(home, kind="stable")
        rank = np.arange(keys.size)
        where = np.maximum.accumulate(home[order] - rank) + rank
        if where[-1] + 1 > self.size:
            self.cells = np.full(int(where[-1]) + 1 + _WINDOW.size + 1, _EMPTY, dtype=np.uint32)
        values = ((keys & np.uint32(0xFF)) << np.uint32(24)) | slots.astype(np.uint32)
        self.cells[where] = values[order]
        self.used = int(keys.size)


class StoryIndex:
    """In-memory LSH index over live stories, expired by event time."""

    def __init__(self, policy: DedupPolicy) -> None:
        self.policy = policy
        self._rows = _LSH_SLOTS // policy.bands
        self._band_ids = np.arange(policy.bands + 1, dtype=np.uint64) * _BAND_MUL
        self._horizon_us = policy.horizon // _MICRO
        self.watermark: datetime | None = None
        """Highest event time seen: stories older than watermark - horizon are dropped."""
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
        self._table = _KeyTable()
        self._memo: tuple[bytes, int, npt.NDArray[np.uint32]] | None = None
        """The last keys computed: `add` after `match` of the same fingerprint reuses them."""

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
        self.remove(entry.article_id)
        slot = self._take_slot()
        published = _micros(entry.published)
        self._ids[slot] = entry.article_id
        self._sigs[slot] = signature_array(entry.signature)
        self._exact[slot] = _exact_key(entry.exact)
        self._published[slot] = published
        self._shingles[slot] = entry.shingles
        self._alive[slot] = True
        self._slot[entry.article_id] = slot
        if entry.cluster_id != entry.article_id:
            self._clusters[slot] = entry.cluster_id
        self._table.insert(self._keys(entry.signature, int(self._exact[slot])), slot)
        if self._table.crowded:
            self._reload()
        heapq.heappush(self._expiry, published * 2**24 + slot)
        self.advance(entry.published)

    def remove(self, article_id: str) -> None:
        slot = self._slot.pop(article_id, None)
        if slot is None:
            return
        self._table.delete(self._keys_of(np.array([slot]))[0], slot)
        self._alive[slot] = False
        self._ids[slot] = None
        self._clusters.pop(slot, None)
        self._free.append(slot)

    def advance(self, event_time: datetime) -> list[str]:
        """Move the watermark forward; return the ids of stories that fell out of the horizon."""
        if self.watermark is None or event_time > self.watermark:
            self.watermark = event_time
        cutoff = _micros(self.watermark) - self._horizon_us
        expired: list[str] = []
        while self._expiry and self._expiry[0] >> 24 < cutoff:
            item = heapq.heappop(self._expiry)
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
        exact = _exact_key(fp.exact)
        found = self._table.find(self._keys(fp.signature, exact))
        if not any(part.size for part in found):
            return None
        candidates = np.unique(np.concatenate(found)).astype(np.intp)
        when = _micros(published)
        live = self._alive[candidates] & (np.abs(self._published[candidates] - when) <= self._horizon_us)
        candidates = candidates[live]
        if exclude is not None and candidates.size:
            candidates = candidates[[self._ids[int(s)] != exclude for s in candidates]]
        if candidates.size == 0:
            return None
        exact_hits = candidates[self._exact[candidates] == np.uint64(exact)]
        if exact_hits.size:
            return self._verdict(int(exact_hits[self._best(exact_hits, np.ones(exact_hits.size))]), 1.0)
        similarity, rank = self._scores(signature_array(fp.signature), fp.shingles, candidates)
        passing = np.flatnonzero(similarity > 0)
        if passing.size == 0:
            return None
        best = passing[self._best(candidates[passing], rank[passing])]
        return self._verdict(int(candidates[best]), float(similarity[best]))

    def _scores(
        self, signature: npt.NDArray[np.generic], shingles: int, candidates: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per candidate, the similarity it reaches under the policy (0 where it fails) and its rank.

        The similarity is the estimated Jaccard, or for a copy that passes as truncated the estimated
        share of the shorter text found in the longer. Candidates rank by containment plus Jaccard:
        a teaser that is a prefix of its original outranks another story that shares its template
        opening, even when the original passes on Jaccard and the other only on containment.
        """
        policy = self.policy
        jaccard = np.count_nonzero(self._sigs[candidates] == signature, axis=1) / NUM_PERM
        other = self._shingles[candidates].astype(np.float64)
        smaller = np.maximum(np.minimum(other, shingles), 1.0)
        containment = np.minimum(1.0, jaccard * (other + shingles) / ((1 + jaccard) * smaller))
        contained = (jaccard >= policy.min_jaccard_for_containment) & (containment >= policy.min_containment)
        similarity = np.where(jaccard >= policy.min_jaccard, jaccard, np.where(contained, containment, 0.0))
        return similarity, containment + jaccard

    def _best(self, slots: npt.NDArray[np.intp], rank: npt.NDArray[np.float64]) -> int:
        """Position of the best candidate: highest rank, then the earlier story, then the smaller id."""
        if slots.size == 1:
            return 0
        order = sorted(
            range(slots.size),
            key=lambda i: (-round(float(rank[i]), 9), int(self._published[slots[i]]), self._ids[slots[i]] or ""),
        )
        return order[0]

    def _verdict(self, slot: int, score: float) -> DedupVerdict:
        article_id = self._ids[slot]
        assert article_id is not None
        return DedupVerdict(self._clusters.get(slot, article_id), article_id, round(score, 3))

    def _keys(self, signature: bytes, exact: int) -> npt.NDArray[np.uint32]:
        memo = self._memo
        if memo is not None and memo[1] == exact and memo[0] == signature:
            return memo[2]
        keys: npt.NDArray[np.uint32] = self._band_keys(
            signature_array(signature)[None, :], np.array([exact], dtype=np.uint64)
        )[0]
        self._memo = (signature, exact, keys)
        return keys

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
