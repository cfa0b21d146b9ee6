"""Entity and topic tagging: who and what one article is about, resolved at its date.

One scan (streams.matcher) finds every watched name, country word, role word and topic phrase.
Names are then resolved in three layers: full names are always mentions; role phrases ("the Russian
president", "President of Türkiye", "the Kremlin leader") resolve to whoever holds the office on
the article's date; surnames ("Putin") count only when the article anchors them with a full
name, a resolved role, or a title just before them ("President Putin"). "His Turkish
counterpart" resolves through the person who is the subject of the same sentence. Topics are
scored from the phrases found (streams.topics), headline phrases counting twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import NamedTuple

from streams.matcher import ROLE_WORDS, Hit, Matcher, RolePhrase, Scan, role_phrases
from streams.topics import Taxonomy, TopicHit, score_topic
from streams.watchlist import Entity, OfficeIndex, Watchlist

__all__ = ["EntityHit", "Mention", "Tagger", "Tagging", "TopicHit"]

# Words that make a role phrase name someone other than the holder on the article's date.
_NOT_THE_HOLDER = frozenset({"former", "ex", "late", "then", "future", "next", "previous", "deputy", "vice"})
_NOT_A_PERSON = ("office of the", "office of", "administration of the")  # "Office of the President of Ukraine"
_AFTER_NOT_THE_HOLDER = frozenset({"elect", "designate", "nominee", "candidate"})
# Titles that anchor a surname right after them ("President Erdoğan"), as office kinds.
_TITLES = {
    **{
        w: k for w, k in ROLE_WORDS.items() if k not in ("leader", "counterpart", "head_of_state", "head_of_government")
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
_MAX_REMEMBERED = 100_000
"""Office holders remembered per (country, office, day) before the memo starts afresh."""
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s|\n")
_WORDS_PER_CHAR_BOUND = 40
"""No word is longer than this: a gap of more characters than this times N holds more than N words."""


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
    folded: str | None = None
    """The body as `streams.text.fold` gives it (the detector reuses it rather than folding again)."""


@dataclass(slots=True)
class _Part:
    """The headline or the body while it is being resolved: its scan and the mentions so far."""

    scan: Scan
    mentions: list[Mention] = field(default_factory=list)
    weak: list[Hit] = field(default_factory=list)
    counterparts: list[RolePhrase] = field(default_factory=list)


class Tagger:
    """Built once per watchlist + taxonomy version; `tag()` is then pure and thread-safe."""

    def __init__(self, watchlist: Watchlist, taxonomy: Taxonomy) -> None:
        self.watchlist = watchlist
        self.taxonomy = taxonomy
        self._entities = watchlist.entities
        self._offices = OfficeIndex(watchlist)
        self._leader_role = {c.code: c.leader for c in watchlist.countries}
        self._matcher = Matcher(watchlist, taxonomy)
        self._holders: dict[tuple[str, str, date], int | None] = {}

    def tag(self, headline: str, text: str, *, day: date) -> Tagging:
        """Entities (resolved at `day`) and topics of one article."""
        head, body = _Part(self._matcher.scan(headline)), _Part(self._matcher.scan(text))
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
            folded=body.scan.folded,
        )

    def _resolve_names(self, part: _Part, day: date) -> None:
        """Full names and role phrases; surnames and counterparts wait for the anchors."""
        last_end = -1
        new, append = tuple.__new__, part.mentions.append  # Mention(...) without NamedTuple.__new__: hot loop
        for hit in part.scan.names:  # longest first at each start: drop names inside a longer name
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
        for phrase in sorted(role_phrases(part.scan), key=lambda p: (p.start, -p.end)):
            if phrase.end <= last_end:  # "Federal Chancellor of Germany" is not also "Chancellor of Germany"
                continue
            last_end = phrase.end
            if _names_someone_else(part.scan.folded, phrase.start, phrase.end):
                continue
            if phrase.kind == "counterpart":
                part.counterparts.append(phrase)
                continue
            holders = {h for country in phrase.countries if (h := self._holder(country, phrase.kind, day)) is not None}
            if len(holders) == 1:
                part.mentions.append(_mention(self._entities[holders.pop()].id, phrase.start, phrase.end, "role"))

    def _holder(self, country: str, kind: str, day: date) -> int | None:
        """The one holder of the office on `day` (remembered: a few offices, a few days, many articles)."""
        key = (country, kind, day)
        if key in self._holders:
            return self._holders[key]
        if len(self._holders) >= _MAX_REMEMBERED:
            self._holders.clear()
        holder = self._holders[key] = self._find_holder(country, kind, day)
        return holder

    def _find_holder(self, country: str, kind: str, day: date) -> int | None:
        if kind == "leader":
            kind = self._leader_role.get(country, "head_of_state")
        holders = self._offices.holders(country, kind, day)
        return holders[0] if len(holders) == 1 else None  # two at once (a handover, a collective office): ambiguous

    def _resolve_weak(self, part: _Part, day: date, anchors: set[str]) -> None:
        """A surname counts when its person is anchored in the article or titled right before it."""
        counts: dict[str, int] | None = None
        for start, _, end, entry in part.weak:
            options = [a.entity for a in entry.aliases if a.entity_id in anchors]
            if not options:
                options = self._titled(part.scan.folded, start, [a.entity for a in entry.aliases], day)
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

    def _resolve_counterparts(self, part: _Part, day: date) -> None:
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

    def _sentence_subject(self, part: _Part, position: int) -> Entity | None:
        """The nearest person mentioned before `position` in the same sentence."""
        before = [m for m in part.mentions if m.end <= position and self._entity(m.entity_id).type == "person"]
        if not before:
            return None
        nearest = max(before, key=lambda m: m.end)
        if _SENTENCE_END.search(part.scan.original, nearest.end, position):
            return None
        return self._entity(nearest.entity_id)

    def _merge_role_with_name(self, part: _Part) -> list[Mention]:
        """ "Russian President Vladimir Putin" (or "Erdoğan, Turkish President") is one mention.
        "Russian President Dmitry Medvedev" names someone else, so the role phrase is dropped, as
        when an unknown name follows it. Only the few role mentions are looked at."""
        mentions = sorted(part.mentions, key=_START)  # stable: at one start, names come before roles
        roles = [i for i, m in enumerate(mentions) if m.via == "role"]
        if not roles:
            return mentions
        starts = {m.start: m for m in reversed(mentions)}  # the first mention starting at each offset
        drop: set[int] = set()
        for i in roles:
            role = mentions[i]
            if self._apposition_names_another(role, starts, part.scan.original):
                drop.add(i)
                continue
            after = next((j for j in range(i + 1, len(mentions)) if mentions[j].start > role.end + 2), len(mentions))
            name = next((j for j in range(i + 1, after) if _same_person_next_to(role, mentions[j])), None)
            if name is None:
                name = next(
                    (j for j in range(i - 1, max(-1, i - 4), -1) if _same_person_next_to(mentions[j], role)), None
                )
            if name is not None and name not in drop:
                first, last = (role, mentions[name]) if name > i else (mentions[name], role)
                mentions[min(i, name)] = _mention(role.entity_id, first.start, last.end, "name")
                drop.add(max(i, name))
        return [m for k, m in enumerate(mentions) if k not in drop]

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
        # Most mentioned first; ties by the first mention (headline before body), then id — never by set
        # order, which follows the process's hash seed and so differed between workers.
        ids = sorted(
            by_id.keys() | in_headline.keys(),
            key=lambda i: (
                -(len(by_id.get(i, ())) + in_headline[i]),
                not in_headline[i],
                min((m.start for m in by_id.get(i, ())), default=-1),
                i,
            ),
        )
        return tuple(EntityHit(self._entity(i), tuple(by_id.get(i, ())), in_headline[i]) for i in ids)

    def _topic_hits(self, head: _Part, body: _Part) -> tuple[TopicHit, ...]:
        """Headline terms count twice. Headline spans move to negative offsets, before the body's."""
        found: dict[int, dict[str, list[tuple[int, int]]]] = {}
        shift = len(head.scan.folded) + 1
        for part, offset, copies in ((head, -shift, 2), (body, 0, 1)):
            excluded = part.scan.excluded
            masked = {topic for topic, _, _ in excluded}  # topics with an excluded phrase found ("tear gas")
            for (topic, phrase, _), spans in part.scan.terms.items():
                if topic in masked:
                    spans = _outside(spans, topic, excluded)
                if offset:
                    spans = [(start + offset, end + offset) for start, end in spans] * copies
                found.setdefault(topic, {}).setdefault(phrase, []).extend(spans)

        def words_between(a: tuple[int, int], b: tuple[int, int], limit: int) -> int:
            """Proximity stops at the end of a sentence, and the headline is not near the body."""
            if a[1] <= 0 <= b[0] or b[0] - a[1] > (limit + 1) * _WORDS_PER_CHAR_BOUND:
                return limit + 1
            part, offset = (head, -shift) if b[0] < 0 else (body, 0)
            words = len(part.scan.folded[a[1] - offset : b[0] - offset].split())
            if words <= limit and _SENTENCE_END.search(part.scan.original, a[1] - offset, b[0] - offset):
                return limit + 1
            return words

        hits = [score_topic(self.taxonomy.topics[i], terms, words_between) for i, terms in found.items()]
        return tuple(sorted((h for h in hits if h is not None), key=lambda h: -h.score))


def _same_person_next_to(first: Mention, second: Mention) -> bool:
    """`second` names the same entity as `first`, right after it (a space, ", " or ": " between)."""
    return first.entity_id == second.entity_id and 0 <= second.start - first.end <= 2


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
