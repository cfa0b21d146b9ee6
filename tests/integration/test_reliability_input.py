"""Bad input, bad configuration and secrets, against the real broker and the real `wirewatch worker`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import subprocess
import sys

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from agents.kafka_io import ensure_topics
from tests.conftest import REPO
from tests.integration.conftest import Namespace, produce
from tests.unit.test_fuzz_enrich import NASTY

pytestmark = pytest.mark.integration

BIG = 12 * 2**20
"""The nasty payloads' raw topic takes messages up to 12 MiB, so that a 10 MB body reaches the worker."""


async def test_nasty_payloads_never_stop_the_worker(namespace: Namespace):
    """Every curated nasty payload (10 MB body, invalid UTF-8, NUL bytes, nested JSON, HTML bombs, odd
    dates, ...) sent through Kafka is either an article or a dead letter with its reason and original
    bytes; the worker never stops, never hits an unexpected error, and processes the next article."""
    big_topic = f"it{namespace.uid}.raw.big"
    config = {big_topic: {"max.message.bytes": str(BIG)}}
    await ensure_topics(f"kafka://{namespace.broker}", {big_topic: 1}, config)
    worker = namespace.start_worker()
    after = {"id": "after-nasty", "headline": "Markets", "body": "Markets rose on Monday.", "published": "2024-07-03"}
    payloads = [*NASTY, ("after", orjson.dumps(after), "ok")]

    await produce(
        namespace.broker, big_topic, [(name.encode(), raw) for name, raw, _ in payloads], max_request_size=BIG
    )
    expected_dead = {offset: reason for offset, (_, _, reason) in enumerate(payloads) if reason != "ok"}
    dead = await namespace.collect(namespace.deadletter, until=len(expected_dead), timeout=90)
    articles = await namespace.collect(
        namespace.articles, until=lambda r: "after-nasty" in {a["id"] for a in r}, timeout=60
    )

    print(f"\nnasty payloads on the broker: {len(payloads)} sent, {len(dead)} dead-lettered, {len(articles)} articles")
    by_offset = {d["origin"]["offset"]: d for d in dead if d["origin"]["topic"] == big_topic}
    assert {offset: d["reason"] for offset, d in by_offset.items()} == expected_dead, namespace.logs()
    for offset, record in by_offset.items():
        raw = payloads[offset][1]
        kept = base64.b64decode(record["original"])
        assert record["original_size"] == len(raw)
        if record.get("original_truncated"):
            assert raw.startswith(kept)
            assert record["original_sha256"] == hashlib.sha256(raw).hexdigest()
        else:
            assert kept == raw
    ok = sum(1 for _, _, reason in payloads if reason == "ok")
    assert len({a["id"] for a in articles}) == ok
    assert worker.poll() is None
    assert namespace.count_log("processing_failed") == 0


