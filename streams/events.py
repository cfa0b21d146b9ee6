"""Meeting events (GDELT CAMEO 04x): two or more watched leaders held, or plan, talks.

Co-occurrence is not enough: a sentence is evidence only when a trigger ("met", "held talks",
"a telephone conversation with", "told", "talks between", "during their meeting") *connects*
leaders in office on the article's date — as its subject, its object, or the people a
"during the talks" adjunct, "the two leaders" or a first-person speaker refers to. Leaders named
as a topic ("told Y about Z"), as someone's principal ("adviser to the President of France"),
or behind a clause barrier ("Putin told reporters that Macron …") are not participants; nor are
two leaders of one country (a president with his own prime minister). Modality in the trigger's
clause decides held / planned / nothing ("might meet" is a rumour, "will meet" a plan, "did not
meet" nothing). A meeting dated before the article ("his previous talks", "on 7 December") is
not the news and is dropped, so an old meeting cannot fire a second alert.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from streams import event_lexicon as lex
from streams.tagger import Mention
from streams.text import fold
from streams.watchlist import Entity

__all__ = ["MeetingEvent", "Span", "detect_meetings", "first_person_speaker"]

_TOKEN = re.compile(r"\w+|[^\w\s]")
_COREF = re.compile(r"\b(?:" + "|".join(r"\s+".join(g) for g in lex.COREF_GROUPS) + r")\b")
_FIRST_PERSON = re.compile(r"\b(?:i|we)\b")
_LABEL = re.compile(r"(?:\s*(?:[A-Z][\w-]*|of|the))*\s*(?:\(retranslated\)\s*)?:")
_OTHER_LABEL = re.compile(r"\b(?:Question|Remark|Reply|Response|Answer|Moderator)\s*(?:\(retranslated\)\s*)?:")
_SPEECH_HEADLINE = re.compile(r"\b(?:address|speech|remarks|statement|interview|op-ed|article by)\b", re.I)
_MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november december".split(), start=1
    )
}
_MAX_GAP = 14  # tokens between a participant and its trigger ("with President of the Argentine Republic")
_MODAL_WINDOW = 6
_HONORIFICS = frozenset("mr mrs ms dr madam mister sir his her excellency".split())
_SKIP = frozenset("the a an his her their its this today s ' ’ also".split())
_OBJECT_GLUE = frozenset("with the a an his her their and in at on today yesterday also , . - by phone telephone".split())
_TITLE_GLUE = frozenset("of the ' ’ s -".split())
_DATE_STOP = frozenset("ahead before after since until marked anniversary day eve , ; :".split())
_WHOLE_CLAUSE_MODALS = lex.FUTURE | lex.NEGATION | frozenset("might may could would".split())
_PLURAL_NOUNS = frozenset(("meetings", "conversations", "calls"))
_PARTAKING = frozenset("part participated participate participates participating participation".split())
_PARTICIPATION = frozenset("attending attended taking participating took present".split())


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    start: int
    end: int
    kind: str
    """sentence | participant | trigger."""


@dataclass(frozen=True, slots=True)
class MeetingEvent:
    status: str
    """held | planned."""
    mode: str
    """in_person | phone | video | unspecified."""
    participants: tuple[str, ...]
    evidence: tuple[Span, ...]
    reference: bool = False
    """Held, but only referred to ("the recent talks", "yesterday", "I told him"), not reported as
    news: it may corroborate an alert for the same meeting, never start one."""

    @property
    def sentences(self) -> tuple[Span, ...]:
        return tuple(s for s in self.evidence if s.kind == "sentence")


class _Tok(NamedTuple):
    start: int
    end: int
    word: str
    """Folded word or punctuation; "" for an entity mention."""
    entity: str | None
    leader: bool
    """A participant candidate: a leader on the day, not someone's adviser, spouse or namesake."""
    person: bool
    """A watched person (leader or not)."""
    speaker: str | None = None
    """Who "I" and "we" are at this token (a transcript label or the article's speaker)."""
    cap: bool = False
    """The word has a capital letter (a name or a title; "ofLuxembourg" is a scraping glitch)."""


class _Sighting(NamedTuple):
    participants: tuple[str, ...]
    status: str
    """held | planned | earlier | reference."""
    mode: str
    strong: bool
    """From a trigger with its own arguments (not an adjunct or a coreference)."""
    spans: tuple[Span, ...]


