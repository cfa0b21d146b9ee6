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
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from streams import event_lexicon as lex
from streams.event_args import arguments, first_person_subject, trigger_at
from streams.event_tokens import (
    Discourse,
    Token,
    has_label,
    iter_sentences,
    other_labels,
    resolve_counterparts,
    restart_point,
    speaker_labels,
    tokenize,
)
from streams.tagger import Mention
from streams.text import fold
from streams.watchlist import Entity

__all__ = ["MeetingEvent", "Span", "detect_meetings", "first_person_speaker"]

_COREF = re.compile(r"\b(?:" + "|".join(r"\s+".join(g) for g in lex.COREF_GROUPS) + r")\b")


_FIRST_PERSON = re.compile(r"\b(?:i|we)\b")


_TRIGGER_WORD = re.compile("|".join(sorted(map(re.escape, lex.TRIGGER_STARTS), key=lambda w: (-len(w), w))))
"""The first word of any trigger, anywhere in the folded sentence: without one, no token of the sentence
starts a trigger (a token's folded word is a substring of the folded sentence), so it is not tokenised."""


_SPEECH_HEADLINE = re.compile(r"\b(?:address|speech|remarks|statement|interview|op-ed|article by)\b", re.I)


_MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november december".split(), start=1
    )
}


_MODAL_WINDOW = 6
_CONTEXT_SENTENCES = 3


_DATE_STOP = frozenset("ahead before after since until marked anniversary day eve , ; :".split())


_WISHED = frozenset("needed necessary possible impossible would could might should".split())
_WHOLE_CLAUSE_MODALS = lex.FUTURE | lex.NEGATION | frozenset("might may could would".split())


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


class _Sighting(NamedTuple):
    participants: tuple[str, ...]
    status: str
    """held | planned | earlier | reference."""
    mode: str
    strong: bool
    """From a trigger with its own arguments (not an adjunct or a coreference)."""
    spans: tuple[Span, ...]


def first_person_speaker(headline: str, headline_leaders: Sequence[str]) -> str | None:
    """The leader an address, speech or interview is by, when its headline names exactly one."""
    unique = set(headline_leaders)
    return next(iter(unique)) if len(unique) == 1 and _SPEECH_HEADLINE.search(headline) else None


def detect_meetings(
    text: str,
    sentences: Sequence[tuple[int, int]] | None,
    mentions: Sequence[Mention],
    entities: Mapping[str, Entity],
    *,
    day: date,
    speaker: str | None = None,
    folded: str | None = None,
) -> tuple[MeetingEvent, ...]:
    """Meetings between leaders in office on `day`, one event per participant set.

    `sentences`: the text's sentence spans (`streams.text.sentence_spans`), or None to split it here,
    only when the article can hold a meeting. `speaker`: the leader whose first-person text this is
    (see `first_person_speaker`). `folded`: `streams.text.fold(text)` when the caller has it (`Tagging.folded`).

    Every participant is a leader of the resolved mentions or a speaker, so an article (or a sentence)
    with fewer than two such candidates, or with candidates leading fewer than two countries, cannot
    hold a meeting and is passed over before any per-token work (most articles, most sentences)."""
    led = _LeaderCountries(entities, day)
    candidates = {e for e in {m.entity_id for m in mentions} if led(e)}  # ⊇ the leaders after resolution
    if speaker is not None:
        candidates.add(speaker)
    if len(candidates) < 2 or led.count(candidates) < 2:
        return ()
    if folded is None:
        folded = fold(text)
    mentions = resolve_counterparts(folded, mentions, entities, day)
    leading = {e for e in {m.entity_id for m in mentions} if led(e)}
    others = other_labels(text)
    discourse = Discourse(day, speaker=speaker)
    sightings: list[_Sighting] = []
    position = 0
    count = len(mentions)
    context_age = 0
    last_leader = max((m.start for m in mentions if m.entity_id in leading), default=-1)
    # Where something can happen: a leader, a transcript label (it changes who "I" is). Between them,
    # with nothing to refer back to, the splitter jumps ahead to a paragraph break (see restart_point).
    relevant: list[int] | None = None
    if sentences is None:
        marks = {m.start for m in mentions if m.entity_id in leading or has_label(text, m.end)}
        relevant = sorted(marks.union(others))
    spans = iter_sentences(text) if sentences is None else iter(sentences)
    while (span := next(spans, None)) is not None:
        start, end = span
        context_age += 1
        if context_age > _CONTEXT_SENTENCES:  # "the two leaders" refers back a sentence or two, not a page
            discourse.context = ()
        idle = not discourse.context and discourse.actor is None
        if idle and start > last_leader:
            break  # no leader from here on, none to refer back to: no later sentence can hold a meeting
        if idle and relevant is not None:
            ahead = bisect_left(relevant, start)
            restart = restart_point(text, start, relevant[ahead]) if ahead < len(relevant) else None
            if restart is not None:  # this sentence and those up to `restart` hold nothing: skip them
                spans = iter_sentences(text, restart)
                continue
        in_sentence: list[Mention] = []
        while position < count and mentions[position].start < end:
            if mentions[position].start >= start:
                in_sentence.append(mentions[position])
            position += 1
        here = others[bisect_left(others, start) : bisect_left(others, end)] if others else others
        if not in_sentence and not here and not discourse.context and None in (discourse.speaker, discourse.actor):
            discourse.actor = None  # nobody here, nobody to refer back to: only the discourse moves on
            continue
        labels = speaker_labels(text, here, in_sentence, entities, day) if here or in_sentence else []
        leaders = {m.entity_id for m in in_sentence if m.entity_id in leading}
        # Who can take part here: the sentence's leaders, who "I" is, "the two leaders" of the last
        # meeting, the previous sentence's leader. Fewer than two (or one country): no sighting.
        possible = leaders | set(discourse.context)
        possible.update(who for who in (discourse.speaker, discourse.actor) if who is not None)
        possible.update(who for _, who in labels if who is not None)
        # And a sentence without the first word of a trigger, even inside a word, reports no meeting.
        if len(possible) >= 2 and led.count(possible) >= 2 and _TRIGGER_WORD.search(folded, start, end):
            first_person = bool(leaders) and _FIRST_PERSON.search(folded, start, end) is not None
            if len(leaders) >= 2 or first_person or _COREF.search(folded, start, end):
                tokens = tokenize(text, folded, (start, end), in_sentence, entities, discourse, labels)
                found = [
                    s
                    for s in _sentence_sightings(text, tokens, (start, end), discourse)
                    if led.count(s.participants) >= 2
                ]
                sightings.extend(found)
                if found:
                    discourse.context, context_age = found[0].participants, 0
        if labels:
            discourse.speaker = labels[-1][1]
        discourse.actor = next((m.entity_id for m in in_sentence if m.entity_id in leading), None)
    return _events(sightings)


