"""Entity and topic tagging: names, surnames, roles resolved at a date, and topic thresholds."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.article import decode_article
from streams.pipeline import Enricher
from streams.tagger import Tagger, Tagging
from streams.text import clean_body, clean_headline

DAY = date(2024, 7, 3)
ERDOGAN, PUTIN, ASSAD, MACRON = "Q39259", "Q7747", "Q44329", "Q3052772"


@pytest.fixture(scope="module")
def tagger(small_config) -> Tagger:
    return Tagger(small_config.watchlist, small_config.taxonomy)


@pytest.fixture(scope="module")
def seed_clean(seed_text) -> tuple[str, str]:
    headline, body = seed_text
    return clean_headline(headline), clean_body(body, headline)


@pytest.fixture(scope="module")
def seed_tagging(tagger, seed_clean) -> Tagging:
    headline, text = seed_clean
    return tagger.tag(headline, text, day=DAY)


PLACES = ("Q212", "Q858")  # Ukraine and Syria are watched places in the small watchlist


def _mentioned(tagging: Tagging, text: str) -> list[tuple[str, str]]:
    """Mentions of people and organisations (a role phrase also names its country, a place)."""
    return [(m.entity_id, text[m.start : m.end]) for m in tagging.mentions if m.entity_id not in PLACES]


def _entity_ids(tagging: Tagging) -> set[str]:
    return {hit.entity.id for hit in tagging.entities}


def _topic_ids(tagging: Tagging) -> set[str]:
    return {hit.topic.id for hit in tagging.topics}


def test_seed_leaders_are_tagged_with_wikidata_ids(seed_tagging):
    """Erdoğan and Putin are found under their Wikidata ids, in the body and the headline."""
    hits = {hit.entity.id: hit for hit in seed_tagging.entities}

    assert hits[ERDOGAN].entity.name == "Recep Tayyip Erdoğan"
    assert hits[PUTIN].entity.name == "Vladimir Putin"
    assert len(hits[ERDOGAN].mentions) >= 15
    assert len(hits[PUTIN].mentions) >= 15
    assert hits[ERDOGAN].in_headline == 1
    assert hits[PUTIN].in_headline == 1


def test_seed_leaders_are_the_most_mentioned(seed_tagging):
    """Entities are ranked by mentions: the two leaders come first."""
    assert {hit.entity.id for hit in seed_tagging.entities[:2]} == {ERDOGAN, PUTIN}


@pytest.mark.parametrize(
    "entity_id",
    [ASSAD, "ww:dmitry-peskov", "ww:alparslan-bayraktar", "ww:akkuyu-npp", "ww:gazprom", "ww:rosatom", "ww:botas"],
)
def test_seed_other_watched_entities_are_tagged(seed_tagging, entity_id):
    """Assad, the spokesman, the minister and the energy companies and plant are all found."""
    assert entity_id in _entity_ids(seed_tagging)


def test_seed_mentions_point_at_names(seed_tagging, seed_clean):
    """Every mention's offsets select a name or role phrase of its entity in the text."""
    _, text = seed_clean
    expected = {
        ERDOGAN: {"Erdoğan", "Recep Tayyip Erdoğan"},
        PUTIN: {"Putin", "Vladimir Putin", "Russian President Vladimir Putin", "Russian leader Putin"}
        | {"Russian president", "Russian leader", "Russian counterpart"},
    }

    for entity_id, name in _mentioned(seed_tagging, text):
        if entity_id in expected:
            assert name in expected[entity_id]


def test_mention_offsets_select_the_mention_text(tagger):
    """text[start:end] is exactly the mentioned name, also after accented letters."""
    text = "Türkiye’s İbrahim said: Recep Tayyip Erdoğan met Vladimir Putin."

    tagging = tagger.tag("", text, day=DAY)

    assert _mentioned(tagging, text) == [(ERDOGAN, "Recep Tayyip Erdoğan"), (PUTIN, "Vladimir Putin")]


def test_ascii_spelling_is_the_same_entity(tagger):
    """ "Recep Tayyip Erdogan" without the breve is still Erdoğan."""
    text = "Recep Tayyip Erdogan spoke in Ankara."

    assert _mentioned(tagger.tag("", text, day=DAY), text) == [(ERDOGAN, "Recep Tayyip Erdogan")]