def _worker(namespace: Namespace, **env: str) -> subprocess.CompletedProcess[str]:
    """`wirewatch worker` as a user starts it, bounded in time."""
    return subprocess.run(
        [sys.executable, "-m", "agents", "worker"],
        env={**namespace.env(0), **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _touched_broker(namespace: Namespace) -> list[str]:
    """What a worker that got past its configuration would have left: its consumer group, its topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=namespace.broker)
    await admin.start()
    try:
        groups = [g[0] for g in await admin.list_consumer_groups() if g[0] == f"it{namespace.uid}"]
        topics = [t for t in await admin.list_topics() if t == f"it{namespace.uid}.enriched"]
    finally:
        await admin.close()
    return groups + topics


BROKEN_WATCHLIST = """version: "broken-1"
entities:
  - id: Q7747
    name: Vladimir Putin
    type: person
    offices:
      - {role: head_of_state, country: RUS, start: 2012-13-07}
"""
BROKEN_RULES = """version: "broken-1"
rules:
  - id: leaders-meeting
    version: "1"
    severity: apocalyptic
    topic: wire.alerts
    cooldown_hours: 48
    group_by: participants
    when:
      event: {type: meeting, status: [held], min_participants: 2}
"""


@pytest.mark.parametrize(
    ("file", "text", "variable", "message"),
    [
        (
            "broken-watchlist.yaml",
            BROKEN_WATCHLIST,
            "WIREWATCH_WATCHLIST",
            "broken-watchlist.yaml:7: entities[0].offices[0].start:",
        ),
        ("broken-rules.yaml", BROKEN_RULES, "WIREWATCH_RULES_FILE", "broken-rules.yaml:5: rules[0].severity:"),
        (None, None, "WIREWATCH_PARTITIONS", "environment: WIREWATCH_PARTITIONS: invalid literal for int()"),
    ],
    ids=["watchlist", "rules", "setting"],
)
async def test_configuration_error_stops_start_up_with_one_clear_line(
    namespace: Namespace, file, text, variable, message
):
    """A broken watchlist, rules file or setting makes `wirewatch worker` exit 2 with one line naming the
    file, line and field (or the variable), before it creates a topic or joins the consumer group."""
    value = "four"
    if file is not None:
        path = namespace.tmp / file
        path.write_text(text, encoding="utf-8")
        value = str(path)

    done = _worker(namespace, **{variable: value})

    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("wirewatch: configuration error: ")
    assert message in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert await _touched_broker(namespace) == []


async def test_secrets_never_reach_the_logs(namespace: Namespace):
    """A worker given SASL credentials for a broker that does not speak SASL stops with one line saying it
    cannot reach Kafka, and neither its log lines nor its error output contain the password (the start-up
    line shows ***)."""
    password = "s3cret-sasl-pa55word"

    done = await asyncio.to_thread(
        _worker,
        namespace,
        WIREWATCH_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        WIREWATCH_KAFKA_SASL_MECHANISM="SCRAM-SHA-256",
        WIREWATCH_KAFKA_SASL_USERNAME="wirewatch",
        WIREWATCH_KAFKA_SASL_PASSWORD=password,
    )

    output = done.stdout + done.stderr
    assert done.returncode == 2
    assert "configuration error: environment: WIREWATCH_BROKER_URL: cannot reach Kafka" in done.stderr
    assert '"kafka_sasl_password":"***"' in output
    assert '"kafka_protocol":"SASL_PLAINTEXT"' in output
    assert password not in output


async def test_dead_letter_refused_by_an_old_topic_is_resent_without_its_bytes(broker, tmp_path):
    """On a dead-letter topic made with the broker's default record size (~1 MB), a dead letter carrying a
    1.5 MB original is refused; the worker waits for that refusal, logs it and sends the dead letter
    again with reason, origin, size and SHA-256 but without the bytes, instead of losing it."""
    namespace = Namespace(broker, tmp_path)
    names = (namespace.raw, namespace.articles, namespace.alerts, f"{namespace.alerts}.energy", namespace.deadletter)
    raw_config = {namespace.raw: {"max.message.bytes": str(4 * 2**20)}}
    await ensure_topics(f"kafka://{broker}", dict.fromkeys(names, namespace.partitions), raw_config)
    bad = b'{"id": "x", "body": "' + b"y" * 1_500_000  # unterminated JSON
    good = orjson.dumps({"id": "after-refusal", "headline": "h", "body": "Markets rose.", "published": "2024-07-03"})
    namespace.start_worker()
    try:
        await produce(broker, namespace.raw, [(b"bad", bad), (b"good", good)], partition=0, max_request_size=4 * 2**20)
        [dead] = await namespace.collect(namespace.deadletter, until=1, timeout=60, settle=2)
        articles = await namespace.collect(namespace.articles, until=1, timeout=30)
        refused = namespace.count_log("dead_letter_refused")
    finally:
        namespace.stop_workers()
        await namespace.delete_topics()

    assert (dead["reason"], dead["original"], dead["original_truncated"]) == ("invalid_json", "", True)
    assert dead["original_size"] == len(bad)
    assert dead["original_sha256"] == hashlib.sha256(bad).hexdigest()
    assert dead["origin"]["offset"] == 0
    assert refused == 1
    assert [a["id"] for a in articles] == ["after-refusal"]
