"""Entity and topic tagging in one Aho-Corasick pass over folded, space-padded text.

Padding both the text and every pattern with spaces makes the automaton enforce word
boundaries itself (PERF-NOTES: no per-match Python boundary checks). Folding (streams.text.fold)
is length-preserving, so offsets in the folded text are offsets in the article.

Names are resolved in three layers: full names are always mentions; role phrases ("the Russian
president", "President of Türkiye", "the Kremlin leader") resolve to whoever holds the office on
the article's date; surnames ("Putin") count only when the article anchors them with a full
name, a resolved role, or a title just before them ("President Putin"). "His Turkish
counterpart" resolves through the person who is the subject of the same sentence. Role phrases
are assembled from two kinds of hits, a role word and a country name or adjective next to it,
which keeps the automaton small (a few thousand patterns instead of every phrase spelt out).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import NamedTuple

import ahocorasick

from streams.text import fold
from streams.topics import Taxonomy, TopicHit, score_topic
from streams.watchlist import Entity, OfficeIndex, Watchlist

__all__ = ["EntityHit", "Mention", "Tagger", "Tagging", "TopicHit"]

# Role words after a country adjective or name ("Turkish president", "Russia's leader") or before
# "of (the) <country>" ("King of Jordan"), as office kinds (streams.watchlist.office_kinds).
_ROLE_WORDS = {
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
_METONYMS = {"kremlin leader": "RUS", "kremlin chief": "RUS"}
# Words that make a role phrase name someone other than the holder on the article's date.
_NOT_THE_HOLDER = frozenset({"former", "ex", "late", "then", "future", "next", "previous", "deputy", "vice"})
_NOT_A_PERSON = ("office of the", "office of", "administration of the")  # "Office of the President of Ukraine"
_AFTER_NOT_THE_HOLDER = frozenset({"elect", "designate", "nominee", "candidate"})
# Titles that anchor a surname right after them ("President Erdoğan"), as office kinds.
_TITLES = {
    **{
        w: k
        for w, k in _ROLE_WORDS.items()
        if k not in ("leader", "counterpart", "head_of_state", "head_of_government")
    },
    "pope": "pope",
    "ayatollah": "supreme_leader",
    "minister": "minister",
    "foreign minister": "minister",
    "defence minister": "minister",
    "defense minister": "minister",
    "energy minister": "minister",
    "spokesman": "spokesperson",
    "spokeswoman": "spokesperson",
    "spokesperson": "spokesperson",
    "secretary general": "secretary_general",
}
_NAME_RUN = re.compile(r"[ \t]*([A-ZÀ-ÖØ-ÞА-ЯЁ][a-zà-öø-ÿа-яё'’-]+)(?:[ \t]+[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'’.-]*){0,2}")
"""Capitalised words right after a role phrase: a name in apposition ("Russian President Dmitry Medvedev")."""
_NOT_A_NAME = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July "
    "August September October November December And Of The In On At To For With As After Before By From "
    "Said Says Told Has Had Was Is Will Would Also".split()
)
_START = itemgetter(1)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s|\n")
_WORDS_PER_CHAR_BOUND = 40
"""No word is longer than this: a gap of more characters than this times N holds more than N words."""


class _Alias(NamedTuple):
    entity: int
    entity_id: str
    strong: bool


class _Place(NamedTuple):
    country: str
    adjective: bool
    """True for "Russian", False for "Russia" ("President of Russia" needs the name)."""


class _Term(NamedTuple):
    topic: int
    term: str
    exclude: bool


class _Entry(NamedTuple):
    """What one pattern stands for, split by layer once at build time."""

    length: int
    aliases: tuple[_Alias, ...]
    strong: tuple[str, ...]
    """Ids of the entities this pattern always names (the others need an anchor)."""
    places: tuple[_Place, ...]
    role: str | None
    """The office kind of a role word ("president"), or None."""
    metonym: str | None
    """The country of a self-contained role phrase ("Kremlin leader"), or None."""
    terms: tuple[_Term, ...]


_Hit = tuple[int, int, int, _Entry]
"""(start, -end, end, entry): sorting plain tuples puts the longest hit first at each start, in C."""


class Mention(NamedTuple):
    entity_id: str
    start: int
    end: int
    via: str
    """name | surname | role: how the mention was recognised."""


def _mention(entity_id: str, start: int, end: int, via: str) -> Mention:
    """`Mention(...)` without the Python-level `__new__` of a NamedTuple (3x cheaper, many per article)."""
    return tuple.__new__(Mention, (entity_id, start, end, via))


@dataclass(frozen=True, slots=True)
class EntityHit:
    entity: Entity
    mentions: tuple[Mention, ...]
    in_headline: int


@dataclass(frozen=True, slots=True)
class Tagging:
    entities: tuple[EntityHit, ...]
    topics: tuple[TopicHit, ...]
    mentions: tuple[Mention, ...] = field(default=())
    """Body mentions in text order (the detector reads them by sentence)."""


class _RolePhrase(NamedTuple):
    start: int
    end: int
    countries: tuple[str, ...]
    kind: str


@dataclass(slots=True)
class _Text:
    """One scanned text (headline or body): the original, its folding and its hits by layer."""

    original: str
    folded: str
    names: list[_Hit] = field(default_factory=list)
    """Hits of watched names, sorted by start, longest first."""
    roles: list[_Hit] = field(default_factory=list)
    places: list[_Hit] = field(default_factory=list)
    """Country names and adjectives (only looked at when a role word was found)."""
    terms: dict[_Term, list[tuple[int, int]]] = field(default_factory=dict)
    """Each topic phrase found → its spans."""
    excluded: list[tuple[int, int, int]] = field(default_factory=list)
    """(topic, start, end) of each excluded phrase found ("tear gas")."""
    mentions: list[Mention] = field(default_factory=list)
    weak: list[_Hit] = field(default_factory=list)
    counterparts: list[_RolePhrase] = field(default_factory=list)


class Tagger:
    """Built once per watchlist + taxonomy version; `tag()` is then pure and thread-safe."""

    def __init__(self, watchlist: Watchlist, taxonomy: Taxonomy) -> None:
        self.watchlist = watchlist
        self.taxonomy = taxonomy
        self._entities = watchlist.entities
        self._offices = OfficeIndex(watchlist)
        self._leader_role = {c.code: c.leader for c in watchlist.countries}
        self._automaton = _build_automaton(watchlist, taxonomy)

    def tag(self, headline: str, text: str, *, day: date) -> Tagging:
        """Entities (resolved at `day`) and topics of one article."""
        head, body = self._scan(headline), self._scan(text)
        for part in (head, body):
            self._resolve_names(part, day)
        anchors = {m.entity_id for part in (head, body) for m in part.mentions}
        for part in (head, body):
            self._resolve_weak(part, day, anchors)
            self._resolve_counterparts(part, day)
            part.mentions = self._merge_role_with_name(part)
        return Tagging(
            entities=self._entity_hits(body.mentions, head.mentions),
            topics=self._topic_hits(head, body),
            mentions=tuple(body.mentions),
        )

    def _scan(self, text: str) -> _Text:
        """One automaton pass; each hit is filed by layer right away (the hottest loop: keep it lean)."""
        folded = fold(text)
        part = _Text(text, folded)
        names, roles, places, terms, excluded = part.names, part.roles, part.places, part.terms, part.excluded
        for last, entry in self._automaton.iter(f" {folded} "):
            length, aliases, _, countries, role, metonym, topic_terms = entry
            start, end = last - length + 1, last - 1  # offsets in `folded` (the padding shifts by one)
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

    def _resolve_names(self, part: _Text, day: date) -> None:
        """Full names and role phrases; surnames and counterparts wait for the anchors."""
        last_end = -1
        new, append = tuple.__new__, part.mentions.append  # Mention(...) without NamedTuple.__new__: hot loop
        for hit in part.names:  # longest first at each start: drop names inside a longer name
            start, _, end, entry = hit
            if end <= last_end:
                continue
            last_end = end
            if entry.strong:
                for entity_id in entry.strong:
                    append(new(Mention, (entity_id, start, end, "name")))
            else:
                part.weak.append(hit)
        last_end = -1
        for phrase in sorted(_role_phrases(part), key=lambda p: (p.start, -p.end)):
            if phrase.end <= last_end:  # "Federal Chancellor of Germany" is not also "Chancellor of Germany"
                continue
            last_end = phrase.end
            if _names_someone_else(part.folded, phrase.start, phrase.end):
                continue
            if phrase.kind == "counterpart":
                part.counterparts.append(phrase)
                continue
            holders = {h for country in phrase.countries if (h := self._holder(country, phrase.kind, day)) is not None}
            if len(holders) == 1:
                part.mentions.append(_mention(self._entities[holders.pop()].id, phrase.start, phrase.end, "role"))

    def _holder(self, country: str, kind: str, day: date) -> int | None:
        if kind == "leader":
            kind = self._leader_role.get(country, "head_of_state")
        holders = self._offices.holders(country, kind, day)
        return holders[0] if len(holders) == 1 else None  # two at once (a handover, a collective office): ambiguous

    def _resolve_weak(self, part: _Text, day: date, anchors: set[str]) -> None:
        """A surname counts when its person is anchored in the article or titled right before it."""
        counts: dict[str, int] | None = None
        for start, _, end, entry in part.weak:
            options = [a.entity for a in entry.aliases if a.entity_id in anchors]
            if not options:
                options = self._titled(part.folded, start, [a.entity for a in entry.aliases], day)
            if len(options) > 1:  # a surname shared by two anchored people: the more mentioned one
                if counts is None:
                    counts = defaultdict(int)
                    for mention in part.mentions:
                        counts[mention.entity_id] += 1
                options = [max(options, key=lambda i: counts[self._entities[i].id])]
            if options:
                part.mentions.append(_mention(self._entities[options[0]].id, start, end, "surname"))

    def _titled(self, folded: str, start: int, candidates: list[int], day: date) -> list[int]:
        """Candidates whose office on `day` matches a title just before the surname."""
        words = folded[max(0, start - 40) : start].split()[-3:]
        for size in (2, 1):
            kind = _TITLES.get(" ".join(words[-size:])) if len(words) >= size else None
            if kind is not None:
                former = len(words) > size and words[-size - 1] in ("former", "ex")
                return [i for i in candidates if self._offices.holds_kind(self._entities[i], kind, day, former=former)]
        return []

    def _resolve_counterparts(self, part: _Text, day: date) -> None:
        """ "his Turkish counterpart": the same office as the sentence's subject, in that country."""
        for phrase in part.counterparts:
            anchor = self._sentence_subject(part, phrase.start)
            if anchor is None:
                continue
            holders: set[int] = set()
            for country in phrase.countries:
                kinds = self._offices.counterpart_kinds(anchor, day, self._leader_role.get(country, "head_of_state"))
                holders.update(h for kind in kinds for h in self._offices.holders(country, kind, day))
            if len(holders) == 1:
                part.mentions.append(_mention(self._entities[holders.pop()].id, phrase.start, phrase.end, "role"))

    def _sentence_subject(self, part: _Text, position: int) -> Entity | None:
        """The nearest person mentioned before `position` in the same sentence."""
        before = [m for m in part.mentions if m.end <= position and self._entity(m.entity_id).type == "person"]
        if not before:
            return None
        nearest = max(before, key=lambda m: m.end)
        if _SENTENCE_END.search(part.original, nearest.end, position):
            return None
        return self._entity(nearest.entity_id)

    def _merge_role_with_name(self, part: _Text) -> list[Mention]:
        """ "Russian President Vladimir Putin" is one mention. "Russian President Dmitry Medvedev"
        names someone else, so the role phrase is dropped, as when an unknown name follows it."""
        mentions = sorted(part.mentions, key=_START)  # stable: at one start, names come before roles
        if not any(m.via == "role" for m in mentions):
            return mentions
        starts = {m.start: m for m in reversed(mentions)}  # the first mention starting at each offset
        merged: list[Mention] = []
        latest: dict[str, int] = {}  # entity id → its last position in `merged`
        for mention in mentions:
            if mention.via == "role" and self._apposition_names_another(mention, starts, part.original):
                continue
            same = latest.get(mention.entity_id)
            last = merged[same] if same is not None else None
            if same is not None and last and 0 <= mention.start - last.end <= 2 and "role" in (last.via, mention.via):
                merged[same] = _mention(last.entity_id, last.start, mention.end, "name")
            else:
                latest[mention.entity_id] = len(merged)
                merged.append(mention)
        return merged

    def _apposition_names_another(self, role: Mention, starts: dict[int, Mention], text: str) -> bool:
        following = starts.get(role.end + 1) or starts.get(role.end + 2)
        if following is not None:
            return following.entity_id != role.entity_id and self._entity(following.entity_id).type == "person"
        names = _NAME_RUN.match(text, role.end)
        if names is None or names.group(1) in _NOT_A_NAME:
            return False
        # "US President Joseph Biden": the run of capitalised words holds the holder's surname
        same = (starts.get(p) for p in range(role.end + 1, names.end() + 1))
        return not any(m is not None and m.entity_id == role.entity_id for m in same)

    def _entity(self, entity_id: str) -> Entity:
        return self._offices.entity(entity_id)

    def _entity_hits(self, body: list[Mention], headline: list[Mention]) -> tuple[EntityHit, ...]:
        by_id: dict[str, list[Mention]] = defaultdict(list)
        for mention in body:
            by_id[mention.entity_id].append(mention)
        in_headline: dict[str, int] = defaultdict(int)
        for mention in headline:
            in_headline[mention.entity_id] += 1
        ids = sorted(by_id.keys() | in_headline.keys(), key=lambda i: -(len(by_id.get(i, ())) + in_headline[i]))
        return tuple(EntityHit(self._entity(i), tuple(by_id.get(i, ())), in_headline[i]) for i in ids)

    def _topic_hits(self, head: _Text, body: _Text) -> tuple[TopicHit, ...]:
        """Headline terms count twice. Headline spans move to negative offsets, before the body's."""
        found: dict[int, dict[str, list[tuple[int, int]]]] = {}
        shift = len(head.folded) + 1
        for part, offset, copies in ((head, -shift, 2), (body, 0, 1)):
            for term, spans in part.terms.items():
                if part.excluded:
                    spans = _outside(spans, term.topic, part.excluded)
                if offset:
                    spans = [(start + offset, end + offset) for start, end in spans] * copies
                found.setdefault(term.topic, {}).setdefault(term.term, []).extend(spans)

        def words_between(a: tuple[int, int], b: tuple[int, int], limit: int) -> int:
            """Proximity stops at the end of a sentence, and the headline is not near the body."""
            if a[1] <= 0 <= b[0] or b[0] - a[1] > (limit + 1) * _WORDS_PER_CHAR_BOUND:
                return limit + 1
            part, offset = (head, -shift) if b[0] < 0 else (body, 0)
            words = len(part.folded[a[1] - offset : b[0] - offset].split())
            if words <= limit and _SENTENCE_END.search(part.original, a[1] - offset, b[0] - offset):
                return limit + 1
            return words

        hits = [score_topic(self.taxonomy.topics[i], terms, words_between) for i, terms in found.items()]
        return tuple(sorted((h for h in hits if h is not None), key=lambda h: -h.score))


