"""Dedup on real corpora: pair recall and false merges, the syndication simulator, method comparison, costs.

    python bench/dedup_eval.py                 # everything, ~3 minutes on one core
    python bench/dedup_eval.py --only pairs    # one section: pairs | simulator | compare | costs

Reads ../shared/data (or WIREWATCH_SHARED_DATA, or --data): Reuters-21578 with its derived pairs,
ECB+ with its pairs, and the Kremlin / President of Ukraine press releases. Articles go through the
same parsing and cleaning as the service (`streams.article.parse_article`) and the production
`fingerprint` and `StoryIndex`. Figures are recorded in docs/DEDUP.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the simulator lives in tests/

from streams.article import Article, parse_article, parse_time  # noqa: E402
from streams.dedup import DedupPolicy, StoryEntry, StoryIndex, entry_to_state  # noqa: E402
from streams.fingerprint import (  # noqa: E402
    SIGNATURE_BYTES,
    Fingerprint,
    _token_hash,
    encode_signature,
    fingerprint,
    shingle_hashes,
)
from streams.text import fold  # noqa: E402
from tests.syndication import copies_of  # noqa: E402

T0 = datetime(2024, 7, 3, 12, 0, tzinfo=UTC)
FOREVER = timedelta(days=365 * 100)
"""Pairs and copies are judged on their text; the horizon is reported on its own."""
CORPORA = ("reuters21578.jsonl", "ecbplus.jsonl", "leaders_pressreleases_2021_2022.jsonl")
MIN_WORDS = 100


# --- loading ------------------------------------------------------------------------------------


@dataclass
class Doc:
    id: str
    article: Article
    fp: Fingerprint
    words: int
    when: datetime
    """Its real publication time where the corpus has one, else T0 (all undated articles at one instant)."""
    _shingles: frozenset[int] | None = field(default=None, repr=False)

    @property
    def shingles(self) -> frozenset[int]:
        """The exact set of 5-shingle hashes (for true Jaccard / containment)."""
        if self._shingles is None:
            self._shingles = frozenset(_shingle_set(self.article).tolist())
        return self._shingles


def _shingle_set(article: Article, shingle: int = 5) -> npt.NDArray[np.uint64]:
    tokens = fold(article.text).split()
    if len(tokens) < 8:
        tokens = fold(article.headline).split() + tokens
    hashes = np.fromiter((_token_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    return shingle_hashes(hashes, shingle)


def parse(record: dict[str, Any], published: datetime | None = None) -> Article:
    payload = {"id": record["id"], "title": record.get("title") or "", "body": record.get("body") or ""}
    if record.get("source"):
        payload["source"] = record["source"]
    article = parse_article(payload, fallback_time=T0)
    return replace(article, published=published or T0)


def load(data: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Doc]]:
    records: dict[str, dict[str, Any]] = {}
    docs: dict[str, Doc] = {}
    for name in CORPORA:
        with (data / name).open("rb") as lines:
            for line in lines:
                record = orjson.loads(line)
                records[record["id"]] = record
                try:
                    article = parse(record)
                except Exception:  # noqa: BLE001  # no text at all: the service dead-letters it
                    continue
                when = parse_time(record["published"]) if record.get("published") else T0
                docs[record["id"]] = Doc(
                    record["id"], article, fingerprint(article.headline, article.text), len(article.text.split()), when
                )
    return records, docs


def read_pairs(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as lines:
        return [orjson.loads(line) for line in lines]


def true_jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def true_containment(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


# --- detectors: the production index, and SimHash for comparison ---------------------------------


class Detector:
    name = ""

    def add(self, doc_id: str, fp: Fingerprint, extra: Any, when: datetime = T0) -> None:
        raise NotImplementedError

    def match(self, fp: Fingerprint, extra: Any, when: datetime = T0) -> tuple[str, float] | None:
        raise NotImplementedError


class MinHashDetector(Detector):
    def __init__(self, name: str, policy: DedupPolicy) -> None:
        self.name = name
        self.policy = policy
        self.index = StoryIndex(policy)

    def add(self, doc_id: str, fp: Fingerprint, extra: Any, when: datetime = T0) -> None:
        fp = extra if isinstance(extra, Fingerprint) else fp  # a variant fingerprint (other shingle size)
        self.index.add(StoryEntry(doc_id, doc_id, fp.exact, fp.signature, fp.shingles, when))

    def match(self, fp: Fingerprint, extra: Any, when: datetime = T0) -> tuple[str, float] | None:
        fp = extra if isinstance(extra, Fingerprint) else fp
        verdict = self.index.match(fp, when)
        if verdict is None or verdict.duplicate_of is None:
            return None
        return verdict.duplicate_of, verdict.similarity or 0.0


class ExactDetector(Detector):
    name = "exact hash only"

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def add(self, doc_id: str, fp: Fingerprint, extra: Any, when: datetime = T0) -> None:
        self.seen.setdefault(fp.exact, doc_id)

    def match(self, fp: Fingerprint, extra: Any, when: datetime = T0) -> tuple[str, float] | None:
        hit = self.seen.get(fp.exact)
        return (hit, 1.0) if hit else None


_BITS = np.uint64(1) << np.arange(64, dtype=np.uint64)


def simhash(shingles: npt.NDArray[np.uint64]) -> int:
    """64-bit SimHash, every shingle weighted 1."""
    bits = ((shingles[:, None] & _BITS) != 0).sum(axis=0)
    return int(((bits * 2 > shingles.size).astype(np.uint64) * _BITS).sum())


class SimHashDetector(Detector):
    """Brute force over every indexed story (fine for a bench of ~25k stories)."""

    def __init__(self, shingle: int, max_distance: int) -> None:
        self.name = f"SimHash-64, word {shingle}-shingles, Hamming <= {max_distance}"
        self.shingle = shingle
        self.max_distance = max_distance
        self.ids: list[str] = []
        self.values: list[int] = []
        self._array: npt.NDArray[np.uint64] | None = None

    def feature(self, article: Article) -> int:
        return simhash(_shingle_set(article, self.shingle))

    def add(self, doc_id: str, fp: Fingerprint, extra: Any, when: datetime = T0) -> None:
        self.ids.append(doc_id)
        self.values.append(extra)
        self._array = None

    def match(self, fp: Fingerprint, extra: Any, when: datetime = T0) -> tuple[str, float] | None:
        if self._array is None:
            self._array = np.array(self.values, dtype=np.uint64)
        if not self.ids:
            return None
        distance = np.bitwise_count(self._array ^ np.uint64(extra))
        best = int(np.argmin(distance))
        if int(distance[best]) > self.max_distance:
            return None
        return self.ids[best], 1 - int(distance[best]) / 64


# --- section 1: the labelled pairs --------------------------------------------------------------


@dataclass
class PairRow:
    corpus: str
    group: str
    pairs: int
    merged: int
    goal: str

    @property
    def rate(self) -> float:
        return self.merged / self.pairs if self.pairs else 0.0


def judge_pair(detector_factory: Callable[[], Detector], a: Doc, b: Doc, extra: Callable[[Doc], Any]) -> bool:
    """Index the earlier article, ask about the later: is it merged?"""
    detector = detector_factory()
    detector.add(a.id, a.fp, extra(a))
    hit = detector.match(b.fp, extra(b))
    return hit is not None and hit[0] == a.id


def eval_pairs(
    data: Path,
    records: dict[str, dict[str, Any]],
    docs: dict[str, Doc],
    factory: Callable[[], Detector],
    extra: Callable[[Doc], Any] = lambda d: None,
) -> list[PairRow]:
    groups: dict[tuple[str, str], list[bool]] = defaultdict(list)
    missing = Counter()
    for corpus, name in (("Reuters-21578", "reuters21578.pairs.jsonl"), ("ECB+", "ecbplus.pairs.jsonl")):
        for pair in read_pairs(data / name):
            a, b = docs.get(pair["a"]), docs.get(pair["b"])
            if a is None or b is None:  # a side with no text: nothing to merge
                missing[(corpus, pair["label"])] += 1
                groups[(corpus, pair["label"])].append(False)
                continue
            merged = judge_pair(factory, a, b, extra)
            groups[(corpus, pair["label"])].append(merged)
            if corpus == "ECB+":
                groups[(corpus, pair["relation"])].append(merged)
                if pair["label"] == "duplicate":
                    for floor in (0.5, 0.8):
                        if pair["shingle5_jaccard"] >= floor:
                            groups[(corpus, f"duplicate, shingle5_jaccard >= {floor}")].append(merged)
    goals = {
        ("Reuters-21578", "duplicate"): ">= 0.99",
        ("Reuters-21578", "different"): "0 merged",
        ("ECB+", "same_topic_different_event"): "0 merged",
        ("ECB+", "different_topic"): "report",
        ("ECB+", "different"): "report (false-merge rate)",
        ("ECB+", "duplicate, shingle5_jaccard >= 0.5"): ">= 0.95",
        ("ECB+", "duplicate, shingle5_jaccard >= 0.8"): "report",
        ("ECB+", "same_event"): "report (same event, own words)",
    }
    return [PairRow(c, g, len(groups[(c, g)]), sum(groups[(c, g)]), goal) for (c, g), goal in goals.items()]


def horizon_note(records: dict[str, dict[str, Any]], data: Path, horizon: timedelta) -> tuple[int, int]:
    """Reuters duplicate pairs whose two copies lie within the horizon (event time)."""
    within = total = 0
    for pair in read_pairs(data / "reuters21578.pairs.jsonl"):
        if pair["label"] != "duplicate":
            continue
        a, b = (datetime.fromisoformat(records[pair[k]]["published"]) for k in ("a", "b"))
        total += 1
        within += abs(a - b) <= horizon
    return within, total


def print_pairs(rows: list[PairRow], title: str) -> None:
    print(f"\n## {title}\n")
    print("| corpus | pairs | n | merged | share merged | goal |")
    print("|---|---|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r.corpus} | {r.group} | {r.pairs} | {r.merged} | {r.rate:.4f} | {r.goal} |")


# --- section 2: the syndication simulator -------------------------------------------------------


@dataclass
class SimResult:
    copies: int = 0
    found: int = 0
    found_near_copy: int = 0
    missed: int = 0
    false: int = 0
    false_alone: int = 0
    by_variation: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    by_length: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    false_examples: list[tuple[str, str, str, float]] = field(default_factory=list)
    false_alone_examples: list[tuple[str, str, str, float]] = field(default_factory=list)
    miss_examples: list[tuple[str, str]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return (self.found + self.found_near_copy) / self.copies if self.copies else 0.0


def eligible(docs: dict[str, Doc], min_words: int) -> list[Doc]:
    return [d for d in docs.values() if d.words >= min_words]


def _bucket(words: int) -> str:
    for top, label in ((150, "100-149 words"), (300, "150-299 words"), (600, "300-599 words")):
        if words < top:
            return label if words >= 100 else f"{words // 25 * 25}-{words // 25 * 25 + 24} words"
    return ">= 600 words"


def simulate(
    docs: dict[str, Doc],
    originals: list[Doc],
    factory: Callable[[], Detector],
    extra_of_article: Callable[[Article], Any],
    seed: int = 3,
    *,
    timed: bool = False,
) -> SimResult:
    """Each copy must find its original among every corpus article, and nothing else.

    A second index holds every article except the sampled originals: there a copy has no right
    answer but a near-copy of its original that the corpus itself holds, so any other match is a
    false merge ("leave-one-out": what would happen if the copy arrived before its original).

    Time-blind by default (every article at one instant: the worst case). `timed`: articles at their
    real publication times, each copy an hour after its original, under the detector's horizon.
    """
    everything, without = factory(), factory()
    left_out = {d.id for d in originals}
    extras = {doc.id: extra_of_article(doc.article) for doc in docs.values()}
    rng = random.Random(seed)
    copies = [(o, c) for o in originals for c in copies_of(o.id, o.article.headline, _raw_bodies[o.id], rng)]
    # Events in time order: an article joins the index at its time, a copy is decided an hour after its original.
    hour = timedelta(hours=1)
    events: list[tuple[datetime, int, Any]] = [(d.when if timed else T0, 0, d) for d in docs.values()]
    events += [(o.when + hour if timed else T0, 1, (o, c)) for o, c in copies]
    events.sort(key=lambda e: (e[0], e[1]))
    result = SimResult()
    for when, kind, payload in events:
        if kind == 0:
            everything.add(payload.id, payload.fp, extras[payload.id], when)
            if payload.id not in left_out:
                without.add(payload.id, payload.fp, extras[payload.id], when)
            continue
        original, copy = payload
        try:
            article = parse_article({"id": "copy", "headline": copy.headline, "body": copy.body}, fallback_time=T0)
        except Exception:  # noqa: BLE001
            article = None
        hit = alone = None
        if article is not None:
            fp, extra = fingerprint(article.headline, article.text), extra_of_article(article)
            hit, alone = everything.match(fp, extra, when), without.match(fp, extra, when)
        _score(result, docs, original, copy.variation, hit, alone)
    return result


def _score(
    result: SimResult,
    docs: dict[str, Doc],
    original: Doc,
    variation: str,
    hit: tuple[str, float] | None,
    alone: tuple[str, float] | None,
) -> None:
    result.copies += 1
    row = result.by_variation["mix of 2-8" if variation.startswith("mix:") else variation]
    length = result.by_length[_bucket(original.words)]
    row[0] += 1
    length[0] += 1
    if alone is not None and not _near_copy(docs, alone[0], original):
        result.false_alone += 1
        row[3] += 1
        length[3] += 1
        if len(result.false_alone_examples) < 10:
            result.false_alone_examples.append((original.id, variation, alone[0], alone[1]))
    if hit is None:
        result.missed += 1
        if len(result.miss_examples) < 10:
            result.miss_examples.append((original.id, variation))
        return
    if hit[0] == original.id:
        result.found += 1
    elif _near_copy(docs, hit[0], original):
        result.found_near_copy += 1  # the corpus holds a near-copy of this article: a right answer
    else:
        result.false += 1
        row[2] += 1
        length[2] += 1
        if len(result.false_examples) < 10:
            result.false_examples.append((original.id, variation, hit[0], hit[1]))
        return
    row[1] += 1
    length[1] += 1


def _near_copy(docs: dict[str, Doc], other_id: str, original: Doc) -> bool:
    return other_id == original.id or true_containment(docs[other_id].shingles, original.shingles) >= 0.5


_raw_bodies: dict[str, str] = {}


def print_simulation(result: SimResult, originals: int, title: str) -> None:
    print(f"\n## {title}\n")
    print(
        f"{originals:,} real articles (>= {MIN_WORDS} words), {result.copies:,} simulated copies; every corpus "
        "article indexed. Leave-one-out: the same copies against every article but the originals.\n"
    )
    print("| copies | found | found (corpus near-copy) | missed | false merges | recall | leave-one-out false merges |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {result.copies} | {result.found} | {result.found_near_copy} | {result.missed} | {result.false} "
        f"| {result.recall:.4f} | {result.false_alone} |"
    )
    for label, table in (("variation", result.by_variation), ("original length", result.by_length)):
        print(f"\n| {label} | copies | found | recall | false merges | leave-one-out false merges |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, (n, ok, bad, alone) in sorted(table.items(), key=_row_order):
            print(f"| {name} | {n} | {ok} | {ok / n:.4f} | {bad} | {alone} |")
    if result.false_examples:
        print("\nfalse merges (original, variation, merged into, similarity):", result.false_examples)
    if result.false_alone_examples:
        print("\nleave-one-out false merges:", result.false_alone_examples)
    if result.miss_examples:
        print("\nmisses (original, variation), first 10:", result.miss_examples)


def _row_order(item: tuple[str, list[int]]) -> tuple[int, str]:
    name = item[0]
    digits = "".join(c if c.isdigit() else " " for c in name).split()
    return (int(digits[0]) if digits and "words" in name else len(name), name)


# --- section 3: method comparison -----------------------------------------------------------------

Method = tuple[str, Callable[[], Detector], Callable[[Article], Any]]


def methods() -> list[Method]:
    def minhash(name: str, shingle: int = 5, **policy: Any) -> Method:
        def featurize(article: Article) -> Any:
            return None if shingle == 5 else fingerprint(article.headline, article.text, shingle=shingle)

        return name, (lambda: MinHashDetector(name, DedupPolicy(horizon=FOREVER, **policy))), featurize

    def sim(shingle: int, distance: int) -> Method:
        probe = SimHashDetector(shingle, distance)
        return probe.name, (lambda: SimHashDetector(shingle, distance)), probe.feature

    production = DedupPolicy()
    return [
        minhash(
            f"MinHash, J >= {production.min_jaccard} or C >= {production.min_containment} "
            f"(J >= {production.min_jaccard_for_containment}) [production]"
        ),
        minhash("MinHash, J >= 0.5 only (no containment rule)", min_containment=1.01),
        minhash(
            "MinHash, J >= 0.5 or C >= 0.8 (J >= 0.25) [before tuning]",
            min_containment=0.8,
            min_jaccard_for_containment=0.25,
        ),
        minhash(
            "MinHash, J >= 0.4 or C >= 0.6 (J >= 0.15)",
            min_jaccard=0.4,
            min_containment=0.6,
            min_jaccard_for_containment=0.15,
        ),
        minhash(
            "MinHash, J >= 0.6 or C >= 0.8 (J >= 0.3)",
            min_jaccard=0.6,
            min_containment=0.8,
            min_jaccard_for_containment=0.3,
        ),
        minhash("MinHash, word 3-shingles, production thresholds", shingle=3),
        minhash("MinHash, production thresholds, LSH 32 bands x 4 rows", bands=32),
        ("exact hash only", ExactDetector, lambda a: None),
        sim(5, 3),
        sim(5, 10),
        sim(3, 3),
        sim(3, 10),
    ]


def compare(data: Path, records: dict[str, dict[str, Any]], docs: dict[str, Doc], originals: list[Doc]) -> None:
    print("\n## Method comparison\n")
    print(
        f"Pairs: all. Simulator: {len(originals)} real articles (>= {MIN_WORDS} words), every corpus article indexed.\n"
    )
    print(
        "| method | Reuters dup recall | Reuters diff merged | ECB+ same-topic diff merged | ECB+ diff false-merge "
        "rate | ECB+ dup (J>=0.5) recall | simulator recall | false merges | leave-one-out false merges "
        "| all+truncate@40% recall |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, factory, featurize in methods():
        features: dict[str, Any] = {}

        def extra(doc: Doc, features: dict[str, Any] = features, f: Callable[[Article], Any] = featurize) -> Any:
            if doc.id not in features:
                features[doc.id] = f(doc.article)
            return features[doc.id]

        rows = {(r.corpus, r.group): r for r in eval_pairs(data, records, docs, factory, extra)}
        sim = simulate(docs, originals, factory, featurize)
        worst = sim.by_variation.get("all+truncate@40%", [0, 0, 0, 0])
        print(
            f"| {name} | {rows[('Reuters-21578', 'duplicate')].rate:.4f} "
            f"| {rows[('Reuters-21578', 'different')].merged} "
            f"| {rows[('ECB+', 'same_topic_different_event')].merged} "
            f"| {rows[('ECB+', 'different')].rate:.5f} "
            f"| {rows[('ECB+', 'duplicate, shingle5_jaccard >= 0.5')].rate:.4f} "
            f"| {sim.recall:.4f} | {sim.false} | {sim.false_alone} | {worst[1] / max(worst[0], 1):.4f} |",
            flush=True,
        )


# --- section 4: costs ---------------------------------------------------------------------------------


def median_us(run: Callable[[], Any], items: int, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) / items * 1e6


def _random_entries(count: int, rng: np.random.Generator, start: datetime, prefix: str) -> list[StoryEntry]:
    raw = rng.integers(0, 256, (count, SIGNATURE_BYTES), dtype=np.uint8)
    return [
        StoryEntry(
            f"{prefix}{i:07d}",
            f"{prefix}{i:07d}",
            f"{rng.integers(2**62):024x}",
            raw[i].tobytes(),
            300,
            start + timedelta(milliseconds=i),
        )
        for i in range(count)
    ]


def costs(docs: dict[str, Doc], stories: int) -> None:
    from agents.resources import load_config
    from streams.pipeline import Decider, Enricher, State

    print("\n## Costs (one process, medians of repeated runs; the machine is shared, read them as +-30 %)\n")
    print("| what | figure |")
    print("|---|---:|")
    rng = np.random.default_rng(1)
    sample = [d for d in docs.values() if d.words >= MIN_WORDS][:2000]
    us = median_us(lambda: [fingerprint(d.article.headline, d.article.text) for d in sample], len(sample))
    print(f"| fingerprint (fold, shingle, MinHash), real articles >= {MIN_WORDS} words | {us:.0f} µs/article |")

    # Memory of the index alone: random signatures, ids shaped like the corpora's.
    entries = _random_entries(stories, rng, T0 - timedelta(hours=stories / 3_600_000), "reuters21578-")
    gc.collect()
    tracemalloc.start()
    index = StoryIndex(DedupPolicy())
    for entry in entries:
        index.add(entry)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"| story index, {stories:,} stories: memory per story (tracemalloc) | {current / stories:,.0f} B "
        f"(peak {peak / stories:,.0f} B) |"
    )
    print(
        f"| table value of one original (JSON in the `articles` changelog) | "
        f"{len(orjson.dumps(entry_to_state(entries[0])))} B |"
    )
    when = T0
    probes = [Fingerprint(e.exact, e.signature, 300) for e in _random_entries(2000, rng, when, "probe-")]
    us = median_us(lambda: [index.match(p, when) for p in probes], len(probes))
    print(f"| index.match, no candidate ({stories:,} stories) | {us:.0f} µs |")
    hits = [Fingerprint("f" * 24, e.signature, 300) for e in entries[-2000:]]
    us = median_us(lambda: [index.match(p, when) for p in hits], len(hits))
    print(f"| index.match, near-duplicate found ({stories:,} stories) | {us:.0f} µs |")
    fresh = _random_entries(20_000, rng, when, "new-")
    started = time.perf_counter()
    for entry in fresh:
        index.add(entry)
    print(
        f"| index.add, amortised over table rebuilds ({stories:,} stories) | "
        f"{(time.perf_counter() - started) / len(fresh) * 1e6:.0f} µs |"
    )
    index = StoryIndex(DedupPolicy())
    entries.clear()
    gc.collect()

    # The two pipeline stages on real articles; the decision with a prefilled index.
    config = load_config()
    enricher = Enricher(config)
    raws = [
        orjson.dumps(
            {
                "id": d.id,
                "headline": d.article.headline,
                "body": d.article.text,
                "source": "bench",
                "published": (T0 + timedelta(seconds=i)).isoformat(),
            }
        )
        for i, d in enumerate(sample[:500])
    ]
    enrich_us = us = median_us(lambda: [enricher.enrich(r, fallback_time=None) for r in raws], len(raws), repeat=3)
    print(f"| enrich stage (parse, clean, fingerprint, tag, detect), real articles | {us:,.0f} µs/article |")
    enriched = [orjson.dumps(enricher.enrich(r, fallback_time=None)) for r in raws]
    prefill = {
        e.article_id: {"h": "x", **entry_to_state(e), "d": None, "m": None}
        for e in _random_entries(stories, rng, T0 - timedelta(hours=2), "old-")
    }
    copies = []  # the same stories again from another outlet: half the decisions find a duplicate
    for raw in enriched:
        record = orjson.loads(raw)
        copies.append(orjson.dumps(dict(record, id=f"copy-{record['id']}", source="copy", content_hash="c")))
    stream = [x for pair in zip(enriched, copies, strict=True) for x in pair]
    runs = []
    for _ in range(3):
        decider = Decider(config, State(dict(prefill), {}, {}))
        started = time.perf_counter()
        for raw in stream:
            decider.decide(orjson.loads(raw))
        runs.append((time.perf_counter() - started) / len(stream) * 1e6)
    decide_us = statistics.median(runs)
    print(
        f"| decide stage (JSON decode, dedup, clusters, rules), {stories:,} stories indexed, half the articles "
        f"copies | {decide_us:,.0f} µs/article |"
    )
    print(f"| enrich cost / decide cost (enrich cores one decide stage keeps up with) | {enrich_us / decide_us:.1f} |")
    started = time.perf_counter()
    Decider(config, State(dict(prefill), {}, {}))
    print(
        f"| rebuild of the index from the table after a restart, {stories:,} stories | "
        f"{time.perf_counter() - started:.1f} s |"
    )
    del prefill
    gc.collect()

    # The whole decision stage in replay mode (state in dicts): memory per original article.
    template = orjson.loads(enriched[0])
    count = stories // 2
    records = []
    for i, entry in enumerate(_random_entries(count, rng, T0, "syn-")):
        record = dict(template, id=entry.article_id, published=entry.published.isoformat(), content_hash=f"{i:024x}")
        record["fingerprint"] = {"exact": entry.exact, "signature": encode_signature(entry.signature), "shingles": 300}
        records.append(orjson.dumps(record))
    gc.collect()
    tracemalloc.start()
    decider = Decider(config, State())
    for raw in records:
        decider.decide(orjson.loads(raw))
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    index_bytes = _index_bytes(decider.index)
    print(
        f"| replay-mode decision state, {count:,} original articles: memory per article (tracemalloc) | "
        f"{current / count:,.0f} B (index {index_bytes / count:,.0f} B, tables in dicts the rest) |"
    )


def _index_bytes(index: StoryIndex) -> int:
    arrays = (index._sigs, index._exact, index._published, index._shingles, index._alive, index._table.cells)
    return (
        sum(a.nbytes for a in arrays)
        + sys.getsizeof(index._ids)
        + sys.getsizeof(index._slot)
        + sum(sys.getsizeof(i) for i in index._ids if i is not None)
        + sys.getsizeof(index._expiry)
        + sum(sys.getsizeof(e) for e in index._expiry)
    )


# --- main -----------------------------------------------------------------------------------------------


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(os.environ.get("WIREWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
    parser.add_argument("--data", type=Path, default=default, help=f"corpora directory (default {default})")
    parser.add_argument("--only", choices=("pairs", "simulator", "compare", "costs"))
    parser.add_argument(
        "--sim-articles",
        type=int,
        default=3000,
        help="real articles the simulator copies (0: every article >= 100 words)",
    )
    parser.add_argument("--compare-articles", type=int, default=600, help="simulator sample in the comparison")
    parser.add_argument("--stories", type=int, default=100_000, help="index size for the memory and cost figures")
    parser.add_argument("--min-words", type=int, default=100, help="shortest original the simulator copies")
    args = parser.parse_args(list(argv) if argv is not None else None)
    globals()["MIN_WORDS"] = args.min_words  # one knob for every section

    started = time.perf_counter()
    records, docs = load(args.data)
    _raw_bodies.update({i: r.get("body") or "" for i, r in records.items()})
    print(
        f"# wirewatch dedup evaluation\n\nloaded {len(docs):,} articles from {args.data} "
        f"in {time.perf_counter() - started:.0f} s; policy {DedupPolicy()}"
    )
    pool = eligible(docs, MIN_WORDS)
    if args.min_words < 100:  # a look at short items: only those under 100 words
        pool = [d for d in pool if d.words < 100]
    rng = random.Random(7)
    if args.only in (None, "pairs"):
        rows = eval_pairs(args.data, records, docs, lambda: MinHashDetector("", DedupPolicy(horizon=FOREVER)))
        print_pairs(rows, "Labelled pairs (production fingerprint and index, judged on text)")
        within, total = horizon_note(records, args.data, DedupPolicy().horizon)
        print(
            f"\nReuters duplicate pairs within the 72 h horizon: {within}/{total}; the others are re-sends "
            "up to 28 days later, new stories by the horizon's definition."
        )
    if args.only in (None, "simulator"):
        originals = pool if args.sim_articles == 0 else rng.sample(pool, min(args.sim_articles, len(pool)))
        result = simulate(docs, originals, lambda: MinHashDetector("", DedupPolicy(horizon=FOREVER)), lambda a: None)
        print_simulation(result, len(originals), "Syndication simulator, time-blind (production fingerprint and index)")
        timed = simulate(docs, originals, lambda: MinHashDetector("", DedupPolicy()), lambda a: None, timed=True)
        print_simulation(timed, len(originals), "Syndication simulator, real event times and the 72 h horizon")
    if args.only in (None, "compare"):
        compare(args.data, records, docs, random.Random(11).sample(pool, min(args.compare_articles, len(pool))))
    if args.only in (None, "costs"):
        costs(docs, args.stories)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