class _LeaderCountries:
    """Entity id → the countries it leads on the day (None for an office without one), computed once."""

    __slots__ = ("_day", "_entities", "_known")

    def __init__(self, entities: Mapping[str, Entity], day: date) -> None:
        self._entities = entities
        self._day = day
        self._known: dict[str, frozenset[str | None]] = {}

    def __call__(self, entity_id: str) -> frozenset[str | None]:
        countries = self._known.get(entity_id)
        if countries is None:
            entity = self._entities.get(entity_id)
            offices = entity.leader_offices_on(self._day) if entity is not None else ()
            countries = self._known[entity_id] = frozenset(o.country for o in offices)
        return countries

    def count(self, participants: Iterable[str]) -> int:
        """How many countries the participants lead: a president with his own prime minister is not talks."""
        return len({country for p in participants for country in self(p)})


def _sentence_sightings(
    text: str, tokens: list[Token], sentence: tuple[int, int], discourse: Discourse
) -> list[_Sighting]:
    found: list[_Sighting] = []
    i = 0
    while i < len(tokens):
        match = trigger_at(tokens, i)
        if match is None:
            i += 1
            continue
        length, trigger = match
        for participants, strong, adjunct in arguments(tokens, i, i + length, trigger, discourse):
            noun = trigger.kind == "noun"
            status = _status(tokens, i, i + length, discourse.day, whole_clause=adjunct, trigger_noun=noun)
            if status is None or len(participants) < 2:
                continue
            if status == "held" and trigger.kind == "verb" and first_person_subject(tokens, i):
                status = "reference"  # "I told Zelensky that …" in a transcript: an earlier contact
            mode = _mode(tokens, i, i + length, trigger)
            spans = _spans(text, tokens, sentence, participants, (tokens[i].start, tokens[i + length - 1].end))
            found.append(_Sighting(tuple(sorted(participants)), status, mode, strong, spans))
        i += length
    return found


def _status(
    tokens: list[Token], i: int, k: int, day: date, *, whole_clause: bool = False, trigger_noun: bool = False
) -> str | None:
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
    wished = trigger_noun and bool(set(after[:12]) & _WISHED)  # "his meeting with Putin is needed"
    if words & lex.NEGATION or words & lex.HYPOTHETICAL or set(near) & lex.HABITUAL or wished:
        return None  # "might meet", "did not meet", "have repeatedly discussed": no particular meeting
    dated = _date_near(tokens, i, k, day)
    if words & lex.FUTURE or any(_contains(after, p) for p in lex.FUTURE_AFTER) or dated == "future":
        return "planned"
    clause = near + [t.word for t in tokens[: max(0, i - _MODAL_WINDOW)] if t.word not in lex.BARRIERS][-6:]
    past = any(_contains(clause, p) for p in lex.PAST_PHRASES)
    ago = "ago" in after or any(t.word == "ago" for t in tokens[:i])  # "several days ago", "two years ago"
    if words & lex.PAST_REFERENCE or dated == "past" or ago or past:
        return "earlier"
    if set(near) & lex.RECENT or any(_contains(near, p) for p in lex.RECENT_PHRASES):
        return "reference"  # "the recent talks", "yesterday": may corroborate an alert, not start one
    return "held"


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    first, size = phrase[0], len(phrase)
    if first not in words:  # one C-level scan: most phrases are not there at all
        return False
    return any(word == first and tuple(words[i : i + size]) == phrase for i, word in enumerate(words))


def _date_near(tokens: list[Token], i: int, k: int, day: date) -> str | None:
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


def _mode(tokens: list[Token], i: int, k: int, trigger: lex.Trigger) -> str:
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
        near[q].word in ("in", "at") and any(_is_place(t) for t in near[q + 1 : q + 3]) for q in range(len(near) - 1)
    )
    if trigger.mode != "unspecified" or placed or window & {"visit", "person", "kremlin", "residence", "arrived"}:
        return trigger.mode if trigger.mode != "unspecified" else "in_person"
    return "unspecified"


def _is_place(token: Token) -> bool:
    return token.entity is not None and not token.person


def _spans(
    text: str, tokens: list[Token], sentence: tuple[int, int], participants: set[str], trigger: tuple[int, int]
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
