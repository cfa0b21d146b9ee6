"""Tokens of one sentence for the meeting detector (streams/events.py).

Words are folded; each watched mention is one token. A leader mention is a participant candidate
unless it only qualifies someone else ("Adviser to the President of France", "Putin's spokesman",
"Deputy Prime Minister", a namesake such as "Jill Biden"). Each token also knows who "I" is at that
point: the speaker of a transcript label ("Vladimir Putin: …") or the author of an address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from streams import event_lexicon as lex
from streams.tagger import Mention
from streams.text import fold
from streams.watchlist import Entity

__all__ = ["Discourse", "Token", "other_labels", "resolve_counterparts", "speaker_labels", "tokenize"]


_TOKEN = re.compile(r"\w+|[^\w\s]")


_LABEL = re.compile(r"(?:\s*(?:[A-Z][\w-]*|of|the))*\s*(?:\(retranslated\)\s*)?:")


_OTHER_LABEL = re.compile(r"\b(?:Question|Remark|Reply|Response|Answer|Moderator)\s*(?:\(retranslated\)\s*)?:")


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


def other_labels(text: str) -> list[int]:
    """Ends of "Question:"-style labels: after them "I" is nobody we watch."""
    return [m.end() for m in _OTHER_LABEL.finditer(text)]


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
    tokens: list[Token] = []
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
                    Token(mention.start, mention.end, "", entity.id, candidate, entity.type == "person", speaker)
                )
            continue
        word = folded[a:b].strip() or text[a:b]
        tokens.append(
            Token(
                a, b, word, None, leader=False, person=False, speaker=speaker, cap=any(c.isupper() for c in text[a:b])
            )
        )
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