@dataclass(slots=True)
class _Discourse:
    """What earlier sentences tell a later one."""

    day: date
    context: tuple[str, ...] = ()
    """The participants of the meeting described last ("the two leaders", "their talks")."""
    speaker: str | None = None
    """Who "I" is: the speaker of an address, or the last transcript label ("Vladimir Putin: …")."""
    actor: str | None = None
    """The first leader of the previous sentence ("X held a meeting. Taking part were …")."""


def first_person_speaker(headline: str, headline_leaders: Sequence[str]) -> str | None:
    """The leader an address, speech or interview is by, when its headline names exactly one."""
    unique = set(headline_leaders)
    return next(iter(unique)) if len(unique) == 1 and _SPEECH_HEADLINE.search(headline) else None


def detect_meetings(
    text: str,
    sentences: Sequence[tuple[int, int]],
    mentions: Sequence[Mention],
    entities: Mapping[str, Entity],
    *,
    day: date,
    speaker: str | None = None,
) -> tuple[MeetingEvent, ...]:
    """Meetings between leaders in office on `day`, one event per participant set.

    `speaker`: the leader whose first-person text this is (see `first_person_speaker`)."""
    folded = fold(text)
    mentions = _resolve_counterparts(folded, mentions, entities, day)
    discourse = _Discourse(day, speaker=speaker)
    sightings: list[_Sighting] = []
    position = 0
    for start, end in sentences:
        in_sentence: list[Mention] = []
        while position < len(mentions) and mentions[position].start < end:
            if mentions[position].start >= start:
                in_sentence.append(mentions[position])
            position += 1
        labels = _labels(text, (start, end), in_sentence, entities, day)
        leaders = {m.entity_id for m in in_sentence if entities[m.entity_id].is_leader_on(day)}
        first_person = bool(leaders) and _FIRST_PERSON.search(folded, start, end) is not None
        if len(leaders) >= 2 or _COREF.search(folded, start, end) or first_person:
            tokens = _tokens(text, folded, (start, end), in_sentence, entities, discourse, labels)
            found = [
                s
                for s in _sentence_sightings(text, tokens, (start, end), discourse)
                if _countries(s.participants, entities, day) >= 2
            ]
            sightings.extend(found)
            if found:
                discourse.context = found[0].participants
        if labels:
            discourse.speaker = labels[-1][1]
        discourse.actor = next((m.entity_id for m in in_sentence if entities[m.entity_id].is_leader_on(day)), None)
    return _events(sightings)


def _resolve_counterparts(
    folded: str, mentions: Sequence[Mention], entities: Mapping[str, Entity], day: date
) -> Sequence[Mention]:
    """ "his Polish counterpart", "the leader of Poland": the Polish leader the article names, when the
    tagger's default office for the country (Poland: the prime minister) is not the one named."""
    named: dict[str, set[str]] = {}
    for mention in mentions:
        if mention.via == "name":
            for office in entities[mention.entity_id].leader_offices_on(day):
                named.setdefault(str(office.country), set()).add(mention.entity_id)
    resolved: list[Mention] = []
    for mention in mentions:
        words = folded[mention.start : mention.end].split()
        countries = {str(o.country) for o in entities[mention.entity_id].leader_offices_on(day)}
        candidates = {e for c in countries for e in named.get(c, set())}
        if mention.via == "role" and words[-1:] in (["counterpart"], ["leader"]) and len(candidates) == 1:
            mention = mention._replace(entity_id=next(iter(candidates)))
        resolved.append(mention)
    return resolved


def _labels(
    text: str, sentence: tuple[int, int], mentions: Iterable[Mention], entities: Mapping[str, Entity], day: date
) -> list[tuple[int, str | None]]:
    """Transcript speaker labels in a sentence: (offset, the leader speaking, or None for anyone else)."""
    found: list[tuple[int, str | None]] = [(m.end(), None) for m in _OTHER_LABEL.finditer(text, *sentence)]
    for mention in mentions:
        if label := _LABEL.match(text, mention.end):
            entity = entities[mention.entity_id]
            found.append((label.end(), entity.id if entity.is_leader_on(day) else None))
    return sorted(found, key=lambda label: label[0])


def _countries(participants: tuple[str, ...], entities: Mapping[str, Entity], day: date) -> int:
    """How many countries the participants lead: a president with his own prime minister is not talks."""
    return len({o.country for p in participants for o in entities[p].leader_offices_on(day)})


