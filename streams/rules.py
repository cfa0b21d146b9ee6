"""Alert rules as data, and the alert lifecycle: one `new` per real-world happening, then `update`s.

A rule matches an enriched article; each match has a *group* (a meeting's participant set, the
matched entities, or the story cluster) that identifies the happening. Within the cooldown
(event time, from the first alert) the group fires once; a later report from a new story *and*
a new source is an `update` with the corroboration count. Optionally a source that reports the
same group again after `same_source_repeat_hours` starts a new alert: official sources (a
president's press office) report each contact once, so a second report is a second contact.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from streams.config import Node

__all__ = [
    "AlertState",
    "Rule",
    "RuleMatch",
    "RuleSet",
    "group_key",
    "lifecycle",
    "match_rule",
    "parse_rules",
]

SEVERITIES = ("low", "medium", "high", "critical")
GROUPINGS = ("participants", "entities", "cluster")
STATUSES = ("held", "planned")
MODES = ("in_person", "phone", "video", "unspecified")
_TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    version: str
    severity: str
    topic: str
    """The alert topic this rule publishes to."""
    cooldown: timedelta
    """Event time during which a group fires once; later independent reports are updates."""
    group_by: str
    description: str = ""
    event_type: str | None = None
    event_status: tuple[str, ...] = ("held",)
    event_modes: tuple[str, ...] = ()
    """Empty: any mode."""
    min_participants: int = 2
    participants_any: tuple[str, ...] = ()
    """At least one of these entities takes part (e.g. meetings of one watched leader)."""
    participants_all: tuple[str, ...] = ()
    topics_all: tuple[str, ...] = ()
    topics_any: tuple[str, ...] = ()
    entity_types: tuple[str, ...] = ()
    entity_ids: tuple[str, ...] = ()
    entity_roles: tuple[str, ...] = ()
    """Offices held on the article's day (head_of_state, head_of_government, minister, …)."""
    min_entities: int = 1
    same_source_repeat: timedelta | None = None


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.topic for r in self.rules))

    @property
    def longest_cooldown(self) -> timedelta:
        return max((r.cooldown for r in self.rules), default=timedelta(0))


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """Why a rule matched one article: the group it fires for, the entities, the event and evidence."""

    rule: Rule
    group: tuple[str, ...]
    entity_ids: tuple[str, ...]
    evidence: tuple[Mapping[str, object], ...]
    event: Mapping[str, object] | None = None
    """For an event rule: the event's type, status and mode."""


@dataclass(frozen=True, slots=True)
class AlertState:
    """What a group's alert has seen so far (kept in a changelog-backed table)."""

    alert_id: str
    fired_at: datetime
    clusters: tuple[str, ...]
    sources: tuple[str, ...]
    last_seen: Mapping[str, datetime] = field(default_factory=dict)
    """Source → event time of its latest report of this group (for `same_source_repeat`)."""
    articles: tuple[str, ...] = ()
    """The article behind each message sent (`new`, then each `update`), in step with `sources`: a
    redelivered article finds its own message here and repeats it, whatever else reached the tables."""

    def to_state(self) -> dict[str, object]:
        return {
            "id": self.alert_id,
            "t": self.fired_at.isoformat(),
            "c": list(self.clusters),
            "s": list(self.sources),
            "l": {source: when.isoformat() for source, when in self.last_seen.items()},
            "a": list(self.articles),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, object]) -> AlertState:
        clusters, sources, last = state["c"], state["s"], state.get("l") or {}
        articles = state.get("a") or []
        assert isinstance(clusters, list)
        assert isinstance(sources, list)
        assert isinstance(last, dict)
        assert isinstance(articles, list)
        seen = {str(k): datetime.fromisoformat(str(v)) for k, v in last.items()}
        fired_at = datetime.fromisoformat(str(state["t"]))
        return cls(str(state["id"]), fired_at, tuple(clusters), tuple(sources), seen, tuple(articles))

    def sent_for(self, article_id: str) -> tuple[str, int] | None:
        """(kind, corroborations) of the message this article caused, if it caused one."""
        if article_id not in self.articles:
            return None
        position = self.articles.index(article_id)
        return ("new" if position == 0 else "update"), position + 1


def group_key(rule: Rule, group: Sequence[str]) -> str:
    return f"{rule.id}|{','.join(group)}"


