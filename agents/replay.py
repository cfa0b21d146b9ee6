"""Embedded mode: the same two core stages over `.jsonl` files, state in dicts, no broker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from agents.deadletter import dead_letter
from streams.errors import WirewatchError
from streams.pipeline import Config, Decider, Enricher, State

__all__ = ["ReplaySummary", "read_lines", "replay"]


@dataclass
class ReplaySummary:
    articles: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    clusters: int = 0
    alerts_by_rule: Counter[str] = field(default_factory=Counter)
    alerts: list[dict[str, Any]] = field(default_factory=list)


def read_lines(paths: Iterable[Path]) -> Iterator[tuple[str, int, bytes]]:
    """(file, line number, raw bytes) for each non-blank line, in file order."""
    for path in paths:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield str(path), number, line.rstrip(b"\r\n")


def replay(
    config: Config,
    lines: Iterable[tuple[str, int, bytes]],
    *,
    articles_out: IO[bytes] | None,
    alerts_out: IO[bytes] | None,
    deadletter_out: IO[bytes] | None,
) -> ReplaySummary:
    """Process every line in order; bad lines are dead-lettered and the run goes on."""
    enricher = Enricher(config)
    decider = Decider(config, State())
    summary = ReplaySummary()
    event_time: datetime | None = None  # the last article's time stands in for a missing one
    for source, number, raw in lines:
        try:
            record = enricher.enrich(raw, fallback_time=event_time)
        except WirewatchError as exc:
            summary.dead_letters += 1
            if deadletter_out is not None:
                origin = {"file": source, "line": number}
                at = event_time or datetime.fromtimestamp(0, UTC)
                deadletter_out.write(orjson.dumps(dead_letter(raw, exc, stage="enrich", origin=origin, at=at)) + b"\n")
            continue
        event_time = datetime.fromisoformat(record["published"])
        decision = decider.decide(record)
        summary.articles += 1
        summary.duplicates += decision.article["duplicate_of"] is not None
        if articles_out is not None:
            articles_out.write(orjson.dumps(decision.article) + b"\n")
        for alert in decision.alerts:
            summary.alerts_by_rule[alert["rule"]] += 1
            summary.alerts.append(alert)
            if alerts_out is not None:
                alerts_out.write(orjson.dumps(alert) + b"\n")
    summary.clusters = summary.articles - summary.duplicates
    return summary
