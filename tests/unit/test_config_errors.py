"""Configuration errors name the file, the line and the field path of the first mistake."""

from __future__ import annotations

from datetime import date

import pytest

from agents.resources import parse_document
from streams.errors import ConfigError
from streams.topics import parse_taxonomy
from streams.watchlist import parse_watchlist

WATCHLIST = """version: "t-1"
entities:
  - id: Q7747
    name: Vladimir Putin
    type: person
    offices:
      - {role: head_of_state, country: RUS, start: 2012-05-07, end: null}
  - id: Q39259
    name: Recep Tayyip Erdoğan
    type: person
    aliases: [Erdoğan, Erdogan]
    offices:
      - role: head_of_state
        country: TUR
        start: 2014-08-28
countries:
  - {code: TUR, name: Türkiye, names: [Turkey], adjectives: [Turkish], leader: head_of_state}
"""

TOPICS = """version: "t-1"
topics:
  - id: energy
    iptc: "medtop:20000248"
    threshold: 4
    terms:
      - {term: gas, weight: 1}
  - id: syria
    iptc: "medtop:16000000"
    threshold: 3
    terms:
      - {term: Syria}
"""


def _error(text: str, parse=parse_watchlist) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_document(text, "x.yaml", parse)
    return str(caught.value)


def _edit(old: str, new: str, text: str = WATCHLIST) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_valid_watchlist_parses():
    """The unedited document is valid, so each error below comes from its one edit."""
    watchlist = parse_document(WATCHLIST, "x.yaml", parse_watchlist)

    assert [e.id for e in watchlist.entities] == ["Q7747", "Q39259"]
    assert watchlist.entities[1].offices[0].start == date(2014, 8, 28)
    assert watchlist.entities[0].offices[0].end is None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    name: Recep Tayyip Erdoğan\n", "", "x.yaml:8: entities[1].name: must be a non-empty string, got nothing"),
        (
            "      - role: head_of_state\n        country: TUR",
            "      - country: TUR",
            "x.yaml:13: entities[1].offices[0].role: must be a non-empty string, got nothing",
        ),
        ("  - id: Q39259\n    name:", "  - name:", "x.yaml:8: entities[1].id: must be a non-empty string, got nothing"),
    ],
    ids=["name", "office-role", "id"],
)
def test_missing_field(old, new, expected):
    """A missing field is reported at its parent's line, under its own path."""
    assert _error(_edit(old, new)) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("name: Vladimir Putin", "name: 42", "x.yaml:4: entities[0].name: must be a non-empty string, got int"),
        (
            "aliases: [Erdoğan, Erdogan]",
            "aliases: Erdoğan",
            "x.yaml:11: entities[1].aliases: must be a list, got string 'Erdoğan'",
        ),
        (
            "aliases: [Erdoğan, Erdogan]",
            "aliases: [Erdoğan, 7]",
            "x.yaml:11: entities[1].aliases[1]: must be a non-empty string, got int",
        ),
        (
            "    type: person\n    aliases",
            "    type: human\n    aliases",
            "x.yaml:10: entities[1].type: must be one of",
        ),
    ],
    ids=["name-int", "aliases-string", "alias-int", "type-choice"],
)
def test_wrong_type(old, new, expected):
    """A value of the wrong type names the field and what was found."""
    assert _error(_edit(old, new)).startswith(expected)


def test_entities_must_be_a_list():
    """A mapping where a list is expected is reported at its key."""
    assert _error('version: "t-1"\nentities: {Q7747: Vladimir Putin}\n') == (
        "x.yaml:2: entities: must be a list, got a mapping"
    )


def test_unknown_key():
    """A misspelt key is reported where it stands, with the allowed keys."""
    text = _edit("    aliases: [Erdoğan, Erdogan]\n", "    alias: [Erdoğan, Erdogan]\n")

    assert _error(text) == (
        "x.yaml:11: entities[1].alias: unknown field "
        "(allowed: aliases, description, id, name, notes, offices, source, surnames, type)"
    )


def test_unknown_top_level_key():
    """A misspelt top-level key is reported with its own name as the path."""
    assert _error(WATCHLIST + "entitys: []\n").startswith("x.yaml:18: entitys: unknown field")