def match_rule(rule: Rule, article: Mapping[str, object]) -> tuple[RuleMatch, ...]:
    """The rule's matches on an enriched article record (DESIGN §2 fields): one per event for an
    event rule (an article may report several meetings), at most one otherwise."""
    topics = {str(t["id"]) for t in _dicts(article, "topics")}
    if rule.topics_all and not set(rule.topics_all) <= topics:
        return ()
    if rule.topics_any and not set(rule.topics_any) & topics:
        return ()
    if rule.event_type is not None:
        return tuple(m for event in _dicts(article, "events") if (m := _match_event(rule, article, event)))
    entities = [e for e in _dicts(article, "entities") if _entity_matches(rule, e)]
    if len(entities) < rule.min_entities:
        return ()
    ids = tuple(sorted(str(e["id"]) for e in entities))
    group = ids if rule.group_by in ("entities", "participants") else (str(article["cluster_id"]),)
    evidence = tuple(span for e in entities for span in _spans(e))
    return (RuleMatch(rule, group, ids, evidence),)


def _entity_matches(rule: Rule, entity: Mapping[str, object]) -> bool:
    roles = {str(r) for r in _list(entity, "roles")}
    return (
        (not rule.entity_types or entity["type"] in rule.entity_types)
        and (not rule.entity_ids or entity["id"] in rule.entity_ids)
        and (not rule.entity_roles or bool(roles & set(rule.entity_roles)))
    )


def _match_event(rule: Rule, article: Mapping[str, object], event: Mapping[str, object]) -> RuleMatch | None:
    participants = {str(p) for p in _list(event, "participants")}
    if (
        event.get("type") != rule.event_type
        or event.get("status") not in rule.event_status
        or (rule.event_modes and event.get("mode") not in rule.event_modes)
        or len(participants) < rule.min_participants
        or (rule.participants_any and not participants & set(rule.participants_any))
        or not set(rule.participants_all) <= participants
    ):
        return None
    ids = tuple(sorted(participants))
    group = ids if rule.group_by in ("participants", "entities") else (str(article["cluster_id"]),)
    summary = {"type": event.get("type"), "status": event.get("status"), "mode": event.get("mode")}
    if event.get("reference"):
        summary["reference"] = True
    return RuleMatch(rule, group, ids, _spans(event), summary)


def lifecycle(
    match: RuleMatch,
    previous: AlertState | None,
    *,
    cluster_id: str,
    source: str,
    event_time: datetime,
    article_id: str = "",
) -> tuple[str | None, AlertState | None]:
    """(kind, the group's next state): kind is "new", "update", or None when the article sends nothing
    (a copy of a story already counted, or an outlet already counted reporting again). An article that
    already caused a message (a redelivery) gets that kind again with the state unchanged."""
    rule = match.rule
    if article_id and previous is not None and (sent := previous.sent_for(article_id)) is not None:
        return sent[0], previous
    if (
        previous is None
        or abs(event_time - previous.fired_at) > rule.cooldown
        or _repeat(rule, previous, source, event_time)
    ):
        if match.event is not None and match.event.get("reference"):
            return None, previous  # a meeting only referred to may corroborate an alert, not start one
        alert_id = _alert_id(rule, match.group, cluster_id)
        return "new", AlertState(alert_id, event_time, (cluster_id,), (source,), {source: event_time}, (article_id,))
    latest = max(event_time, previous.last_seen.get(source, event_time))
    last_seen = {**previous.last_seen, source: latest}
    if cluster_id in previous.clusters or source in previous.sources:
        if rule.same_source_repeat is None or previous.last_seen.get(source) == latest:
            return None, previous
        # Nothing to send, but the outlet's latest report moves: `same_source_repeat` counts from it.
        return None, replace(previous, last_seen=last_seen)
    clusters, sources = (*previous.clusters, cluster_id), (*previous.sources, source)
    articles = (*previous.articles, article_id)
    return "update", AlertState(previous.alert_id, previous.fired_at, clusters, sources, last_seen, articles)


def _repeat(rule: Rule, previous: AlertState, source: str, event_time: datetime) -> bool:
    """The same source reports the group again, long enough after its last report to be a new contact."""
    last = previous.last_seen.get(source)
    return rule.same_source_repeat is not None and last is not None and event_time - last >= rule.same_source_repeat


def _alert_id(rule: Rule, group: Sequence[str], cluster_id: str) -> str:
    """Deterministic: the same story and rule give the same id on a replay or a redelivery."""
    key = f"{rule.id}|{','.join(group)}|{cluster_id}"
    return hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