def _tokens(
    text: str,
    folded: str,
    sentence: tuple[int, int],
    mentions: list[Mention],
    entities: Mapping[str, Entity],
    discourse: _Discourse,
    labels: list[tuple[int, str | None]],
) -> list[_Tok]:
    tokens: list[_Tok] = []
    queue = sorted(mentions, key=lambda m: m.start)
    speaker = discourse.speaker
    pending = list(labels)
    for match in _TOKEN.finditer(text, *sentence):
        a, b = match.span()
        while pending and pending[0][0] <= a:
            speaker = pending.pop(0)[1]
        while queue and queue[0].end <= a:
            queue.pop(0)
        if queue and queue[0].start <= a < queue[0].end:
            mention = queue[0]
            if not tokens or tokens[-1].start != mention.start:
                entity = entities[mention.entity_id]
                candidate = entity.is_leader_on(discourse.day)
                tokens.append(
                    _Tok(mention.start, mention.end, "", entity.id, candidate, entity.type == "person", speaker)
                )
            continue
        word = folded[a:b].strip() or text[a:b]
        tokens.append(
            _Tok(a, b, word, None, leader=False, person=False, speaker=speaker, cap=any(c.isupper() for c in text[a:b]))
        )
    via = {m.start: m.via for m in mentions}
    return [
        _demoted(text, tokens, i, via.get(t.start, "name"), entities[t.entity]) if t.leader and t.entity else t
        for i, t in enumerate(tokens)
    ]


def _demoted(text: str, tokens: list[_Tok], i: int, via: str, entity: Entity) -> _Tok:
    """The token, no longer a candidate when the leader only qualifies someone else."""
    token = tokens[i]
    words = [t.word for t in tokens[max(0, i - 6) : i]]
    while words and words[-1] == "the":
        words.pop()
    if words[-1:] in (["deputy"], ["vice"], ["former"], ["late"]) or words[-2:] in (["ex", "-"], ["vice", "-"]):
        return token._replace(leader=False)
    if words and words[-1] in ("of", "to", "for") and set(words[-5:-1]) & lex.GOVERNING_TITLES:
        return token._replace(leader=False)  # "Adviser to the President of France"
    after = [t.word for t in tokens[i + 1 : i + 6]]
    if after[:2] in (["'", "s"], ["’", "s"]) and set(after[2:5]) & lex.GOVERNING_AFTER:
        return token._replace(leader=False)  # "Putin's spokesman"
    if via == "surname" and i > 0 and tokens[i - 1].entity is None:
        before = text[tokens[i - 1].start : tokens[i - 1].end]
        own = {w for name in (entity.name, *entity.aliases) for w in fold(name).split()}
        if (
            before[:1].isupper()
            and before.isalpha()
            and tokens[i - 1].word not in lex.LEADER_TITLES | _HONORIFICS | own
        ):
            return token._replace(leader=False)  # "Jill Biden", "Olena Zelenska": a namesake
    return token


def _sentence_sightings(
    text: str, tokens: list[_Tok], sentence: tuple[int, int], discourse: _Discourse
) -> list[_Sighting]:
    found: list[_Sighting] = []
    i = 0
    while i < len(tokens):
        match = _trigger_at(tokens, i)
        if match is None:
            i += 1
            continue
        length, trigger = match
        for participants, strong, adjunct in _arguments(tokens, i, i + length, trigger, discourse):
            status = _status(tokens, i, i + length, discourse.day, whole_clause=adjunct)
            if status is None or len(participants) < 2:
                continue
            if status == "held" and trigger.kind == "verb" and _first_person_subject(tokens, i):
                status = "reference"  # "I told Zelensky that …" in a transcript: an earlier contact
            mode = _mode(tokens, i, i + length, trigger)
            spans = _spans(text, tokens, sentence, participants, (tokens[i].start, tokens[i + length - 1].end))
            found.append(_Sighting(tuple(sorted(participants)), status, mode, strong, spans))
        i += length
    return found


def _first_person_subject(tokens: list[_Tok], i: int) -> bool:
    return any(t.word in ("i", "we") for t in tokens[max(0, i - 3) : i])


def _trigger_at(tokens: list[_Tok], i: int) -> tuple[int, lex.Trigger] | None:
    for length in range(5, 0, -1):
        words = tuple(t.word for t in tokens[i : i + length])
        if len(words) == length and "" not in words and words in lex.TRIGGERS:
            after = tokens[i + length].word if i + length < len(tokens) else ""
            if words[-1] in ("called", "calls") and after in ("on", "for", "upon", "to", "it", "him", "her", "them"):
                return None  # "called on", "called for": not a phone call
            return length, lex.TRIGGERS[words]
    return None


