"""Scanning: one Aho-Corasick pass over folded, space-padded text, its hits filed by layer.

Padding both the text and every pattern with spaces makes the automaton enforce word
boundaries itself (PERF-NOTES: no per-match Python boundary checks). The automaton is
ahocorasick-rs (a Rust DFA: a quarter faster than pyahocorasick here on 8 KB articles, every
overlapping hit returned in one list). Folding (streams.text.fold)
is length-preserving, so offsets in the folded text are offsets in the article. One pattern can
stand for several things at once (a watched name, a country word, a role word, a topic phrase);
`Entry` splits them by layer when the automaton is built, so the scan loop only files hits.

Role phrases are assembled from two kinds of hits, a role word and a country name or adjective
next to it ("Turkish president", "President of the Russian Federation", "Russia's leader"): a
few thousand patterns instead of every phrase of every country spelt out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

import ahocorasick_rs

from streams.text import fold
from streams.topics import Taxonomy
from streams.watchlist import Watchlist

__all__ = [
    "ROLE_WORDS",
    "Alias",
    "CountryWord",
    "Entry",
    "Hit",
    "Matcher",
    "RolePhrase",
    "Scan",
    "TopicPhrase",
    "role_phrases",
]

# Role words after a country adjective or name ("Turkish president", "Russia's leader") or before
# "of (the) <country>" ("King of Jordan"), as office kinds (streams.watchlist.office_kinds).
ROLE_WORDS = {
    "president": "president",
    "prime minister": "prime_minister",
    "premier": "prime_minister",
    "pm": "prime_minister",
    "chancellor": "chancellor",
    "federal chancellor": "chancellor",
    "head of state": "head_of_state",
    "head of government": "head_of_government",
    "leader": "leader",
    "king": "monarch",
    "queen": "monarch",
    "emir": "monarch",
    "amir": "monarch",
    "sultan": "monarch",
    "emperor": "monarch",
    "monarch": "monarch",
    "crown prince": "crown_prince",
    "supreme leader": "supreme_leader",
    "counterpart": "counterpart",
}
METONYMS = {"kremlin leader": "RUS", "kremlin chief": "RUS"}


class Alias(NamedTuple):
    entity: int
    entity_id: str
    strong: bool


class CountryWord(NamedTuple):
    country: str
    adjective: bool
    """True for "Russian", False for "Russia" ("President of Russia" needs the name)."""


class TopicPhrase(NamedTuple):
    topic: int
    term: str
    exclude: bool


class Entry(NamedTuple):
    """What one pattern stands for, split by layer once at build time."""

    length: int
    aliases: tuple[Alias, ...]
    strong: tuple[str, ...]
    """Ids of the entities this pattern always names (the others need an anchor)."""
    places: tuple[CountryWord, ...]
    role: str | None
    """The office kind of a role word ("president"), or None."""
    metonym: str | None
    """The country of a self-contained role phrase ("Kremlin leader"), or None."""
    terms: tuple[TopicPhrase, ...]


Hit = tuple[int, int, int, Entry]
"""(start, -end, end, entry): sorting plain tuples puts the longest hit first at each start, in C."""


class RolePhrase(NamedTuple):
    """A role word with its country: "Turkish president", "President of the Russian Federation"."""

    start: int
    end: int
    countries: tuple[str, ...]
    kind: str


@dataclass(slots=True)
class Scan:
    """One scanned text (headline or body): the original, its folding and its hits by layer."""

    original: str
    folded: str
    names: list[Hit] = field(default_factory=list)
    """Hits of watched names, sorted by start, longest first."""
    roles: list[Hit] = field(default_factory=list)
    places: list[Hit] = field(default_factory=list)
    """Country names and adjectives (only looked at when a role word was found)."""
    terms: dict[TopicPhrase, list[tuple[int, int]]] = field(default_factory=dict)
    """Each topic phrase found → its spans."""
    excluded: list[tuple[int, int, int]] = field(default_factory=list)
    """(topic, start, end) of each excluded phrase found ("tear gas")."""


class Matcher:
    """The automaton of one watchlist and taxonomy; `scan()` is pure and thread-safe."""

    def __init__(self, watchlist: Watchlist, taxonomy: Taxonomy) -> None:
        patterns = _patterns(watchlist, taxonomy)
        self._entries = list(patterns.values())
        self._automaton = ahocorasick_rs.AhoCorasick(
            list(patterns),
            matchkind=ahocorasick_rs.MatchKind.Standard,  # every match, overlapping ones included
            implementation=ahocorasick_rs.Implementation.DFA,
        )

    def scan(self, text: str) -> Scan:
        """One automaton pass; each hit is filed by layer right away (the hottest loop: keep it lean)."""
        folded = fold(text)
        part = Scan(text, folded)
        names, roles, places, terms, excluded = part.names, part.roles, part.places, part.terms, part.excluded
        entries = self._entries
        hits = self._automaton.find_matches_as_indexes(f" {folded} ", overlapping=True)
        hits.sort(key=_END_START)  # by end, the longest first at each end: the order the layers are filed in
        for pattern, start, end in hits:  # `start` is already in `folded` (the padding shifts by one)
            entry = entries[pattern]
            _, aliases, _, countries, role, metonym, topic_terms = entry
            end -= 2
            if aliases:
                names.append((start, -end, end, entry))
            if countries:
                places.append((start, -end, end, entry))
            if role is not None or metonym is not None:
                roles.append((start, -end, end, entry))
            for term in topic_terms:
                if term.exclude:
                    excluded.append((term.topic, start, end))
                elif (spans := terms.get(term)) is None:
                    terms[term] = [(start, end)]
                else:
                    spans.append((start, end))
        names.sort()
        return part


_END_START = itemgetter(2, 1)
"""(end, start): at one end the earlier start, i.e. the longer pattern, first."""


def _patterns(watchlist: Watchlist, taxonomy: Taxonomy) -> dict[str, Entry]:
    """Each space-padded pattern and what it stands for."""
    aliases: dict[str, list[Alias]] = defaultdict(list)
    for index, entity in enumerate(watchlist.entities):
        weak = {_pattern(n) for n in entity.weak_names()}
        for name in dict.fromkeys((entity.name, *entity.aliases, *entity.surnames)):
            if key := _pattern(name):
                aliases[key].append(Alias(index, entity.id, strong=key not in weak))
    places: dict[str, list[CountryWord]] = defaultdict(list)
    for country in watchlist.countries:
        for name in country.names:
            places[_pattern(name)].append(CountryWord(country.code, adjective=False))
        for adjective in country.adjectives:
            places[_pattern(adjective)].append(CountryWord(country.code, adjective=True))
    terms: dict[str, list[TopicPhrase]] = defaultdict(list)
    for index, topic in enumerate(taxonomy.topics):
        for text in sorted(topic.phrases()):
            terms[_pattern(text)].append(TopicPhrase(index, text, exclude=False))
        for text in topic.exclude:
            terms[_pattern(text)].append(TopicPhrase(index, text, exclude=True))
    roles = {_pattern(word): kind for word, kind in ROLE_WORDS.items()}
    patterns: dict[str, Entry] = {}
    for key in (aliases.keys() | places.keys() | terms.keys() | roles.keys() | METONYMS.keys()) - {""}:
        names = tuple(dict.fromkeys(aliases.get(key, ())))
        entry = Entry(
            len(key) + 2,
            names,
            tuple(dict.fromkeys(a.entity_id for a in names if a.strong)),
            tuple(dict.fromkeys(places.get(key, ()))),
            roles.get(key),
            METONYMS.get(key),
            tuple(dict.fromkeys(terms.get(key, ()))),
        )
        patterns[f" {key} "] = entry
    return patterns


def role_phrases(part: Scan) -> Iterable[RolePhrase]:
    """A role word with a country next to it: "<adjective|name> <word>", "<name>'s <word>",
    "<word> of (the) <name>"; and the self-contained metonyms ("Kremlin leader")."""
    if not part.roles:
        return
    by_start: dict[int, Hit] = {}
    by_end: dict[int, Hit] = {}
    for hit in part.places:  # the longest country name or adjective starting / ending at each offset
        if hit[0] not in by_start or by_start[hit[0]][2] < hit[2]:
            by_start[hit[0]] = hit
        if hit[2] not in by_end or by_end[hit[2]][0] > hit[0]:
            by_end[hit[2]] = hit
    folded = part.folded
    for start, _, end, entry in part.roles:
        if entry.metonym is not None:
            yield RolePhrase(start, end, (entry.metonym,), "leader")
        kind = entry.role
        if kind is None:
            continue
        before = by_end.get(start - 1)
        if before is None and folded[start - 3 : start] == " s ":
            before = by_end.get(start - 3)
            if before is not None and all(p.adjective for p in before[3].places):
                before = None
        if before is not None:
            yield RolePhrase(before[0], end, _countries(before, adjective=None), kind)
            continue
        if kind == "counterpart":
            continue
        for gap in (" of the ", " of "):
            if folded.startswith(gap, end) and (after := by_start.get(end + len(gap))) is not None:
                if countries := _countries(after, adjective=False):
                    yield RolePhrase(start, after[2], countries, kind)
                break


def _countries(hit: Hit, *, adjective: bool | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.country for p in hit[3].places if adjective is None or p.adjective == adjective))


def _pattern(text: str) -> str:
    return " ".join(fold(text).split())