def _dicts(article: Mapping[str, object], name: str) -> list[Mapping[str, object]]:
    items = article.get(name) or []
    assert isinstance(items, list)
    return items


def _list(item: Mapping[str, object], name: str) -> list[object]:
    value = item.get(name) or []
    assert isinstance(value, list)
    return value


def _spans(item: Mapping[str, object]) -> tuple[Mapping[str, object], ...]:
    return tuple(span for span in _list(item, "spans") if isinstance(span, Mapping))


def parse_rules(root: Node) -> RuleSet:
    """Validate a rules document; the first problem raises `ConfigError` with file, line, field."""
    root.only_keys({"version", "description", "rules"})
    version = root.child("version").text()
    rules = tuple(_rule(node) for node in root.child("rules").items())
    if not rules:
        raise root.child("rules").fail("", "needs at least one rule")
    seen: set[str] = set()
    for node, rule in zip(root.child("rules").items(), rules, strict=True):
        if rule.id in seen:  # name the repeat, as the watchlist does, not the first occurrence
            raise node.fail("id", f"duplicate rule id {rule.id!r}")
        seen.add(rule.id)
    return RuleSet(version, rules)


def _rule(node: Node) -> Rule:
    node.only_keys(
        {
            "id",
            "version",
            "description",
            "severity",
            "topic",
            "cooldown_hours",
            "group_by",
            "when",
            "same_source_repeat_hours",
        }
    )
    when = node.child("when")
    when.only_keys({"event", "topics", "entities"})
    topic = node.child("topic").text()
    if not _TOPIC_NAME.fullmatch(topic):
        raise node.child("topic").fail("", f"is not a valid Kafka topic name: {topic!r}")
    repeat = node.child("same_source_repeat_hours")
    base: dict[str, object] = {
        "id": node.child("id").text(),
        "version": _version(node.child("version")),
        "severity": node.child("severity").text(choices=SEVERITIES),
        "topic": topic,
        "cooldown": timedelta(hours=node.child("cooldown_hours").number(minimum=0)),
        "description": node.child("description").text(optional=True),
        "same_source_repeat": timedelta(hours=repeat.number(minimum=1)) if repeat.value is not None else None,
    }
    fields: dict[str, object] = {}
    if when.has("event"):
        fields |= _event_conditions(when.child("event"))
    if when.has("topics"):
        topics = when.child("topics")
        topics.only_keys({"all", "any"})
        fields["topics_all"] = topics.child("all").strings()
        fields["topics_any"] = topics.child("any").strings()
    if when.has("entities"):
        entities = when.child("entities")
        entities.only_keys({"types", "ids", "roles", "min"})
        fields["entity_types"] = entities.child("types").strings()
        fields["entity_ids"] = entities.child("ids").strings()
        fields["entity_roles"] = entities.child("roles").strings()
        fields["min_entities"] = int(entities.child("min").number(default=1, minimum=1))
    if not fields:
        raise when.fail("", "needs at least one of event, topics, entities")
    default_group = "participants" if "event_type" in fields else "entities"
    group_by = node.child("group_by").text(optional=True, choices=GROUPINGS) or default_group
    return Rule(group_by=group_by, **base, **fields)  # type: ignore[arg-type]  # validated above


def _version(node: Node) -> str:
    """A version may be written as a number in YAML (`version: 2`); it is kept as text."""
    if isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return str(node.value)
    return node.text()


def _event_conditions(event: Node) -> dict[str, object]:
    event.only_keys({"type", "status", "modes", "min_participants", "participants"})
    fields: dict[str, object] = {"event_type": event.child("type").text(choices=("meeting",))}
    fields["event_status"] = _choices(event.child("status"), STATUSES) or ("held",)
    fields["event_modes"] = _choices(event.child("modes"), MODES)
    fields["min_participants"] = int(event.child("min_participants").number(default=2, minimum=2))
    if event.has("participants"):
        participants = event.child("participants")
        participants.only_keys({"any", "all"})
        fields["participants_any"] = participants.child("any").strings()
        fields["participants_all"] = participants.child("all").strings()
    return fields


def _choices(node: Node, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = node.strings()
    for i, value in enumerate(values):
        if value not in allowed:
            raise node.child(i).fail("", f"must be one of {', '.join(allowed)}, got {value!r}")
    return values
