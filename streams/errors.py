"""One error root for everything the core rejects; the shell dead-letters it and moves on."""

from __future__ import annotations

from typing import ClassVar

__all__ = ["ConfigError", "InvalidArticle", "LimitExceeded", "WirewatchError"]


class WirewatchError(Exception):
    """Expected per-record failure: dead-letter it and move on."""

    reason: ClassVar[str] = "error"
    retriable: ClassVar[bool] = False


class InvalidArticle(WirewatchError):
    """A payload that is not an article: bad JSON, wrong shape, missing text or id."""

    reason = "invalid_article"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason  # type: ignore[misc]  # per-instance refinement of the class default


class LimitExceeded(InvalidArticle):
    """A payload over a configured size limit."""

    reason = "limit_exceeded"


class ConfigError(Exception):
    """A watchlist, rules file or setting is invalid; start-up must stop with this message."""

    def __init__(self, source: str, line: int | None, field: str, problem: str) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {field}: {problem}")
        self.source = source
        self.line = line
        self.field = field
        self.problem = problem
