"""Tokens of one sentence for the meeting detector (streams/events.py).

Words are folded; each watched mention is one token. A leader mention is a participant candidate
unless it only qualifies someone else ("Adviser to the President of France", "Putin's spokesman",
"Deputy Prime Minister", a namesake such as "Jill Biden"). Each token also knows who "I" is at that
point: the speaker of a transcript label ("Vladimir Putin: …") or the author of an address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import NamedTuple

from streams import event_lexicon as lex
from streams import text as _text
from streams.tagger import Mention
from streams.text import _ABBREVIATIONS, _INITIALISM, _trimmed, fold, sentence_spans
from streams.watchlist import Entity

__all__ = [
    "Discourse",
    "Token",
    "has_label",
    "iter_sentences",
    "other_labels",
    "resolve_counterparts",
    "restart_point",
    "speaker_labels",
    "split_sentences",
    "tokenize",
]


_TOKEN = re.compile(r"\w+|[^\w\s]")


_LABEL = re.compile(r"(?:\s*(?:[A-Z][\w-]*|of|the))*\s*(?:\(retranslated\)\s*)?:")


_OTHER_LABEL_WORDS = ("Question", "Remark", "Reply", "Response", "Answer", "Moderator")
_OTHER_LABEL = re.compile(r"\b(?:" + "|".join(_OTHER_LABEL_WORDS) + r")\s*(?:\(retranslated\)\s*)?:")


_TEXT_BOUNDARY = r"[.!?…][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9А-ЯЁ])|\n+"
_BOUNDARY = (
    re.compile(r"[.!?…\n](?:(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9А-ЯЁ])|(?<=\n)\n*)")
    if _text._BOUNDARY.pattern == _TEXT_BOUNDARY
    else None
)
"""streams.text's sentence boundary with its first character as a class of its own (same matches)."""
_BOUNDARY_CHARACTERS = frozenset(".!?…\"'”’)]")
_MARKS = (".", "\n", "!", "?", "…")
"""What a boundary match can hold before its spaces: sentence punctuation and closing quotes."""


_START = attrgetter("start")


_HONORIFICS = frozenset("mr mrs ms dr madam mister sir his her excellency".split())


class Token(NamedTuple):
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


@dataclass(slots=True)
class Discourse:
    """What earlier sentences tell a later one."""

    day: date
    context: tuple[str, ...] = ()
    """The participants of the meeting described last ("the two leaders", "their talks")."""
    speaker: str | None = None
    """Who "I" is: the speaker of an address, or the last transcript label ("Vladimir Putin: …")."""
    actor: str | None = None
    """The first leader of the previous sentence ("X held a meeting. Taking part were …")."""


def resolve_counterparts(
    folded: str, mentions: Sequence[Mention], entities: Mapping[str, Entity], day: date
) -> Sequence[Mention]:
    """ "his Polish counterpart", "the leader of Poland": the Polish leader the article names, when the
    tagger's default office for the country (Poland: the prime minister) is not the one named."""
    led: dict[str, set[str]] = {}  # entity id → the countries it leads on the day, once per entity

    def countries(entity_id: str) -> set[str]:
        found = led.get(entity_id)
        if found is None:
            found = led[entity_id] = {str(o.country) for o in entities[entity_id].leader_offices_on(day)}
        return found

    named: dict[str, set[str]] = {}
    for mention in mentions:
        if mention.via == "name":
            for country in countries(mention.entity_id):
                named.setdefault(country, set()).add(mention.entity_id)
    resolved: list[Mention] = []
    for mention in mentions:
        if mention.via == "role" and folded[mention.start : mention.end].split()[-1:] in (["counterpart"], ["leader"]):
            candidates = {e for c in countries(mention.entity_id) for e in named.get(c, ())}
            if len(candidates) == 1:
                mention = mention._replace(entity_id=next(iter(candidates)))
        resolved.append(mention)
    return resolved


def other_labels(text: str) -> list[int]:
    """Ends of "Question:"-style labels: after them "I" is nobody we watch."""
    if not any(word in text for word in _OTHER_LABEL_WORDS):  # C substring searches: most texts have none
        return []
    return [m.end() for m in _OTHER_LABEL.finditer(text)]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """`streams.text.sentence_spans`, the same spans, faster (see `iter_sentences`)."""
    return list(iter_sentences(text))


def iter_sentences(text: str, restart: int = 0) -> Iterator[tuple[int, int]]:
    """The spans of `streams.text.sentence_spans`, one at a time (a reader may stop early), faster:
    the boundary pattern opens with a character class, so the regex engine skips ahead to the next
    candidate instead of trying both branches at every character (3x on 8 KB articles). Falls back
    to `sentence_spans` if its pattern changes.

    `restart`: 0, or a `restart_point`: only the spans after it (the same as those of the whole text)."""
    if _BOUNDARY is None:
        yield from (span for span in sentence_spans(text) if span[0] >= restart)
        return
    start = restart
    for match in _BOUNDARY.finditer(text, restart):
        boundary = match.start()
        if text[boundary] != "\n":  # ".", "!", "?" or "…" (sentence_spans: `match.group().strip()`)
            head = text[start:boundary].rsplit(None, 1)
            if head and _abbreviation(head[-1].lower().strip(".")):  # no word before it: "" is none
                continue
        end = boundary + len(match.group().rstrip())
        if text[start:end].strip():
            # `_trimmed` only when a span starts or ends with a space (rarely: a boundary eats them)
            yield _trimmed(text, start, end) if text[start].isspace() or text[end - 1].isspace() else (start, end)
        start = match.end()
    if text[start:].strip():
        yield _trimmed(text, start, len(text))