def _arguments(
    tokens: list[_Tok], i: int, k: int, trigger: lex.Trigger, discourse: _Discourse
) -> list[tuple[set[str], bool, bool]]:
    """(participants, strong, adjunct) for each meeting the trigger reports. Strong: the trigger names
    its participants itself (not a "during the talks" clause or "the two leaders")."""
    listed = _participants_listed(tokens, i, k, discourse)
    if listed:
        return [(listed, True, False)]
    objects = _objects(tokens, k, trigger)
    subject = _subject(tokens, i, trigger, discourse, objects)
    adjunct = trigger.kind == "noun" and _is_adjunct(tokens, i) and "your" not in {t.word for t in tokens[i - 3 : i]}
    if adjunct and objects and not subject:  # "During the talks with Y, X …", "X said after talks with Y"
        if len(objects) >= 2 and any(t.word == "between" for t in tokens[k : k + 4]):
            return [(set(objects), True, True)]  # "Following the talks between X and Y, …"
        actor = _adjunct_actor(tokens, i, k, exclude=set(objects))
        return [({*actor, *objects}, True, True)] if actor else []
    if subject and len(objects) >= 2 and (tokens[k - 1].word in _PLURAL_NOUNS or _separate(trigger, tokens, i)):
        return [({*subject, o}, True, False) for o in objects if o not in subject]  # one meeting each
    participants = {*subject, *objects}
    if len(participants) >= 2:
        return [(participants, True, False)]
    if adjunct and not objects:
        core = _core_leaders(tokens)
        if len(core) >= 2:
            return [(core, False, True)]
        context = set(discourse.context)
        if context and (core <= context or _coref_before(tokens, len(tokens))):
            return [(context, False, True)]
    return []


def _separate(trigger: lex.Trigger, tokens: list[_Tok], i: int) -> bool:
    """ "spoke with A, B and C" at a summit, "told A and B": several contacts, not one meeting."""
    told = tokens[i].word in ("told", "informed", "briefed", "tells", "informs")
    return told or (trigger.kind == "prep" and trigger.mode == "unspecified" and tokens[i].word in ("spoke", "talked"))


def _participants_listed(tokens: list[_Tok], i: int, k: int, discourse: _Discourse) -> set[str]:
    """ "Also taking part in the meeting were A, B and C": they and the previous sentence's leader."""
    if not {t.word for t in tokens[max(0, i - 4) : i]} & _PARTICIPATION:
        return set()
    for j in range(k, min(len(tokens), k + 3)):
        if tokens[j].word in ("were", "was"):
            first = next((q for q in range(j + 1, min(len(tokens), j + _MAX_GAP)) if tokens[q].person), None)
            if first is None:
                return set()
            listed = _group(tokens, first, step=1)
            return listed | ({discourse.actor} if discourse.actor and listed else set())
    return set()


def _subject(tokens: list[_Tok], i: int, trigger: lex.Trigger, discourse: _Discourse, objects: list[str]) -> set[str]:
    """The leaders to the left that act: "X met", "X and Y held talks", "X's talks", "his/their talks", "I"."""
    supported = trigger.kind != "noun"
    for j in range(i - 1, max(-1, i - 1 - _MAX_GAP), -1):
        token = tokens[j]
        if token.word in lex.SUPPORT_VERBS:
            supported = True
        elif token.word in ("i", "we") and (supported or trigger.kind == "recip"):
            return {token.speaker} if token.speaker else set()
        elif token.word in ("his", "her") and trigger.kind == "noun" and j >= i - 3:
            return _clause_subject(tokens, j, exclude=set(objects))
        elif token.word == "your" and trigger.kind == "noun" and j >= i - 3:
            return set()  # the addressee's meeting: who that is, the text does not say
        elif token.word == "my" and trigger.kind == "noun" and j >= i - 3:
            return {token.speaker} if token.speaker else set()
        elif token.word == "they" and (supported or trigger.kind == "recip"):
            core = _core_leaders(tokens)
            return core if len(core) >= 2 else set(discourse.context)
        elif token.word == "their" and trigger.kind == "noun" and j >= i - 3:
            core = _core_leaders(tokens)
            return _first_group(tokens[:j]) or (core if len(core) >= 2 else set(discourse.context))
        elif token.entity is not None:
            if not token.person:
                continue  # a place or organisation ("in Sochi", "at the Kremlin") is not the subject
            if not (supported or _possessive(tokens, j)):
                return set()
            group = _group(tokens, j, step=-1)
            return group if trigger.kind != "recip" or objects or len(group) >= 2 else set()
        elif _coref_before(tokens, j + 1) and (supported or trigger.kind == "recip"):
            return set(discourse.context)
        elif token.word in lex.BARRIERS or _blocks(tokens, j):
            break
    return set()


