"""`wirewatch replay` for people at a terminal: progress bar, summary table, and metrics while it runs."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

from agents.replay import Progress, ReplaySummary, format_summary
from tests.conftest import REPO

SAMPLES = REPO / "agents" / "samples" / "wires.jsonl"


class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool = True) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _feed(progress: Progress, clock: FakeClock, lines: int, seconds_each: float) -> None:
    for _ in range(lines):
        clock.now += seconds_each
        progress.advance(100)


def test_progress_bar_is_drawn_only_on_a_terminal():
    """Piped stderr gets no bar at all, however long the run."""
    stream, clock = FakeTerminal(tty=False), FakeClock()
    progress = Progress(10_000, stream=stream, clock=clock)
    _feed(progress, clock, 100, 0.1)
    progress.close()
    assert stream.getvalue() == ""


def test_short_runs_leave_no_trace():
    """A run that ends before the delay draws nothing."""
    stream, clock = FakeTerminal(), FakeClock()
    progress = Progress(1_000, stream=stream, clock=clock, delay=0.5)
    _feed(progress, clock, 10, 0.01)
    progress.close()
    assert stream.getvalue() == ""


def test_long_runs_show_percent_rate_and_eta_then_erase_the_line():
    """Half of the bytes after 10 s: 50 %, 5 lines/s, 10 s to go; close() clears the line."""
    stream, clock = FakeTerminal(), FakeClock()
    progress = Progress(100 * 100, stream=stream, clock=clock, interval=0.0)
    _feed(progress, clock, 50, 0.2)
    last = stream.getvalue().split("\r")[-1]
    assert last.startswith(" 50.0% ")
    assert "50 lines · 5 lines/s · ETA 0:10" in last
    progress.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_unknown_total_shows_lines_and_rate_only():
    """On standard input the size is unknown: no percent, no ETA."""
    stream, clock = FakeTerminal(), FakeClock()
    progress = Progress(None, stream=stream, clock=clock, interval=0.0)
    _feed(progress, clock, 20, 0.1)
    assert stream.getvalue().split("\r")[-1] == "20 lines · 10 lines/s\x1b[K"


def test_summary_table_lists_counts_every_rule_and_throughput():
    """The table has articles, clusters, duplicates, dead letters, alerts by rule (zero ones too), throughput."""
    summary = ReplaySummary(articles=90, duplicates=30, dead_letters=10, clusters=60, seconds=2.0)
    summary.alerts_by_rule = Counter({"leaders-meeting": 3})
    summary.alerts_by_kind = Counter({("leaders-meeting", "new"): 2, ("leaders-meeting", "update"): 1})

    table = format_summary(summary, ["leaders-meeting", "energy-facility"])

    rows = {line[:20].strip(): line[20:].split() for line in table.splitlines()[1:]}
    assert rows["articles"][0] == "90"
    assert rows["clusters"][0] == "60"
    assert rows["duplicates"][:2] == ["30", "33.3%"]
    assert rows["dead letters"][0] == "10"
    assert rows["alerts"][0] == "3"
    assert rows["leaders-meeting"] == ["3", "2", "new,", "1", "update"]
    assert rows["energy-facility"] == ["0"]
    assert rows["throughput"][:2] == ["50", "lines/s"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _articles_by_outcome(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    [family] = [f for f in text_string_to_metric_families(text) if f.name == "wirewatch_articles"]
    return {s.labels["outcome"]: s.value for s in family.samples if s.name.endswith("_total")}


def test_replay_serves_metrics_while_it_runs(tmp_path):
    """`replay - --metrics-port` exposes the worker's series for the lines read so far, labelled `stdin`."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agents",
            "replay",
            "-",
            "--metrics-port",
            str(port),
            "--alerts-out",
            str(tmp_path / "a"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert process.stdin is not None
    try:
        process.stdin.write(SAMPLES.read_bytes())
        process.stdin.flush()  # stdin stays open: the replay is still running
        deadline = time.monotonic() + 30
        counts: dict[str, float] = {}
        while time.monotonic() < deadline and sum(counts.values()) < 8:
            try:
                counts = _articles_by_outcome(port)
            except OSError:
                time.sleep(0.2)
        assert process.poll() is None
        assert counts == {"processed": 6, "duplicate": 1, "redelivered": 0, "dead_lettered": 1}
    finally:
        process.stdin.close()
        process.wait(timeout=30)
    assert process.stderr is not None
    err = process.stderr.read()
    assert process.returncode == 0, err.decode()
    assert b"wirewatch replay summary" in err
