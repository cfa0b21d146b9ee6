"""Role phrases, titles, counterparts and shared surnames, resolved with the shipped watchlist."""

from __future__ import annotations

from datetime import date

import pytest

from agents.resources import load_config
from streams.tagger import Tagger, Tagging

PUTIN, ERDOGAN, ZELENSKYY, MACRON = "Q7747", "Q39259", "Q3874799", "Q3052772"
BIDEN, TRUMP, SCHOLZ, MERKEL, JOHNSON = "Q6279", "Q22686", "Q61053", "Q567", "Q180589"
RAISI, KHAMENEI, SHMYHAL, POROSHENKO = "Q5947347", "Q57336", "Q66094865", "Q58077"
GURBANGULY, SERDAR = "ww:gurbanguly-berdimuhamedow", "Q51874548"
DAY = date(2022, 3, 1)


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    config = load_config()
    return Tagger(config.watchlist, config.taxonomy)


def people(tagger: Tagger, tagging: Tagging, text: str) -> list[tuple[str, str]]:
    """(entity id, mentioned text) of the person mentions in the body, in text order."""
    persons = {e.id for e in tagger.watchlist.entities if e.type == "person"}
    return [(m.entity_id, text[m.start : m.end]) for m in tagging.mentions if m.entity_id in persons]


def ids(tagger: Tagger, text: str, day: date = DAY, headline: str = "") -> set[str]:
    return {hit.entity.id for hit in tagger.tag(headline, text, day=day).entities}


@pytest.mark.parametrize(
    ("text", "day", "holder"),
    [
        ("The Russian president spoke.", date(2024, 7, 3), PUTIN),
        ("The US president spoke.", date(2022, 3, 1), BIDEN),
        ("The US president spoke.", date(2019, 6, 1), TRUMP),
        ("The German Chancellor spoke.", date(2022, 3, 1), SCHOLZ),
        ("The German Chancellor spoke.", date(2021, 6, 1), MERKEL),
        ("The President of the Russian Federation spoke.", date(2022, 3, 1), PUTIN),
        ("Turkey's president spoke.", date(2022, 3, 1), ERDOGAN),
        ("The Kremlin leader spoke.", date(2022, 3, 1), PUTIN),
        ("The President of the Islamic Republic of Iran spoke.", date(2022, 3, 1), RAISI),
        ("Iran's Supreme Leader spoke.", date(2022, 3, 1), KHAMENEI),
        ("The British prime minister spoke.", date(2021, 3, 1), JOHNSON),
    ],
)
def test_role_resolves_to_the_holder_on_the_articles_date(tagger, text, day, holder):
    """A role phrase names whoever held that office on the article's date."""
    assert holder in ids(tagger, text, day)


@pytest.mark.parametrize(
    ("text", "day", "not_holder"),
    [
        ("The Turkish prime minister spoke.", date(2024, 7, 3), ERDOGAN),  # Türkiye has had no PM since 2018
        ("The British chancellor spoke.", date(2021, 3, 1), JOHNSON),  # the Exchequer, not the PM
        ("Iran's president spoke.", date(2022, 3, 1), KHAMENEI),  # the Supreme Leader is head of state
        ("The US president spoke.", date(2021, 1, 20), BIDEN),  # handover day: two holders, ambiguous
    ],
)
def test_role_does_not_resolve_to_another_office(tagger, text, day, not_holder):
    """Role words follow the office titles: a chancellor is not a prime minister, a president not a supreme leader."""
    assert not_holder not in ids(tagger, text, day)


@pytest.mark.parametrize(
    ("text", "not_meant"),
    [
        ("Former Ukrainian President Petro Poroshenko spoke.", ZELENSKYY),
        ("The Deputy Prime Minister of Ukraine spoke.", SHMYHAL),
        ("Head of the Office of the President of Ukraine Andriy Yermak spoke.", ZELENSKYY),
        ("Turkish President Abdullah Gul visited Moscow.", ERDOGAN),
    ],
)
def test_role_phrase_naming_someone_else_is_not_the_holder(tagger, text, not_meant):
    """ "former", "Deputy", "Office of the" and a different name in apposition block the resolution."""
    assert not_meant not in ids(tagger, text, date(2022, 3, 1))


def test_former_president_is_found_by_name(tagger):
    """The name after "former Ukrainian President" is still a mention of that person."""
    assert POROSHENKO in ids(tagger, "Former Ukrainian President Petro Poroshenko spoke.")


def test_president_elect_is_not_the_president(tagger):
    """On 2022-03-15 the President of Turkmenistan was the father; the president-elect is the son."""
    text = (
        "Vladimir Putin had a telephone conversation with President of Turkmenistan Gurbanguly "
        "Berdimuhamedov and President-Elect of Turkmenistan Serdar Berdimuhamedov."
    )
    tagging = tagger.tag("", text, day=date(2022, 3, 15))

    mentioned = [(i, t) for i, t in people(tagger, tagging, text) if i in (GURBANGULY, SERDAR)]
    assert mentioned == [
        (GURBANGULY, "President of Turkmenistan Gurbanguly Berdimuhamedov"),
        (SERDAR, "Serdar Berdimuhamedov"),
    ]


def test_role_before_an_unlisted_first_name_keeps_its_holder(tagger):
    """ "US President Joseph Biden": the name after the role ends in the holder's surname."""
    text = "US President Joseph Biden spoke."
    tagging = tagger.tag("", text, day=DAY)

    assert [(m.via, text[m.start : m.end]) for m in tagging.mentions if m.entity_id == BIDEN] == [
        ("role", "US President"),
        ("surname", "Biden"),
    ]


