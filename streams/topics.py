"""The topic taxonomy as data: weighted terms, exclusions, a threshold (EMM-style categories)."""

from __future__ import annotations

from dataclasses import dataclass

from streams.config import Node

__all__ = ["Taxonomy", "Term", "Topic", "parse_taxonomy"]


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    weight: float


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    label: str
    iptc: str
    threshold: float
    min_distinct: int
    """A topic needs this many different terms: one repeated word is a passing mention."""
    terms: tuple[Term, ...]
    exclude: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    version: str
    topics: tuple[Topic, ...]


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
    node.only_keys({"id", "label", "iptc", "threshold", "min_distinct", "terms", "exclude", "description"})
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
    )


def _term(node: Node) -> Term:
    node.only_keys({"term", "weight"})
    return Term(node.child("term").text(), node.child("weight").number(default=1.0))
