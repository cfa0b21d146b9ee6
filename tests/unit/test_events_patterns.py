"""Meeting detection on the sentences that connect leaders, with the shipped watchlist (dates matter)."""

from __future__ import annotations

from datetime import date

import pytest

from agents.resources import load_config
from streams.events import MeetingEvent, detect_meetings, first_person_speaker
from streams.tagger import Tagger
from streams.text import sentence_spans

DAY = date(2021, 12, 14)
PUTIN, MACRON, XI, BIDEN, ERDOGAN = "Q7747", "Q3052772", "Q15031", "Q6279", "Q39259"
ZELENSKYY, SCHOLZ, DUDA, TRUDEAU, NIINISTO = "Q3874799", "Q61053", "Q9151911", "Q3099714", "Q29207"


@pytest.fixture(scope="module")
def detect():
    config = load_config()
    tagger = Tagger(config.watchlist, config.taxonomy)
    entities = {e.id: e for e in config.watchlist.entities}

    def run(text: str, *, day: date = DAY, speaker: str | None = None) -> tuple[MeetingEvent, ...]:
        tagging = tagger.tag("", text, day=day)
        return detect_meetings(text, sentence_spans(text), tagging.mentions, entities, day=day, speaker=speaker)

    return run


def _held(events: tuple[MeetingEvent, ...]) -> list[frozenset[str]]:
    return [frozenset(e.participants) for e in events if e.status == "held"]


@pytest.mark.parametrize(
    ("text", "participants", "mode"),
    [
        ("Vladimir Putin met Recep Tayyip Erdoğan in Astana.", {PUTIN, ERDOGAN}, "in_person"),
        ("Vladimir Putin and Emmanuel Macron held talks by phone.", {PUTIN, MACRON}, "phone"),
        ("Talks between Vladimir Putin and Xi Jinping took place via videoconference.", {PUTIN, XI}, "video"),
        ("Recep Tayyip Erdoğan hosted Vladimir Putin in Ankara.", {PUTIN, ERDOGAN}, "in_person"),
        (
            "Vladimir Putin had a telephone conversation with President of the French Republic Emmanuel Macron.",
            {PUTIN, MACRON},
            "phone",
        ),
        ("Vladimir Putin told Emmanuel Macron that Russia wanted guarantees.", {PUTIN, MACRON}, "unspecified"),
        ("During their meeting, Vladimir Putin and Xi Jinping discussed trade.", {PUTIN, XI}, "in_person"),
        (
            "The President of Russia received in the Kremlin President of the Republic of Finland Sauli Niinistö.",
            {PUTIN, NIINISTO},
            "in_person",
        ),
        (
            "Held at Finland's initiative, the telephone conversation between Vladimir Putin and Sauli Niinistö "
            "focused on security.",
            {PUTIN, NIINISTO},
            "phone",
        ),
    ],
    ids=[
        "met",
        "held-talks",
        "between",
        "hosted",
        "conversation-with-role",
        "told",
        "their-meeting",
        "received",
        "between-then-verb",
    ],
)
def test_a_connecting_sentence_reports_a_held_meeting(detect, text, participants, mode):
    """The usual ways a report connects two leaders give one held meeting, with its mode."""
    (event,) = detect(text)

    assert (event.status, set(event.participants), event.mode) == ("held", participants, mode)


@pytest.mark.parametrize(
    "text",
    [
        "Vladimir Putin told reporters that Emmanuel Macron was wrong.",
        "Vladimir Putin visited Paris, where Emmanuel Macron was absent.",
        "Vladimir Putin might meet Recep Tayyip Erdoğan in Astana.",
        "Recep Tayyip Erdoğan could invite Vladimir Putin to Ankara.",
        "Vladimir Putin sent a message to Emmanuel Macron.",
        "Vladimir Putin received a letter from Emmanuel Macron.",
        "Vladimir Putin welcomed the talks between Emmanuel Macron's and Olaf Scholz's advisers.",
        "Andriy Yermak, Head of the Office of the President of Ukraine, spoke with Emmanuel Bonne, "
        "Diplomatic Adviser to the President of France.",
        "Volodymyr Zelenskyy met with First Lady of the United States Jill Biden. Joe Biden stayed in Washington.",
        "Vladimir Putin and Prime Minister Mikhail Mishustin discussed the budget.",
        "Vladimir Putin has repeatedly discussed these matters with Recep Tayyip Erdoğan.",
        "Volodymyr Zelenskyy took part in a virtual Summit for Democracy initiated by US President Joe Biden.",
    ],
    ids=[
        "told-reporters",
        "visited-where",
        "might",
        "could-invite",
        "message",
        "letter",
        "advisers' talks",
        "office-and-adviser",
        "spouse",
        "same-country",
        "habitual",
        "summit-speech",
    ],
)
def test_not_a_held_meeting(detect, text):
    """Remarks, rumours, invitations, messages, staff and spouses, one country's leaders: no held meeting."""
    assert _held(detect(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Vladimir Putin will visit Türkiye to meet Recep Tayyip Erdoğan.",
        "Vladimir Putin and Recep Tayyip Erdoğan agreed to meet in Sochi.",
        "On December 15, Vladimir Putin will hold talks with Xi Jinping.",
        "Talks between Vladimir Putin and Xi Jinping are scheduled for December 15.",
    ],
    ids=["will-visit", "agreed-to-meet", "will-hold", "scheduled"],
)
def test_a_future_meeting_is_planned(detect, text):
    """Future and agreed meetings are planned, not held."""
    assert [e.status for e in detect(text)] == ["planned"]