@pytest.mark.parametrize(
    ("text", "day", "expected"),
    [
        ("Vladimir Putin had a telephone conversation with his Turkish counterpart.", date(2022, 3, 1), ERDOGAN),
        ("Sergey Lavrov met his Turkish counterpart in Antalya.", date(2022, 3, 10), "ww:mevlut-cavusoglu"),
        ("Sergey Lavrov met his Turkish counterpart in Antalya.", date(2024, 3, 10), "ww:hakan-fidan"),
    ],
)
def test_counterpart_holds_the_same_office_as_the_sentences_subject(tagger, text, day, expected):
    """ "His Turkish counterpart" of a president is the Turkish president; of a foreign minister, the minister."""
    assert expected in ids(tagger, text, day)


def test_counterpart_without_a_known_subject_is_not_resolved(tagger):
    """The seed's "our energy minister … his Russian counterpart" is not Putin."""
    text = "Our minister of energy and natural resources is in talks with his Russian counterpart."

    assert PUTIN not in ids(tagger, text, date(2024, 7, 3))


def test_counterpart_does_not_reach_into_the_previous_sentence(tagger):
    """The subject must be in the same sentence as "counterpart"."""
    text = "Vladimir Putin spoke on Monday. The minister later met his Turkish counterpart."

    assert ERDOGAN not in ids(tagger, text)


@pytest.mark.parametrize(
    ("text", "day", "expected"),
    [
        ("President Macron said the talks went well.", date(2022, 3, 1), {MACRON}),
        ("President Macron said the talks went well.", date(2010, 3, 1), set()),  # not president then
        ("Macron said the talks went well.", date(2022, 3, 1), set()),
        ("Chancellor Scholz said so.", date(2022, 3, 1), {SCHOLZ}),
        ("Foreign Minister Lavrov said so.", date(2022, 3, 1), {"ww:sergey-lavrov"}),
    ],
)
def test_title_before_a_surname_anchors_it_when_the_office_fits(tagger, text, day, expected):
    """A bare surname counts after a title the person holds on the date ("President Macron" in 2022)."""
    assert {i for i in ids(tagger, text, day) if i in (MACRON, SCHOLZ, "ww:sergey-lavrov")} == expected


@pytest.mark.parametrize(
    ("text", "day", "not_meant"),
    [
        ("Belgian Foreign Trade Minister Herman De Croo said a compromise was near.", date(1987, 3, 3), "Q476596"),
        ("The budget is subject to approval by President Hafez al-Assad.", date(1987, 3, 17), "Q44329"),
        ("Brigitte Macron visited a school.", date(2022, 3, 1), MACRON),
        ("Olena Zelensky visited a school.", date(2022, 3, 1), ZELENSKYY),
        ("Emine Erdoğan visited a school.", date(2022, 3, 1), ERDOGAN),
        ("Peter Capaldi replaces Matt Smith; Charles said so.", date(2013, 8, 5), "Q43274"),
    ],
)
def test_namesakes_and_relatives_are_not_the_watched_person(tagger, text, day, not_meant):
    """Family members, fathers and namesakes who share a surname are kept apart."""
    assert not_meant not in ids(tagger, text, day)


def test_spouse_is_her_own_entity(tagger):
    """ "Olena Zelensky" is the First Lady, under her own id."""
    assert "ww:olena-zelenska" in ids(tagger, "Olena Zelensky visited a school.")


@pytest.mark.parametrize(
    "text",
    [
        "Gurbanguli Berdymukhamedov opened the session.",
        "Гурбангулы Бердымухамедов opened the session.",
    ],
)
def test_transliterations_name_the_same_person(tagger, text):
    """Other spellings and Cyrillic forms of a name are the same entity."""
    assert GURBANGULY in ids(tagger, text, date(2013, 9, 26))


@pytest.mark.parametrize(
    "text",
    [
        "RECEP TAYYİP ERDOĞAN spoke in ANKARA.",
        "Recep Tayyip Erdogan spoke. Erdoğan’s remarks were brief.",
        "Реджеп Тайип Эрдоган spoke. Эрдоган smiled.",
    ],
)
def test_case_diacritics_and_possessives_fold(tagger, text):
    """Turkish İ, missing breves, curly possessives and Cyrillic all reach the same entity."""
    assert ERDOGAN in ids(tagger, text)


def test_surname_mentions_count_once_anchored(tagger):
    """Each bare surname after the full name is a mention of its own, with its span."""
    text = "Recep Tayyip Erdogan spoke. Erdoğan’s remarks were brief. Later Erdoğan left."

    tagging = tagger.tag("", text, day=DAY)

    assert [(m.via, text[m.start : m.end]) for m in tagging.mentions if m.entity_id == ERDOGAN] == [
        ("name", "Recep Tayyip Erdogan"),
        ("surname", "Erdoğan"),
        ("surname", "Erdoğan"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Russian President Vladimir Putin spoke.", [("name", "Russian President Vladimir Putin")]),
        ("Vladimir Putin, Russian President, spoke.", [("name", "Vladimir Putin, Russian President")]),
        (
            "Vladimir Putin spoke; the Russian president left.",
            [("name", "Vladimir Putin"), ("role", "Russian president")],
        ),
    ],
)
def test_role_next_to_the_name_is_one_mention(tagger, text, expected):
    """A role phrase right before or after the same person's name merges with it; apart, both count."""
    tagging = tagger.tag("", text, day=DAY)

    assert [(m.via, text[m.start : m.end]) for m in tagging.mentions if m.entity_id == PUTIN] == expected