def _build_automaton(watchlist: Watchlist, taxonomy: Taxonomy) -> ahocorasick.Automaton:
    aliases: dict[str, list[_Alias]] = defaultdict(list)
    for index, entity in enumerate(watchlist.entities):
        weak = {_pattern(n) for n in entity.weak_names()}
        for name in dict.fromkeys((entity.name, *entity.aliases, *entity.surnames)):
            if key := _pattern(name):
                aliases[key].append(_Alias(index, entity.id, strong=key not in weak))
    places: dict[str, list[_Place]] = defaultdict(list)
    for country in watchlist.countries:
        for name in country.names:
            places[_pattern(name)].append(_Place(country.code, adjective=False))
        for adjective in country.adjectives:
            places[_pattern(adjective)].append(_Place(country.code, adjective=True))
    terms: dict[str, list[_Term]] = defaultdict(list)
    for index, topic in enumerate(taxonomy.topics):
        for text in sorted(topic.phrases()):
            terms[_pattern(text)].append(_Term(index, text, exclude=False))
        for text in topic.exclude:
            terms[_pattern(text)].append(_Term(index, text, exclude=True))
    roles = {_pattern(word): kind for word, kind in _ROLE_WORDS.items()}
    automaton = ahocorasick.Automaton()
    for key in (aliases.keys() | places.keys() | terms.keys() | roles.keys() | _METONYMS.keys()) - {""}:
        names = tuple(dict.fromkeys(aliases.get(key, ())))
        entry = _Entry(
            len(key) + 2,
            names,
            tuple(dict.fromkeys(a.entity_id for a in names if a.strong)),
            tuple(dict.fromkeys(places.get(key, ()))),
            roles.get(key),
            _METONYMS.get(key),
            tuple(dict.fromkeys(terms.get(key, ()))),
        )
        automaton.add_word(f" {key} ", entry)
    automaton.make_automaton()
    return automaton


