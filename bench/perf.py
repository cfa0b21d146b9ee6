"""Performance on this machine, side by side in one run: the CPU path per stage, end to end through the
broker against a bare relay, produce-to-alert latency at a steady rate, and memory per indexed article.

    python bench/perf.py [--data ../shared/data] [--quick] [--skip-broker] [--million]

The worker's own RSS per indexed article comes from bench/worker_memory.py (10k → 100k, and 1M with
--million), run on a real `wirewatch worker` after the end-to-end and latency runs.

The broker is WIREWATCH_TEST_BROKER (default 127.0.0.1:9092); every run uses private topics
(`it<uid>.*`) and deletes them after. Reads Reuters-21578 and the leaders' press releases from
../shared/data (or WIREWATCH_SHARED_DATA, or --data); nothing is copied into the repo. Figures are
recorded in docs/PERFORMANCE.md. --quick takes one to two minutes; the default four to six under load.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import worker_memory  # noqa: E402  # bench/ is on sys.path when this runs as a script

from agents.resources import load_config  # noqa: E402
from streams.article import decode_article  # noqa: E402
from streams.events import detect_meetings, first_person_speaker  # noqa: E402
from streams.fingerprint import NUM_PERM, encode_signature, fingerprint  # noqa: E402
from streams.pipeline import Config, Decider, Enricher, State  # noqa: E402

ROWS: list[tuple[str, str, str]] = []
"""(measure, figure, target / note) printed as one table at the end."""


def row(measure: str, figure: str, note: str = "") -> None:
    ROWS.append((measure, figure, note))
    print(f"  {measure}: {figure} {note}", file=sys.stderr, flush=True)


def load_avg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# --- corpora ------------------------------------------------------------------------------------


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def reuters(data: Path, count: int, *, skip: int = 0) -> list[dict[str, Any]]:
    """Reuters-21578 articles with a body, as the flat input shape."""
    out = [a for a in _jsonl(data / "reuters21578.jsonl") if (a.get("body") or "").strip()]
    return out[skip : skip + count]


def eight_kb(data: Path, count: int) -> list[dict[str, Any]]:
    """~8 KB articles: press releases concatenated until the body reaches 8,000 characters, unique ids."""
    releases = [a for a in _jsonl(data / "leaders_pressreleases_2021_2022.jsonl") if (a.get("body") or "").strip()]
    rng = random.Random(8)
    out = []
    for i in range(count):
        first = releases[i % len(releases)]
        body = first["body"]
        while len(body) < 8000:
            body += "\n\n" + rng.choice(releases)["body"]
        out.append({**first, "id": f"kb8-{i}", "body": body[:8200]})
    return out


# --- 1. the CPU path ----------------------------------------------------------------------------

STAGES = ("parse/clean", "fingerprint", "tag", "detect", "record build", "decide", "encode")


def cpu_path(config: Config, articles: list[dict[str, Any]], label: str, repeats: int) -> float:
    """Per-stage split by direct calls, then the whole path through the public API; returns articles/s."""
    raws = [orjson.dumps(a) for a in articles]
    enricher = Enricher(config)
    fallback = datetime(2024, 7, 3, tzinfo=UTC)
    for raw in raws[:50]:  # warm caches (token hashes, lexicon) as a running worker has them
        enricher.enrich(raw, fallback_time=fallback)

    best: dict[str, float] = {}
    totals: list[float] = []  # the uninstrumented passes: the rate
    walls: list[float] = []
    clock = time.process_time  # CPU time of this process: per core, whatever else loads the machine
    for _ in range(repeats):
        # The rate: the whole path as the stages run it, bytes in → encoded outputs, no timers inside (a
        # process_time call costs a few µs here; the per-stage pass below makes eight per article).
        decider = Decider(config, State())
        cpu, wall = clock(), time.perf_counter()
        for raw in raws:
            decision = decider.decide(orjson.loads(orjson.dumps(enricher.enrich(raw, fallback_time=fallback))))
            orjson.dumps(decision.article)
            for alert in decision.alerts:
                orjson.dumps(alert)
        totals.append(clock() - cpu)
        walls.append(time.perf_counter() - wall)

        # Where the time goes: each stage timed on its own.
        spent = dict.fromkeys(STAGES, 0.0)
        decider = Decider(config, State())
        for raw in raws:
            t0 = clock()
            article = decode_article(raw, fallback_time=fallback, limits=config.limits)
            t1 = clock()
            fingerprint(article.headline, article.text)
            t2 = clock()
            day = article.published.date()
            tagging = enricher.tagger.tag(article.headline, article.text, day=day)
            t3 = clock()
            speaker = first_person_speaker(
                article.headline,
                [h.entity.id for h in tagging.entities if h.in_headline and h.entity.is_leader_on(day)],
            )
            detect_meetings(  # as enrich_article calls it: the detector splits sentences when it needs them
                article.text,
                None,
                tagging.mentions,
                enricher._entities,  # the same map enrich_article uses
                day=day,
                speaker=speaker,
                folded=tagging.folded,
            )
            t4 = clock()
            spent["parse/clean"] += t1 - t0
            spent["fingerprint"] += t2 - t1
            spent["tag"] += t3 - t2
            spent["detect"] += t4 - t3
        # The rest through the public API: enrich_article (its record build = its time minus the stages
        # above, measured again inside it), the enriched-topic hop, decide, and the outputs' encoding.
        decided = [decode_article(raw, fallback_time=fallback, limits=config.limits) for raw in raws]
        enrich_total = 0.0
        for article in decided:
            t0 = clock()
            record = enricher.enrich_article(article)
            t1 = clock()
            wire = orjson.dumps(record)  # the enrich stage sends it to the enriched topic ...
            back = orjson.loads(wire)  # ... which decide reads back
            t2 = clock()
            decision = decider.decide(back)
            t3 = clock()
            orjson.dumps(decision.article)
            for alert in decision.alerts:
                orjson.dumps(alert)
            t4 = clock()
            enrich_total += t1 - t0
            spent["encode"] += (t2 - t1) + (t4 - t3)
            spent["decide"] += t3 - t2
        stages = spent["fingerprint"] + spent["tag"] + spent["detect"]
        spent["record build"] = max(0.0, enrich_total - stages)
        for stage, seconds in spent.items():
            best[stage] = min(best.get(stage, seconds), seconds)
    total = min(totals)
    n = len(raws)
    rate = n / total
    size = statistics.mean(len(r) for r in raws)
    print(
        f"\nCPU path, {label}: {n} articles, mean {size / 1000:.1f} kB, best of {repeats} "
        f"(runs, CPU time: {', '.join(f'{n / t:.0f}/s' for t in totals)}; wall: "
        f"{', '.join(f'{n / t:.0f}/s' for t in walls)})",
        file=sys.stderr,
    )
    split = " · ".join(f"{s} {best[s] / n * 1e6:.0f} µs ({best[s] / sum(best.values()):.0%})" for s in STAGES)
    row(f"CPU path {label}, per stage (µs/article, share)", split)
    row(
        f"CPU path {label}, articles/s per core",
        f"{rate:,.0f}/s ({total / n * 1e6:.0f} µs CPU/article, one pass without timers; wall {n / min(walls):,.0f}/s;"
        f" the stages timed one by one sum to {sum(best.values()) / n * 1e6:.0f} µs)",
        f"target ≥ {3000 if 'Reuters' in label else 1200:,}/s",
    )
    serial = best["decide"] + best["encode"]
    row(
        f"decide stage alone ({label}), the serial ceiling",
        f"{n / serial:,.0f}/s ({serial / n * 1e6:.0f} µs/article incl. its JSON)",
        "the one-partition stage saturates here",
    )
    return rate


# --- 2. memory per indexed article ----------------------------------------------------------------


def synthetic(i: int, rng: np.random.Generator, t0: datetime) -> dict[str, Any]:
    """An enriched record with a random (distinct) signature, as the decide stage receives it."""
    signature = rng.integers(0, 2**16, NUM_PERM, dtype=np.uint16).tobytes()
    return {
        "id": f"synthetic-article-{i:08d}",
        "source": f"Wire {i % 50}",
        "url": None,
        "headline": f"Story {i}",
        "published": (t0 + timedelta(milliseconds=150 * i)).isoformat(),
        "language": "en",
        "content_hash": f"{rng.integers(0, 2**63):016x}{i:016x}",
        "fingerprint": {
            "exact": f"{rng.integers(0, 2**63):016x}{i:08x}",
            "signature": encode_signature(signature),
            "shingles": 200,
        },
        "entities": [],
        "topics": [],
        "events": [],
        "versions": {"watchlist": "x", "topics": "x"},
    }


def memory(config: Config, counts: list[int]) -> None:
    """RSS growth of a Decider (dict state) while indexing distinct synthetic articles (no tracemalloc: it
    slows decide ~5x); then, on a 10k sample under tracemalloc, how much of it stays in RAM when the tables
    are emptied, as in the worker whose tables live in RocksDB (only the index and expiry queue stay)."""
    t0 = datetime(2024, 7, 3, tzinfo=UTC)
    for count in counts:
        gc.collect()
        rng = np.random.default_rng(count)
        records = (synthetic(i, rng, t0) for i in range(count))
        before = rss()
        decider = Decider(config, State())
        started = time.perf_counter()
        for record in records:
            decider.decide(record)
        seconds = time.perf_counter() - started
        gc.collect()
        grown = rss() - before
        row(
            f"memory, {count:,} distinct articles indexed ({len(decider.index):,} stories)",
            f"RSS +{grown / count:,.0f} B/article (+{grown / 2**20:,.0f} MiB) with dict tables (replay mode)",
            f"decide {count / seconds:,.0f}/s on synthetic records",
        )
        del decider
        gc.collect()
    sample = 10_000
    rng = np.random.default_rng(1)
    records_list = [synthetic(i, rng, t0) for i in range(sample)]
    gc.collect()
    tracemalloc.start()
    before_traced, _ = tracemalloc.get_traced_memory()
    decider = Decider(config, State())
    for record in records_list:
        decider.decide(record)
    gc.collect()
    with_tables, _ = tracemalloc.get_traced_memory()
    decider.state.articles.clear()
    decider.state.clusters.clear()
    gc.collect()
    resident, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    row(
        f"memory by tracemalloc, {sample:,} articles",
        f"dict tables + index {(with_tables - before_traced) / sample:,.0f} B/article; index + expiry queue only "
        f"(worker, tables in RocksDB) {(resident - before_traced) / sample:,.0f} B/article",
        "target ≤ 1,536 B/article",
    )


# --- 3. through the broker ------------------------------------------------------------------------


async def _read_until(
    broker: str, topics: list[str], *, until: Callable[[int], bool], within: float, on: Callable[[Any], None]
) -> None:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=broker, auto_offset_reset="earliest", group_id=None, fetch_max_wait_ms=5
    )
    await consumer.start()
    seen = 0
    deadline = time.monotonic() + within
    try:
        while not until(seen) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=100)
            for messages in batch.values():
                for message in messages:
                    seen += 1
                    on(message)
    finally:
        await consumer.stop()


async def _quiet(broker: str, prefix: str, *, within: float) -> int:
    """Wait until the end offsets of all topics starting with `prefix` are unchanged for 3 s; records added."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=broker, group_id=None)
    await consumer.start()
    try:
        topics = [t for t in await consumer.topics() if t.startswith(prefix)]
        parts = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        first = last = sum((await consumer.end_offsets(parts)).values())
        quiet_since = time.monotonic()
        deadline = quiet_since + within
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 3:
            await asyncio.sleep(0.5)
            now = sum((await consumer.end_offsets(parts)).values())
            if now != last:
                last, quiet_since = now, time.monotonic()
        return last - first
    finally:
        await consumer.stop()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rate(timestamps: list[int]) -> float:
    """Records/s from the first to the last record (producer CreateTime, ms)."""
    timestamps.sort()
    if len(timestamps) < 2 or timestamps[-1] == timestamps[0]:
        return float("nan")
    return (len(timestamps) - 1) / ((timestamps[-1] - timestamps[0]) / 1000)


