"""Validation helpers for configuration documents (watchlists, topics, rules) with precise errors.

The shell parses a file and hands over the data plus a map from field path to line number;
every error then names the file, the line and the field.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from streams.errors import ConfigError

__all__ = ["Doc", "Node"]

_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")
_YEAR = re.compile(r"\d{4}")
_LAST_SEGMENT = re.compile(r"(?:\.[^.\[\]]+|\[\d+\])$")


@dataclass(frozen=True, slots=True)
class Doc:
    """A parsed configuration file: its name and where each field path starts."""

    source: str
    lines: Mapping[str, int] = field(default_factory=dict)

    def error(self, path: str, problem: str) -> ConfigError:
        line = self.lines.get(path)
        probe = path
        while line is None and probe:  # a missing field: point at its closest present parent
            probe = _LAST_SEGMENT.sub("", probe) if _LAST_SEGMENT.search(probe) else ""
            line = self.lines.get(probe)
        return ConfigError(self.source, line, path or "(document)", problem)


@dataclass(frozen=True, slots=True)
class Node:
    """A value at a path in a document, with typed accessors that raise `ConfigError`."""

    doc: Doc
    path: str
    value: object

    def child(self, key: str | int) -> Node:
        path = f"{self.path}[{key}]" if isinstance(key, int) else (f"{self.path}.{key}" if self.path else key)
        if isinstance(key, int):
            items = self.sequence()
            return Node(self.doc, path, items[key])
        return Node(self.doc, path, self.mapping().get(key))

    def fail(self, field: str, problem: str) -> ConfigError:
        """An error about `field` of this node ("" for the node itself)."""
        return self.doc.error(f"{self.path}.{field}" if field and self.path else field or self.path, problem)

    def mapping(self) -> Mapping[str, object]:
        if not isinstance(self.value, Mapping):
            raise self.doc.error(self.path, f"must be a mapping, got {_kind(self.value)}")
        return self.value

    def sequence(self) -> list[object]:
        if not isinstance(self.value, list):
            raise self.doc.error(self.path, f"must be a list, got {_kind(self.value)}")
        return self.value

    def items(self) -> list[Node]:
        return [self.child(i) for i in range(len(self.sequence()))]

    def has(self, key: str) -> bool:
        return self.mapping().get(key) is not None

    def only_keys(self, allowed: set[str]) -> None:
        for key in self.mapping():
            if key not in allowed:
                raise self.doc.error(
                    f"{self.path}.{key}" if self.path else str(key),
                    f"unknown field (allowed: {', '.join(sorted(allowed))})",
                )

    def text(self, *, optional: bool = False, choices: tuple[str, ...] = ()) -> str:
        if self.value is None and optional:
            return ""
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.doc.error(self.path, f"must be a non-empty string, got {_kind(self.value)}")
        if choices and self.value not in choices:
            raise self.doc.error(self.path, f"must be one of {', '.join(choices)}, got {self.value!r}")
        return self.value

    def strings(self, *, optional: bool = True) -> tuple[str, ...]:
        if self.value is None and optional:
            return ()
        return tuple(item.text() for item in self.items())

    def number(self, *, default: float | None = None, minimum: float | None = None) -> float:
        if self.value is None and default is not None:
            return default
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise self.doc.error(self.path, f"must be a number, got {_kind(self.value)}")
        if minimum is not None and self.value < minimum:
            raise self.doc.error(self.path, f"must be at least {minimum}, got {self.value}")
        return float(self.value)

    def date(self, *, optional: bool = False, period_end: bool = False) -> date | None:
        """YYYY-MM-DD, or a coarser YYYY-MM / YYYY (sources often know only the month or year):
        that is its first day, or with `period_end` its last day."""
        if self.value is None and optional:
            return None
        if isinstance(self.value, date):
            return self.value
        text = str(self.value)
        try:
            if _YEAR_MONTH.fullmatch(text):
                year, month = int(text[:4]), int(text[5:7])
                day = calendar.monthrange(year, month)[1] if period_end else 1
                return date(year, month, day)
            if _YEAR.fullmatch(text):
                return date(int(text), 12, 31) if period_end else date(int(text), 1, 1)
            return date.fromisoformat(text)
        except ValueError:
            raise self.doc.error(self.path, f"must be a date YYYY-MM-DD (or YYYY-MM, YYYY), got {text!r}") from None


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
