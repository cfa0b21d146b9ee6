"""Health verdicts of /readyz and /healthz: consuming means assigned partitions and progress (or no lag)."""

from __future__ import annotations

from agents.web import HealthPolicy, Snapshot, liveness, readiness

POLICY = HealthPolicy(progress_window=60, stall_after=300)


def snap(*, assigned=4, lag=0, rebalancing=False, since_progress=None, uptime=1000.0) -> Snapshot:
    return Snapshot(assigned=assigned, lag=lag, rebalancing=rebalancing, since_progress=since_progress, uptime=uptime)


def test_caught_up_worker_is_ready_even_when_idle():
    """No lag and no record for an hour: the wires are quiet, the worker is ready."""
    assert readiness(snap(lag=0, since_progress=3600), POLICY) == (True, "caught up")


def test_worker_behind_but_making_progress_is_ready():
    """A backlog that is being worked through does not take the worker out of service."""
    assert readiness(snap(lag=5000, since_progress=2), POLICY)[0]


def test_worker_behind_without_progress_is_not_ready():
    """A backlog with no record handled in the progress window is not consuming."""
    ready, reason = readiness(snap(lag=12, since_progress=61), POLICY)
    assert not ready
    assert "12 records behind" in reason


def test_worker_without_partitions_or_in_rebalance_is_not_ready():
    """No assignment (a spare worker, or before the first rebalance) and a rebalance both say not ready."""
    assert readiness(snap(assigned=0), POLICY) == (False, "no partitions assigned")
    assert not readiness(snap(rebalancing=True), POLICY)[0]


def test_unknown_end_offsets_wait_for_the_first_fetch():
    """Before any fetch response the lag is unknown: not ready yet, unless records already flowed."""
    assert readiness(snap(lag=None), POLICY) == (False, "waiting for the first fetch")
    assert readiness(snap(lag=None, since_progress=1), POLICY)[0]


def test_stalled_consumer_fails_liveness():
    """Behind and no progress for longer than stall_after: a restart is the cure (faust#175)."""
    live, reason = liveness(snap(lag=40, since_progress=301), POLICY)
    assert not live
    assert reason.startswith("stalled")
    assert not liveness(snap(lag=40, since_progress=None, uptime=400), POLICY)[0]


def test_quiet_slow_or_rebalancing_workers_stay_live():
    """Idle with no lag, behind but recently progressing, or rebalancing: never restarted for it."""
    assert liveness(snap(lag=0, since_progress=10_000), POLICY)[0]
    assert liveness(snap(lag=40, since_progress=299), POLICY)[0]
    assert liveness(snap(lag=40, since_progress=10_000, rebalancing=True), POLICY)[0]
