"""Alert rules as data, and the alert lifecycle: one `new` per real-world happening, then `update`s.

A rule matches an enriched article; its *group* (the meeting's participant set, the matched
entities, or the story cluster) identifies the happening. Within the cooldown (event time)
the group fires once; a later report from a new independent story and source is an update.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.config import Node

__all__ = ["AlertState", "Rule", "RuleMatch", "RuleSet", "lifecycle", "match_rule", "parse_rules"]

SEVERITIES = ("low", "medium", "high", "critical")
GROUPINGS = ("participants", "entities", "cluster")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    version: str
    severity: str
    topic: str
    """The alert topic this rule publishes to."""
    cooldown: timedelta
    group_by: str
    description: str
    event_type: str | None = None
    event_status: tuple[str, ...] = ("held",)
    min_participants: int = 2
    topics_all: tuple[str, ...] = ()
    topics_any: tuple[str, ...] = ()
    entity_types: tuple[str, ...] = ()
    entity_ids: tuple[str, ...] = ()
    min_entities: int = 1


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.topic for r in self.rules))


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """Why a rule matched one article: the group it fires for and the entities and evidence."""

    rule: Rule
    group: tuple[str, ...]
    entity_ids: tuple[str, ...]
    evidence: tuple[Mapping[str, object], ...]


@dataclass(frozen=True, slots=True)
class AlertState:
    """What a group's alert has seen so far (kept in a changelog-backed table)."""

    alert_id: str
    fired_at: datetime
    clusters: tuple[str, ...]
    sources: tuple[str, ...]
    articles: tuple[str, ...] = ()
    """The article behind each message sent (`new`, then each `update`), in step with `sources`: a
    redelivered article finds its own message here and repeats it, whatever else reached the tables."""

    def to_state(self) -> dict[str, object]:
        return {
            "id": self.alert_id,
            "t": self.fired_at.isoformat(),
            "c": list(self.clusters),
            "s": list(self.sources),
            "a": list(self.articles),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, object]) -> AlertState:
        clusters, sources, articles = state["c"], state["s"], state.get("a", [])
        assert isinstance(clusters, list)
        assert isinstance(sources, list)
        assert isinstance(articles, list)
        fired_at = datetime.fromisoformat(str(state["t"]))
        return cls(str(state["id"]), fired_at, tuple(clusters), tuple(sources), tuple(articles))

    def sent_for(self, article_id: str) -> tuple[str, int] | None:
        """(kind, corroborations) of the message this article caused, if it caused one."""
        if article_id not in self.articles:
            return None
        position = self.articles.index(article_id)
        return ("new" if position == 0 else "update"), position + 1


def group_key(rule: Rule, group: Sequence[str]) -> str:
    return f"{rule.id}|{','.join(group)}"


def match_rule(rule: Rule, article: Mapping[str, object]) -> RuleMatch | None:
    """The rule's match on an enriched article record (DESIGN §2 fields), or None."""
    topics = {str(t["id"]) for t in _dicts(article, "topics")}
    if rule.topics_all and not set(rule.topics_all) <= topics:
        return None
    if rule.topics_any and not set(rule.topics_any) & topics:
        return None
    if rule.event_type is not None:
        return _match_event(rule, article)
    entities = [
        e
        for e in _dicts(article, "entities")
        if (not rule.entity_types or e["type"] in rule.entity_types)
        and (not rule.entity_ids or e["id"] in rule.entity_ids)
    ]
    if len(entities) < rule.min_entities:
        return None
    ids = tuple(sorted(str(e["id"]) for e in entities))
    group = ids if rule.group_by == "entities" else (str(article["cluster_id"]),)
    evidence = tuple(span for e in entities for span in _spans(e))
    return RuleMatch(rule, group, ids, evidence)


def _match_event(rule: Rule, article: Mapping[str, object]) -> RuleMatch | None:
    for event in _dicts(article, "events"):
        participants = event.get("participants")
        assert isinstance(participants, list)
        if (
            event.get("type") == rule.event_type
            and event.get("status") in rule.event_status
            and len(participants) >= rule.min_participants
        ):
            ids = tuple(sorted(str(p) for p in participants))
            group = ids if rule.group_by in ("participants", "entities") else (str(article["cluster_id"]),)
            spans = event.get("spans")
            assert isinstance(spans, list)
            return RuleMatch(rule, group, ids, tuple(spans))
    return None