def _objects(tokens: list[_Tok], k: int, trigger: lex.Trigger) -> list[str]:
    """The leaders on the other side: "met (with) Y", "talks with Y", "talks between X and Y".

    After a verb or a preposition only a title may stand before the name ("told Y", "met with the
    President of France Y"), so "welcomed the dialogue launched by X and Y" has no object."""
    linked = trigger.kind in ("verb", "prep")
    direct = linked
    for j in range(k, min(len(tokens), k + _MAX_GAP + 6)):
        token = tokens[j]
        if direct and _blocks(tokens, j):
            return _after_non_leader(tokens, j)  # "met Secretary of State Blinken and Y": Y still counts
        if direct and token.entity is None and not (_is_title(tokens, j) or token.word in _OBJECT_GLUE):
            return []
        if token.word in ("with", "between", "from") and not direct:
            direct = True
        if token.entity is not None:
            if not token.person:
                continue
            if not linked or _possessive(tokens, j):
                return []
            between = any(t.word == "between" for t in tokens[k:j])
            return _in_order(tokens, _group(tokens, j, step=1, pair=between))
        if token.word in ("with", "between", "from") or (token.word == "of" and trigger.kind == "noun" and j == k):
            linked = True
        elif _blocks(tokens, j) and linked:
            return _after_non_leader(tokens, j)  # "met Secretary of State Blinken and Y": Y still counts
        elif token.word == "that" and j > 0 and tokens[j - 1].word in ("about", "on", "of", "for"):
            continue  # "spoke, in particular about that, with Y": a pronoun, not a clause
        elif token.word in lex.BARRIERS or _blocks(tokens, j) or token.word in lex.NON_PARTICIPANT_OBJECTS:
            return []
        elif j > k and _trigger_at(tokens, j) is not None:
            return []  # "welcomed the talks between X and Y": the talks are not with the subject
    return []


def _in_order(tokens: list[_Tok], ids: set[str]) -> list[str]:
    order = [t.entity for t in tokens]
    return sorted(ids, key=order.index)


def _after_non_leader(tokens: list[_Tok], j: int) -> list[str]:
    """Leaders coordinated after a non-leader first object."""
    for q in range(j, min(len(tokens), j + _MAX_GAP)):
        if tokens[q].word in lex.BARRIERS:
            return []
        if tokens[q].word in (",", "and"):
            return _in_order(tokens, _group(tokens, q - 1, step=1))
    return []


def _possessive(tokens: list[_Tok], j: int) -> bool:
    return [t.word for t in tokens[j + 1 : j + 3]] in (["'", "s"], ["’", "s"])


def _blocks(tokens: list[_Tok], j: int) -> bool:
    """A title or noun that makes the person beyond it someone other than a leader."""
    word = tokens[j].word
    if word not in lex.NON_LEADER_NOUNS:
        return False
    if word == "minister" and j > 0 and tokens[j - 1].word == "prime":
        return j >= 2 and tokens[j - 2].word in ("deputy", "vice", "first")
    after = [t.word for t in tokens[j + 1 : j + 3]]
    return not (word in ("head", "heads") and after in (["of", "state"], ["of", "government"]))


def _group(tokens: list[_Tok], j: int, *, step: int, pair: bool = False) -> set[str]:
    """The leaders coordinated with the mention at `j` ("A, B and C"), walking left or right.

    List items without a watched person ("Federation Council Speaker Valentina Matviyenko") are
    passed over when they look like a name or a title; a clause ("and Y arrived in Paris") ends it,
    except after "between X and Y", where the verb that follows Y belongs to the whole phrase."""
    found = {e for e in (tokens[j].entity,) if e is not None and tokens[j].leader}
    position = j
    while True:
        p = position + step
        if step < 0:
            while p >= 0 and p > position - _MAX_GAP and _is_title(tokens, p):
                p -= 1
        if not 0 <= p < len(tokens):
            break
        words = [t.word for t in (tokens[p : p + 3] if step > 0 else tokens[max(0, p - 2) : p + 1])]
        if words == ["as", "well", "as"]:
            p += 3 * step
        elif tokens[p].word in (",", "and"):
            p += step
            if 0 <= p < len(tokens) and tokens[p].word == "and":
                p += step
        else:
            break
        item: list[int] = []
        while 0 <= p < len(tokens) and tokens[p].word not in (",", "and") and len(item) < _MAX_GAP:
            item.append(p)
            p += step
        if not item or {tokens[q].word for q in item} & lex.BARRIERS:
            break
        persons = [q for q in item if tokens[q].entity is not None and tokens[q].person]
        if not persons:
            if not _name_like(tokens, item):
                break
            position = item[-1]
            continue
        if step > 0 and not _ends_item(tokens, item, persons[-1]) and not pair:
            break
        found |= {e for q in persons if tokens[q].leader and (e := tokens[q].entity) is not None}
        position = persons[-1] if step > 0 else item[-1]
    return found


