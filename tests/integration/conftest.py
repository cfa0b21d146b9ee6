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
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from agents.kafka_io import ensure_topics
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
            "WIREWATCH_WEB_PORT": str(_free_port()),
            "WIREWATCH_LOG_LEVEL": "INFO",
            **self.extra_env,
        }

    async def create_topics(self) -> None:
        names = (self.raw, self.raw_b, self.articles, self.deadletter, self.alerts, f"{self.alerts}.energy")
        await ensure_topics(f"kafka://{self.broker}", dict.fromkeys(names, self.partitions))

    def check_workers(self) -> None:
        """Fail at once, with the logs, when a worker died that the test did not stop."""
        for process in self.workers:
            if process.poll() is not None and process.returncode not in (0, -signal.SIGKILL):
                pytest.fail(f"worker exited with {process.returncode}:\n{self.logs()}")

    async def collect(
        self, topic: str, *, until: int = 0, timeout: float, settle: float = 0.0, ids: Collection[str] = ()
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

    def start_worker(self, worker: int = 0) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"worker{worker}.log").open("ab")
        process = subprocess.Popen(  # the real `wirewatch worker`, as users run it
            [sys.executable, "-m", "agents", "worker"], env=self.env(worker), cwd=REPO, stdout=log, stderr=log
        )
        self.workers.append(process)
        return process

    def kill_worker(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no shutdown hooks, no final commit or flush, as when a machine dies."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def namespace(broker: str, tmp_path: Path) -> Iterator[Namespace]:
    ns = Namespace(broker, tmp_path)
    asyncio.run(ns.create_topics())
    yield ns
    ns.stop_workers()


async def produce(
    broker: str, topic: str, messages: list[tuple[bytes | None, bytes]], *, partition: int | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value=value, key=key, partition=partition)
    finally:
        await producer.stop()


async def collect(
    broker: str,
    topic: str,
    *,
    until: int,
    timeout: float,
    settle: float = 0.0,
    check: Callable[[], None] = lambda: None,
    ids: Collection[str] = (),
) -> list[dict[str, object]]:
    """Read `topic` from the start until `until` records arrived, or with `ids` until records with all these
    ids arrived (or `timeout`), then `settle` seconds more so that an extra, unwanted record would be seen too."""
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
            arrived = set(ids) <= {str(r.get("id")) for r in records} if ids else len(records) >= until
            if settle_until is None and arrived:
                settle_until = loop.time() + settle
    finally:
        await consumer.stop()
    return records
