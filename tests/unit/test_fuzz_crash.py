"""Crash consistency of the decision stage, property-based: a worker killed while deciding an article keeps
an arbitrary prefix of each table's writes (each changelog is its own partition; Kafka keeps order within
one, not across them). The redelivered article and the rest of the stream must still give every alert
message of an uninterrupted run, and the same verdicts, even when the crashed attempt's own messages
never reached Kafka."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.pipeline import Decider, Enricher, State

T0 = datetime(2024, 7, 3, 11, 0, tzinfo=UTC)
PAIRS = [
    ("Vladimir Putin", "Recep Tayyip Erdoğan"),
    ("Emmanuel Macron", "Volodymyr Zelenskyy"),
    ("Recep Tayyip Erdoğan", "Volodymyr Zelenskyy"),
]


def _stream() -> list[bytes]:
    """Three meetings, each as an original, a syndicated copy and another outlet's own report."""
    raws = []
    for i, (a, b) in enumerate(PAIRS):
        at = T0 + timedelta(hours=i)
        body = (
            f"{a} met {b} in the capital on Monday. The two leaders held talks on trade and energy, officials "
            f"said. Delegations discussed story {i} matters for several hours before a joint statement."
        )
        report = f"{b} welcomed {a} for talks on story {i}, according to a statement issued later."
        for article_id, source, text, minutes in (
            (f"o{i}", "Wire A", body, 0),
            (f"c{i}", "Wire B", body, 3),
            (f"r{i}", "Wire C", report, 5),
        ):
            published = (at + timedelta(minutes=minutes)).isoformat()
            raws.append(
                orjson.dumps(
                    {"id": article_id, "headline": f"{a} and {b}", "body": text, "source": source}
                    | {"published": published}
                )
            )
    return raws


class _Table(dict[str, Any]):
    """A table that logs its writes in order, like the changelog Faust produces from it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.log: list[tuple[str, Any]] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.log.append((key, value))
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.log.append((key, None))
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.log.append((key, None))
        return super().pop(key, *default)


def _state(tables: tuple[dict[str, Any], ...] = ({}, {}, {})) -> State:
    return State(*(_Table(t) for t in tables))


def _tables(state: State) -> Iterator[_Table]:
    for table in (state.articles, state.clusters, state.alerts):
        assert isinstance(table, _Table)
        yield table


def _alert_keys(alerts: Any) -> set[tuple[str, str, int]]:
    return {(a["alert_id"], a["kind"], a["corroborations"]) for a in alerts}


_CACHE: dict[str, Any] = {}


def _enriched(config: Any) -> list[dict[str, Any]]:
    if "enriched" not in _CACHE:
        enricher = Enricher(config)
        _CACHE["enriched"] = [enricher.enrich(raw, fallback_time=None) for raw in _stream()]
    return _CACHE["enriched"]


def _baseline(config: Any) -> tuple[list[tuple[Any, Any]], set[tuple[str, str, int]]]:
    """Verdicts and alert messages of the uninterrupted run."""
    if "baseline" not in _CACHE:
        decider = Decider(config, _state())
        decisions = [decider.decide(r) for r in _enriched(config)]
        verdicts = [(d.article["cluster_id"], d.article["duplicate_of"]) for d in decisions]
        _CACHE["baseline"] = verdicts, _alert_keys(a for d in decisions for a in d.alerts)
    return _CACHE["baseline"]


def test_baseline_stream_gives_one_new_and_one_update_per_meeting(small_config):
    """The uninterrupted run the property compares against: copies are duplicates, reports corroborate."""
    verdicts, alerts = _baseline(small_config)

    assert verdicts[:3] == [("o0", None), ("o0", "o0"), ("r0", None)]
    assert sorted(kind for _, kind, _ in alerts) == ["new"] * 3 + ["update"] * 3


@settings(max_examples=200, deadline=None)
@given(crash_at=st.integers(0, len(PAIRS) * 3 - 1), kept=st.tuples(*[st.floats(0, 1)] * 3))
def test_crash_while_deciding_loses_no_alert_and_changes_no_verdict(small_config, crash_at, kept):
    """Whatever part of the crashed article's table writes survived, redelivering it and going on restores
    exactly the uninterrupted run's alert messages (by id, kind and corroborations) and verdicts."""
    enriched = _enriched(small_config)
    state = _state()
    decider = Decider(small_config, state)
    decisions = [decider.decide(r) for r in enriched[:crash_at]]
    snapshot = [dict(table) for table in _tables(state)]
    for table in _tables(state):
        table.log.clear()
    decider.decide(enriched[crash_at])  # its messages are lost with the process: not counted below

    survived = []
    for before, table, share in zip(snapshot, _tables(state), kept, strict=True):
        for key, value in table.log[: round(len(table.log) * share)]:
            if value is None:
                before.pop(key, None)
            else:
                before[key] = value
        survived.append(before)
    restarted = Decider(small_config, _state(tuple(survived)))  # rebuilt from the tables, as after recovery
    decisions += [restarted.decide(r) for r in enriched[crash_at:]]

    verdicts, alerts = _baseline(small_config)
    assert [(d.article["cluster_id"], d.article["duplicate_of"]) for d in decisions] == verdicts
    assert _alert_keys(a for d in decisions for a in d.alerts) == alerts