def _name_like(tokens: list[_Tok], item: list[int]) -> bool:
    """An unwatched person or title in a list ("Interior Minister Vladimir Kolokoltsev")."""
    return any(tokens[q].word in lex.NON_LEADER_NOUNS for q in item) or all(
        tokens[q].word in _SKIP or tokens[q].word in lex.LEADER_TITLES or tokens[q].word == "of"
        for q in item
        if not tokens[q].word[:1].isalpha() or tokens[q].word != tokens[q].word.lower()
    )


def _ends_item(tokens: list[_Tok], item: list[int], last_person: int) -> bool:
    """The item is a name, maybe with a place ("Scholz in Berlin"), not a clause ("Scholz arrived")."""
    rest = [q for q in item if q > last_person and tokens[q].word not in (".", "!", "?", ")", ";")]
    return not rest or tokens[rest[0]].word in ("in", "at", "on", "via", "by", "from", "during", "(", "'", "’")


def _is_title(tokens: list[_Tok], p: int) -> bool:
    """A word of a title before a name: "President of the Republic of Azerbaijan", "Federal"."""
    token = tokens[p]
    return (
        token.entity is None
        and (token.cap or token.word in lex.LEADER_TITLES or token.word in _TITLE_GLUE)
        and not (token.word in lex.BARRIERS or _blocks(tokens, p))
    )


def _nearest_subject(tokens: list[_Tok], j: int, *, exclude: set[str]) -> set[str]:
    """Who "his" or an adjunct's actor is: the nearest leader before `j` that is not a preposition's object."""
    for q in range(j - 1, -1, -1):
        token = tokens[q]
        if token.leader and token.entity and token.entity not in exclude:
            before = [t.word for t in tokens[max(0, q - 3) : q] if t.word not in _SKIP]
            if not before or before[-1] not in lex.TOPIC_PREPOSITIONS | {"with", "between", "from", "by", "to"}:
                return {token.entity}
        if token.word in ("i", "we", "my") and token.speaker and token.speaker not in exclude:
            return {token.speaker}
    core = _core_leaders(tokens) - exclude
    return core if len(core) == 1 else set()


def _adjunct_actor(tokens: list[_Tok], i: int, k: int, *, exclude: set[str]) -> set[str]:
    """Who held "the talks with Y": the subject of the main clause — after the adjunct when it opens
    the sentence ("During the talks with Y, X …"), before it otherwise ("X said after talks with Y")."""
    comma = next((q for q in range(k, len(tokens)) if tokens[q].word == ","), None)
    opening = any(t.word in lex.ADJUNCT_PREPOSITIONS for t in tokens[:2])
    if not opening:
        return _clause_subject(tokens, i, exclude=exclude)
    if comma is None or comma + 1 >= len(tokens):
        return set()
    q = comma + 1
    while q < len(tokens) and (
        tokens[q].word in _SKIP or tokens[q].word in lex.LEADER_TITLES or tokens[q].word == "of"
    ):
        q += 1
    token = tokens[q] if q < len(tokens) else None
    if token is None:
        return set()
    if token.leader and token.entity and token.entity not in exclude:
        return {token.entity}
    if token.word in ("i", "we") and token.speaker and token.speaker not in exclude:
        return {token.speaker}
    return set()  # "During the negotiations with Y, Ihor Zhovkva …": someone else held them


def _clause_subject(tokens: list[_Tok], j: int, *, exclude: set[str]) -> set[str]:
    """Who "his" refers to: the first leader of the clause that is not a preposition's object."""
    start = j
    while start > 0 and tokens[start - 1].word not in lex.BARRIERS:
        start -= 1
    for q in range(start, j):
        token = tokens[q]
        if token.leader and token.entity and token.entity not in exclude:
            before = [t.word for t in tokens[max(start, q - 3) : q] if t.word not in _SKIP]
            if not before or before[-1] not in lex.TOPIC_PREPOSITIONS | {"with", "between", "from", "by", "to"}:
                return {token.entity}
        if token.word in ("i", "we") and token.speaker and token.speaker not in exclude:
            return {token.speaker}
    return _nearest_subject(tokens, j, exclude=exclude)