@pytest.mark.parametrize("value", ["yesterday", "2014-8-28", "28.08.2014"])
def test_bad_date(value):
    """A value that is not an ISO date names the office field and the value."""
    text = _edit("start: 2014-08-28", f"start: {value}")

    message = _error(text)

    assert message.startswith("x.yaml:15: entities[1].offices[0].start: must be a date YYYY-MM-DD")
    assert message.endswith(f"got '{value}'")


def test_impossible_calendar_date():
    """A date-shaped value that is not a calendar date is a ConfigError with its line, not a crash."""
    text = _edit("start: 2014-08-28", "start: 2014-13-28")

    assert _error(text).startswith("x.yaml:15: entities[1].offices[0].start: must be a date")


def test_end_before_start_in_flow_mapping():
    """An office that ends before it starts points at its `end`."""
    text = _edit("start: 2012-05-07, end: null", "start: 2012-05-07, end: 2010-01-01")

    assert _error(text) == "x.yaml:7: entities[0].offices[0].end: ends (2010-01-01) before it starts (2012-05-07)"


def test_end_before_start_in_block_mapping():
    """In block style the error names the line of the `end` key itself."""
    text = _edit("        start: 2014-08-28\n", "        start: 2014-08-28\n        end: 2001-01-01\n")

    assert _error(text) == "x.yaml:16: entities[1].offices[0].end: ends (2001-01-01) before it starts (2014-08-28)"


def test_duplicate_id():
    """The second entity with an id already used is reported, with where the first one is."""
    text = _edit("  - id: Q39259", "  - id: Q7747")

    assert _error(text) == "x.yaml:8: entities[1].id: duplicate id 'Q7747' (also entities[0])"


def test_yaml_syntax_error():
    """A YAML syntax error names the line of the mistake."""
    text = _edit("name: Vladimir Putin", "name: Vladimir: Putin")

    assert _error(text).startswith("x.yaml:4: (syntax): invalid YAML: mapping values are not allowed")


def test_json_syntax_error():
    """A JSON document with a syntax error names its line too."""
    text = '{"version": "x",\n "entities": [\n  {"id": "Q1", "name": "A", "type": "person",}\n ]\n}'

    assert _error(text).startswith("x.yaml:3: (syntax): invalid JSON:")


def test_json_document_errors_have_lines():
    """A JSON watchlist is validated like YAML, with line numbers."""
    text = '{"version": "x",\n "entities": [\n  {"id": "Q1", "type": "person"}\n ]\n}'

    assert _error(text) == "x.yaml:3: entities[0].name: must be a non-empty string, got nothing"


def test_empty_document():
    """An empty file is a document that is not a mapping."""
    assert _error("") == "x.yaml: (document): must be a mapping, got nothing"


def test_country_leader_must_be_a_leading_office():
    """A country's usual leader is head of state or of government, nothing else."""
    text = _edit("leader: head_of_state}", "leader: king}")

    assert _error(text).startswith("x.yaml:17: countries[0].leader: must be one of head_of_government, head_of_state")


def test_error_carries_its_parts():
    """The exception exposes file, line and field for the caller, not only a message."""
    with pytest.raises(ConfigError) as caught:
        parse_document(_edit("name: Vladimir Putin", "name: 42"), "x.yaml", parse_watchlist)

    assert (caught.value.source, caught.value.line, caught.value.field) == ("x.yaml", 4, "entities[0].name")


def test_duplicate_topic_id():
    """A taxonomy with a repeated topic id names the repeat."""
    text = _edit("  - id: syria", "  - id: energy", TOPICS)

    assert _error(text, parse_taxonomy) == "x.yaml:8: topics[1].id: duplicate topic id 'energy'"


def test_topic_without_terms():
    """A topic needs at least one term."""
    text = _edit("    terms:\n      - {term: Syria}\n", "    terms: []\n", TOPICS)

    assert _error(text, parse_taxonomy) == "x.yaml:11: topics[1].terms: needs at least one term"


def test_term_weight_must_be_a_number():
    """A term weight that is not a number names the term's path."""
    text = _edit("{term: gas, weight: 1}", "{term: gas, weight: high}", TOPICS)

    assert _error(text, parse_taxonomy) == "x.yaml:7: topics[0].terms[0].weight: must be a number, got string 'high'"
