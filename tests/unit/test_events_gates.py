"""The detector's shortcuts (its own sentence splitter, the article and sentence gates) change no output."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.resources import load_config
from streams.event_tokens import iter_sentences, restart_point, split_sentences
from streams.events import detect_meetings
from streams.tagger import Tagger
from streams.text import fold, sentence_spans

DAY = date(2021, 12, 14)

TEXTS = [
    "Vladimir Putin met Recep Tayyip Erdoğan in Astana. The two leaders discussed Syria.",
    "Vladimir Putin and Emmanuel Macron held talks by phone.\n\nThey agreed to meet again. Mr. Macron said so.",
    "Vladimir Putin: I spoke with Emmanuel Macron yesterday.\nQuestion: Will you meet Mr. Biden?\n"
    "Vladimir Putin: We will meet Joe Biden in Geneva.",
    "Emmanuel Macron visited Berlin. He held talks with Olaf Scholz. During the talks, the leaders "
    "discussed energy. The presidents also talked about Ukraine.",
    "The Kremlin said nothing. U.S. officials met in Geneva … “Talks with Xi Jinping,” Biden said.",
    "Recep Tayyip Erdoğan hosted Vladimir Putin in Ankara. Dr. Smith was there.\n\n. Later, Putin spoke with Macron!",
    "Olaf Scholz met Emmanuel Macron.",  # one sentence, no final space
    "The weather was fine.\nMarkets rose\nVladimir Putin met Emmanuel Macron in Moscow.\nThe talks lasted hours.\n"
    "Oil fell\n\nOlaf Scholz: I spoke with Joe Biden.\nQuestion: When?\nPrices rose\nOlaf Scholz: I met Joe Biden.",
    "Vladimir Putin chaired a meeting of the Security Council.",  # one leader: no meeting
    "",
]


@pytest.fixture(scope="module")
def tagged():
    config = load_config()
    tagger = Tagger(config.watchlist, config.taxonomy)
    entities = {e.id: e for e in config.watchlist.entities}
    return tagger, entities


@pytest.mark.parametrize("text", TEXTS)
def test_split_sentences_matches_sentence_spans(text: str) -> None:
    """The detector's splitter gives exactly the spans of `streams.text.sentence_spans`."""
    assert split_sentences(text) == sentence_spans(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab Mr.U.S!?…\n\"'”’)]([“‘AZ09Яё ", max_size=80))
def test_split_sentences_matches_sentence_spans_on_any_text(text: str) -> None:
    """On any mix of letters, abbreviations, quotes, punctuation and newlines the spans are the same."""
    assert split_sentences(text) == sentence_spans(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab Mr.U.S!?…\n\"'”’)]([“‘AZ09 ", max_size=80))
def test_splitting_from_a_restart_point_gives_the_same_later_spans(text: str) -> None:
    """From every restart point the splitter yields exactly the whole text's spans that follow it."""
    whole = sentence_spans(text)
    for end in range(len(text) + 1):
        if (restart := restart_point(text, 0, end)) is not None:
            assert restart <= end
            assert list(iter_sentences(text, restart)) == [span for span in whole if span[0] >= restart]


@pytest.mark.parametrize("text", TEXTS)
def test_detector_splitting_itself_finds_the_same_events(tagged, text: str) -> None:
    """Events are the same whether the caller passes sentence spans and the folded text or not."""
    tagger, entities = tagged
    tagging = tagger.tag("", text, day=DAY)
    given_spans = detect_meetings(text, sentence_spans(text), tagging.mentions, entities, day=DAY)
    split_here = detect_meetings(text, None, tagging.mentions, entities, day=DAY, folded=fold(text))
    assert split_here == given_spans
    assert tagging.folded == fold(text)


def test_one_leader_without_a_speaker_is_no_meeting(tagged) -> None:
    """An article naming one leader in office, with no speaker, reports no meeting."""
    tagger, entities = tagged
    text = "Vladimir Putin met the governor of the Tula Region. He held talks with the governor."
    tagging = tagger.tag("", text, day=DAY)
    assert detect_meetings(text, None, tagging.mentions, entities, day=DAY) == ()
