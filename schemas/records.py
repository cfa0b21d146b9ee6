"""Typed views of the topic payloads, for code that consumes them. The JSON Schemas are the contract;
tests/unit/test_contracts.py checks that these keys and the schemas' properties agree."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "AlertEventV1",
    "AlertV1",
    "ArticleV1",
    "DeadLetterV1",
    "EntityRefV1",
    "EntityV1",
    "EventV1",
    "SpanV1",
    "TopicV1",
]


class SpanV1(TypedDict, total=False):
    text: str
    start: int
    end: int
    kind: str


class EntityV1(TypedDict, total=False):
    id: str
    name: str
    type: str
    roles: list[str]
    mentions: int
    spans: list[SpanV1]


class TopicV1(TypedDict, total=False):
    id: str
    iptc: str
    score: float
    terms: list[str]


class EventV1(TypedDict, total=False):
    type: Literal["meeting"]
    status: Literal["held", "planned"]
    mode: Literal["in_person", "phone", "video", "unspecified"]
    participants: list[str]
    evidence: str
    spans: list[SpanV1]
    reference: bool


class ArticleV1(TypedDict, total=False):
    id: str
    source: str
    url: str | None
    headline: str
    published: str
    language: str | None
    cluster_id: str
    duplicate_of: str | None
    similarity: float | None
    cluster_size: int
    cluster_sources: list[str]
    entities: list[EntityV1]
    topics: list[TopicV1]
    events: list[EventV1]
    versions: dict[str, str]


class EntityRefV1(TypedDict):
    id: str
    name: str


class AlertEventV1(TypedDict):
    type: Literal["meeting"]
    status: Literal["held", "planned"]
    mode: Literal["in_person", "phone", "video", "unspecified"]
    reference: NotRequired[bool]


class AlertV1(TypedDict, total=False):
    alert_id: str
    kind: Literal["new", "update"]
    rule: str
    rule_version: str
    severity: str
    topic: str
    fired_at: str
    article_id: str
    cluster_id: str
    headline: str
    source: str
    published: str
    entities: list[EntityRefV1]
    evidence: list[SpanV1]
    corroborations: int
    sources: list[str]
    rules_version: str
    watchlist_version: str
    event: AlertEventV1
    explanation: str


class DeadLetterV1(TypedDict, total=False):
    reason: str
    error: str
    error_type: str
    stage: str
    origin: dict[str, object]
    dead_lettered_at: str
    original: str
    original_size: int
    original_truncated: bool
    original_sha256: str
    original_preview: str | None
