"""Meeting detection: held or planned talks between leaders in office, and what is not a meeting."""

from __future__ import annotations

from datetime import date

import pytest

from streams.events import MeetingEvent, detect_meetings
from streams.tagger import Tagger
from streams.text import clean_body, clean_headline, sentence_spans

DAY = date(2024, 7, 3)
ERDOGAN, PUTIN, ASSAD, MACRON, ZELENSKYY = "Q39259", "Q7747", "Q44329", "Q3052772", "Q3874799"


@pytest.fixture(scope="module")
def detect(small_config):
    tagger = Tagger(small_config.watchlist, small_config.taxonomy)
    entities = {e.id: e for e in small_config.watchlist.entities}

    def run(text: str, day: date = DAY, headline: str = "") -> tuple[MeetingEvent, ...]:
        tagging = tagger.tag(headline, text, day=day)
        return detect_meetings(text, sentence_spans(text), tagging.mentions, entities, day=day)

    return run


def _summary(events: tuple[MeetingEvent, ...]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(e.status, e.mode, e.participants) for e in events]


@pytest.fixture(scope="module")
def seed_events(detect, seed_text) -> tuple[MeetingEvent, ...]:
    headline, body = seed_text
    return detect(clean_body(body, headline), headline=clean_headline(headline))


def test_seed_reports_one_held_meeting(seed_events):
    """The seed reports one in-person meeting between Erdoğan and Putin."""
    assert _summary(seed_events) == [("held", "in_person", (ERDOGAN, PUTIN))]


def test_seed_rumoured_meeting_with_assad_is_not_an_event(seed_events):
    """ "Erdoğan might meet Assad" is speculation: no event has Assad in it."""
    assert all(ASSAD not in event.participants for event in seed_events)


def test_seed_evidence_is_the_meeting_sentence(seed_events, seed_text):
    """The evidence quotes the sentence that reports the meeting, at its offsets."""
    headline, body = seed_text
    text = clean_body(body, headline)
    (event,) = seed_events

    sentences = [span.text for span in event.sentences]

    assert (
        "President Recep Tayyip Erdoğan met Russian President Vladimir Putin on Wednesday in Astana, "
        "Kazakhstan, where the two leaders arrived to attend the Shanghai Cooperation Summit (SCO)."
    ) in sentences
    for span in event.evidence:
        assert span.text == text[span.start : span.end]


def test_evidence_marks_participants_and_trigger(detect):
    """Evidence carries the sentence, each participant's mention and the trigger word."""
    text = "Vladimir Putin met Recep Tayyip Erdoğan in Astana."

    (event,) = detect(text)

    assert [(span.kind, span.text) for span in event.evidence] == [
        ("sentence", text),
        ("participant", "Vladimir Putin"),
        ("participant", "Recep Tayyip Erdoğan"),
        ("trigger", "met"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vladimir Putin met Recep Tayyip Erdoğan in Astana.", ("held", "in_person")),
        ("Vladimir Putin will meet Recep Tayyip Erdoğan next week in Sochi.", ("planned", "in_person")),
        ("Vladimir Putin is expected to meet Recep Tayyip Erdoğan in Sochi.", ("planned", "in_person")),
        (
            "Vladimir Putin had a telephone conversation with President of France Emmanuel Macron.",
            ("held", "phone"),
        ),
        ("Vladimir Putin and Volodymyr Zelensky held talks via videoconference.", ("held", "video")),
        ("Vladimir Putin and Emmanuel Macron discussed Ukraine by phone.", ("held", "phone")),
        ("Recep Tayyip Erdoğan hosted Vladimir Putin in Ankara.", ("held", "in_person")),
    ],
)
def test_meeting_status_and_mode(detect, text, expected):
    """Tense and wording decide held or planned; phone, video or in person follow the sentence."""
    (event,) = detect(text)

    assert (event.status, event.mode) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Vladimir Putin met Turkish energy minister Alparslan Bayraktar in Moscow.",
        "Vladimir Putin met Kremlin spokesman Dmitry Peskov and Emine Erdoğan.",
        "Vladimir Putin sent a message to Recep Tayyip Erdoğan.",
        "Vladimir Putin sent a telegram of condolences to Emmanuel Macron.",
        "Vladimir Putin did not meet Recep Tayyip Erdoğan in Astana.",
        "Vladimir Putin refused to meet Emmanuel Macron.",
        "Recep Tayyip Erdoğan might meet Bashar al-Assad in Astana.",
        "Vladimir Putin met officials in Moscow. Recep Tayyip Erdoğan stayed in Ankara.",
    ],
    ids=["minister", "spokesman", "message", "telegram", "did-not", "refused", "might", "two-sentences"],
)
def test_not_a_meeting_of_leaders(detect, text):
    """Non-leaders, messages, negations, rumours and leaders in different sentences give no event."""
    assert detect(text) == ()


def test_former_leader_is_not_a_participant(detect):
    """After Assad left office a meeting with him is not a meeting of two leaders."""
    text = "Vladimir Putin met Bashar al-Assad in Moscow."

    assert _summary(detect(text, day=date(2023, 5, 1))) == [("held", "in_person", (ASSAD, PUTIN))]
    assert detect(text, day=date(2025, 3, 1)) == ()


def test_one_event_per_participant_set(detect):
    """Several sentences about the same meeting make one event; held wins over planned."""
    text = (
        "Vladimir Putin will meet Recep Tayyip Erdoğan again in autumn. "
        "Earlier, Vladimir Putin met Recep Tayyip Erdoğan in Astana. "
        "Vladimir Putin and Recep Tayyip Erdoğan held talks on energy."
    )

    events = detect(text)

    assert _summary(events) == [("held", "in_person", (ERDOGAN, PUTIN))]
    assert len(events[0].sentences) == 2


def test_negation_does_not_hide_a_later_meeting(detect):
    """ "Did not meet, but held talks by phone" is a phone call."""
    text = "Vladimir Putin did not meet Emmanuel Macron, but they held talks by phone."

    assert _summary(detect(text)) == [("held", "phone", (MACRON, PUTIN))]


def test_leader_named_after_a_us_title_stays_in_the_sentence(detect):
    """ "U.S." does not end the sentence, so both leaders are seen together."""
    text = "Emmanuel Macron met U.S. Secretary of State Antony Blinken and Vladimir Putin in Paris."

    assert _summary(detect(text)) == [("held", "in_person", (MACRON, PUTIN))]


def test_three_leaders_are_one_event(detect):
    """A three-way call is one event with three participants."""
    text = "Vladimir Putin held a phone call with Emmanuel Macron and Recep Tayyip Erdoğan."

    assert _summary(detect(text)) == [("held", "phone", tuple(sorted((ERDOGAN, MACRON, PUTIN))))]


def test_real_kremlin_phone_call(detect, press_release):
    """A real Kremlin release of a call with Macron is a held phone meeting."""
    release = press_release("kremlin-67709")
    text = clean_body(release["body"], release["title"])

    events = detect(text, day=date(2022, 2, 3))

    assert _summary(events) == [("held", "phone", (MACRON, PUTIN))]
