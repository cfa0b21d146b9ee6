"""The watchlist as data: entities with name variants and dated offices, countries with demonyms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from streams.config import Node

__all__ = [
    "LEADER_ROLES",
    "Country",
    "Entity",
    "Office",
    "Watchlist",
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
    offices: tuple[Office, ...] = ()

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

    def leaders_on(self, country: str, role: str, day: date) -> list[Entity]:
        return [
            e
            for e in self.entities
            if any(o.country == country and o.role == role and o.holds_on(day) for o in e.offices)
        ]


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
    node.only_keys({"id", "name", "type", "aliases", "offices", "source", "notes", "description"})
    offices = tuple(_office(o) for o in node.child("offices").items()) if node.has("offices") else ()
    return Entity(
        id=node.child("id").text(),
        name=node.child("name").text(),
        type=node.child("type").text(choices=ENTITY_TYPES),
        aliases=node.child("aliases").strings(),
        offices=offices,
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