def lifecycle(
    match: RuleMatch,
    previous: AlertState | None,
    *,
    cluster_id: str,
    source: str,
    event_time: datetime,
    article_id: str = "",
) -> tuple[str, AlertState] | None:
    """("new" | "update", the group's next state), or None when the article adds nothing.

    An article that already caused a message (a redelivery) gets that kind again with the state unchanged.
    """
    rule = match.rule
    if article_id and previous is not None and (sent := previous.sent_for(article_id)) is not None:
        return sent[0], previous
    if previous is None or abs(event_time - previous.fired_at) > rule.cooldown:
        alert_id = _alert_id(rule, match.group, cluster_id)
        return "new", AlertState(alert_id, event_time, (cluster_id,), (source,), (article_id,))
    if cluster_id in previous.clusters or source in previous.sources:
        return None  # a copy of a story already counted, or the same outlet again: not independent
    state = AlertState(
        previous.alert_id,
        previous.fired_at,
        (*previous.clusters, cluster_id),
        (*previous.sources, source),
        (*previous.articles, article_id),
    )
    return "update", state


def _alert_id(rule: Rule, group: Sequence[str], cluster_id: str) -> str:
    """Deterministic: the same story and rule give the same id on a replay or a redelivery."""
    key = f"{rule.id}|{','.join(group)}|{cluster_id}"
    return hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


def _dicts(article: Mapping[str, object], name: str) -> list[Mapping[str, object]]:
    items = article.get(name) or []
    assert isinstance(items, list)
    return items


def _spans(entity: Mapping[str, object]) -> list[Mapping[str, object]]:
    spans = entity.get("spans") or []
    assert isinstance(spans, list)
    return spans


def parse_rules(root: Node) -> RuleSet:
    """Validate a rules document; the first problem raises `ConfigError` with file, line, field."""
    root.only_keys({"version", "description", "rules"})
    rules = tuple(_rule(node) for node in root.child("rules").items())
    ids = [r.id for r in rules]
    for i, (node, rule_id) in enumerate(zip(root.child("rules").items(), ids, strict=True)):
        if rule_id in ids[:i]:  # name the repeat, as the watchlist does, not the first occurrence
            raise node.fail("id", f"duplicate rule id {rule_id!r}")
    return RuleSet(root.child("version").text(), rules)


def _rule(node: Node) -> Rule:
    node.only_keys({"id", "version", "description", "severity", "topic", "cooldown_hours", "group_by", "when"})
    when = node.child("when")
    when.only_keys({"event", "topics", "entities"})
    base = {
        "id": node.child("id").text(),
        "version": str(node.child("version").value or "") or node.child("version").text(),
        "severity": node.child("severity").text(choices=SEVERITIES),
        "topic": node.child("topic").text(),
        "cooldown": timedelta(hours=node.child("cooldown_hours").number(minimum=0)),
        "description": node.child("description").text(optional=True),
    }
    fields: dict[str, object] = {}
    if when.has("event"):
        event = when.child("event")
        event.only_keys({"type", "status", "min_participants"})
        fields["event_type"] = event.child("type").text(choices=("meeting",))
        statuses = event.child("status").strings() or ("held",)
        for i, status in enumerate(statuses):
            if status not in ("held", "planned"):
                raise event.child("status").child(i).fail("", f"must be held or planned, got {status!r}")
        fields["event_status"] = statuses
        fields["min_participants"] = int(event.child("min_participants").number(default=2, minimum=2))
    if when.has("topics"):
        topics = when.child("topics")
        topics.only_keys({"all", "any"})
        fields["topics_all"] = topics.child("all").strings()
        fields["topics_any"] = topics.child("any").strings()
    if when.has("entities"):
        entities = when.child("entities")
        entities.only_keys({"types", "ids", "min"})
        fields["entity_types"] = entities.child("types").strings()
        fields["entity_ids"] = entities.child("ids").strings()
        fields["min_entities"] = int(entities.child("min").number(default=1, minimum=1))
    if not fields:
        raise when.fail("", "needs at least one of event, topics, entities")
    default_group = "participants" if "event_type" in fields else "entities"
    group_by = node.child("group_by").text(optional=True, choices=GROUPINGS) or default_group
    return Rule(group_by=group_by, **base, **fields)  # type: ignore[arg-type]  # validated above
