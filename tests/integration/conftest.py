"""Integration fixtures: a real broker (WIREWATCH_TEST_BROKER), a unique namespace per test, real workers.

Tests skip only when no broker is configured on a developer machine; under CI (CI=true) a
missing broker fails the run, so the integration tests can never be skipped silently there.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from agents.deadletter import record_size_bound
from agents.kafka_io import deadletter_config, ensure_topics
from agents.settings import Settings
from tests.conftest import REPO

BROKER = os.environ.get("WIREWATCH_TEST_BROKER", "")
_PROBE_WORDS = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze") for b in range(200)]


def _answers(address: str) -> bool:
    host, _, port = address.partition(":")
    try:
        with socket.create_connection((host, int(port or 9092)), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def broker() -> str:
    """host:port of the test broker."""
    if not BROKER or not _answers(BROKER):
        message = f"no Kafka broker at WIREWATCH_TEST_BROKER={BROKER!r} (deploy/kafka/broker.sh start)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return BROKER


@dataclass
class Namespace:
    """Topic names and settings private to one test, so tests never see each other's messages."""

    broker: str
    tmp: Path
    uid: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    partitions: int = 4
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    """More variables for every worker started from now on (a horizon, Faust's BROKER_SESSION_TIMEOUT, ...)."""

    @property
    def raw(self) -> str:
        return f"it{self.uid}.raw.a"

    @property
    def raw_b(self) -> str:
        return f"it{self.uid}.raw.b"

    @property
    def enriched(self) -> str:
        """The internal topic feeding the serial decision stage (one partition)."""
        return f"it{self.uid}.enriched"

    @property
    def articles(self) -> str:
        return f"it{self.uid}.articles"

    @property
    def alerts(self) -> str:
        return f"it{self.uid}.alerts"

    @property
    def deadletter(self) -> str:
        return f"it{self.uid}.deadletter"

    def rules_file(self) -> Path:
        """The default rules, publishing to this namespace's alert topics."""
        text = (REPO / "agents" / "defaults" / "rules.yaml").read_text(encoding="utf-8")
        path = self.tmp / "rules.yaml"
        path.write_text(text.replace("wire.alerts", self.alerts), encoding="utf-8")
        return path

    def env(self, worker: int) -> dict[str, str]:
        return {
            **os.environ,
            "WIREWATCH_APP_ID": f"it{self.uid}",
            "WIREWATCH_BROKER_URL": f"kafka://{self.broker}",
            "WIREWATCH_RAW_TOPIC_PATTERN": rf"^it{self.uid}\.raw\..*",
            "WIREWATCH_ARTICLES_TOPIC": self.articles,
            "WIREWATCH_DEADLETTER_TOPIC": self.deadletter,
            "WIREWATCH_ENRICHED_TOPIC": self.enriched,
            "WIREWATCH_PARTITIONS": str(self.partitions),
            "WIREWATCH_RULES_FILE": str(self.rules_file()),
            "WIREWATCH_DATA_DIR": str(self.tmp / f"worker{worker}"),
            "WIREWATCH_WEB_PORT": str(free_port()),
            "WIREWATCH_LOG_LEVEL": "INFO",
            **self.extra_env,
        }

    async def create_topics(self) -> None:
        names = (self.raw, self.raw_b, self.articles, self.deadletter, self.alerts, f"{self.alerts}.energy")
        # The dead-letter topic as the worker would create it: records large enough for an original at the limit.
        dlq = {self.deadletter: deadletter_config(record_size_bound(Settings().max_message_bytes))}
        await ensure_topics(f"kafka://{self.broker}", dict.fromkeys(names, self.partitions), dlq)

    async def delete_topics(self) -> None:
        """Free the shared broker's disk after a test that produced a lot."""
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=self.broker)
        await admin.start()
        try:
            await admin.delete_topics([t for t in await admin.list_topics() if t.startswith(f"it{self.uid}")])
        finally:
            await admin.close()

    def check_workers(self) -> None:
        """Fail at once, with the logs, when a worker died that the test did not stop."""
        for process in self.workers:
            if process.poll() is not None and process.returncode not in (0, -signal.SIGKILL):
                pytest.fail(f"worker exited with {process.returncode}:\n{self.logs()}")

    async def collect(
        self,
        topic: str,
        *,
        until: int | Callable[[list[dict[str, object]]], bool] = 0,
        timeout: float,
        settle: float = 0.0,
        ids: Collection[str] = (),
    ) -> list[dict[str, object]]:
        return await collect(
            self.broker, topic, until=until, timeout=timeout, settle=settle, check=self.check_workers, ids=ids
        )

    async def wait_until_flowing(self, *, timeout: float) -> set[str]:
        """Send a probe article to every raw partition, again every few seconds until each comes out on the
        articles topic; return the probe ids. Then every worker is past its last rebalance and every raw
        partition is read. Until then a message can be skipped: Faust drops the records buffered when a
        rebalance starts, and for a partition with no committed offset yet `seek_to_committed` does not seek
        back (aiokafka seeks only to a committed offset > 0)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        missing = {(topic, p): "" for topic in (self.raw, self.raw_b) for p in range(self.partitions)}
        probes: set[str] = set()
        attempt = 0
        while missing and loop.time() < deadline:
            attempt += 1
            for topic, partition in list(missing):
                probe = f"probe-{topic}-{partition}-{attempt}"
                words = random.Random(probe).choices(_PROBE_WORDS, k=40)
                body = f"Probe {attempt} for {topic} partition {partition}: {' '.join(words)}."
                value = orjson.dumps(
                    {"id": probe, "headline": "Probe", "body": body, "published": "2020-01-01T00:00:00Z"}
                )
                await produce(self.broker, topic, [(probe.encode(), value)], partition=partition)
                missing[(topic, partition)] = probe
                probes.add(probe)
            seen = {str(r["id"]) for r in await self.collect(self.articles, ids=missing.values(), timeout=5)}
            missing = {tp: probe for tp, probe in missing.items() if probe not in seen}
        if missing:
            pytest.fail(f"no article came through raw partitions {sorted(missing)} in {timeout} s:\n{self.logs()}")
        return probes

    def start_worker(self, worker: int = 0, **env: str) -> subprocess.Popen[bytes]:
        """`worker` numbers the data directory and log: the same number restarts with the same local state."""
        log = (self.tmp / f"worker{worker}.log").open("ab")
        process = subprocess.Popen(  # the real `wirewatch worker`, as users run it
            [sys.executable, "-m", "agents", "worker"],
            env={**self.env(worker), **env},
            cwd=REPO,
            stdout=log,
            stderr=log,
        )
        self.workers.append(process)
        return process

    def kill_worker(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no shutdown hook runs, nothing is flushed or committed."""
        process.kill()
        process.wait(timeout=30)

    def stop_worker(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM, as an orchestrator stops a worker: it leaves the group cleanly."""
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        if process.returncode not in (0, -signal.SIGTERM):
            pytest.fail(f"worker exited with {process.returncode} after SIGTERM:\n{self.logs()}")

    def metric(self, port: int, name: str, **labels: str) -> float:
        """A sample from a worker's /metrics (started with WIREWATCH_WEB_PORT=port); 0 when absent."""
        import urllib.request

        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        wanted = {f'{k}="{v}"' for k, v in labels.items()}
        total = 0.0
        for line in text.splitlines():
            series, _, value = line.rpartition(" ")
            if series.split("{")[0] == name and wanted <= set(series.partition("{")[2].rstrip("}").split(",")):
                total += float(value)
        return total

    async def wait_log(self, worker: int, text: str, *, timeout: float) -> None:
        """Until the worker's log holds `text` (e.g. Faust's "Worker ready" after an assignment)."""
        path = self.tmp / f"worker{worker}.log"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text.encode() not in (path.read_bytes() if path.exists() else b""):
            self.check_workers()
            if loop.time() > deadline:
                pytest.fail(f"worker{worker} never logged {text!r}:\n{self.logs()}")
            await asyncio.sleep(0.2)

    @staticmethod
    def rss(process: subprocess.Popen[bytes]) -> int:
        """Resident memory of a worker in bytes (Linux /proc)."""
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def count_log(self, event: str) -> int:
        """How many JSON log lines of all workers carry this event name."""
        needle = f'"event":"{event}"'.encode()
        return sum(path.read_bytes().count(needle) for path in self.tmp.glob("worker*.log"))

    @property
    def group(self) -> str:
        """The workers' consumer group (the Faust app id)."""
        return f"it{self.uid}"

    async def assignments(self) -> list[dict[str, list[int]]] | None:
        """Per member of the workers' group, its assigned topic partitions; None unless the group is stable."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.broker)
        await admin.start()
        try:
            responses = await admin.describe_consumer_groups([self.group])
        finally:
            await admin.close()
        groups = [group for response in responses for group in response.groups]
        if not groups or groups[0][2] != "Stable":
            return None
        members = []
        for member in groups[0][5]:
            assignment = ConsumerProtocolMemberAssignment.decode(member[-1])
            members.append({topic: sorted(partitions) for topic, partitions in assignment.assignment})
        return members

    async def wait_for_members(self, count: int, *, timeout: float) -> list[dict[str, list[int]]]:
        """Wait until `count` workers share the raw topics' partitions in a stable group; their assignments."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            self.check_workers()
            members = await self.assignments()
            if members is not None and len(members) == count and all(self.raw in m for m in members):
                return members
            await asyncio.sleep(0.5)
        pytest.fail(f"{count} workers did not form a stable group in {timeout} s:\n{self.logs()}")

    async def wait_committed(self, topic: str, offset: int, *, timeout: float) -> None:
        """Wait until the workers' group committed `offset` on partition 0 of `topic` (all before it is done)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        admin = AIOKafkaAdminClient(bootstrap_servers=self.broker)
        await admin.start()
        try:
            while loop.time() < deadline:
                self.check_workers()
                offsets = await admin.list_consumer_group_offsets(self.group)
                committed = offsets.get(TopicPartition(topic, 0))
                if committed is not None and committed.offset >= offset:
                    return
                await asyncio.sleep(0.5)
        finally:
            await admin.close()
        pytest.fail(f"offset {offset} of {topic} not committed in {timeout} s:\n{self.logs()}")

    def stop_workers(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.tmp.glob("worker*.log")))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OwnBroker:
    """A second, private broker (own ports and data) that a test may stop and start."""

    address: str
    env: dict[str, str]

    def run(self, command: str) -> None:
        script = REPO / "deploy" / "kafka" / "broker.sh"
        done = subprocess.run(["bash", str(script), command], env=self.env, capture_output=True, timeout=180)
        if done.returncode != 0:
            pytest.fail(f"broker.sh {command} failed:\n{done.stderr.decode(errors='replace')}")


@pytest.fixture
def own_broker(broker: str, tmp_path: Path) -> Iterator[OwnBroker]:
    """Started before the test and stopped after it, whatever happened (needs the shared broker's jar cache)."""
    port, controller = free_port(), free_port()
    env = {
        **os.environ,
        "WIREWATCH_KAFKA_PORT": str(port),
        "WIREWATCH_KAFKA_CONTROLLER_PORT": str(controller),
        "WIREWATCH_KAFKA_DATA": str(tmp_path / "kafka"),
    }
    own = OwnBroker(f"127.0.0.1:{port}", env)
    own.run("start")
    try:
        yield own
    finally:
        own.run("stop")


@pytest.fixture
def namespace(broker: str, tmp_path: Path) -> Iterator[Namespace]:
    ns = Namespace(broker, tmp_path)
    asyncio.run(ns.create_topics())
    yield ns
    ns.stop_workers()


async def produce(
    broker: str,
    topic: str,
    messages: list[tuple[bytes | None, bytes]],
    *,
    partition: int | None = None,
    max_request_size: int = 1048576,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all", max_request_size=max_request_size)
    await producer.start()
    try:
        sent = [await producer.send(topic, value=value, key=key, partition=partition) for key, value in messages]
        await asyncio.gather(*sent)  # pipelined, still in order within each partition
    finally:
        await producer.stop()


async def collect(
    broker: str,
    topic: str,
    *,
    until: int | Callable[[list[dict[str, object]]], bool],
    timeout: float,
    settle: float = 0.0,
    check: Callable[[], None] = lambda: None,
    ids: Collection[str] = (),
) -> list[dict[str, object]]:
    """Read `topic` from the start until `until` records arrived (or `until(records)` holds), or with `ids`
    until records with all these ids arrived (or `timeout`), then `settle` seconds more so that an extra,
    unwanted record would be seen too."""

    def done(records: list[dict[str, object]]) -> bool:
        if ids:
            return set(ids) <= {str(r.get("id")) for r in records}
        if callable(until):
            return until(records)
        return len(records) >= until

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=broker, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    records: list[dict[str, object]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        settle_until: float | None = None
        while loop.time() < (settle_until or deadline):
            check()
            batch = await consumer.getmany(timeout_ms=500)
            records.extend(orjson.loads(m.value) for ms in batch.values() for m in ms)
            if settle_until is None and done(records):
                settle_until = loop.time() + settle
    finally:
        await consumer.stop()
    return records


# --- a stream of meeting stories, and the audit of what came out -------------------------------------------

_TOPIC_WORDS = (
    "grain ports tariffs pipeline reactor border ceasefire fishing quotas satellite vaccine railway corridor "
    "drought harvest currency bonds refinery drones shipyard copper lithium cotton wheat fertiliser airline "
    "migration visas tourism banking telecoms cables bridge dam irrigation famine refugees sanctions embargo "
    "steel aluminium nickel cobalt uranium coal hydrogen turbines solar wind grid tanker frigate"
).split()


@dataclass(frozen=True)
class Story:
    """One meeting of two leaders: the original report, a syndicated copy, an independent report."""

    participants: frozenset[str]
    original: dict[str, object]
    copy: dict[str, object]
    report: dict[str, object]

    @property
    def articles(self) -> tuple[dict[str, object], ...]:
        return (self.original, self.copy, self.report)


def meeting_stories(count: int, *, seed: int = 7, day: str = "2024-07-01") -> list[Story]:
    """`count` meetings, each between a different pair of heads of state in office on `day` (default
    watchlist), 7 minutes apart in event time. The original alerts (`new`), the copy is its duplicate
    (no alert), the independent report corroborates (`update`)."""
    from datetime import datetime, timedelta

    from agents.resources import load_config
    from streams.pipeline import Enricher

    config = load_config()
    enricher = Enricher(config)
    rng = random.Random(seed)
    leaders = [
        (e.id, e.name, next(o.title for o in e.offices if o.role == "head_of_state") or "President")
        for e in config.watchlist.entities
        if any(
            o.role == "head_of_state" and o.start <= date.fromisoformat(day) < (o.end or date.max) for o in e.offices
        )
    ]
    rng.shuffle(leaders)
    start = datetime.fromisoformat(f"{day}T08:00:00+00:00")
    stories: list[Story] = []
    while len(stories) < count:
        (a_id, a_name, a_title), (b_id, b_name, b_title) = leaders.pop(), leaders.pop()
        i = len(stories)
        w = rng.sample(_TOPIC_WORDS, 12)
        at = start + timedelta(minutes=7 * i)
        original = {
            "id": f"s{i}-orig",
            "headline": f"{a_name} and {b_name} hold talks",
            "body": f"{a_title} {a_name} met {b_title} {b_name} in the capital on Monday. "
            f"The two leaders held talks on {w[0]}, {w[1]} and {w[2]}, officials said. "
            f"Delegations discussed {w[3]} and {w[4]} for several hours. "
            f"Analysts expect agreements on {w[5]}, {w[6]} and {w[7]} later this year. "
            f"Story reference {i}: {' '.join(w[8:])}.",
            "source": "Wire A",
            "published": at.isoformat(),
            "language": "en",
        }
        copy = {
            **original,
            "id": f"s{i}-copy",
            "source": "Wire B",
            "headline": f"{original['headline']} - Wire B",
            "published": (at + timedelta(minutes=3)).isoformat(),
        }
        report = {
            "id": f"s{i}-report",
            "headline": f"{b_name} receives {a_name}",
            "body": f"{b_title} {b_name} welcomed {a_name} for talks, according to a statement. "
            f"Topics included {w[9]} and {w[10]}; no joint declaration was signed. Reference {i} {w[11]} {w[2]}.",
            "source": "Wire C",
            "published": (at + timedelta(minutes=5)).isoformat(),
            "language": "en",
        }
        if not all(_held(enricher, article, {a_id, b_id}) for article in (original, report)):
            continue  # a name spelt otherwise, or a title the detector reads as modal ("To"): another pair
        stories.append(Story(frozenset({a_id, b_id}), original, copy, report))
    return stories


def _held(enricher: Any, article: dict[str, object], participants: set[str]) -> bool:
    events = enricher.enrich(orjson.dumps(article), fallback_time=None)["events"]
    return any(e["status"] == "held" and participants <= set(e["participants"]) for e in events)


def messages(articles: Iterable[dict[str, object]]) -> list[tuple[bytes | None, bytes]]:
    return [(str(a["id"]).encode(), orjson.dumps(a)) for a in articles]


def has_ids(ids: Iterable[object], *, at_least: int | None = None) -> Callable[[list[dict[str, object]]], bool]:
    """`collect(until=...)` predicate: all (or `at_least` of) these article ids arrived, whatever the repeats."""
    wanted = {str(i) for i in ids}
    needed = len(wanted) if at_least is None else at_least
    return lambda records: len(wanted & {str(r.get("id")) for r in records}) >= needed


@dataclass
class Audit:
    """What reached the output topics, against what the stories should give."""

    articles_expected: int
    article_messages: int
    alerts_expected: int
    alert_messages: int
    lost_articles: list[str]
    verdict_conflicts: dict[str, set[tuple[object, object]]]
    wrong_verdicts: list[str]
    lost_alerts: list[str]
    doubled_alerts: list[str]
    unexpected_alerts: list[str]

    @property
    def lost(self) -> int:
        return len(self.lost_articles) + len(self.lost_alerts)

    @property
    def doubled(self) -> int:
        return len(self.verdict_conflicts) + len(self.doubled_alerts) + len(self.unexpected_alerts)

    def summary(self) -> str:
        return (
            f"articles checked {self.articles_expected} (messages {self.article_messages}), alerts checked "
            f"{self.alerts_expected} (messages {self.alert_messages}), lost: {self.lost}, doubled: {self.doubled}, "
            f"wrong verdicts: {len(self.wrong_verdicts)}"
        )


def audit(stories: list[Story], articles: list[dict[str, object]], alerts: list[dict[str, object]]) -> Audit:
    """Every article at least once with one verdict (copies marked as duplicates of their original); per
    story exactly one `new` alert id and one `update` (by alert id, kind and corroborations: a redelivery
    repeats the same message by design, so repeats of one key are not doubles)."""
    verdicts: dict[str, set[tuple[object, object]]] = {}
    for article in articles:
        verdicts.setdefault(str(article["id"]), set()).add((article["cluster_id"], article["duplicate_of"]))
    expected_ids = [str(a["id"]) for s in stories for a in s.articles]
    wrong = [
        str(s.copy["id"])
        for s in stories
        if verdicts.get(str(s.copy["id"])) not in (None, {(s.original["id"], s.original["id"])})
    ] + [
        str(s.report["id"])
        for s in stories
        if verdicts.get(str(s.report["id"])) not in (None, {(s.report["id"], None)})
    ]
    keys: dict[frozenset[str], dict[tuple[str, int], set[str]]] = {}
    for alert in alerts:
        if alert["rule"] != "leaders-meeting":
            continue
        participants = frozenset(str(e["id"]) for e in alert["entities"])  # type: ignore[union-attr]
        by_kind = keys.setdefault(participants, {})
        by_kind.setdefault((str(alert["kind"]), int(alert["corroborations"])), set()).add(str(alert["alert_id"]))  # type: ignore[call-overload]
    expected = {s.participants for s in stories}
    lost_alerts, doubled = [], []
    for story in stories:
        got = keys.get(story.participants, {})
        for key in (("new", 1), ("update", 2)):
            ids = got.get(key, set())
            if not ids:
                lost_alerts.append(f"{sorted(story.participants)} {key}")
            elif len(ids) > 1:
                doubled.append(f"{sorted(story.participants)} {key}: {sorted(ids)}")
        if set(got) - {("new", 1), ("update", 2)}:
            doubled.append(f"{sorted(story.participants)} extra: {sorted(set(got) - {('new', 1), ('update', 2)})}")
    return Audit(
        articles_expected=len(expected_ids),
        article_messages=len(articles),
        alerts_expected=2 * len(stories),
        alert_messages=len([a for a in alerts if a["rule"] == "leaders-meeting"]),
        lost_articles=[i for i in expected_ids if i not in verdicts],
        verdict_conflicts={i: v for i, v in verdicts.items() if len(v) > 1},
        wrong_verdicts=wrong,
        lost_alerts=lost_alerts,
        doubled_alerts=doubled,
        unexpected_alerts=[str(sorted(p)) for p in keys if p not in expected],
    )
