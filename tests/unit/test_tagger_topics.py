"""Topic rules: weighted terms, required evidence, proximity, explanations, and the shipped taxonomy."""

from __future__ import annotations

from datetime import date

import pytest

from agents.resources import load_config, parse_document
from streams.errors import ConfigError
from streams.tagger import Tagger
from streams.topics import parse_taxonomy
from streams.watchlist import Watchlist

DAY = date(2022, 3, 1)
EMPTY = Watchlist("empty", (), ())
WAR = """version: t-1
topics:
  - id: ukraine
    iptc: "medtop:20000062"
    threshold: 4
    min_distinct: 2
    require_any: [Donbas, special military operation]
    terms:
      - {term: Ukraine, weight: 2}
      - {term: Kyiv, weight: 2}
      - {term: Donbas, weight: 2}
    near:
      - {terms: [war, attack], with: [Ukraine, Kyiv], within: 3, weight: 3}
"""


def _topics(text: str, headline: str = "", taxonomy: str = WAR) -> dict[str, tuple[float, tuple[str, ...]]]:
    tagger = Tagger(EMPTY, parse_document(taxonomy, "t.yaml", parse_taxonomy))
    return {hit.topic.id: (hit.score, hit.terms) for hit in tagger.tag(headline, text, day=DAY).topics}


def test_score_without_required_evidence_is_not_a_topic():
    """Ukraine and Kyiv reach the threshold, but with no required term and no proximity match there is no war."""
    assert _topics("Ukraine and Kyiv signed a train deal. Ukraine, Kyiv.") == {}


def test_required_term_lets_the_score_count():
    """With a required term present the same words make the topic."""
    assert set(_topics("Ukraine and Kyiv discussed Donbas.")) == {"ukraine"}


def test_proximity_match_is_evidence_and_adds_its_weight():
    """ "war in Ukraine" (war within 3 words of Ukraine) satisfies the requirement and scores 3."""
    score, terms = _topics("The war in Ukraine goes on, officials in Kyiv said.")["ukraine"]

    assert score == 2 + 2 + 3
    assert "war~Ukraine" in terms


def test_proximity_counts_words_not_characters():
    """Four words between the two terms are too many for `within: 3`."""
    assert _topics("The war went on for many weeks in Ukraine and Kyiv.") == {}


def test_proximity_stops_at_the_end_of_a_sentence():
    """ "… war. Ukraine …" is not the war in Ukraine."""
    assert _topics("They remembered the war. Ukraine and Kyiv signed a deal.") == {}


def test_headline_terms_count_twice():
    """A term in the headline counts as two occurrences."""
    score, _ = _topics("Donbas.", headline="Kyiv")["ukraine"]

    assert score == 2 + 2 * 2


def test_repeated_term_counts_at_most_three_times():
    """One word repeated cannot carry a topic: repeats stop adding after three and one term is not breadth."""
    assert _topics("Donbas " * 10) == {}


def test_explanation_lists_terms_heaviest_first():
    """The matched terms are kept for explanations, the heaviest contribution first."""
    _, terms = _topics("Donbas, Donbas and Kyiv.")["ukraine"]

    assert terms == ("Donbas", "Kyiv")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("within: 3,", "within: 2.5,"),
        ("with: [Ukraine, Kyiv],", "with: [],"),
        ("require_any: [Donbas, special military operation]", "require_any: Donbas"),
        ("{terms: [war, attack],", "{terms: [war, attack], near: 2,"),
    ],
)
def test_invalid_rules_name_the_file_line_and_field(edit, message):
    """A malformed proximity rule or requirement stops start-up with file:line: field."""
    text = WAR.replace(edit, message)

    with pytest.raises(ConfigError) as caught:
        parse_document(text, "t.yaml", parse_taxonomy)

    assert str(caught.value).startswith("t.yaml:")
    assert "topics[0]." in str(caught.value)


@pytest.fixture(scope="module")
def shipped() -> Tagger:
    config = load_config()
    return Tagger(config.watchlist, config.taxonomy)


@pytest.mark.parametrize(
    ("headline", "text", "absent"),
    [
        ("Oil prices rise", "Oil prices rose on Monday, traders in Ukraine said.", "ukraine"),
        ("", "Prices at the gas station rose, energy analysts said, and at another gas station too.", "energy"),
        ("", "The EC proposed a tax on vegetable fats and oils; palm oil and soybean oil prices fell.", "energy"),
        ("", "Syria has proposed a budget, subject to approval by President Hafez al-Assad. Syria's role.", "syria"),
        ("", "Putin discussed the Israeli-Palestinian peace process with Mahmoud Abbas in Sochi.", "gaza"),
        ("", "I thank you for your tireless energy and enthusiasm, and your energy.", "energy"),
    ],
)
def test_passing_mentions_are_not_topics(shipped, headline, text, absent):
    """A place or word named in passing does not make the article about the topic."""
    assert absent not in {hit.topic.id for hit in shipped.tag(headline, text, day=DAY).topics}


@pytest.mark.parametrize(
    ("text", "present"),
    [
        ("Vladimir Putin informed Erdogan on the special military operation to defend Donbass.", "ukraine"),
        ("Israeli air strikes on Gaza killed 40 people at a UN school in the Jabalia camp.", "gaza"),
        ("The leaders discussed the peace process in Syria and the Idlib de-escalation zone.", "syria"),
        ("Putin confirmed stable supplies of Russian natural gas to Italy; gas prices rose.", "energy"),
    ],
)
def test_substantive_stories_are_topics(shipped, text, present):
    """One sentence with the topic's specific words is enough."""
    assert present in {hit.topic.id for hit in shipped.tag("", text, day=DAY).topics}


def test_shipped_topics_have_iptc_codes_and_explanations(shipped):
    """Every shipped topic carries an IPTC Media Topic code, and a hit names its matched terms."""
    assert all(topic.iptc.startswith("medtop:") for topic in shipped.taxonomy.topics)
    hit = shipped.tag("", "Israeli air strikes on Gaza killed 40 people in Jabalia.", day=DAY).topics[0]
    assert hit.topic.id == "gaza"
    assert {"Gaza", "Jabalia"} <= set(hit.terms)
