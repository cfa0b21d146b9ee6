"""Embedded mode: the same two core stages over `.jsonl` files, state in dicts, no broker."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

import orjson

from agents.deadletter import dead_letter
from streams.errors import WirewatchError
from streams.pipeline import Config, Decider, Enricher, State

if TYPE_CHECKING:
    from agents.metrics import Recorder

__all__ = ["STDIN", "Progress", "ReplaySummary", "format_summary", "input_label", "read_lines", "replay"]

STDIN = "-"
"""An input named `-` is read from standard input."""

Line = tuple[str, int, bytes]


@dataclass
class ReplaySummary:
    articles: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    clusters: int = 0
    alerts_by_rule: Counter[str] = field(default_factory=Counter)
    alerts_by_kind: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(rule, kind) → alert messages."""
    alerts: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    """Wall time of the processing loop (reading, both stages, writing), without the set-up."""


def input_label(source: str) -> str:
    """The `topic` label a replay input's articles are counted under: its file name, or `stdin`."""
    return "stdin" if source == STDIN else Path(source).name


def read_lines(paths: Iterable[Path]) -> Iterator[Line]:
    """(file, line number, raw bytes) for each non-blank line, in file order; `-` is standard input."""
    for path in paths:
        if str(path) == STDIN:
            yield from _lines(STDIN, sys.stdin.buffer)
            continue
        with path.open("rb") as handle:
            yield from _lines(str(path), handle)


def _lines(source: str, handle: Iterable[bytes]) -> Iterator[Line]:
    for number, line in enumerate(handle, start=1):
        if line.strip():
            yield source, number, line.rstrip(b"\r\n")


def replay(
    config: Config,
    lines: Iterable[Line],
    *,
    articles_out: IO[bytes] | None,
    alerts_out: IO[bytes] | None,
    deadletter_out: IO[bytes] | None,
    recorder: Recorder | None = None,
) -> ReplaySummary:
    """Process every line in order; bad lines are dead-lettered and the run goes on.

    `recorder`: also record the service's metrics (for `--metrics-port`).
    """
    enricher = Enricher(config)
    decider = Decider(config, State())
    summary = ReplaySummary()
    clock = time.perf_counter
    event_time: datetime | None = None  # the last article's time stands in for a missing one
    loop_started = clock()
    for source, number, raw in lines:
        started = clock()
        try:
            record = enricher.enrich(raw, fallback_time=event_time)
        except WirewatchError as exc:
            summary.dead_letters += 1
            if recorder is not None:
                recorder.dead_lettered(
                    stage="enrich", reason=exc.reason, topic=input_label(source), seconds=clock() - started
                )
            if deadletter_out is not None:
                origin = {"file": source, "line": number}
                at = event_time or datetime.fromtimestamp(0, UTC)
                deadletter_out.write(orjson.dumps(dead_letter(raw, exc, stage="enrich", origin=origin, at=at)) + b"\n")
            continue
        if recorder is not None:
            recorder.enriched(record, seconds=clock() - started)
        event_time = datetime.fromisoformat(record["published"])
        started = clock()
        decision = decider.decide(record)
        seconds = clock() - started
        summary.articles += 1
        summary.duplicates += decision.article["duplicate_of"] is not None
        if articles_out is not None:
            articles_out.write(orjson.dumps(decision.article) + b"\n")
        for alert in decision.alerts:
            summary.alerts_by_rule[alert["rule"]] += 1
            summary.alerts_by_kind[alert["rule"], alert["kind"]] += 1
            summary.alerts.append(alert)
            if alerts_out is not None:
                alerts_out.write(orjson.dumps(alert) + b"\n")
        if recorder is not None:
            recorder.decided(decision, topic=input_label(source), seconds=seconds)
    summary.clusters = summary.articles - summary.duplicates
    summary.seconds = clock() - loop_started
    return summary


def format_summary(summary: ReplaySummary, rules: Sequence[str] = ()) -> str:
    """The table `wirewatch replay` ends with: counts, alerts by rule (every rule in force), throughput."""
    records = summary.articles + summary.dead_letters
    share = f"{summary.duplicates / summary.articles:.1%} of articles" if summary.articles else "-"
    rows: list[tuple[str, str, str]] = [
        ("articles", f"{summary.articles:,}", f"{records:,} input lines"),
        ("clusters", f"{summary.clusters:,}", "distinct stories"),
        ("duplicates", f"{summary.duplicates:,}", share),
        ("dead letters", f"{summary.dead_letters:,}", "rejected lines, with their reasons"),
        ("alerts", f"{sum(summary.alerts_by_rule.values()):,}", "alert messages"),
    ]
    for rule in [*rules, *sorted(set(summary.alerts_by_rule) - set(rules))]:
        kinds = ", ".join(f"{n:,} {kind}" for (r, kind), n in sorted(summary.alerts_by_kind.items()) if r == rule and n)
        rows.append((f"  {rule}", f"{summary.alerts_by_rule[rule]:,}", kinds))
    elapsed = summary.seconds
    rate = records / elapsed if elapsed > 0 else 0.0
    rows.append(("throughput", f"{rate:,.0f}", f"lines/s ({records:,} in {elapsed:.3f} s, after set-up)"))
    name_width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    lines = ["wirewatch replay summary"]
    lines += [f"  {name:<{name_width}}  {value:>{value_width}}  {note}".rstrip() for name, value, note in rows]
    return "\n".join(lines)


class Progress:
    """A one-line progress bar for long replays, on a terminal only (stderr by default).

    Nothing is drawn in the first `delay` seconds, so a short input leaves no trace; then the line
    is redrawn at most every `interval` seconds and erased by `close()`. With a known total size
    (files) it shows percent and ETA; on standard input, lines and rate only.
    """

    def __init__(
        self,
        total_bytes: int | None,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        delay: float = 0.5,
        interval: float = 0.1,
        width: int = 24,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.total = total_bytes or None
        self.clock = clock
        self.delay = delay
        self.interval = interval
        self.width = width
        self.started = clock()
        self.done_bytes = 0
        self.lines = 0
        self._drawn_at: float | None = None

    def wrap(self, lines: Iterable[Line]) -> Iterator[Line]:
        for line in lines:
            self.advance(len(line[2]) + 1)
            yield line

    def advance(self, nbytes: int) -> None:
        self.done_bytes += nbytes
        self.lines += 1
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < self.delay:
            return
        if self._drawn_at is not None and now - self._drawn_at < self.interval:
            return
        self.stream.write("\r" + self.render(now) + "\x1b[K")
        self.stream.flush()
        self._drawn_at = now

    def render(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.lines / elapsed
        counts = f"{self.lines:,} lines · {rate:,.0f} lines/s"
        if self.total is None:
            return counts
        fraction = min(self.done_bytes / self.total, 1.0)
        filled = round(fraction * self.width)
        bar = "█" * filled + "░" * (self.width - filled)
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else 0.0
        minutes, seconds = divmod(round(eta), 60)
        return f"{fraction:6.1%} {bar} {counts} · ETA {minutes}:{seconds:02d}"

    def close(self) -> None:
        """Erase the bar, so what follows starts on a clean line."""
        if self._drawn_at is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn_at = None