def _first_group(tokens: list[_Tok]) -> set[str]:
    first = next((i for i, t in enumerate(tokens) if t.leader), None)
    return _group(tokens, first, step=1) if first is not None else set()


def _is_adjunct(tokens: list[_Tok], i: int) -> bool:
    """ "During the (telephone) conversation", "at their meeting", "following talks", "in a conversation
    with Y" — but not "took part in a summit" (taking part is not holding talks)."""
    for j in range(max(0, i - 5), i):
        word = tokens[j].word
        if word in lex.ADJUNCT_PREPOSITIONS and not (word == "in" and j > 0 and tokens[j - 1].word in _PARTAKING):
            return True
    return False


def _core_leaders(tokens: list[_Tok]) -> set[str]:
    """Leaders of the clause who are not a topic ("about Z") or inside reported speech ("that Z")."""
    core: set[str] = set()
    for j, token in enumerate(tokens):
        if token.word in ("that", "said", ":", '"', "“"):
            break
        if not token.leader or token.entity is None:
            continue
        before = [t.word for t in tokens[max(0, j - 4) : j] if t.word not in lex.LEADER_TITLES | _SKIP]
        if before and before[-1] in lex.TOPIC_PREPOSITIONS | {"from"}:
            continue  # "told Y about Z", "gratitude from Z"
        core.add(token.entity)
    return core


def _coref_before(tokens: list[_Tok], j: int) -> bool:
    words = tuple(t.word for t in tokens[max(0, j - 4) : j])
    return any(words[-len(g) :] == g for g in lex.COREF_GROUPS)


def _status(tokens: list[_Tok], i: int, k: int, day: date, *, whole_clause: bool = False) -> str | None:
    """held | planned | earlier for the trigger at [i, k), or None (rumour, wish, negation).

    `whole_clause`: the trigger is an adjunct ("During the talks, the presidents intend to …"),
    so the main clause after it carries the modality too."""
    before: list[str] = []
    for token in reversed(tokens[max(0, i - _MODAL_WINDOW) : i]):
        if token.word in lex.BARRIERS or token.word == ",":
            break
        before.append(token.word)
    after: list[str] = []
    for token in tokens[k : k + 24]:
        if token.word in lex.BARRIERS:
            break
        after.append(token.word)
    words = set(before) | (set(after) & _WHOLE_CLAUSE_MODALS if whole_clause else set())
    near = before[::-1] + after[:8]
    if words & lex.NEGATION or words & lex.HYPOTHETICAL or set(near) & lex.HABITUAL:
        return None  # "might meet", "did not meet", "have repeatedly discussed": no particular meeting
    dated = _date_near(tokens, i, k, day)
    if words & lex.FUTURE or any(_contains(after, p) for p in lex.FUTURE_AFTER) or dated == "future":
        return "planned"
    clause = near + [t.word for t in tokens[: max(0, i - _MODAL_WINDOW)] if t.word not in lex.BARRIERS][-6:]
    past = any(_contains(clause, p) for p in lex.PAST_PHRASES)
    ago = "ago" in after[:6] or any(t.word == "ago" for t in tokens[:i])  # "several days ago, during the talks"
    if words & lex.PAST_REFERENCE or dated == "past" or ago or past:
        return "earlier"
    if set(near) & lex.RECENT or any(_contains(near, p) for p in lex.RECENT_PHRASES):
        return "reference"  # "the recent talks", "yesterday": may corroborate an alert, not start one
    return "held"


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    return any(tuple(words[i : i + len(phrase)]) == phrase for i in range(len(words) - len(phrase) + 1))


