"""The topic taxonomy as data (EMM-style categories) and the scoring of one article against it.

A topic has weighted terms, phrases that mask a term ("tear gas" is not gas), required terms
(`require_any`: at least one of them, or a proximity match, must be found) and proximity rules
(a term of `terms` within N words of a term of `with` adds its weight: "war" near "Ukraine").
An article is about the topic when the requirement is met and the score reaches the threshold
with at least `min_distinct` different terms or rules matched: one repeated word, or a place
named without anything happening there, is a passing mention, not a topic.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from streams.config import Node

__all__ = ["Near", "Taxonomy", "Term", "Topic", "TopicHit", "parse_taxonomy", "score_topic"]

_MAX_REPEATS = 3
"""A term's (or rule's) repeats count up to this many times: the score rewards breadth."""


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    weight: float


@dataclass(frozen=True, slots=True)
class Near:
    """`terms` within `within` words of `with_`, in either order, adds `weight` per occurrence."""

    terms: tuple[str, ...]
    with_: tuple[str, ...]
    within: int
    weight: float


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    label: str
    iptc: str
    threshold: float
    min_distinct: int
    """A topic needs this many different terms (or proximity rules): one repeated word is a passing mention."""
    terms: tuple[Term, ...]
    exclude: tuple[str, ...]
    require_any: tuple[str, ...] = ()
    """Evidence the topic needs (EMM "required" words): one of these terms, or any proximity match."""
    near: tuple[Near, ...] = ()
    weights: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)
    """Term → weight, derived from `terms` (filled in on construction)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", {t.text: t.weight for t in self.terms})

    def phrases(self) -> set[str]:
        """Every phrase the matcher must find for this topic (terms, required terms, proximity words)."""
        found = {t.text for t in self.terms} | set(self.require_any)
        for rule in self.near:
            found.update(rule.terms, rule.with_)
        return found


@dataclass(frozen=True, slots=True)
class TopicHit:
    topic: Topic
    score: float
    terms: tuple[str, ...]
    """Matched terms and proximity rules, heaviest first: why the article is about the topic."""


@dataclass(frozen=True, slots=True)
class Taxonomy:
    version: str
    topics: tuple[Topic, ...]


Occurrences = Mapping[str, Sequence[tuple[int, int]]]
"""Phrase → its (start, end) character spans in the article, excluded spans already removed."""
WordGap = Callable[[tuple[int, int], tuple[int, int], int], int]
"""Words strictly between two spans (in text order), or anything above `limit` when farther apart."""


def score_topic(topic: Topic, found: Occurrences, words_between: WordGap) -> TopicHit | None:
    """The topic's verdict for one article, given where each of its phrases occurs."""
    contributions: dict[str, float] = {}
    weights = topic.weights
    for term, spans in found.items():
        if term in weights and weights[term] > 0:
            contributions[term] = weights[term] * min(len(spans), _MAX_REPEATS)
    terms_score = sum(contributions.values())
    near_best = sum(rule.weight * _MAX_REPEATS for rule in topic.near)
    if terms_score + near_best < topic.threshold or len(contributions) + len(topic.near) < topic.min_distinct:
        return None  # cannot reach the threshold: skip the proximity work (most articles, most topics)
    required = not topic.require_any or any(found.get(t) for t in topic.require_any)
    for rule in topic.near:
        n, label = _near_count(rule, found, words_between)
        if n:
            contributions[label] = contributions.get(label, 0.0) + rule.weight * min(n, _MAX_REPEATS)
            required = True
    score = sum(contributions.values())
    if not required or score < topic.threshold or len(contributions) < topic.min_distinct:
        return None
    ranked = sorted(contributions, key=lambda label: -contributions[label])
    return TopicHit(topic, round(score, 2), tuple(ranked))


def _near_count(rule: Near, found: Occurrences, words_between: WordGap) -> tuple[int, str]:
    """Occurrences of a `terms` phrase with a `with` phrase at most `within` words away, and a label
    for the explanation naming the first such pair ("war~Ukraine")."""
    if not any(found.get(phrase) for phrase in rule.terms):
        return 0, ""
    others = sorted({(span, phrase) for phrase in rule.with_ for span in found.get(phrase, ())})
    if not others:
        return 0, ""
    starts = [span[0] for span, _ in others]
    count, label = 0, ""
    for phrase in rule.terms:
        for span in found.get(phrase, ()):
            i = bisect_left(starts, span[0])
            for other, with_phrase in others[max(0, i - 1) : i + 2]:
                if other == span or _overlap(other, span):
                    continue
                if _words_between(span, other, rule.within, words_between) <= rule.within:
                    count += 1
                    label = label or f"{phrase}~{with_phrase}"
                    break
            if count >= _MAX_REPEATS:  # further pairs add nothing to the score
                return count, label
    return count, label


def _words_between(a: tuple[int, int], b: tuple[int, int], limit: int, words_between: WordGap) -> int:
    return words_between(a, b, limit) if a <= b else words_between(b, a, limit)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def parse_taxonomy(root: Node) -> Taxonomy:
    """Validate a taxonomy document; the first problem raises `ConfigError` with file, line, field."""
    root.only_keys({"version", "description", "topics"})
    topics = tuple(_topic(node) for node in root.child("topics").items())
    ids = [t.id for t in topics]
    for i, (node, topic_id) in enumerate(zip(root.child("topics").items(), ids, strict=True)):
        if topic_id in ids[:i]:  # name the repeat, not the first occurrence
            raise node.fail("id", f"duplicate topic id {topic_id!r}")
    return Taxonomy(root.child("version").text(), topics)


def _topic(node: Node) -> Topic:
    node.only_keys(
        {"id", "label", "iptc", "threshold", "min_distinct", "terms", "exclude", "require_any", "near", "description"}
    )
    terms = tuple(_term(t) for t in node.child("terms").items())
    if not terms:
        raise node.fail("terms", "needs at least one term")
    return Topic(
        id=node.child("id").text(),
        label=node.child("label").text(optional=True) or node.child("id").text(),
        iptc=node.child("iptc").text(),
        threshold=node.child("threshold").number(minimum=0),
        min_distinct=int(node.child("min_distinct").number(default=1, minimum=1)),
        terms=terms,
        exclude=node.child("exclude").strings(),
        require_any=node.child("require_any").strings(),
        near=tuple(_near(n) for n in node.child("near").items()) if node.has("near") else (),
    )


def _term(node: Node) -> Term:
    node.only_keys({"term", "weight"})
    return Term(node.child("term").text(), node.child("weight").number(default=1.0))


def _near(node: Node) -> Near:
    node.only_keys({"terms", "with", "within", "weight"})
    terms, with_ = node.child("terms").strings(optional=False), node.child("with").strings(optional=False)
    for key, values in (("terms", terms), ("with", with_)):
        if not values:
            raise node.fail(key, "needs at least one term")
    within = node.child("within").number(minimum=0)
    if within != int(within):
        raise node.fail("within", f"must be a whole number of words, got {within}")
    return Near(terms, with_, int(within), node.child("weight").number(default=1.0, minimum=0))
