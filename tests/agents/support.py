"""Helpers for the in-process agent tests."""

from __future__ import annotations

import orjson


def sent_records(topic: object) -> list[dict[str, object]]:
    """The JSON values a mocked `topic.send` was awaited with, in order."""
    return [orjson.loads(call.kwargs["value"]) for call in topic.send.await_args_list]  # type: ignore[attr-defined]