def restart_point(text: str, lo: int, hi: int) -> int | None:
    """Where the splitter can start afresh, whatever came before: the end of the last boundary in
    [lo, hi) that it always takes, or None. `iter_sentences(text, restart)` then yields the spans
    of the whole text that follow.

    Any ".", "!", "?", "…" or line break is a place the splitter always tries (no boundary match can
    pass over one without starting there, except a line break after a space, sentence punctuation or
    a closing quote). A line break after any other character is always a boundary; so is a sentence
    mark right after a word when the boundary pattern matches there and that word (the same whatever
    came before) is no abbreviation."""
    p = hi
    while True:
        p = max(text.rfind(mark, lo, p) for mark in _MARKS)
        if p <= 0:
            return None
        before = text[p - 1]
        if before.isspace():
            continue
        if text[p] == "\n":
            if before in _BOUNDARY_CHARACTERS:
                continue
            restart = p + 1
            while restart < hi and text[restart] == "\n":
                restart += 1
            return restart
        match = _BOUNDARY.match(text, p) if _BOUNDARY is not None else None
        if match is None or match.end() > hi:
            continue
        word_start = p - 1
        while word_start > 0 and not text[word_start - 1].isspace():
            word_start -= 1
        last_word = text[word_start:p].lower().strip(".")
        if not _abbreviation(last_word):
            return match.end()


def _abbreviation(last_word: str) -> bool:
    """sentence_spans' test: no boundary after "Mr", "U.S", "e.g" or a single letter."""
    return (
        last_word in _ABBREVIATIONS
        or len(last_word) == 1
        or ("." in last_word and bool(_INITIALISM.fullmatch(last_word)))
    )


def has_label(text: str, end: int) -> bool:
    """A transcript speaker label ("Vladimir Putin: …") follows the mention ending at `end`."""
    return _LABEL.match(text, end) is not None


def speaker_labels(
    text: str, others: Iterable[int], mentions: Iterable[Mention], entities: Mapping[str, Entity], day: date
) -> list[tuple[int, str | None]]:
    """Transcript speaker labels in a sentence: (offset, the leader speaking, or None for anyone else)."""
    found: list[tuple[int, str | None]] = [(end, None) for end in others]
    for mention in mentions:
        if label := _LABEL.match(text, mention.end):
            entity = entities[mention.entity_id]
            found.append((label.end(), entity.id if entity.is_leader_on(day) else None))
    return sorted(found, key=lambda label: label[0])


def tokenize(
    text: str,
    folded: str,
    sentence: tuple[int, int],
    mentions: list[Mention],
    entities: Mapping[str, Entity],
    discourse: Discourse,
    labels: list[tuple[int, str | None]],
) -> list[Token]:
    """The sentence's words and mentions as tokens (the hot loop of the detector: kept lean)."""
    tokens: list[Token] = []
    append, new = tokens.append, tuple.__new__  # Token(...) without NamedTuple.__new__: many per sentence
    queue = sorted(mentions, key=_START)
    q, queued = 0, len(queue)
    speaker = discourse.speaker
    p, pending = 0, len(labels)
    day = discourse.day
    for match in _TOKEN.finditer(text, *sentence):
        a, b = match.span()
        while p < pending and labels[p][0] <= a:
            speaker = labels[p][1]
            p += 1
        while q < queued and queue[q].end <= a:
            q += 1
        if q < queued and queue[q].start <= a:  # inside the mention (its end is past `a`)
            mention = queue[q]
            if not tokens or tokens[-1].start != mention.start:
                entity = entities[mention.entity_id]
                candidate = entity.is_leader_on(day)
                append(
                    new(
                        Token,
                        (mention.start, mention.end, "", entity.id, candidate, entity.type == "person", speaker, False),
                    )
                )
            continue
        raw = match.group()
        word = folded[a:b].strip() or raw
        cap = False if raw.islower() else any(c.isupper() for c in raw)  # islower: no upper-case letter
        append(new(Token, (a, b, word, None, False, False, speaker, cap)))
    via = {m.start: m.via for m in mentions}
    return [
        _demoted(text, tokens, i, via.get(t.start, "name"), entities[t.entity]) if t.leader and t.entity else t
        for i, t in enumerate(tokens)
    ]


def _demoted(text: str, tokens: list[Token], i: int, via: str, entity: Entity) -> Token:
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
