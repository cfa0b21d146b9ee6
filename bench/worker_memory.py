"""Worker RSS per indexed article, measured on the real `wirewatch worker` (issue 8, item 1).

Distinct synthetic articles (random 60-word bodies: every one is its own story, so every one is
indexed) go to a raw topic; one worker indexes them; its RSS is read from /proc at checkpoints
while the articles topic's end offsets say how many have been decided. Growth per article is
taken between the first checkpoint (the worker warmed up: imports, RocksDB block cache, Faust's
buffers) and each later one, so fixed start-up costs do not dilute it. Event times are 0.2 s
apart, so even 1M articles stay inside the 72 h dedup horizon: nothing expires.

    WIREWATCH_TEST_BROKER=127.0.0.1:9092 python bench/worker_memory.py [--counts 10000,100000[,1000000]]

`bench/perf.py` calls `run()` for its memory rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_VOCABULARY = [
    f"{a}{b}{c}" for a in ("ba", "ko", "mu", "ne", "ri", "sa", "to", "vi") for b in "aeiou" for c in range(60)
]
_CHUNK = 20_000


def synthetic_raw(i: int, rng: random.Random, t0: datetime) -> bytes:
    """A raw article whose 60 random words make it near-certainly unlike every other one."""
    words = rng.choices(_VOCABULARY, k=60)
    return orjson.dumps(
        {
            "id": f"mem-{i:08d}",
            "headline": " ".join(words[:8]),
            "body": " ".join(words),
            "source": f"Wire {i % 50}",
            "published": (t0 + timedelta(milliseconds=200 * i)).isoformat(),
            "language": "en",
        }
    )


def _batches(count: int) -> Iterator[list[tuple[bytes, bytes]]]:
    rng = random.Random(count)
    t0 = datetime(2024, 7, 1, tzinfo=UTC)
    for start in range(0, count, _CHUNK):
        yield [(f"mem-{i:08d}".encode(), synthetic_raw(i, rng, t0)) for i in range(start, min(count, start + _CHUNK))]


async def _decided(consumer: AIOKafkaConsumer, topic: str, partitions: int) -> int:
    """Records on the articles topic: one per decided article (a worker that ran without a crash)."""
    offsets = await consumer.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
    return sum(offsets.values())


async def run(broker: str, counts: list[int], worker_env: dict[str, str]) -> list[tuple[str, str, str]]:
    """Rows (measure, figure, note): RSS growth per article from the first count to each later one."""
    from tests.integration.conftest import Namespace

    namespace = Namespace(broker, Path(tempfile.mkdtemp(prefix="perfmem")))
    await namespace.create_topics()
    rows: list[tuple[str, str, str]] = []
    consumer = AIOKafkaConsumer(bootstrap_servers=broker)
    await consumer.start()
    try:
        total = counts[-1]
        producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=20, max_batch_size=1 << 20)
        await producer.start()
        started = time.monotonic()
        try:
            for batch in _batches(total):
                sent = [await producer.send(namespace.raw, value=v, key=k) for k, v in batch]
                await asyncio.gather(*sent)
        finally:
            await producer.stop()
        print(f"worker memory: {total:,} raw articles produced in {time.monotonic() - started:.0f} s", file=sys.stderr)
        process = namespace.start_worker(0, **worker_env)
        checkpoints: list[tuple[int, int, float]] = []  # (decided, rss, monotonic)
        began = time.monotonic()
        for target in counts:
            while True:
                namespace.check_workers()
                decided = await _decided(consumer, namespace.articles, namespace.partitions)
                if decided >= target:
                    break
                if time.monotonic() - began > 3 * 3600:
                    rows.append(("worker memory", f"only {decided:,}/{target:,} decided in 3 h", ""))
                    return rows
                await asyncio.sleep(0.5)
            checkpoints.append((decided, namespace.rss(process), time.monotonic()))
            print(f"worker memory: {decided:,} decided, RSS {checkpoints[-1][1] / 2**20:,.0f} MiB", file=sys.stderr)
        base_count, base_rss, base_time = checkpoints[0]
        for decided, resident, at in checkpoints[1:]:
            grown = resident - base_rss
            rows.append(
                (
                    f"worker RSS, {decided:,} distinct articles indexed (one `wirewatch worker`, RocksDB tables)",
                    f"{resident / 2**20:,.0f} MiB; +{grown / (decided - base_count):,.0f} B/article from "
                    f"{base_count:,} to {decided:,} (+{grown / 2**20:,.0f} MiB)",
                    f"target ≤ 1,536 B/article; {(decided - base_count) / (at - base_time):,.0f} articles/s meanwhile",
                )
            )
    finally:
        await consumer.stop()
        namespace.stop_workers()
        await namespace.delete_topics()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="10000,100000", help="checkpoints, comma-separated; the first is the base")
    parser.add_argument("--worker-env", action="append", default=[], help="KEY=VALUE for the worker")
    args = parser.parse_args()
    counts = sorted(int(c) for c in args.counts.split(","))
    if len(counts) < 2:
        parser.error("--counts needs a base and at least one later checkpoint")
    broker = os.environ.get("WIREWATCH_TEST_BROKER", "127.0.0.1:9092")
    print_table(asyncio.run(run(broker, counts, dict(e.split("=", 1) for e in args.worker_env))))


def print_table(rows: list[tuple[str, str, str]]) -> None:
    """The rows as one Markdown table on stdout, as bench/perf.py prints its own."""
    print("| measure | figure | target / note |")
    print("|---|---|---|")
    for measure, figure, note in rows:
        print(f"| {measure} | {figure} | {note} |")


if __name__ == "__main__":
    main()
