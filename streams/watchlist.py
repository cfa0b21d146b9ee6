"""The watchlist as data: entities with name variants and dated offices, countries with demonyms."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache

from streams.config import Node

__all__ = [
    "LEADER_ROLES",
    "Country",
    "Entity",
    "Office",
    "OfficeIndex",
    "Watchlist",
    "office_kinds",
    "parse_watchlist",
]

ENTITY_TYPES = ("person", "organization", "place", "facility", "event", "other")
LEADER_ROLES = frozenset({"head_of_state", "head_of_government"})


@dataclass(frozen=True, slots=True)
class Office:
    role: str
    """head_of_state | head_of_government | minister | spokesperson | … (free text beyond the two)."""
    country: str | None
    title: str | None
    start: date | None
    end: date | None
    """None: still in office at the end of the data."""

    def holds_on(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    """Wikidata QID where one exists, else a `ww:` slug."""
    name: str
    type: str
    aliases: tuple[str, ...]
    """Full names and name variants: each one alone is a mention."""
    offices: tuple[Office, ...] = ()
    surnames: tuple[str, ...] = ()
    """Short names ("Putin", "De Croo", "MBS") that are a mention only when the article anchors
    them: the full name, a role phrase resolving to this entity, or a title just before them."""

    def weak_names(self) -> frozenset[str]:
        """Names that need an anchor. Without an explicit `surnames` list, a person's one-word
        names do (a user's watchlist may simply list "Putin" among the aliases)."""
        if self.surnames:
            return frozenset(self.surnames)
        if self.type != "person":
            return frozenset()
        return frozenset(n for n in (self.name, *self.aliases) if len(n.split()) == 1)

    def leader_offices_on(self, day: date) -> tuple[Office, ...]:
        return tuple(o for o in self.offices if o.role in LEADER_ROLES and o.holds_on(day))

    def is_leader_on(self, day: date) -> bool:
        return bool(self.leader_offices_on(day))


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str
    names: tuple[str, ...]
    adjectives: tuple[str, ...]
    leader: str
    """Which office "the <adjective> leader" means in this country."""


@dataclass(frozen=True, slots=True)
class Watchlist:
    version: str
    entities: tuple[Entity, ...]
    countries: tuple[Country, ...]

    def merged(self, other: Watchlist) -> Watchlist:
        """This watchlist with `other`'s entities and countries added; `other` wins on equal ids."""
        entities = {e.id: e for e in self.entities} | {e.id: e for e in other.entities}
        countries = {c.code: c for c in self.countries} | {c.code: c for c in other.countries}
        return Watchlist(f"{self.version}+{other.version}", tuple(entities.values()), tuple(countries.values()))


_MONARCH_TITLES = ("king", "queen", "emir", "amir", "sultan", "emperor", "monarch", "grand duke")


@cache
def office_kinds(office: Office) -> frozenset[str]:
    """What a role word or title can call this office: its role ("head_of_state",
    "foreign_minister") and, from its title, "president", "prime_minister", "chancellor",
    "monarch", "crown_prince", "supreme_leader", "pope", "minister", "spokesperson"."""
    title = (office.title or "").lower()
    kinds = {office.role}
    if office.role in LEADER_ROLES and "vice" not in title and "deputy" not in title:
        if "president" in title or (office.role == "head_of_state" and not title):
            kinds.add("president")
        if office.role == "head_of_government" and ("president" not in title or "minister" in title):
            kinds.add("prime_minister")
        if office.role == "head_of_government" and "chancellor" in title:
            kinds.add("chancellor")
        if office.role == "head_of_state" and any(word in title for word in _MONARCH_TITLES):
            kinds.add("monarch")
    for phrase, kind in (("crown prince", "crown_prince"), ("supreme leader", "supreme_leader"), ("pope", "pope")):
        if phrase in title:
            kinds.add(kind)
    if "minister" in office.role or "minister" in title:
        kinds.add("minister")
    if "spokes" in office.role or "spokes" in title or "press secretary" in title:
        kinds.add("spokesperson")
    if "secretary_general" in office.role or "secretary-general" in title or "secretary general" in title:
        kinds.add("secretary_general")
    return frozenset(kinds)


class OfficeIndex:
    """(country, kind) → office holders, built once per watchlist, so a role phrase resolves
    by looking at the few holders of that office instead of every entity."""

    def __init__(self, watchlist: Watchlist) -> None:
        self._by_id = {e.id: e for e in watchlist.entities}
        self._holders: dict[tuple[str, str], list[tuple[int, Office]]] = defaultdict(list)
        for index, entity in enumerate(watchlist.entities):
            for office in entity.offices:
                if office.country:
                    for kind in office_kinds(office):
                        self._holders[office.country, kind].append((index, office))

    def entity(self, entity_id: str) -> Entity:
        return self._by_id[entity_id]

    def kinds(self, country: str) -> set[str]:
        return {kind for (code, kind) in self._holders if code == country}

    def holders(self, country: str, kind: str, day: date) -> list[int]:
        """Entity positions (in the watchlist) holding an office of this kind on `day`, no repeats."""
        return list(dict.fromkeys(i for i, office in self._holders.get((country, kind), ()) if office.holds_on(day)))

    @staticmethod
    def holds_kind(entity: Entity, kind: str, day: date, *, former: bool = False) -> bool:
        """Whether `entity` holds (or, with `former`, held before `day`) an office of this kind."""
        return any(
            kind in office_kinds(office)
            and (office.start is None or office.start <= day if former else office.holds_on(day))
            for office in entity.offices
        )

    @staticmethod
    def counterpart_kinds(anchor: Entity, day: date, leader_role: str) -> set[str]:
        """The offices "his <country> counterpart" can mean, from the anchor's offices on `day`:
        the same leading office (the country's usual leader when the anchor holds both), else the
        anchor's own role (a foreign minister's counterpart is a foreign minister)."""
        offices = [o for o in anchor.offices if o.holds_on(day)]
        leading = {o.role for o in offices if o.role in LEADER_ROLES}
        if leading:
            return {leader_role} if len(leading) > 1 else leading
        return {o.role for o in offices}


def parse_watchlist(root: Node) -> Watchlist:
    """Validate a watchlist document; the first problem raises `ConfigError` with file, line, field."""
    root.only_keys({"version", "description", "licence", "sources", "countries", "entities"})
    version = root.child("version").text()
    entities = tuple(_entity(node) for node in root.child("entities").items())
    seen: dict[str, str] = {}
    for node, entity in zip(root.child("entities").items(), entities, strict=True):
        if entity.id in seen:
            raise node.fail("id", f"duplicate id {entity.id!r} (also {seen[entity.id]})")
        seen[entity.id] = node.path
    countries = tuple(_country(node) for node in root.child("countries").items()) if root.has("countries") else ()
    return Watchlist(version, entities, countries)


def _entity(node: Node) -> Entity:
    node.only_keys({"id", "name", "type", "aliases", "surnames", "offices", "source", "notes", "description"})
    offices = tuple(_office(o) for o in node.child("offices").items()) if node.has("offices") else ()
    return Entity(
        id=node.child("id").text(),
        name=node.child("name").text(),
        type=node.child("type").text(choices=ENTITY_TYPES),
        aliases=node.child("aliases").strings(),
        offices=offices,
        surnames=node.child("surnames").strings(),
    )


def _office(node: Node) -> Office:
    node.only_keys({"role", "country", "title", "start", "end", "source", "notes"})
    start = node.child("start").date(optional=True)
    end = node.child("end").date(optional=True, period_end=True)
    if start and end and end < start:
        raise node.fail("end", f"ends ({end}) before it starts ({start})")
    return Office(
        role=node.child("role").text(),
        country=node.child("country").text(optional=True) or None,
        title=node.child("title").text(optional=True) or None,
        start=start,
        end=end,
    )


def _country(node: Node) -> Country:
    node.only_keys({"code", "name", "names", "adjectives", "leader"})
    return Country(
        code=node.child("code").text(),
        name=node.child("name").text(),
        names=node.child("names").strings(),
        adjectives=node.child("adjectives").strings(),
        leader=node.child("leader").text(choices=tuple(sorted(LEADER_ROLES))),
    )