def test_spouse_is_not_a_mention_of_the_president(tagger):
    """ "Emine Erdoğan" is the first lady, not a mention of Recep Tayyip Erdoğan."""
    text = "Emine Erdoğan visited a school in Ankara."

    tagging = tagger.tag("", text, day=DAY)

    assert _mentioned(tagging, text) == [("ww:emine-erdogan", "Emine Erdoğan")]


def test_spouse_beside_the_president_stays_separate(tagger):
    """With both present, each name goes to its own entity, and a bare surname to the anchored president."""
    text = "Recep Tayyip Erdoğan arrived. Later Emine Erdoğan spoke, and Erdoğan smiled."

    tagging = tagger.tag("", text, day=DAY)

    assert _mentioned(tagging, text) == [
        (ERDOGAN, "Recep Tayyip Erdoğan"),
        ("ww:emine-erdogan", "Emine Erdoğan"),
        (ERDOGAN, "Erdoğan"),
    ]


def test_unanchored_surname_is_not_tagged(tagger):
    """ "Macron said" alone could be anyone called Macron: no full name, no role, no tag."""
    tagging = tagger.tag("Talks go well", "Macron said the talks went well.", day=DAY)

    assert MACRON not in _entity_ids(tagging)


def test_surname_anchored_by_full_name_is_tagged(tagger):
    """Once the full name appears, the bare surname refers to that person."""
    text = "Emmanuel Macron arrived in Moscow. Macron said the talks went well."

    tagging = tagger.tag("", text, day=DAY)

    assert _mentioned(tagging, text) == [(MACRON, "Emmanuel Macron"), (MACRON, "Macron")]


def test_surname_in_headline_anchored_by_body(tagger):
    """A headline surname counts when the body names the person in full."""
    tagging = tagger.tag("Macron calls Putin", "Emmanuel Macron spoke on Friday.", day=DAY)

    hit = next(hit for hit in tagging.entities if hit.entity.id == MACRON)
    assert hit.in_headline == 1


def test_role_resolves_to_office_holder_on_the_date(tagger):
    """ "The Russian president" on a 2024 date is Vladimir Putin."""
    text = "The Russian president spoke on Monday."

    assert _mentioned(tagger.tag("", text, day=DAY), text) == [(PUTIN, "Russian president")]


def test_role_without_holder_on_the_date_is_not_tagged(tagger):
    """Before Putin's current term (2012) the watchlist has no Russian president: nothing is tagged."""
    tagging = tagger.tag("", "The Russian president spoke on Monday.", day=date(2010, 1, 1))

    assert tagging.mentions == ()


@pytest.mark.parametrize("phrase", ["Syrian President", "President of Syria", "Syria's president"])
def test_syrian_president_is_assad_while_in_office(tagger, phrase):
    """Before 2024-12-08 the Syrian president is Bashar al-Assad."""
    text = f"The {phrase} spoke on Monday."

    assert _mentioned(tagger.tag("", text, day=date(2023, 5, 1)), text) == [(ASSAD, phrase)]


@pytest.mark.parametrize("phrase", ["Syrian President", "President of Syria", "Syria's president"])
def test_syrian_president_is_not_assad_after_he_left(tagger, phrase):
    """After Assad left office on 2024-12-08 the role no longer resolves to him."""
    tagging = tagger.tag("", f"The {phrase} spoke on Monday.", day=date(2025, 3, 1))

    assert ASSAD not in _entity_ids(tagging)


def test_office_end_date_is_inclusive(tagger):
    """On his last day in office Assad is still the Syrian president."""
    tagging = tagger.tag("", "The Syrian President spoke.", day=date(2024, 12, 8))

    assert ASSAD in _entity_ids(tagging)


def test_role_and_name_together_are_one_mention(tagger):
    """ "Russian President Vladimir Putin" is one mention, not a role plus a name."""
    text = "Russian President Vladimir Putin spoke."

    assert _mentioned(tagger.tag("", text, day=DAY), text) == [(PUTIN, "Russian President Vladimir Putin")]


def test_seed_topics(seed_tagging):
    """The seed is about energy, Ukraine and Syria; energy scores highest."""
    assert _topic_ids(seed_tagging) == {"energy", "ukraine", "syria"}
    assert seed_tagging.topics[0].topic.id == "energy"


