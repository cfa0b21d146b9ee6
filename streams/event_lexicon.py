"""Word lists of the meeting detector (streams/events.py): triggers, modality, titles, clause barriers.

All entries are folded (lower case, no diacritics), as `streams.text.fold` gives them.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "ADJUNCT_PREPOSITIONS",
    "BARRIERS",
    "COREF_GROUPS",
    "FUTURE",
    "FUTURE_AFTER",
    "GOVERNING_AFTER",
    "GOVERNING_TITLES",
    "HABITUAL",
    "HYPOTHETICAL",
    "LEADER_TITLES",
    "NEGATION",
    "NON_LEADER_NOUNS",
    "NON_PARTICIPANT_OBJECTS",
    "PAST_PHRASES",
    "PAST_REFERENCE",
    "RECENT",
    "RECENT_PHRASES",
    "SUPPORT_VERBS",
    "TOPIC_PREPOSITIONS",
    "TRIGGERS",
    "TRIGGER_STARTS",
    "Trigger",
]


class Trigger(NamedTuple):
    kind: str
    """verb: the other side is the direct object ("met Y", "hosted Y", "told Y");
    prep: the other side follows a preposition ("spoke with Y", "a call from Y");
    noun: talks/meeting/conversation, linked by a support verb, "with", "between" or "their";
    recip: only a plural subject ("X and Y met")."""
    mode: str
    """in_person | phone | video | unspecified: what the trigger itself says."""


def _table(kind: str, mode: str, phrases: str) -> dict[tuple[str, ...], Trigger]:
    return {tuple(p.split()): Trigger(kind, mode) for p in phrases.split(",") if p.strip()}


TRIGGERS: dict[tuple[str, ...], Trigger] = {
    **_table("verb", "in_person", "met,meets,meet,hosted,hosts,host,welcomed,welcomes,received,receives,receive"),
    **_table("verb", "unspecified", "told,tells,informed,informs,briefed,briefs"),
    **_table("verb", "phone", "phoned,phones,called,calls,rang"),
    **_table("prep", "in_person", "met with,meets with,meet with"),
    **_table(
        "prep",
        "unspecified",
        "spoke with,spoke to,speaks with,speaks to,talked with,talked to,talks to,conferred with,"
        "negotiated with,consulted with,discussed with,discusses with,discuss with,exchanged views with",
    ),
    **_table(
        "prep",
        "phone",
        "spoke by phone with,spoke by telephone with,spoke on the phone with,spoke over the phone with,"
        "talked by phone with,talked by telephone with,spoke by phone to,spoke by telephone to,"
        "received a call from,received a phone call from,received a telephone call from",
    ),
    **_table("prep", "video", "spoke via videoconference with,spoke by video link with"),
    **_table("noun", "unspecified", "talks,conversation,conversations,negotiations,consultations"),
    **_table("noun", "in_person", "meeting,meetings,summit meeting,tete a tete"),
    **_table(
        "noun",
        "phone",
        "phone conversation,telephone conversation,phone conversations,telephone conversations,phone call,"
        "telephone call,phone calls,telephone calls,call,phone talks,telephone talks,conference call",
    ),
    **_table(
        "noun",
        "video",
        "videoconference,video conference,video call,video link,online meeting,video meeting,"
        "virtual meeting,online talks,video conversation,online conversation",
    ),
    **_table("recip", "unspecified", "spoke,talked,discussed,conferred,negotiated"),
}
"""Longest phrase wins at a position; "recip" entries apply only where a plural subject precedes."""

TRIGGER_STARTS: dict[str, tuple[tuple[tuple[str, ...], Trigger], ...]] = {
    first: tuple(sorted(((p, t) for p, t in TRIGGERS.items() if p[0] == first), key=lambda pt: -len(pt[0])))
    for first in {p[0] for p in TRIGGERS}
}
"""Trigger phrases by their first word, longest first (the detector looks up one word per token)."""

SUPPORT_VERBS = frozenset(
    "had has have having held hold holds holding conducted conduct conducts took take takes begun began "
    "started start starts continued continue continues led lead".split()
)
"""Verbs that make a noun trigger an act of the subject: "X held talks", "X had a call"."""

BARRIERS = frozenset(
    "said says saying stated stating noted noting stressed emphasized emphasised added adding believes believe "
    "that which who whom whose where when while whereas because although though but unless if whether "
    'according ; : ( ) " “ ” — – asked urged called_on'.split()
)
"""Clause boundaries: a participant is never looked for across one."""

NON_LEADER_NOUNS = frozenset(
    "minister ministers secretary secretaries speaker speakers governor governors ambassador ambassadors "
    "adviser advisers advisor advisors aide aides spokesman spokeswoman spokesperson envoy envoys deputy vice "
    "chairman chairwoman chairperson ceo director head heads mayor wife husband spouse lady widow son daughter "
    "delegation delegations members member representatives representative journalists reporters media press "
    "students officials official experts staff commander commissioner chief chiefs leadership parliament "
    "parliamentarians senators senator congressmen mps deputies generals mps ombudsman patriarch pope "
    "metropolitan rabbi mufti founder chair board executives executive businessmen entrepreneurs scientists "
    "families veterans volunteers children crew actor actors singer governments".split()
)
"""A noun that, met on the way to a participant, means the other side is not a leader."""

NON_PARTICIPANT_OBJECTS = frozenset(
    "message messages letter letters telegram telegrams greetings congratulations condolences credentials "
    "award awards report reports proposal proposals note notes request requests appeal appeals statement "
    "statements address speech interview questions question decision decisions position words remarks "
    "initiative initiatives results outcome outcomes news".split()
)
"""Objects that say the contact was not a meeting: "received a message from Y"."""

LEADER_TITLES = frozenset(
    "president presidents prime chancellor king queen emir sultan sheikh premier emperor crown prince "
    "head state government counterpart counterparts leader leaders taoiseach".split()
)
"""Title words that may stand before a leader's name without making it someone else."""

