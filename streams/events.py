"""Meeting events (GDELT CAMEO 04x): two or more watched leaders held, or plan, talks.

A sentence is evidence only when it names at least two leaders in office on the article's
date *and* a meeting trigger; modality just before the trigger decides held / planned / not
a meeting ("might meet" is a rumour, "will meet" a plan, "did not meet" nothing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from streams.tagger import Mention
from streams.text import fold
from streams.watchlist import Entity

__all__ = ["MeetingEvent", "Span", "detect_meetings"]

_HELD_TRIGGERS = re.compile(
    r"""\b(?:
        meet | met | meets | meeting\s+(?:with|between) | (?:held|hold|holds|holding|had|have|has)\s+(?:\w+\s+){0,3}?
          (?:talks|meeting|meetings|conversation|phone\s+call|call|consultations|negotiations|discussions?)
      | talks\s+(?:with|between) | (?:during|at|in|after|following|on\s+the\s+sidelines\s+of)\s+(?:their|the|a|this)\s+
          (?:\w+\s+){0,2}(?:meeting|talks|conversation|call|summit\s+meeting)
      | (?:spoke|speaks|talked|talks)\s+(?:with|to|by\s+(?:tele)?phone|on\s+the\s+(?:tele)?phone|via\s+video)
      | (?:tele)?phone\s+(?:conversation|call|talks) | (?:phoned|called|rang) | video\s*(?:conference|call|link)
      | videoconference | hosted | hosts | welcomed | received | visited | discussed | discuss | discusses
      | told | conferred | negotiated
    )\b""",
    re.X,
)
_HYPOTHETICAL = frozenset(
    [
        "might",
        "may",
        "could",
        "possibly",
        "perhaps",
        "rumoured",
        "rumored",
        "reportedly",
        "speculation",
        "speculated",
        "claimed",
        "if",
        "unless",
        "whether",
        "would-be",
        "hypothetical",
    ]
)
_NEGATION = frozenset(
    ["not", "never", "no", "didn", "t", "cancelled", "canceled", "postponed", "refused", "declined", "without"]
)
_FUTURE = frozenset(
    [
        "will",
        "would",
        "shall",
        "to",
        "plans",
        "plan",
        "planned",
        "planning",
        "expected",
        "scheduled",
        "set",
        "due",
        "going",
        "agreed",
        "ready",
        "hopes",
        "hope",
        "wants",
        "want",
        "intends",
        "intend",
        "invited",
        "invites",
        "invite",
        "invitation",
        "upcoming",
        "next",
        "proposed",
    ]
)
_MODAL_WINDOW = 4  # tokens before a trigger that can carry its modality ("agreed to meet", "might meet")
_PHONE = re.compile(r"\b(?:tele)?phone\b|\bcall\b|\bphoned\b|\bcalled\b|\brang\b")
_VIDEO = re.compile(r"\bvideo|\bvirtual(?:ly)?\b|\bonline\b|\bvideoconference\b")
_IN_PERSON = re.compile(
    r"\bmet\b|\bmeets\b|\bvisit|\bhosted\b|\bhosts\b|\bwelcomed\b|\bin\s+person\b|\bface\s+to\s+face\b"
)


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

    @property
    def sentences(self) -> tuple[Span, ...]:
        return tuple(s for s in self.evidence if s.kind == "sentence")


def detect_meetings(
    text: str,
    sentences: Sequence[tuple[int, int]],
    mentions: Sequence[Mention],
    entities: Mapping[str, Entity],
    *,
    day: date,
) -> tuple[MeetingEvent, ...]:
    """Meetings between leaders in office on `day`, one event per participant set."""
    folded = fold(text)
    found: dict[tuple[str, ...], list[tuple[str, str, tuple[Span, ...]]]] = {}
    position = 0
    for start, end in sentences:
        in_sentence: list[Mention] = []
        while position < len(mentions) and mentions[position].start < end:
            mention = mentions[position]
            if mention.start >= start and entities[mention.entity_id].is_leader_on(day):
                in_sentence.append(mention)
            position += 1
        participants = tuple(sorted({m.entity_id for m in in_sentence}))
        if len(participants) < 2:
            continue
        verdict = _classify(folded, start, end)
        if verdict is None:
            continue
        status, mode, trigger = verdict
        spans = (
            Span(text[start:end], start, end, "sentence"),
            *(Span(text[m.start : m.end], m.start, m.end, "participant") for m in in_sentence),
            Span(text[trigger[0] : trigger[1]], trigger[0], trigger[1], "trigger"),
        )
        found.setdefault(participants, []).append((status, mode, spans))
    return tuple(_event(participants, sightings) for participants, sightings in found.items())


def _classify(folded: str, start: int, end: int) -> tuple[str, str, tuple[int, int]] | None:
    """held/planned, the mode and the trigger's span, or None when no meeting is reported."""
    sentence = folded[start:end]
    best: tuple[str, tuple[int, int]] | None = None
    for match in _HELD_TRIGGERS.finditer(sentence):
        before = set(sentence[: match.start()].split()[-_MODAL_WINDOW:])
        if before & _HYPOTHETICAL or before & _NEGATION:
            continue
        status = "planned" if before & _FUTURE else "held"
        if best is None or (status == "held" and best[0] == "planned"):
            best = (status, (start + match.start(), start + match.end()))
    if best is None:
        return None
    return best[0], _mode(sentence), best[1]


def _mode(sentence: str) -> str:
    if _VIDEO.search(sentence):
        return "video"
    if _PHONE.search(sentence):
        return "phone"
    if _IN_PERSON.search(sentence):
        return "in_person"
    return "unspecified"


def _event(participants: tuple[str, ...], sightings: list[tuple[str, str, tuple[Span, ...]]]) -> MeetingEvent:
    held = [s for s in sightings if s[0] == "held"]
    chosen = held or sightings
    modes = [mode for _, mode, _ in chosen if mode != "unspecified"]
    evidence = tuple(span for _, _, spans in chosen[:3] for span in spans)
    return MeetingEvent("held" if held else "planned", modes[0] if modes else "unspecified", participants, evidence)