def test_single_mention_is_not_a_topic(tagger):
    """A story that mentions Ukraine once in passing is not about the war in Ukraine."""
    tagging = tagger.tag("Oil prices rise", "Oil prices rose on Monday, traders in Ukraine said.", day=DAY)

    assert "ukraine" not in _topic_ids(tagging)


def test_repeated_term_is_not_a_topic(tagger):
    """One word repeated does not make a topic: it needs different terms."""
    text = "Ukraine. Ukraine. Ukraine. Ukraine. Ukraine. Ukraine."

    assert "ukraine" not in _topic_ids(tagger.tag("", text, day=DAY))


def test_topic_needs_breadth(tagger):
    """Several different terms of a topic reach its threshold."""
    text = "Ukraine and Kyiv called for a cease-fire; Ukrainian officials said the conflict goes on."

    assert "ukraine" in _topic_ids(tagger.tag("", text, day=DAY))


def test_excluded_phrase_does_not_count(tagger):
    """ "gas station" is not about energy supply."""
    text = "Prices at the gas station rose, energy analysts said, and at another gas station too."

    assert "energy" not in _topic_ids(tagger.tag("", text, day=DAY))


def test_headline_terms_count_twice(tagger):
    """Terms in the headline weigh double: a story headlined on energy is about energy."""
    body = "Gazprom said so."

    assert "energy" not in _topic_ids(tagger.tag("", body, day=DAY))
    assert "energy" in _topic_ids(tagger.tag("Gazprom pipeline deal", body, day=DAY))


def test_enriched_entity_spans_select_their_text(small_config, seed_text, make_article):
    """Each span in an enriched record has text equal to the article text at its offsets."""
    headline, body = seed_text
    raw = make_article("m5-seed", headline=headline, body=body, source="M5 Dergi")
    article = decode_article(raw, fallback_time=None)

    record = Enricher(small_config).enrich(raw, fallback_time=None)

    spans = [span for entity in record["entities"] for span in entity["spans"]]
    assert len(spans) > 20
    for span in spans:
        assert span["text"] == article.text[span["start"] : span["end"]]


@settings(max_examples=75, deadline=None)
@given(prefix=st.text(max_size=60), suffix=st.text(max_size=60))
def test_full_name_is_found_in_any_context(tagger, prefix, suffix):
    """A full name between spaces is found, covering its offsets, whatever surrounds it."""
    text = f"{prefix} Vladimir Putin {suffix}"
    start = len(prefix) + 1

    tagging = tagger.tag("", text, day=DAY)

    end = start + len("Vladimir Putin")
    assert any(m.entity_id == PUTIN and m.start <= start and end <= m.end for m in tagging.mentions)
    for mention in tagging.mentions:
        assert 0 <= mention.start < mention.end <= len(text)
    assert [m.start for m in tagging.mentions] == sorted(m.start for m in tagging.mentions)


def test_role_phrase_also_names_its_country(tagger):
    """ "President of Syria" is a mention of Assad and of Syria, the watched place."""
    text = "The President of Syria spoke."

    tagging = tagger.tag("", text, day=date(2023, 5, 1))

    assert [(m.entity_id, text[m.start : m.end], m.via) for m in tagging.mentions] == [
        (ASSAD, "President of Syria", "role"),
        ("Q858", "Syria", "name"),
    ]


def test_entity_order_does_not_depend_on_the_hash_seed():
    """Entities tied on mentions come out in the same order in every process (workers differ in hash seed)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    script = (
        "from datetime import date\n"
        "from agents.resources import load_config\n"
        "from streams.tagger import Tagger\n"
        "c = load_config()\n"
        "t = Tagger(c.watchlist, c.taxonomy)\n"
        "text = ('Recep Tayyip Erdogan, Vladimir Putin, Emmanuel Macron, Volodymyr Zelensky, Olaf Scholz'\n"
        "        ' and Joe Biden met.')\n"
        "print([h.entity.id for h in t.tag('Summit', text, day=date(2023, 5, 1)).entities])\n"
    )
    orders = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(6)
    }
    assert len(orders) == 1
    assert orders.pop().count("'Q") >= 5