GOVERNING_TITLES = frozenset(
    "office adviser advisor aide envoy representative spokesman spokeswoman spokesperson secretary "
    "administration government cabinet embassy ambassador counsellor counselor assistant staff delegation "
    "wife husband spouse lady widow son daughter brother sister family minister ministry deputy chief "
    "press plenipotentiary commissioner head service apparatus team".split()
)
"""'X of/to the President of France': the leader names whose X it is, and is not a participant."""

GOVERNING_AFTER = frozenset(
    "wife husband spouse adviser advisor aide envoy office administration government spokesman spokeswoman "
    "representative representatives cabinet message letter team chief staff son daughter".split()
)
""""Putin's adviser": after a possessive, these make the leader a modifier, not a participant."""

TOPIC_PREPOSITIONS = frozenset("about on of regarding concerning towards toward against".split())
"""'told Y about Z': Z is a topic of the talk, not a participant."""

ADJUNCT_PREPOSITIONS = frozenset("during in at after following throughout".split())
"""'During the conversation, X …': the noun names the meeting; the clause names who took part."""

COREF_GROUPS = (
    ("the", "two", "leaders"),
    ("the", "two", "presidents"),
    ("both", "leaders"),
    ("both", "presidents"),
    ("the", "heads", "of", "state"),
    ("the", "presidents"),
    ("the", "leaders"),
    ("the", "interlocutors"),
)
"""Plural references to the leaders of the meeting just described."""

HYPOTHETICAL = frozenset(
    "might may could would possible possibly possibility potential perhaps rumoured rumored reportedly "
    "speculation speculated if unless whether hypothetical proposed propose proposes proposal offered offer "
    "offers suggested suggest suggests ready readiness willing willingness invite invited invites invitation "
    "inviting hope hopes hoped hoping wants want wanted call_for needed need needs necessary "
    "insisted insists sought seek seeks request requested requests idea".split()
)
"""Before a trigger in its clause: the meeting is rumoured, wished for or offered, not reported."""

NEGATION = frozenset(
    "not never no didn t cancelled canceled postponed refused refuses declined declines without impossible".split()
)

FUTURE = frozenset(
    "will shall going plans plan planned planning expected scheduled set due agreed agree agrees upcoming "
    "forthcoming next future tomorrow intend intends intended preparing prepare prepared arrange arranged "
    "organise organize".split()
)
"""Before a trigger in its clause: the meeting is planned."""

FUTURE_AFTER = (
    ("will", "take", "place"),
    ("will", "be", "held"),
    ("is", "scheduled"),
    ("are", "scheduled"),
    ("is", "planned"),
    ("are", "planned"),
    ("scheduled", "for"),
    ("planned", "for"),
    ("is", "expected"),
    ("are", "expected"),
    ("to", "be", "held"),
    ("would", "take", "place"),
    ("will", "be"),
)
"""After a noun trigger: "talks between X and Y will take place" is planned."""

PAST_REFERENCE = frozenset(
    "previous earlier last ago prior remember remembers remembered recall recalls recalled".split()
)
"""'his previous talks with Y': a meeting held before the reported one (dropped, see events.py)."""

PAST_PHRASES = (
    ("that", "night"),
    ("that", "day"),
    ("at", "that", "time"),
    ("back", "then"),
    ("last", "time"),
    ("the", "other", "day"),
    ("agreements", "reached"),
    ("agreement", "reached"),
    ("reached", "during"),
)
"""A meeting the text places in the past."""

RECENT = frozenset("recent recently yesterday".split())
RECENT_PHRASES = (("the", "day", "before"), ("last", "week"), ("earlier", "this", "week"), ("just", "recently"))
"""A meeting of the last days referred to in passing: it corroborates, it is not news itself."""

HABITUAL = frozenset("repeatedly regularly often constantly always frequently".split())
"""Not one meeting but many ("have repeatedly discussed")."""
