"""Who a meeting trigger connects (streams/events.py): its subject, its objects, coordinated lists
("A, B and C"), adjuncts ("during the talks with Y, X …"), "the two leaders", "his", "I" and "their".
"""

from __future__ import annotations

from streams import event_lexicon as lex
from streams.event_tokens import Discourse, Token

__all__ = ["arguments", "first_person_subject", "trigger_at"]


_MAX_GAP = 14  # tokens between a participant and its trigger ("with President of the Argentine Republic")


_SKIP = frozenset("the a an his her their its this today s ' ’ also".split())


_OBJECT_GLUE = frozenset(
    "with the a an his her their and in at on today yesterday also , . - by phone telephone".split()
)


_TITLE_GLUE = frozenset("of the ' ’ s -".split())


_RECIPROCAL = frozenset(("met", "meet", "meets"))
_PREPOSITIONS = frozenset("with to from by about of on for between".split())
_PLURAL_NOUNS = frozenset(("meetings", "conversations", "calls"))


_PARTAKING = frozenset("part participated participate participates participating participation".split())


_PARTICIPATION = frozenset("attending attended taking participating took present".split())


def first_person_subject(tokens: list[Token], i: int) -> bool:
    return any(t.word in ("i", "we") for t in tokens[max(0, i - 3) : i])


def trigger_at(tokens: list[Token], i: int) -> tuple[int, lex.Trigger] | None:
    """The longest trigger phrase starting at token `i`: (its length in tokens, what it is), or None."""
    for phrase, trigger in lex.TRIGGER_STARTS.get(tokens[i].word, ()):
        length = len(phrase)
        if tuple(t.word for t in tokens[i : i + length]) == phrase:
            after = tokens[i + length].word if i + length < len(tokens) else ""
            if phrase[-1] in ("called", "calls") and after in ("on", "for", "upon", "to", "it", "him", "her", "them"):
                return None  # "called on", "called for": not a phone call
            return length, trigger
    return None