async def relay(broker: str, source: str, target: str, count: int, partitions: int) -> float:
    """A bare aiokafka consume→produce relay, same partitions, the worker's producer settings."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=broker, group_id=None, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=5)
    await consumer.start()
    await producer.start()
    consumer.assign([TopicPartition(source, p) for p in range(partitions)])
    done = 0
    try:
        pending = []
        while done < count:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, messages in batch.items():
                for message in messages:
                    pending.append(await producer.send(target, message.value, key=message.key, partition=tp.partition))
                    done += 1
        await asyncio.gather(*pending)
    finally:
        await consumer.stop()
        await producer.stop()
    stamps: list[int] = []
    await _read_until(broker, [target], until=lambda n: n >= count, within=120, on=lambda m: stamps.append(m.timestamp))
    return _rate(stamps)


async def broker_runs(
    broker: str,
    data: Path,
    config: Config,
    cpu_rate: float,
    count: int,
    latency_seconds: float,
    workers: int,
    per_second: float,
    worker_env: dict[str, str],
):
    from aiokafka import AIOKafkaProducer

    from agents.kafka_io import ensure_topics
    from tests.integration.conftest import Namespace, meeting_stories, messages, produce

    namespace = Namespace(broker, Path(tempfile.mkdtemp(prefix="perf")))
    await namespace.create_topics()
    relay_topic = f"it{namespace.uid}.relay"
    await ensure_topics(f"kafka://{broker}", {relay_topic: namespace.partitions})
    try:
        # Event times just before the latency run's (2024-07-01 08:00), all within one dedup horizon: the
        # corpus' own 1987 dates would make the later articles expire the whole backlog's state at once.
        day = datetime(2024, 7, 1, 8, tzinfo=UTC)
        articles = [
            {**a, "published": (day - timedelta(hours=2) + timedelta(milliseconds=500 * i)).isoformat()}
            for i, a in enumerate(reuters(data, count))
        ]
        raw = messages(articles)
        await produce(broker, namespace.raw, raw)  # the backlog is in place before the worker starts

        transport = await relay(broker, namespace.raw, relay_topic, len(raw), namespace.partitions)

        started = time.monotonic()
        processes = [namespace.start_worker(w, **worker_env) for w in range(workers)]
        await namespace.wait_log(0, "[^Worker]: Ready", timeout=120)
        cpu_at_ready = sum(_cpu_seconds(p.pid) for p in processes)
        stamps: list[int] = []
        ids: set[str] = set()

        def on_article(message: Any) -> None:
            article_id = orjson.loads(message.value)["id"]
            if article_id not in ids:
                ids.add(article_id)
                stamps.append(message.timestamp)

        await _read_until(broker, [namespace.articles], until=lambda _: len(ids) >= len(raw), within=300, on=on_article)
        if len(ids) < len(raw):
            row("end to end", f"only {len(ids)}/{len(raw)} articles out in 300 s", namespace.logs()[-500:])
            return
        e2e = _rate(stamps)
        worker_cpu = sum(_cpu_seconds(p.pid) for p in processes) - cpu_at_ready
        row(
            f"end to end, {workers} worker(s), {len(raw):,} Reuters articles, 4 raw partitions",
            f"{e2e:,.0f}/s = {e2e / cpu_rate:.0%} of the in-process CPU path ({cpu_rate:,.0f}/s)",
            f"target ≥ 70%; first article out {time.monotonic() - started - (len(raw) - 1) / e2e:.0f} s after start",
        )
        # The rate above starts at the first article out; the enrich stage may have run ahead of the decision
        # stage before that (one event loop), so also time the whole backlog from the first enriched record.
        enriched_stamps: list[int] = []
        await _read_until(
            broker,
            [namespace.enriched],
            until=lambda _: False,
            within=3,
            on=lambda m: enriched_stamps.append(m.timestamp),
        )
        if enriched_stamps:
            whole = (len(raw) - 1) / max(1e-3, (max(stamps) - min(enriched_stamps)) / 1000)
            row(
                "end to end over the whole backlog (first enriched record → last article out)",
                f"{whole:,.0f}/s = {whole / cpu_rate:.0%} of the in-process CPU path",
                f"enrich ran {(min(stamps) - min(enriched_stamps)) / 1000:.1f} s before the first article was out",
            )
        row(
            "bare aiokafka relay (transport limit), same messages and partitions",
            f"{transport:,.0f}/s; worker = {e2e / transport:.1%} of it",
            "one hop; the worker makes two (raw → enriched → articles)",
        )
        row(
            f"worker CPU per article over the backlog ({workers} worker(s), from 'Worker ready' to the last out)",
            f"{worker_cpu / len(raw) * 1e6:,.0f} µs (in process: {1e6 / cpu_rate:,.0f} µs per article)",
            "the difference is the shell: Faust's streams, tables and sends, aiokafka, sensors",
        )
        if workers > 1:
            return

        # Faust sends the tables' changelog writes through the same producer buffer after the outputs: wait
        # until the worker's topics stop growing, so the latency run starts on an idle worker.
        settled = time.monotonic()
        drain = await _quiet(broker, f"it{namespace.uid}", within=120)
        row(
            "worker busy after the last article was out (changelog drain)",
            f"{time.monotonic() - settled - 3:.0f} s, {drain:,} more records on its topics",
            "0: the worker was idle when the latency run started",
        )

        # Latency at a steady rate: Reuters articles with meeting reports that alert mixed in.
        stories = meeting_stories(40, seed=11)
        alerting = [a for s in stories for a in (s.original, s.report)]
        fillers = reuters(data, int(per_second * latency_seconds), skip=count)
        stream: list[dict[str, Any]] = []
        for i, article in enumerate(fillers):
            stream.append(
                {**article, "id": f"lat-{article['id']}", "published": (day + timedelta(seconds=i)).isoformat()}
            )
        step = max(1, len(stream) // (len(alerting) + 1))
        for k, article in enumerate(alerting):
            stream.insert((k + 1) * step, {**article, "id": f"lat-{article['id']}"})
        sent_at: dict[str, float] = {}
        article_lat: list[float] = []
        alert_lat: list[float] = []
        alert_lat_broker: list[float] = []

        def on_output(message: Any) -> None:
            record = orjson.loads(message.value)
            if "alert_id" in record:
                t = sent_at.get(str(record["article_id"]))
                if t is not None:
                    alert_lat.append(time.time() - t)
                    alert_lat_broker.append(message.timestamp / 1000 - t)
            else:
                t = sent_at.get(str(record["id"]))
                if t is not None:
                    article_lat.append(time.time() - t)

        reader = asyncio.create_task(
            _read_until(
                broker,
                [namespace.articles, namespace.alerts, f"{namespace.alerts}.energy"],
                until=lambda _: len(article_lat) >= len(stream),
                within=latency_seconds + 60,
                on=on_output,
            )
        )
        await asyncio.sleep(2)  # the reader has caught up with the backlog
        producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=0)
        await producer.start()
        try:
            begin = time.monotonic()
            for i, article in enumerate(stream):
                delay = begin + i / per_second - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent_at[article["id"]] = time.time()
                await producer.send(namespace.raw, orjson.dumps(article), key=article["id"].encode())
            await producer.flush()
            rate = len(stream) / (time.monotonic() - begin)
        finally:
            await producer.stop()
        await reader

        def pct(values: list[float], q: float) -> str:
            if not values:
                return "n/a"
            return f"{np.percentile(np.array(values) * 1000, q):.0f} ms"

        row(
            f"produce → alert at {rate:.0f} articles/s for {len(stream) / rate:.0f} s ({len(alert_lat)} alerts)",
            f"p50 {pct(alert_lat, 50)}, p99 {pct(alert_lat, 99)}, max {pct(alert_lat, 100)} (at the broker: p50 "
            f"{pct(alert_lat_broker, 50)}, p99 {pct(alert_lat_broker, 99)})",
            "target p99 < 100 ms",
        )
        row(
            f"produce → wire.articles, same run ({len(article_lat)} articles)",
            f"p50 {pct(article_lat, 50)}, p99 {pct(article_lat, 99)}, max {pct(article_lat, 100)}",
        )
        row("worker RSS after the run", f"{namespace.rss(namespace.workers[0]) / 2**20:.0f} MiB")
    finally:
        namespace.stop_workers()
        await namespace.delete_topics()


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_data = os.environ.get("WIREWATCH_SHARED_DATA", str(REPO.parent / "shared" / "data"))
    parser.add_argument("--data", type=Path, default=Path(default_data))
    parser.add_argument("--quick", action="store_true", help="about a minute: smaller samples, one repeat")
    parser.add_argument("--skip-broker", action="store_true", help="only the in-process measures")
    parser.add_argument("--million", action="store_true", help="also index 1M articles (in-process and in the worker)")
    parser.add_argument("--rate", type=float, default=200.0, help="articles/s of the latency run")
    parser.add_argument("--skip-cpu", action="store_true", help="skip the in-process measures (ratio not shown)")
    parser.add_argument("--worker-env", action="append", default=[], help="KEY=VALUE for the worker(s)")
    parser.add_argument("--workers", type=int, default=1, help="end-to-end run with this many workers")
    parser.add_argument("--latency-seconds", type=float, help="length of the latency run (default 15, 5 with --quick)")
    parser.add_argument("--skip-worker-memory", action="store_true", help="skip the worker RSS run")
    args = parser.parse_args()

    print(f"load before: {load_avg()} on {os.cpu_count()} cores", file=sys.stderr)
    config = load_config()
    quick = args.quick
    repeats = 1 if quick else 3
    rate = float("nan")
    broker = os.environ.get("WIREWATCH_TEST_BROKER", "127.0.0.1:9092")
    worker_env = dict(e.split("=", 1) for e in args.worker_env)
    if not args.skip_cpu:
        rate = cpu_path(config, reuters(args.data, 1500 if quick else 4000), "Reuters-21578", repeats)
        cpu_path(config, eight_kb(args.data, 200 if quick else 600), "8 KB press releases", repeats)
        memory(config, [20_000 if quick else 100_000] + ([1_000_000] if args.million else []))
    if not args.skip_broker:
        asyncio.run(
            broker_runs(
                broker,
                args.data,
                config,
                rate,
                2000 if quick else 8000,
                args.latency_seconds or (5 if quick else 15),
                args.workers,
                args.rate,
                worker_env,
            )
        )
    if not args.skip_broker and not args.skip_worker_memory:
        counts = [10_000, 50_000 if quick else 100_000] + ([1_000_000] if args.million else [])
        ROWS.extend(asyncio.run(worker_memory.run(broker, counts, worker_env)))
    print(f"\nload after: {load_avg()}", file=sys.stderr)
    print(f"\n`python bench/perf.py{' --quick' if quick else ''}` · load {load_avg()} · {os.cpu_count()} cores\n")
    worker_memory.print_table(ROWS)


if __name__ == "__main__":
    main()