def _role_phrases(part: _Text) -> Iterable[_RolePhrase]:
    """A role word with a country next to it: "<adjective|name> <word>", "<name>'s <word>",
    "<word> of (the) <name>"; and the self-contained metonyms ("Kremlin leader")."""
    if not part.roles:
        return
    by_start: dict[int, _Hit] = {}
    by_end: dict[int, _Hit] = {}
    for hit in part.places:  # the longest country name or adjective starting / ending at each offset
        if hit[0] not in by_start or by_start[hit[0]][2] < hit[2]:
            by_start[hit[0]] = hit
        if hit[2] not in by_end or by_end[hit[2]][0] > hit[0]:
            by_end[hit[2]] = hit
    folded = part.folded
    for start, _, end, entry in part.roles:
        if entry.metonym is not None:
            yield _RolePhrase(start, end, (entry.metonym,), "leader")
        kind = entry.role
        if kind is None:
            continue
        before = by_end.get(start - 1)
        if before is None and folded[start - 3 : start] == " s ":
            before = by_end.get(start - 3)
            if before is not None and all(p.adjective for p in before[3].places):
                before = None
        if before is not None:
            yield _RolePhrase(before[0], end, _countries(before, adjective=None), kind)
            continue
        if kind == "counterpart":
            continue
        for gap in (" of the ", " of "):
            if folded.startswith(gap, end) and (after := by_start.get(end + len(gap))) is not None:
                if countries := _countries(after, adjective=False):
                    yield _RolePhrase(start, after[2], countries, kind)
                break


def _countries(hit: _Hit, *, adjective: bool | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.country for p in hit[3].places if adjective is None or p.adjective == adjective))


def _names_someone_else(folded: str, start: int, end: int) -> bool:
    """ "former Ukrainian President", "Deputy Prime Minister of Ukraine", "Office of the President
    of Ukraine", "President-elect": the phrase does not refer to the holder on that date."""
    before = folded[max(0, start - 40) : start].split()
    after = folded[end : end + 20].split()[:1]
    if set(before[-2:]) & _NOT_THE_HOLDER or set(after) & _AFTER_NOT_THE_HOLDER:
        return True
    return " ".join(before[-3:]).endswith(_NOT_A_PERSON)


def _outside(spans: list[tuple[int, int]], topic: int, excluded: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """The spans not inside one of the topic's excluded phrases ("gas" in "tear gas")."""
    return [(s, e) for s, e in spans if not any(t == topic and xs <= s and e <= xe for t, xs, xe in excluded)]


def _pattern(text: str) -> str:
    return " ".join(fold(text).split())
