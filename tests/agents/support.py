"""Helpers for the in-process agent tests."""

from __future__ import annotations

import orjson


def sent_records(topic: object) -> list[dict[str, object]]:
    """The JSON records a mocked `topic.send` was awaited with, in order (a batch on the enriched topic is a
    list of records: flattened)."""
    records: list[dict[str, object]] = []
    for call in topic.send.await_args_list:  # type: ignore[attr-defined]
        value = orjson.loads(call.kwargs["value"])
        records.extend(value if isinstance(value, list) else [value])
    return records
