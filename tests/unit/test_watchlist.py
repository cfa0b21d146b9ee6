"""The watchlist as data: the shipped default, user files beside or instead of it, surnames, offices."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from agents.resources import default_path, load_watchlists, parse_document
from agents.settings import Settings
from streams.errors import ConfigError
from streams.watchlist import Entity, Office, OfficeIndex, Watchlist, office_kinds, parse_watchlist

USER = """version: "mine-1"
entities:
  - id: ww:my-analyst
    name: Jane Analyst
    type: person
    surnames: [Analyst]
  - id: Q7747
    name: Vladimir Putin
    type: person
    aliases: [V. V. Putin]
    surnames: [Putin]
    offices:
      - {role: head_of_state, country: RUS, title: President, start: 2012-05-07}
"""


@pytest.fixture(scope="module")
def default() -> Watchlist:
    return load_watchlists([default_path("watchlist.json")])


def _by_name(watchlist: Watchlist) -> dict[str, Entity]:
    return {e.name: e for e in watchlist.entities}


def test_default_has_every_country_and_dated_leaders(default):
    """199 countries; every leader has at least one head-of-state or head-of-government office."""
    leaders = [e for e in default.entities if any(o.role in ("head_of_state", "head_of_government") for o in e.offices)]

    assert len(default.countries) == 199
    assert len(leaders) >= 860
    assert all(o.start is not None for e in leaders for o in e.offices)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Gazprom", "organization"),
        ("Rosatom", "organization"),
        ("BOTAŞ", "organization"),
        ("Shanghai Cooperation Organisation", "organization"),
        ("NATO", "organization"),
        ("Hamas", "organization"),
        ("Hezbollah", "organization"),
        ("UNRWA", "organization"),
        ("Akkuyu Nuclear Power Plant", "facility"),
        ("Zaporizhzhia Nuclear Power Plant", "facility"),
        ("TurkStream", "facility"),
        ("Sinop", "place"),
        ("Rafah", "place"),
    ],
)
def test_default_has_the_beat_entities(default, name, kind):
    """The organisations, places and facilities of the energy, Ukraine, Gaza and Syria beats are watched."""
    assert _by_name(default)[name].type == kind


def test_default_keeps_spouses_and_namesakes_apart(default):
    """First ladies have their own entries; their names are full names, not the president's surname."""
    names = _by_name(default)

    assert names["Emine Erdoğan"].offices[0].role == "spouse_of_head_of_state"
    assert "Zelenska" in names["Olena Zelenska"].surnames
    assert "Erdoğan" not in names["Emine Erdoğan"].aliases


def test_default_surnames_need_an_anchor(default):
    """One-word names and particle surnames are listed apart from the full names."""
    names = _by_name(default)

    assert "Putin" in names["Vladimir Putin"].weak_names()
    assert "De Croo" in names["Alexander De Croo"].weak_names()
    assert "Vladimir Vladimirovich Putin" not in names["Vladimir Putin"].weak_names()
    assert "习近平" in names["Xi Jinping"].aliases  # a full name in a script written without spaces


def test_one_word_aliases_of_a_person_need_an_anchor_without_a_surnames_list():
    """A user's watchlist may list "Putin" among the aliases: one-word names of people still need an anchor."""
    person = Entity("Q7747", "Vladimir Putin", "person", ("Putin", "Vladimir V. Putin"))
    place = Entity("Q212", "Ukraine", "place", ("Україна",))

    assert person.weak_names() == {"Putin"}
    assert place.weak_names() == frozenset()


def test_user_watchlist_beside_the_default(tmp_path: Path, default):
    """`default` plus a user file: the user's entities are added, an equal id replaces the default's."""
    mine = tmp_path / "mine.yaml"
    mine.write_text(USER, encoding="utf-8")

    merged = load_watchlists([Path("default"), mine])

    names = _by_name(merged)
    assert "Jane Analyst" in names
    assert names["Vladimir Putin"].aliases == ("V. V. Putin",)
    assert len(merged.entities) == len(default.entities) + 1
    assert merged.version == f"{default.version}+mine-1"


def test_user_watchlist_instead_of_the_default(tmp_path: Path):
    """A user file alone replaces the default."""
    mine = tmp_path / "mine.yaml"
    mine.write_text(USER, encoding="utf-8")

    assert [e.id for e in load_watchlists([mine]).entities] == ["ww:my-analyst", "Q7747"]


def test_watchlist_environment_variable_lists_files_in_order():
    """WIREWATCH_WATCHLIST is a comma list; spaces around names are ignored."""
    settings = Settings.from_env({"WIREWATCH_WATCHLIST": "default, mine.yaml"})

    assert settings.watchlists == (Path("default"), Path("mine.yaml"))


def test_invalid_user_watchlist_names_file_line_and_field(tmp_path: Path):
    """A bad field in a user file stops start-up with the file, the line and the field path."""
    mine = tmp_path / "mine.yaml"
    mine.write_text(USER.replace("surnames: [Analyst]", "surnames: Analyst"), encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_watchlists([Path("default"), mine])

    assert str(caught.value) == f"{mine}:6: entities[0].surnames: must be a list, got string 'Analyst'"


def test_unknown_field_is_rejected():
    """A misspelt key is an error, not silently ignored."""
    with pytest.raises(ConfigError, match=r"entities\[0\].surname: unknown field"):
        parse_document(USER.replace("surnames: [Analyst]", "surname: [Analyst]"), "x.yaml", parse_watchlist)


@pytest.mark.parametrize(
    ("role", "title", "kinds"),
    [
        ("head_of_state", "President", {"head_of_state", "president"}),
        ("head_of_government", "President", {"head_of_government", "president"}),
        ("head_of_government", "Prime Minister", {"head_of_government", "prime_minister", "minister"}),
        ("head_of_government", "Chancellor", {"head_of_government", "prime_minister", "chancellor"}),
        ("head_of_state", "Supreme Leader", {"head_of_state", "supreme_leader"}),
        ("head_of_state", "King", {"head_of_state", "monarch"}),
        ("head_of_government", "Prime Minister; Vice President", {"head_of_government", "minister"}),
        ("foreign_minister", "Minister of Foreign Affairs", {"foreign_minister", "minister"}),
    ],
)
def test_office_kinds_follow_the_title(role, title, kinds):
    """What a role word can call an office comes from its role and title ("vice" blocks president)."""
    assert office_kinds(Office(role, "XXX", title, None, None)) == kinds


def test_office_index_finds_the_holder_on_a_date(default):
    """(country, kind) → holders on the day; a handover day has two holders."""
    index = OfficeIndex(default)
    ids = [e.id for e in default.entities]

    assert [ids[i] for i in index.holders("USA", "president", date(2022, 3, 1))] == ["Q6279"]
    assert {ids[i] for i in index.holders("USA", "president", date(2021, 1, 20))} == {"Q6279", "Q22686"}
    assert index.holders("TUR", "prime_minister", date(2024, 7, 3)) == []


def test_every_shipped_entity_says_where_it_comes_from(default):
    """Each entity and office of the default watchlist records its source (licences differ by source)."""
    raw = default_path("watchlist.json").read_text(encoding="utf-8")

    assert raw.count('"source": ') >= len(default.entities) + sum(len(e.offices) for e in default.entities)
    assert "CC BY-NC 4.0" in raw
