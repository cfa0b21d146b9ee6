"""Tagging accuracy on the hand-labelled gold set, and tagging speed on the press releases.

    python bench/tagging_eval.py [--errors] [--split dev|test|all] [--no-speed] [--data DIR]

Reads the gold labels in tests/data/gold/tagging.jsonl and the articles they refer to from
the shared corpora (WIREWATCH_SHARED_DATA, default ../shared/data; the texts are never copied
into the repo), runs the same parsing, cleaning and tagging as the pipeline with the shipped
watchlist and taxonomy, and prints precision and recall per entity type and per topic. Entity
scores are per article: an entity counts once per article it is mentioned in (by name, a
surname anchored in the article, or a role phrase). `--errors` lists every miss and false hit
with the gold note. The speed part times `Tagger.tag` on the 1,796 press releases (one core).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agents.resources import load_config  # noqa: E402
from streams.article import Article, parse_article  # noqa: E402
from streams.matcher import Matcher  # noqa: E402
from streams.tagger import Tagger, Tagging  # noqa: E402

GOLD = REPO / "tests" / "data" / "gold" / "tagging.jsonl"
SEED_ID = "000_4a9f1934b585f67a"
SEED_PUBLISHED = "2024-07-03T14:00:00+03:00"
PRESS_RELEASES = "leaders_pressreleases_2021_2022"


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: set[str], predicted: set[str]) -> None:
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    def row(self) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")
        f1 = 2 * p * r / (p + r) if p + r else float("nan")
        gold, pred = self.tp + self.fn, self.tp + self.fp
        return f"{gold:5d} {pred:5d} {self.tp:5d} {self.fp:4d} {self.fn:4d}   {p:6.3f} {r:6.3f} {f1:6.3f}"


@dataclass
class Result:
    entities: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    topics: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    errors: list[str] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("WIREWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
    )
    parser.add_argument("--split", choices=("dev", "test", "all"), help="one split only (default: all three)")
    parser.add_argument("--errors", action="store_true", help="list every miss and false hit")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    args = parser.parse_args(argv)

    gold = [orjson.loads(line) for line in GOLD.read_bytes().splitlines() if line.strip()]
    articles = _articles(args.data, gold)
    config = load_config()
    started = time.perf_counter()
    tagger = Tagger(config.watchlist, config.taxonomy)
    build_ms = (time.perf_counter() - started) * 1000
    types = {e.id: e.type for e in config.watchlist.entities}
    splits = [args.split] if args.split else ["dev", "test", "all"]
    print(
        f"gold set: {len(gold)} articles ({_count(gold, 'dev')} dev, {_count(gold, 'test')} test), "
        f"watchlist {config.watchlist.version} ({len(config.watchlist.entities)} entities), "
        f"topics {config.taxonomy.version}"
    )
    results = {split: _evaluate(tagger, gold, articles, types, split) for split in splits}
    _print_tables(results, config.taxonomy.topics)
    if args.errors:
        print("\nerrors (- missed, + false hit):")
        for line in results[splits[-1]].errors:
            print("  " + line)
    if not args.no_speed:
        _speed(tagger, args.data, articles.get(SEED_ID), build_ms)
    return 0


def _count(gold: list[dict[str, Any]], split: str) -> int:
    return sum(1 for g in gold if g["split"] == split)


def _articles(data: Path, gold: list[dict[str, Any]]) -> dict[str, Article]:
    """The gold articles, parsed and cleaned as the pipeline does; `day` stands in for a missing date."""
    wanted: dict[str, dict[str, Any]] = {g["id"]: g for g in gold}
    found: dict[str, Article] = {}
    for corpus in sorted({g["corpus"] for g in gold} - {"seed"}):
        for row in _rows(data / f"{corpus}.jsonl"):
            if (label := wanted.get(row["id"])) is not None:
                fallback = datetime.fromisoformat(label["day"]).replace(tzinfo=UTC) if "day" in label else None
                found[row["id"]] = parse_article(row, fallback_time=fallback)
    if SEED_ID in wanted:
        headline, _, body = (data.parent / "seeds" / f"{SEED_ID}.txt").read_text(encoding="utf-8").partition("\n")
        seed = {"id": SEED_ID, "headline": headline, "body": body, "published": SEED_PUBLISHED}
        found[SEED_ID] = parse_article(seed, fallback_time=None)
    missing = sorted(set(wanted) - set(found))
    if missing:
        sys.exit(f"articles not found in {data}: {missing[:5]}")
    return found


def _rows(path: Path) -> Iterable[dict[str, Any]]:
    with path.open("rb") as lines:
        yield from map(orjson.loads, lines)


def _evaluate(
    tagger: Tagger, gold: list[dict[str, Any]], articles: dict[str, Article], types: dict[str, str], split: str
) -> Result:
    result = Result()
    for label in gold:
        if split != "all" and label["split"] != split:
            continue
        article = articles[label["id"]]
        tagging = tagger.tag(article.headline, article.text, day=article.published.date())
        predicted = {hit.entity.id for hit in tagging.entities}
        expected = set(label["entities"])
        for kind in sorted({types.get(i, "unknown") for i in predicted | expected}):
            mine = {i for i in predicted if types.get(i) == kind}
            theirs = {i for i in expected if types.get(i) == kind}
            result.entities[kind].add(theirs, mine)
        result.entities["all types"].add(expected, predicted)
        found_topics = {hit.topic.id for hit in tagging.topics}
        for topic in {t.topic.id for t in tagging.topics} | set(label["topics"]) | _all_topics(tagger):
            result.topics[topic].add(set(label["topics"]) & {topic}, found_topics & {topic})
        result.errors.extend(_errors(label, article, tagging, predicted, expected, found_topics))
    return result


def _all_topics(tagger: Tagger) -> set[str]:
    return {t.id for t in tagger.taxonomy.topics}


def _errors(
    label: dict[str, Any], article: Article, tagging: Tagging, predicted: set[str], expected: set[str], topics: set[str]
) -> Iterable[str]:
    spans = defaultdict(list)
    for hit in tagging.entities:
        spans[hit.entity.id] = [f"{article.text[m.start : m.end]!r}/{m.via}" for m in hit.mentions[:3]]
        if hit.in_headline:
            spans[hit.entity.id].append("(headline)")
    names = {hit.entity.id: hit.entity.name for hit in tagging.entities}
    for entity_id in sorted(expected - predicted):
        yield f"{label['id']}: - {entity_id}: {label['entities'][entity_id]}"
    for entity_id in sorted(predicted - expected):
        note = label.get("not_entities", {}).get(entity_id, "")
        yield f"{label['id']}: + {entity_id} {names[entity_id]} {' '.join(spans[entity_id])} {note}".rstrip()
    for topic in sorted(set(label["topics"]) - topics):
        yield f"{label['id']}: - topic {topic}: {label['topics'][topic]}"
    scored = {t.topic.id: t for t in tagging.topics}
    for topic in sorted(topics - set(label["topics"])):
        hit = scored[topic]
        note = label.get("not_topics", {}).get(topic, "")
        yield f"{label['id']}: + topic {topic} {hit.score} {list(hit.terms[:6])} {note}".rstrip()


def _print_tables(results: dict[str, Result], topics: Iterable[Any]) -> None:
    header = "split   gold  pred    tp   fp   fn   precision recall   F1"
    print(f"\nentities (per article)  {header}")
    kinds = ["person", "organization", "place", "facility", "all types"]
    for kind in kinds:
        for split, result in results.items():
            print(f"  {kind:22s} {split:5s} {result.entities[kind].row()}")
    print(f"\ntopics                  {header}")
    for topic in [t.id for t in topics]:
        for split, result in results.items():
            print(f"  {topic:22s} {split:5s} {result.topics[topic].row()}")


def _speed(tagger: Tagger, data: Path, seed: Article | None, build_ms: float) -> None:
    """CPU time of `Tagger.tag` over the press releases, one core (best and median of 5 passes);
    and the floor: folding plus the automaton scan alone. The machine is shared: read the best."""
    releases = [parse_article(row, fallback_time=None) for row in _rows(data / f"{PRESS_RELEASES}.jsonl")]
    matcher = Matcher(tagger.watchlist, tagger.taxonomy)
    chars = sum(len(a.text) + len(a.headline) for a in releases)

    def tag_all() -> None:
        for article in releases:
            tagger.tag(article.headline, article.text, day=article.published.date())

    def scan_all() -> None:
        for article in releases:
            matcher.scan(article.headline)  # the floor the tagger cannot go below
            matcher.scan(article.text)

    per_8kb = 8192 / chars * 1e6
    best, median = _passes(tag_all)
    floor, _ = _passes(scan_all)
    print(
        f"\nspeed, {len(releases)} press releases ({chars / 1e6:.1f} M chars, "
        f"mean {chars / len(releases) / 1024:.1f} KB),"
        f" tagger built in {build_ms:.0f} ms:"
    )
    print(
        f"  tag():             {best / len(releases) * 1e6:5.0f} µs/article, {best * per_8kb:5.0f} µs per 8 KB"
        f" (median of 5: {median * per_8kb:.0f}), {len(releases) / best:.0f} articles/s"
    )
    print(f"  fold + scan only:  {floor / len(releases) * 1e6:5.0f} µs/article, {floor * per_8kb:5.0f} µs per 8 KB")
    if seed is not None:
        one, _ = _passes(lambda: [tagger.tag(seed.headline, seed.text, day=seed.published.date()) for _ in range(100)])
        print(f"  the seed ({len(seed.text) / 1024:.1f} KB):   {one / 100 * 1e6:5.0f} µs per tag()")


def _passes(work: Callable[[], object], runs: int = 5) -> tuple[float, float]:
    """Best and median CPU seconds of `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return min(times), statistics.median(times)


if __name__ == "__main__":
    sys.exit(main())