def _date_near(tokens: list[_Tok], i: int, k: int, day: date) -> str | None:
    """ "past" or "future" when a date attached to the trigger ("April 6 talks", "talks … on 7 December",
    "On December 15, X will …") lies away from the article's day."""
    before = [t.word for t in tokens[max(0, i - 3) : i]]
    after: list[str] = []
    for token in tokens[k : k + 18]:
        if token.word in _DATE_STOP or token.word in lex.BARRIERS:
            break
        after.append(token.word)
    opening = [t.word for t in tokens[:4]] if i < 12 else []
    years = [int(w) for w in (*before, *after) if w.isdigit() and len(w) == 4 and 1945 < int(w) < day.year]
    if years:
        return "past"  # "the 2014 Winter Olympics", "in 2019"
    for a, b in itertools.chain(itertools.pairwise(before), itertools.pairwise(after), itertools.pairwise(opening)):
        month, number = (_MONTHS.get(a), b) if a in _MONTHS else (_MONTHS.get(b), a)
        if month is None or not number.isdigit() or not 1 <= int(number) <= 31:
            continue
        try:
            when = date(day.year if month <= day.month + 1 else day.year - 1, month, int(number))
        except ValueError:
            continue
        if (day - when).days >= 2:
            return "past"
        if (when - day).days >= 1:
            return "future"
    return None


def _mode(tokens: list[_Tok], i: int, k: int, trigger: lex.Trigger) -> str:
    if trigger.mode != "unspecified" and trigger.kind != "verb":
        return trigger.mode
    near = tokens[max(0, i - 4) : k]
    for token in tokens[k : k + 16]:  # to the end of the clause: "… with Y at the Kremlin"
        if token.word in lex.BARRIERS or token.word == ".":
            break
        near.append(token)
    window = {t.word for t in near}
    if window & {"videoconference", "video", "online", "virtual", "virtually"}:
        return "video"
    if window & {"phone", "telephone", "call", "phoned"}:
        return "phone"
    placed = any(  # "talks in Sochi", "at the Kremlin"
        a.word in ("in", "at") and (_is_place(b) or (b.word == "the" and _is_place(c)))
        for a, b, c in zip(near, near[1:], near[2:], strict=False)
    )
    if trigger.mode != "unspecified" or placed or window & {"visit", "person", "kremlin", "residence", "arrived"}:
        return trigger.mode if trigger.mode != "unspecified" else "in_person"
    return "unspecified"


def _is_place(token: _Tok) -> bool:
    return token.entity is not None and not token.person


def _spans(
    text: str, tokens: list[_Tok], sentence: tuple[int, int], participants: set[str], trigger: tuple[int, int]
) -> tuple[Span, ...]:
    start, end = sentence
    named = [t for t in tokens if t.leader and t.entity in participants]
    return (
        Span(text[start:end], start, end, "sentence"),
        *(Span(text[t.start : t.end], t.start, t.end, "participant") for t in named),
        Span(text[trigger[0] : trigger[1]], trigger[0], trigger[1], "trigger"),
    )


def _events(sightings: list[_Sighting]) -> tuple[MeetingEvent, ...]:
    """One event per participant set; held wins over planned; weak subsets join their superset."""
    groups: dict[tuple[str, ...], list[_Sighting]] = {}
    for sighting in sightings:
        if sighting.status != "earlier":
            groups.setdefault(sighting.participants, []).append(sighting)
    held_sets = [set(p) for p, ss in groups.items() if any(s.status in ("held", "reference") for s in ss)]
    events: list[MeetingEvent] = []
    for participants, group in groups.items():
        if any(set(participants) < other for other in held_sets) and not _bilateral(group):
            continue  # two of the three leaders of a three-way call: part of the bigger meeting
        held = [s for s in group if s.status == "held"]
        referred = [s for s in group if s.status == "reference"]
        chosen = held or referred or group
        modes = [s.mode for s in sorted(chosen, key=lambda s: not s.strong) if s.mode != "unspecified"]
        status = "held" if held or referred else "planned"
        mode = modes[0] if modes else "unspecified"
        events.append(
            MeetingEvent(status, mode, participants, _evidence(chosen), reference=not held and bool(referred))
        )
    return tuple(events)


def _bilateral(sightings: list[_Sighting]) -> bool:
    """A meeting of some of the participants of a bigger one, said to be separate."""
    return any(
        re.search(r"\b(?:bilateral|separate(?:ly)?|one-on-one|tete-a-tete|tête-à-tête)\b", s.spans[0].text, re.I)
        for s in sightings
    )


def _evidence(sightings: list[_Sighting], *, sentences: int = 3) -> tuple[Span, ...]:
    """The first few evidence sentences, each followed by its participant and trigger spans, once."""
    by_sentence: dict[Span, dict[Span, None]] = {}
    for sighting in sightings:
        sentence, *rest = sighting.spans
        if sentence in by_sentence or len(by_sentence) < sentences:
            by_sentence.setdefault(sentence, {}).update(dict.fromkeys(rest))
    return tuple(span for sentence, rest in by_sentence.items() for span in (sentence, *rest))