@pytest.mark.parametrize(
    "text",
    [
        "Vladimir Putin told Sauli Niinistö about the results of his talks with Joe Biden on December 7.",
        "The presidents noted the previous telephone conversation between Vladimir Putin and Emmanuel Macron.",
        "We were delighted to host Xi Jinping at the 2014 Winter Olympics, said Vladimir Putin.",
    ],
    ids=["dated", "previous", "year"],
)
def test_an_earlier_meeting_is_not_reported(detect, text):
    """A meeting the text dates before the article is not news: no event for it."""
    assert BIDEN not in {p for e in detect(text) for p in e.participants}
    assert frozenset((PUTIN, MACRON)) not in _held(detect(text))
    assert frozenset((PUTIN, XI)) not in _held(detect(text))


def test_told_y_about_talks_with_z_is_two_meetings(detect):
    """ "X told Y about his talks with Z": X met Y, and X met Z — never one meeting of three."""
    events = detect("Vladimir Putin informed Emmanuel Macron about his talks with Xi Jinping.")

    assert set(_held(events)) == {frozenset((PUTIN, MACRON)), frozenset((PUTIN, XI))}


def test_a_recent_meeting_is_a_reference(detect):
    """ "During the recent talks with Y, X …" is held, flagged as a reference: it can only corroborate."""
    (event,) = detect("During the recent talks with Vladimir Putin, Emmanuel Macron received assurances.")

    assert (event.status, event.reference, set(event.participants)) == ("held", True, {PUTIN, MACRON})


def test_first_person_needs_a_speaker(detect):
    """ "I spoke today with Y" is a meeting of the address's author with Y, and nothing without an author."""
    text = "I spoke today with Prime Minister of Canada Justin Trudeau."

    assert _held(detect(text, speaker=ZELENSKYY)) == [frozenset((ZELENSKYY, TRUDEAU))]
    assert _held(detect(text)) == []


def test_transcript_label_sets_the_speaker(detect):
    """After "Emmanuel Macron:" in a transcript, "I" is Macron."""
    text = "Vladimir Putin: Thank you. Emmanuel Macron (retranslated): Today I had a long conversation with Xi Jinping."

    assert _held(detect(text)) == [frozenset((MACRON, XI))]


def test_headline_of_an_address_names_its_speaker():
    """An address, speech or interview whose headline names one leader is in that leader's voice."""
    assert first_person_speaker("We will win - address by President Volodymyr Zelenskyy", [ZELENSKYY]) == ZELENSKYY
    assert first_person_speaker("Volodymyr Zelenskyy met Emmanuel Macron", [ZELENSKYY, MACRON]) is None
    assert first_person_speaker("Meeting with Emmanuel Macron", [MACRON]) is None


def test_separate_meetings_and_a_three_way_call(detect):
    """ "had meetings with A and B" is two meetings; "spoke by telephone with A and B" is one three-way call,
    and a later sentence about two of its three leaders does not make a second meeting."""
    separate = detect("Volodymyr Zelenskyy had brief meetings with Emmanuel Macron and Olaf Scholz.")
    call = detect(
        "Vladimir Putin spoke by telephone with Emmanuel Macron and Olaf Scholz. "
        "Vladimir Putin told Emmanuel Macron that the talks must continue."
    )

    assert set(_held(separate)) == {frozenset((ZELENSKYY, MACRON)), frozenset((ZELENSKYY, SCHOLZ))}
    assert _held(call) == [frozenset((PUTIN, MACRON, SCHOLZ))]


def test_counterpart_is_the_leader_the_article_names(detect):
    """ "his Polish counterpart" is the Polish leader named in the article, not Poland's default office."""
    events = detect(
        "Volodymyr Zelenskyy had a phone conversation with President of Poland Andrzej Duda. "
        "Volodymyr Zelenskyy informed his Polish counterpart about the situation."
    )

    assert _held(events) == [frozenset((ZELENSKYY, DUDA))]


def test_evidence_spans_are_offsets_into_the_text(detect):
    """Every evidence span is the text at its offsets; one is the sentence, one the trigger."""
    text = "Earlier news. Vladimir Putin had a telephone conversation with Emmanuel Macron."
    (event,) = detect(text)

    assert {s.kind for s in event.evidence} == {"sentence", "participant", "trigger"}
    for span in event.evidence:
        assert text[span.start : span.end] == span.text
    assert [s.text for s in event.evidence if s.kind == "trigger"] == ["telephone conversation"]