def arguments(
    tokens: list[Token], i: int, k: int, trigger: lex.Trigger, discourse: Discourse
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
    if trigger.kind == "verb" and not objects and tokens[i].word not in _RECIPROCAL:
        participants = set()  # "X and Y received assurances": receiving is not meeting each other
    if not subject and not _between(tokens, k):
        participants = set()  # "The Head of State will meet A and B": A and B are the other side, not a meeting
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


def _between(tokens: list[Token], k: int) -> bool:
    """ "talks between X and Y", "a meeting of X with Y": the phrase names both sides itself."""
    return any(t.word in ("between", "of") for t in tokens[k : k + 3])


def _separate(trigger: lex.Trigger, tokens: list[Token], i: int) -> bool:
    """ "spoke with A, B and C" at a summit, "told A and B": several contacts, not one meeting."""
    told = tokens[i].word in ("told", "informed", "briefed", "tells", "informs")
    spoke = trigger.kind in ("prep", "recip") and trigger.mode == "unspecified"
    return told or (spoke and tokens[i].word in ("spoke", "talked", "discussed"))


def _participants_listed(tokens: list[Token], i: int, k: int, discourse: Discourse) -> set[str]:
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


def _subject(tokens: list[Token], i: int, trigger: lex.Trigger, discourse: Discourse, objects: list[str]) -> set[str]:
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


def _objects(tokens: list[Token], k: int, trigger: lex.Trigger) -> list[str]:
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
        elif j > k and trigger_at(tokens, j) is not None:
            return []  # "welcomed the talks between X and Y": the talks are not with the subject
    return []


def _in_order(tokens: list[Token], ids: set[str]) -> list[str]:
    order = [t.entity for t in tokens]
    return sorted(ids, key=order.index)


def _after_non_leader(tokens: list[Token], j: int) -> list[str]:
    """Leaders coordinated after a non-leader first object."""
    for q in range(j, min(len(tokens), j + _MAX_GAP)):
        if tokens[q].word in lex.BARRIERS:
            return []
        if tokens[q].word in (",", "and"):
            return _in_order(tokens, _group(tokens, q - 1, step=1))
    return []


def _possessive(tokens: list[Token], j: int) -> bool:
    return [t.word for t in tokens[j + 1 : j + 3]] in (["'", "s"], ["’", "s"])


def _blocks(tokens: list[Token], j: int) -> bool:
    """A title or noun that makes the person beyond it someone other than a leader."""
    word = tokens[j].word
    if word not in lex.NON_LEADER_NOUNS:
        return False
    if word == "minister" and j > 0 and tokens[j - 1].word == "prime":
        return j >= 2 and tokens[j - 2].word in ("deputy", "vice", "first")
    after = [t.word for t in tokens[j + 1 : j + 3]]
    return not (word in ("head", "heads") and after in (["of", "state"], ["of", "government"]))


def _group(tokens: list[Token], j: int, *, step: int, pair: bool = False) -> set[str]:
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
        if step < 0 and item[-1] > 0 and tokens[item[-1] - 1].word in _PREPOSITIONS:
            break  # "talks with Y, X received …": Y belongs to the phrase before the comma
        found |= {e for q in persons if tokens[q].leader and (e := tokens[q].entity) is not None}
        position = persons[-1] if step > 0 else item[-1]
    return found


def _name_like(tokens: list[Token], item: list[int]) -> bool:
    """An unwatched person or title in a list ("Interior Minister Vladimir Kolokoltsev")."""
    return any(tokens[q].word in lex.NON_LEADER_NOUNS for q in item) or all(
        tokens[q].word in _SKIP or tokens[q].word in lex.LEADER_TITLES or tokens[q].word == "of"
        for q in item
        if not tokens[q].word[:1].isalpha() or tokens[q].word != tokens[q].word.lower()
    )


def _ends_item(tokens: list[Token], item: list[int], last_person: int) -> bool:
    """The item is a name, maybe with a place ("Scholz in Berlin"), not a clause ("Scholz arrived")."""
    rest = [q for q in item if q > last_person and tokens[q].word not in (".", "!", "?", ")", ";")]
    return not rest or tokens[rest[0]].word in ("in", "at", "on", "via", "by", "from", "during", "(", "'", "’")


def _is_title(tokens: list[Token], p: int) -> bool:
    """A word of a title before a name: "President of the Republic of Azerbaijan", "Federal"."""
    token = tokens[p]
    return (
        token.entity is None
        and (token.cap or token.word in lex.LEADER_TITLES or token.word in _TITLE_GLUE)
        and not (token.word in lex.BARRIERS or _blocks(tokens, p))
    )


def _nearest_subject(tokens: list[Token], j: int, *, exclude: set[str]) -> set[str]:
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


def _adjunct_actor(tokens: list[Token], i: int, k: int, *, exclude: set[str]) -> set[str]:
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


def _clause_subject(tokens: list[Token], j: int, *, exclude: set[str]) -> set[str]:
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


def _first_group(tokens: list[Token]) -> set[str]:
    first = next((i for i, t in enumerate(tokens) if t.leader), None)
    return _group(tokens, first, step=1) if first is not None else set()


def _is_adjunct(tokens: list[Token], i: int) -> bool:
    """ "During the (telephone) conversation", "at their meeting", "following talks", "in a conversation
    with Y" — but not "took part in a summit" (taking part is not holding talks)."""
    for j in range(max(0, i - 5), i):
        word = tokens[j].word
        if word in lex.ADJUNCT_PREPOSITIONS and not (word == "in" and j > 0 and tokens[j - 1].word in _PARTAKING):
            return True
    return False


def _core_leaders(tokens: list[Token]) -> set[str]:
    """Leaders of the clause who are not a topic ("about Z") or inside reported speech ("that Z")."""
    core: set[str] = set()
    for j, token in enumerate(tokens):
        if token.word in ("that", "said", ":", '"', "“"):
            break
        label = j + 1 < len(tokens) and tokens[j + 1].word in (":", "(")
        if not token.leader or token.entity is None or label:
            continue  # a transcript's speaker label ("Vladimir Putin: …") is not a participant of the clause
        before = [t.word for t in tokens[max(0, j - 4) : j] if t.word not in lex.LEADER_TITLES | _SKIP]
        if before and before[-1] in lex.TOPIC_PREPOSITIONS | {"from"}:
            continue  # "told Y about Z", "gratitude from Z"
        core.add(token.entity)
    return core


def _coref_before(tokens: list[Token], j: int) -> bool:
    words = tuple(t.word for t in tokens[max(0, j - 4) : j])
    return any(words[-len(g) :] == g for g in lex.COREF_GROUPS)
