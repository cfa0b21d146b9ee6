"""Fuzzing campaign over both core stages: how many inputs were tried, how each ended, how many crashed.

    python bench/fuzz_inputs.py [--examples N] [--seed S]

Draws N inputs from each strategy of tests/unit/test_fuzz_enrich.py (random bytes, JSON of any shape,
article-shaped objects with any field types, nearly valid articles, corrupted valid messages) plus the
curated nasty corpus, runs each through `Enricher.enrich` and `Decider.decide` (one decider per strategy,
so state accumulates as in a worker) and prints one table. A crash is any exception other than
`WirewatchError` from `enrich`, or any exception from `decide`; each is listed with its input.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import orjson
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streams.errors import WirewatchError
from streams.pipeline import Decider, State
from tests.unit.test_fuzz_enrich import (
    NASTY,
    T0,
    article_objects,
    corrupted,
    enricher,
    json_values,
    nasty_text_articles,
    well_formed,
)

STRATEGIES: dict[str, st.SearchStrategy[bytes]] = {
    "random bytes": st.binary(max_size=400),
    "JSON of any shape": json_values.map(orjson.dumps),
    "article-shaped, any field types": article_objects.map(orjson.dumps),
    "nearly valid articles": well_formed.map(orjson.dumps),
    "valid articles, nasty text": nasty_text_articles.map(orjson.dumps),
    "corrupted valid messages": corrupted(),
}


class Tally:
    def __init__(self) -> None:
        self.decider = Decider(enricher().config, State())
        self.outcomes: Counter[str] = Counter()
        self.crashes: list[tuple[str, bytes]] = []

    def run(self, raw: bytes) -> None:
        try:
            record = enricher().enrich(raw, fallback_time=T0)
        except WirewatchError as exc:
            self.outcomes[exc.reason] += 1
            return
        except Exception as exc:  # noqa: BLE001  # counting crashes is the point of the campaign
            self.crashes.append((f"enrich {type(exc).__name__}: {exc}", raw))
            return
        try:
            self.decider.decide(record)
        except Exception as exc:  # noqa: BLE001
            self.crashes.append((f"decide {type(exc).__name__}: {exc}", raw))
            return
        self.outcomes["ok"] += 1


def campaign(name: str, strategy: st.SearchStrategy[bytes], examples: int, random_seed: int) -> Tally:
    tally = Tally()

    @seed(random_seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],  # count inputs; no shrinking (crashes are recorded, not raised)
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(raw: bytes) -> None:
        tally.run(raw)

    draw()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=5000, help="inputs per strategy (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rows = []
    crashes: list[tuple[str, bytes]] = []
    corpus = Tally()
    started = time.perf_counter()
    for _, raw, _ in NASTY:
        corpus.run(raw)
    rows.append(("curated nasty corpus", corpus, time.perf_counter() - started))
    crashes += corpus.crashes
    for name, strategy in STRATEGIES.items():
        started = time.perf_counter()
        tally = campaign(name, strategy, args.examples, args.seed)
        rows.append((name, tally, time.perf_counter() - started))
        crashes += tally.crashes

    print("| inputs from | tried | processed | dead-lettered | crashed | top reasons | seconds |")
    print("|---|---:|---:|---:|---:|---|---:|")
    total = Counter()
    for name, tally, seconds in rows:
        tried = sum(tally.outcomes.values()) + len(tally.crashes)
        dead = tried - tally.outcomes["ok"] - len(tally.crashes)
        reasons = ", ".join(f"{r} {n}" for r, n in tally.outcomes.most_common() if r != "ok")
        top = ", ".join(reasons.split(", ")[:3])
        print(f"| {name} | {tried} | {tally.outcomes['ok']} | {dead} | {len(tally.crashes)} | {top} | {seconds:.1f} |")
        total.update(tried=tried, ok=tally.outcomes["ok"], dead=dead, crashed=len(tally.crashes))
    print(f"| **all** | **{total['tried']}** | {total['ok']} | {total['dead']} | **{total['crashed']}** | | |")
    for message, raw in crashes[:20]:
        print(f"CRASH {message}\n  input: {raw[:300]!r}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
