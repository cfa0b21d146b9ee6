"""Worker memory under a backlog: start `wirewatch worker`, take its idle RSS, produce a backlog as fast as
the broker takes it, follow `wire.articles` until all are out, and print idle/peak RSS and throughput.

    WIREWATCH_TEST_BROKER=127.0.0.1:9092 python bench/overload_rss.py COUNT SIZE [--text] [WIREWATCH_X=value ...]

SIZE is the message size in bytes: by default a short article with a SIZE-byte attachment (cheap to
process, heavy to hold); with --text, SIZE bytes of body text (CPU-bound). Settings after the numbers go
to the worker's environment (e.g. WIREWATCH_MAX_FETCH_BYTES=16000000). Uses private topics, deleted after.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.conftest import Namespace, messages, produce

PADDING_BODY = "Officials met in the capital on Monday to discuss grain, gas and energy prices. " * 10


def backlog(count: int, size: int, *, text: bool) -> list[dict[str, object]]:
    rng = random.Random(1)
    vocabulary = [f"w{i}" for i in range(5000)] + "the and of to in said talks gas energy".split()
    articles: list[dict[str, object]] = []
    for i in range(count):
        article: dict[str, object] = {"id": f"ov-{i}", "headline": f"Story {i}", "published": "2024-07-03T10:00:00Z"}
        if text:
            words: list[str] = []
            while sum(map(len, words)) + len(words) < size:
                words.append(rng.choice(vocabulary))
            article["body"] = " ".join(words)
        else:
            article |= {"body": f"{PADDING_BODY} Ref {i}.", "attachment": f"{i:07d}" * (size // 7)}
        articles.append(article)
    return articles


async def main(count: int, size: int, text: bool, env: dict[str, str]) -> None:
    namespace = Namespace(os.environ.get("WIREWATCH_TEST_BROKER", "127.0.0.1:9092"), Path(tempfile.mkdtemp()))
    await namespace.create_topics()
    worker = namespace.start_worker(**env)
    try:
        await namespace.wait_log(0, "Worker ready", timeout=90)
        await asyncio.sleep(2)
        idle = peak = namespace.rss(worker)
        raw = messages(backlog(count, size, text=text))
        started = time.perf_counter()
        sending = asyncio.create_task(produce(namespace.broker, namespace.raw, raw, max_request_size=2**23))
        consumer = AIOKafkaConsumer(
            namespace.articles, bootstrap_servers=namespace.broker, auto_offset_reset="earliest", group_id=None
        )
        await consumer.start()
        seen: set[str] = set()
        produced = None
        try:
            while len(seen) < count and time.perf_counter() - started < 600:
                batch = await consumer.getmany(timeout_ms=250)
                seen |= {orjson.loads(m.value)["id"] for ms in batch.values() for m in ms}
                peak = max(peak, namespace.rss(worker))
                if produced is None and sending.done():
                    produced = time.perf_counter() - started
        finally:
            await consumer.stop()
        elapsed = time.perf_counter() - started
        megabytes = sum(len(v) for _, v in raw) / 1e6
        print("| backlog | settings | produced in | RSS idle → peak | articles out | throughput |")
        print("|---|---|---:|---|---:|---:|")
        print(
            f"| {count} × {size / 1000:.0f} kB {'text' if text else 'attachment'} = {megabytes:.0f} MB "
            f"| {' '.join(f'{k}={v}' for k, v in env.items()) or 'defaults'} | {produced or elapsed:.1f} s "
            f"| {idle / 2**20:.0f} → {peak / 2**20:.0f} MiB | {len(seen)} | {len(seen) / elapsed:.0f}/s |"
        )
    finally:
        namespace.stop_workers()
        await namespace.delete_topics()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--text"]
    numbers = [a for a in args if "=" not in a]
    if len(numbers) != 2:
        sys.exit(__doc__)
    settings = dict(a.split("=", 1) for a in args if "=" in a)
    asyncio.run(main(int(numbers[0]), int(numbers[1]), "--text" in sys.argv, settings))
