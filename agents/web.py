"""The worker's own pages on Faust's web server: `/metrics`, `/healthz` (liveness), `/readyz` (readiness).

Both health pages answer 200 or 503 with a JSON body that says why:

- ready: partitions of the source topics (raw topics, the internal enriched topic) are assigned,
  no rebalance or table recovery is under way, and the worker is either caught up (no lag) or
  has handled a record within `progress_window` seconds. A spare worker with no partitions is
  not ready: it is not consuming.
- live: the event loop answers, and the worker is not stalled, i.e. not behind with no record
  handled for `stall_after` seconds (a silently stalled consumer, faust#175, is fixed by a restart).

A timer refreshes `wirewatch_consumer_lag{topic,partition}` and `wirewatch_worker_ready` every
few seconds. Lag per partition = the partition's end offset (highwater, from the latest fetch
response) minus the committed offset (or the next offset to read, before the first commit).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.exceptions import ConsumerNotStarted
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from agents.metrics import (
    CONSUMER_LAG,
    READY,
    Recorder,
    init_series,
    set_build_info,
    set_config_versions,
    setup_faust_sensors,
)
from streams.pipeline import Config

__all__ = ["HealthPolicy", "Snapshot", "instrument", "liveness", "readiness"]

_REFRESH_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    progress_window: float = 60.0
    """Ready while a record was handled this recently, even if behind."""
    stall_after: float = 300.0
    """Not live when behind and no record was handled for this long (or ever, this long after start)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the health verdicts are computed from; built from the running app, or by hand in tests."""

    assigned: int
    """Source-topic partitions assigned to this worker."""
    lag: int | None
    """Records behind over those partitions; None until the first fetch told the end offsets."""
    rebalancing: bool
    since_progress: float | None
    """Seconds since a stage last handled a record; None if none has yet."""
    uptime: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "assigned_partitions": self.assigned,
            "lag": self.lag,
            "rebalancing": self.rebalancing,
            "seconds_since_progress": None if self.since_progress is None else round(self.since_progress, 3),
            "uptime_seconds": round(self.uptime, 3),
        }


def readiness(s: Snapshot, policy: HealthPolicy = HealthPolicy()) -> tuple[bool, str]:
    """(ready, reason): assigned, not rebalancing, and caught up or making progress."""
    if s.rebalancing:
        return False, "rebalancing or recovering tables"
    if s.assigned == 0:
        return False, "no partitions assigned"
    if s.lag == 0:
        return True, "caught up"
    if s.since_progress is not None and s.since_progress <= policy.progress_window:
        return True, "consuming"
    if s.lag is None:
        return False, "waiting for the first fetch"
    return False, f"{s.lag} records behind and no progress for {policy.progress_window:.0f} s"


def liveness(s: Snapshot, policy: HealthPolicy = HealthPolicy()) -> tuple[bool, str]:
    """(live, reason): only a worker that is behind and has stopped handling records is not live."""
    if s.rebalancing or s.assigned == 0 or not s.lag:
        return True, "ok"
    idle = s.since_progress if s.since_progress is not None else s.uptime
    if idle > policy.stall_after:
        return False, f"stalled: {s.lag} records behind, no progress for {idle:.0f} s"
    return True, "ok"


@dataclass
class _Health:
    app: faust.App
    recorder: Recorder
    source_topics: frozenset[str]
    started: float = field(default_factory=time.monotonic)
    _lag_labels: set[tuple[str, str]] = field(default_factory=set)

    def snapshot(self, lags: dict[tuple[str, int], int | None] | None = None) -> Snapshot:
        lags = self._partition_lags() if lags is None else lags
        known = [lag for lag in lags.values() if lag is not None]
        now = time.monotonic()
        last = self.recorder.last_progress
        return Snapshot(
            assigned=len(lags),
            lag=sum(known) if len(known) == len(lags) else None,
            rebalancing=bool(getattr(self.app, "rebalancing", False)),
            since_progress=None if last is None else now - last,
            uptime=now - self.started,
        )

    def _partition_lags(self) -> dict[tuple[str, int], int | None]:
        """Lag per assigned source partition (None where the end offset is not known yet)."""
        consumer = self.app.consumer
        try:
            assignment = consumer.assignment()
        except ConsumerNotStarted:
            return {}
        # Faust keeps the committed and read offsets per partition on its consumer (no public accessor).
        committed = getattr(consumer, "_committed_offset", {})
        read = getattr(consumer, "_read_offset", {})
        lags: dict[tuple[str, int], int | None] = {}
        for tp in assignment:
            if tp.topic not in self.source_topics:
                continue
            try:
                end: int | None = consumer.highwater(tp)  # None before the first fetch response
            except AssertionError:  # aiokafka asserts the partition is still assigned (a rebalance began)
                continue
            done = committed.get(tp)
            if done is None:
                last_read = read.get(tp)
                done = last_read + 1 if last_read is not None else 0
            lags[(tp.topic, tp.partition)] = None if end is None else max(0, end - done)
        return lags

    def refresh(self) -> Snapshot:
        """Update the lag and readiness gauges; return the snapshot they came from."""
        lags = self._partition_lags()
        labels = {(topic, str(partition)): lag for (topic, partition), lag in lags.items() if lag is not None}
        for gone in self._lag_labels - labels.keys():
            CONSUMER_LAG.remove(*gone)
        for key, lag in labels.items():
            CONSUMER_LAG.labels(*key).set(lag)
        self._lag_labels = set(labels)
        snap = self.snapshot(lags)
        READY.set(readiness(snap)[0])
        return snap


def instrument(
    app: faust.App,
    config: Config,
    *,
    raw_topics: list[str],
    source_topics: list[str],
    faust_sensors: bool = True,
) -> Recorder:
    """Metrics, health pages and the lag timer for one app; the returned recorder is what agents call.

    `faust_sensors`: install Faust's own sensor (once per process: its series are process-wide).
    """
    if faust_sensors:
        setup_faust_sensors(app)
    set_build_info()
    set_config_versions(config)
    init_series(config, raw_topics)
    recorder = Recorder()
    health = _Health(app, recorder, frozenset(source_topics))

    @app.page("/metrics")
    async def metrics(self: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return self.bytes(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    @app.page("/healthz")
    async def healthz(self: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        snap = health.snapshot()
        live, reason = liveness(snap)
        return self.json({"live": live, "reason": reason, **snap.as_dict()}, status=200 if live else 503)

    @app.page("/readyz")
    async def readyz(self: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        snap = health.snapshot()
        ready, reason = readiness(snap)
        return self.json({"ready": ready, "reason": reason, **snap.as_dict()}, status=200 if ready else 503)

    @app.timer(interval=_REFRESH_SECONDS)  # type: ignore[untyped-decorator]
    async def refresh_consumer_gauges() -> None:
        health.refresh()

    return recorder
