"""Dead-letter records: the reason, where the input came from, and the original bytes."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime

from streams.errors import WirewatchError

__all__ = ["dead_letter"]


def dead_letter(
    raw: bytes, exc: WirewatchError, *, stage: str, origin: Mapping[str, object], at: datetime
) -> dict[str, object]:
    """A `wire.deadletter` record; `original` is base64 so any bytes survive JSON."""
    try:
        preview: str | None = raw[:500].decode("utf-8")
    except UnicodeDecodeError:
        preview = None
    return {
        "reason": exc.reason,
        "error": str(exc),
        "stage": stage,
        "origin": dict(origin),
        "dead_lettered_at": at.isoformat(),
        "original": base64.b64encode(raw).decode("ascii"),
        "original_size": len(raw),
        "original_preview": preview,
    }
