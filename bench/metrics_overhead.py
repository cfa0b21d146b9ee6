"""What observability costs per article: recording metrics and binding log context, against the core's own time.

    python bench/metrics_overhead.py [N]     # N press releases from the shared corpus (default 500)

Prints a table of microseconds per article (median of 7 runs). Reads
$WIREWATCH_SHARED_DATA/leaders_pressreleases_2021_2022.jsonl (default ../shared/data).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from structlog.contextvars import bound_contextvars

from agents.metrics import Recorder
from agents.resources import load_config
from streams.pipeline import Decider, Enricher, State

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("WIREWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))


def per_article(work: Callable[[], None], count: int, runs: int = 7) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) / count * 1e6)
    return statistics.median(samples)


def main(count: int) -> None:
    with (DATA / "leaders_pressreleases_2021_2022.jsonl").open("rb") as lines:
        raws = [line for _, line in zip(range(count), lines, strict=False)]
    config = load_config()
    enricher = Enricher(config)
    records = [enricher.enrich(raw, fallback_time=None) for raw in raws]
    decider = Decider(config, State())
    decisions = [decider.decide(dict(record)) for record in records]
    recorder = Recorder()
    n = len(raws)

    def enrich() -> None:
        for raw in raws:
            enricher.enrich(raw, fallback_time=None)

    def decide() -> None:
        fresh = Decider(config, State())
        for record in records:
            fresh.decide(record)

    def record_metrics() -> None:
        for record, decision in zip(records, decisions, strict=True):
            recorder.enriched(record, seconds=0.001)
            recorder.decided(decision, topic="wire.raw.bench", seconds=0.001, arrived=time.time())

    def bind_logs() -> None:
        for record in records:
            for _ in range(2):  # one binding per stage
                with bound_contextvars(article_id=record["id"], topic="wire.raw.bench", partition=0, offset=1):
                    pass

    rows = [
        ("core: enrich", per_article(enrich, n, runs=3)),
        ("core: decide", per_article(decide, n, runs=3)),
        ("metrics: Recorder.enriched + decided", per_article(record_metrics, n)),
        ("logs: bound_contextvars, 2 stages", per_article(bind_logs, n)),
    ]
    core = rows[0][1] + rows[1][1]
    print(f"{n} press releases, µs per article (median)")
    print(f"{'step':<40} {'µs':>8} {'% of core':>10}")
    for name, micros in rows:
        print(f"{name:<40} {micros:>8.1f} {micros / core:>10.1%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
