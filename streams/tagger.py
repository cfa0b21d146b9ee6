"""Entity and topic tagging in one Aho-Corasick pass over folded, space-padded text.

Padding both the text and every pattern with spaces makes the automaton enforce word
boundaries itself (PERF-NOTES: no per-match Python boundary checks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import ahocorasick

from streams.text import fold
from streams.topics import Taxonomy, Topic
from streams.watchlist import Entity, Watchlist

__all__ = ["EntityHit", "Mention", "Tagger", "Tagging", "TopicHit"]

_ROLE_SUFFIXES = {
    "president": "head_of_state",
    "head of state": "head_of_state",
    "prime minister": "head_of_government",
    "premier": "head_of_government",
    "chancellor": "head_of_government",
    "leader": "leader",
    "counterpart": "leader",
}


class _Alias(NamedTuple):
    entity: int
    strong: bool


class _Role(NamedTuple):
    country: str
    role: str
    """head_of_state | head_of_government | leader (the country's usual leading office)."""


class _TopicTerm(NamedTuple):
    topic: int
    term: str
    weight: float
    exclude: bool


_Target = _Alias | _Role | _TopicTerm


class Mention(NamedTuple):
    entity_id: str
    start: int
    end: int
    via: str
    """name | surname | role: how the mention was recognised."""


@dataclass(frozen=True, slots=True)
class EntityHit:
    entity: Entity
    mentions: tuple[Mention, ...]
    in_headline: int


@dataclass(frozen=True, slots=True)
class TopicHit:
    topic: Topic
    score: float
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Tagging:
    entities: tuple[EntityHit, ...]
    topics: tuple[TopicHit, ...]
    mentions: tuple[Mention, ...] = field(default=())
    """Body mentions in text order (the detector reads them by sentence)."""


class _Hit(NamedTuple):
    start: int
    end: int
    targets: tuple[_Target, ...]


class Tagger:
    """Built once per watchlist + taxonomy version; `tag()` is then pure and thread-safe."""

    def __init__(self, watchlist: Watchlist, taxonomy: Taxonomy) -> None:
        self.watchlist = watchlist
        self.taxonomy = taxonomy
        self._entities = watchlist.entities
        patterns: dict[str, list[_Target]] = defaultdict(list)
        for index, entity in enumerate(self._entities):
            for alias in dict.fromkeys((entity.name, *entity.aliases)):
                key = _pattern(alias)
                if key:
                    strong = entity.type != "person" or len(key.split()) > 1
                    patterns[key].append(_Alias(index, strong))
        for country in watchlist.countries:
            for phrase, role in _role_phrases(country.names, country.adjectives):
                patterns[_pattern(phrase)].append(_Role(country.code, role))
        patterns[_pattern("Kremlin leader")].append(_Role("RUS", "head_of_state"))
        patterns[_pattern("Kremlin chief")].append(_Role("RUS", "head_of_state"))
        for index, topic in enumerate(taxonomy.topics):
            for term in topic.terms:
                patterns[_pattern(term.text)].append(_TopicTerm(index, term.text, term.weight, exclude=False))
            for text in topic.exclude:
                patterns[_pattern(text)].append(_TopicTerm(index, text, 0.0, exclude=True))
        self._automaton = ahocorasick.Automaton()
        for key, targets in patterns.items():
            if key:
                self._automaton.add_word(f" {key} ", (len(key) + 2, tuple(dict.fromkeys(targets))))
        self._automaton.make_automaton()

    def tag(self, headline: str, text: str, *, day: date) -> Tagging:
        """Entities (resolved at `day`) and topics of one article."""
        body_hits = self._scan(text)
        head_hits = self._scan(headline)
        body_mentions = self._resolve(body_hits, day, anchors=set())
        anchors = {m.entity_id for m in body_mentions if m.via != "surname"}
        head_mentions = self._resolve(head_hits, day, anchors=anchors)
        anchors |= {m.entity_id for m in head_mentions if m.via != "surname"}
        body_mentions = self._resolve(body_hits, day, anchors=anchors)
        return Tagging(
            entities=self._entity_hits(body_mentions, head_mentions),
            topics=self._topic_hits([*head_hits, *head_hits, *body_hits]),  # headline terms count twice
            mentions=tuple(body_mentions),
        )

    def _scan(self, text: str) -> list[_Hit]:
        padded = f" {fold(text)} "
        hits = [_Hit(end - length + 1, end - 1, targets) for end, (length, targets) in self._automaton.iter(padded)]
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits

    def _resolve(self, hits: list[_Hit], day: date, *, anchors: set[str]) -> list[Mention]:
        named = [h for h in _longest_only(h for h in hits if _is_named(h)) if h.targets]
        strong: dict[int, list[Mention]] = {}
        mentions: list[Mention] = []
        weak: list[tuple[_Hit, list[int]]] = []
        for hit in named:
            mentions.extend(
                Mention(self._entities[i].id, hit.start, hit.end, "role") for i in self._resolve_roles(hit, day)
            )
            aliases = [t for t in hit.targets if isinstance(t, _Alias)]
            strong_ids = [a.entity for a in aliases if a.strong]
            if strong_ids:
                for entity_index in strong_ids:
                    mention = Mention(self._entities[entity_index].id, hit.start, hit.end, "name")
                    strong.setdefault(entity_index, []).append(mention)
                    mentions.append(mention)
            elif aliases:
                weak.append((hit, [a.entity for a in aliases]))
        anchored = anchors | {m.entity_id for m in mentions}
        counts = {self._entities[i].id: len(ms) for i, ms in strong.items()}
        for hit, candidates in weak:
            options = [i for i in candidates if self._entities[i].id in anchored]
            if options:
                best = max(options, key=lambda i: counts.get(self._entities[i].id, 0))
                mentions.append(Mention(self._entities[best].id, hit.start, hit.end, "surname"))
        mentions.sort(key=lambda m: (m.start, m.end))
        return _merge_role_with_name(mentions)

    def _resolve_roles(self, hit: _Hit, day: date) -> list[int]:
        resolved: list[int] = []
        for target in hit.targets:
            if not isinstance(target, _Role):
                continue
            role = target.role
            if role == "leader":
                role = next((c.leader for c in self.watchlist.countries if c.code == target.country), "head_of_state")
            holders = [
                i
                for i, e in enumerate(self._entities)
                if any(o.country == target.country and o.role == role and o.holds_on(day) for o in e.offices)
            ]
            if len(holders) == 1:  # two holders at once (a handover, a collective office): ambiguous
                resolved.append(holders[0])
        return resolved

    def _entity_hits(self, body: list[Mention], headline: list[Mention]) -> tuple[EntityHit, ...]:
        by_id: dict[str, list[Mention]] = defaultdict(list)
        for mention in body:
            by_id[mention.entity_id].append(mention)
        in_headline: dict[str, int] = defaultdict(int)
        for mention in headline:
            in_headline[mention.entity_id] += 1
        entities = {e.id: e for e in self._entities}
        ids = sorted(by_id.keys() | in_headline.keys(), key=lambda i: -(len(by_id.get(i, ())) + in_headline[i]))
        return tuple(EntityHit(entities[i], tuple(by_id.get(i, ())), in_headline[i]) for i in ids)

    def _topic_hits(self, hits: list[_Hit]) -> tuple[TopicHit, ...]:
        excluded: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for hit in hits:
            for t in hit.targets:
                if isinstance(t, _TopicTerm) and t.exclude:
                    excluded[t.topic].append((hit.start, hit.end))
        counts: dict[int, dict[str, tuple[float, int]]] = defaultdict(dict)
        for hit in hits:
            for t in hit.targets:
                if not isinstance(t, _TopicTerm) or t.exclude:
                    continue
                if any(s <= hit.start and hit.end <= e for s, e in excluded[t.topic]):
                    continue
                weight, n = counts[t.topic].get(t.term, (t.weight, 0))
                counts[t.topic][t.term] = (weight, n + 1)
        found: list[TopicHit] = []
        for index, terms in counts.items():
            topic = self.taxonomy.topics[index]
            # A term's repeats add little: the score rewards breadth, not one repeated word.
            score = sum(weight * min(n, 3) for weight, n in terms.values())
            if score >= topic.threshold and len(terms) >= topic.min_distinct:
                ranked = sorted(terms, key=lambda term: -terms[term][0] * terms[term][1])
                found.append(TopicHit(topic, round(score, 2), tuple(ranked)))
        found.sort(key=lambda hit: -hit.score)
        return tuple(found)


def _pattern(text: str) -> str:
    return " ".join(fold(text).split())


def _role_phrases(names: Iterable[str], adjectives: Iterable[str]) -> Iterable[tuple[str, str]]:
    for suffix, role in _ROLE_SUFFIXES.items():
        for adjective in adjectives:
            yield f"{adjective} {suffix}", role
        for name in names:
            yield f"{suffix} of {name}", role
            yield f"{name}'s {suffix}", role
            yield f"{name} {suffix}", role


def _is_named(hit: _Hit) -> bool:
    return any(not isinstance(t, _TopicTerm) for t in hit.targets)


def _longest_only(hits: Iterable[_Hit]) -> list[_Hit]:
    """Drop hits inside a longer hit: "Emine Erdoğan" is not also a mention of "Erdoğan"."""
    kept: list[_Hit] = []
    for hit in hits:  # sorted by start, longest first
        named = tuple(t for t in hit.targets if not isinstance(t, _TopicTerm))
        if kept and hit.start >= kept[-1].start and hit.end <= kept[-1].end:
            continue
        kept.append(_Hit(hit.start, hit.end, named))
    return kept


def _merge_role_with_name(mentions: list[Mention]) -> list[Mention]:
    """ "Russian President Vladimir Putin" is one mention, not a role and a name."""
    merged: list[Mention] = []
    for mention in mentions:
        last = merged[-1] if merged else None
        if last and last.entity_id == mention.entity_id and 0 <= mention.start - last.end <= 2:
            via = "name" if "name" in (last.via, mention.via) else last.via
            merged[-1] = Mention(last.entity_id, last.start, mention.end, via)
        else:
            merged.append(mention)
    return merged
