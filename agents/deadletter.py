"""Dead-letter records: the reason, where the input came from, and the original bytes."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime

from streams.errors import WirewatchError

__all__ = ["ProcessingError", "dead_letter", "record_size_bound"]

_MAX_ERROR_CHARS = 2000
_PREVIEW_BYTES = 500


class ProcessingError(WirewatchError):
    """An unexpected exception while processing one record. The shell wraps it so that the record is
    dead-lettered (and can be replayed once the bug is fixed) instead of being acknowledged and lost."""

    reason = "processing_error"

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.error_type = type(cause).__name__


def dead_letter(
    raw: bytes,
    exc: WirewatchError,
    *,
    stage: str,
    origin: Mapping[str, object],
    at: datetime,
    max_original: int | None = None,
) -> dict[str, object]:
    """A `wire.deadletter` record; `original` is base64 so any bytes survive JSON.

    Past `max_original` bytes (a message over the size limit) only the head is kept, with the size and
    SHA-256 of the whole, so that the dead letter itself stays under the topic's record size;
    `origin` still points at the complete message in its raw topic.
    """
    kept = raw if max_original is None else raw[:max_original]
    try:
        preview: str | None = raw[:_PREVIEW_BYTES].decode("utf-8")
    except UnicodeDecodeError:
        preview = None
    record: dict[str, object] = {
        "reason": exc.reason,
        "error": str(exc)[:_MAX_ERROR_CHARS],
        "error_type": getattr(exc, "error_type", type(exc).__name__),
        "stage": stage,
        "origin": dict(origin),
        "dead_lettered_at": at.isoformat(),
        "original": base64.b64encode(kept).decode("ascii"),
        "original_size": len(raw),
        "original_preview": preview,
    }
    if len(kept) < len(raw):
        record["original_truncated"] = True
        record["original_sha256"] = hashlib.sha256(raw).hexdigest()
    return record


def record_size_bound(max_original: int) -> int:
    """Largest dead letter for originals up to `max_original` bytes: base64 plus room for the other fields
    (a 500-byte preview and a 2,000-character error, even when JSON escapes every character)."""
    return 4 * -(-max_original // 3) + 64 * 1024
