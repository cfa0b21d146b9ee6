"""Text clean-up: headlines, boilerplate, datelines, folding, HTML and sentences."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.text import clean_body, clean_headline, fold, html_to_text, looks_like_html, sentence_spans

HEADLINE = "Erdoğan invites Putin to Türkiye as leaders discuss strategic ties"


def _sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def test_republisher_suffix_is_dropped_from_headline(seed_text):
    """The seed's " - M5 Dergi" suffix is the re-publisher's name, not part of the headline."""
    headline, _ = seed_text

    assert clean_headline(headline) == HEADLINE


@pytest.mark.parametrize(
    "headline",
    [
        "Turkey-Russia ties deepen after Astana summit",
        "Russia - Ukraine talks resume in Istanbul",
        "Erdoğan – Putin meeting: what we know about the Astana talks",
    ],
)
def test_hyphenated_headline_is_kept(headline):
    """A hyphen inside a headline, or a long tail after a dash, is not a publisher suffix."""
    assert clean_headline(headline) == headline


def test_headline_spaces_are_tidied():
    """Runs of spaces and non-breaking spaces collapse to one space."""
    assert clean_headline("  Putin\u00a0meets   Erdoğan in Astana  ") == "Putin meets Erdoğan in Astana"


@pytest.mark.parametrize("line", ["Abone Ol", "Back to top button", "Related Articles", "Source: Da,lySabah"])
def test_seed_boilerplate_lines_are_removed(seed_text, line):
    """The re-publisher's subscribe, navigation and mangled credit lines do not survive cleaning."""
    headline, body = seed_text
    assert line in body

    lines = clean_body(body, headline).split("\n")

    assert line not in {candidate.strip() for candidate in lines}


def test_seed_body_starts_with_the_story(seed_text):
    """The leading crumb line ("Defence NewsÖne Çıkan") and the repeated headline are dropped."""
    headline, body = seed_text

    text = clean_body(body, headline)

    assert text.startswith("President Erdoğan and Russian leader Putin discussed commercial ties")
    assert "Öne Çıkan" not in text
    assert HEADLINE not in text


def test_seed_body_ends_with_the_story(seed_text):
    """Trailing boilerplate after the last paragraph is dropped."""
    headline, body = seed_text

    text = clean_body(body, headline)

    assert text.endswith("ensure that benefits are widely shared,” he said.")


def test_seed_body_keeps_paragraphs(seed_text):
    """Paragraphs stay separated by one blank line."""
    headline, body = seed_text

    text = clean_body(body, headline)

    assert "\n\nPresident Recep Tayyip Erdoğan met Russian President Vladimir Putin" in text
    assert "\n\n\n" not in text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("ANKARA (AA) - President Erdoğan met Putin.", "President Erdoğan met Putin."),
        ("MOSCOW, Jan 5 (Reuters) - Russia said on Friday it would talk.", "Russia said on Friday it would talk."),
        ("PARIS (AFP) — Macron spoke to Putin by phone.", "Macron spoke to Putin by phone."),
        ("(Reuters) - Russia said on Friday it would talk.", "Russia said on Friday it would talk."),
    ],
)
def test_dateline_is_removed(body, expected):
    """A wire dateline opening the body is not part of the story text."""
    assert clean_body(body, "Leaders talk again") == expected


def test_dateline_only_removed_at_the_start():
    """A capitalised phrase with a dash later in the body is left alone."""
    body = "Talks went on for hours.\n\nANKARA (AA) - the second paragraph keeps its dateline."

    assert clean_body(body, "Leaders talk again") == body


def test_repeated_headline_matches_despite_case_and_accents():
    """A body that opens with the headline in another case or without accents drops it."""
    body = "ERDOGAN INVITES PUTIN TO TURKIYE AS LEADERS DISCUSS STRATEGIC TIES\n\nThe two leaders met in Astana."

    assert clean_body(body, HEADLINE) == "The two leaders met in Astana."


def test_fold_turkish_letters():
    """Dotted and dotless i, ğ and ş fold to plain ASCII letters."""
    assert fold("İstanbul ılık Erdoğan BOTAŞ Türkiye") == "istanbul ilik erdogan botas turkiye"


def test_fold_curly_quotes_become_spaces():
    """Typographic quotes and apostrophes are punctuation: they fold to spaces, not vanish."""
    text = "“distinguished friend” Russia’s"

    assert fold(text) == " distinguished friend  russia s"


def test_fold_is_length_preserving_on_the_seed(seed_text):
    """Offsets found in folded text are offsets in the original."""
    headline, body = seed_text

    assert len(fold(body)) == len(body)
    assert len(fold(headline)) == len(headline)


@given(st.text())
def test_fold_preserves_length_property(text):
    """fold(x) has len(x) for any text, so match offsets map back one to one."""
    assert len(fold(text)) == len(text)


@given(st.text(), st.text(max_size=80))
def test_clean_body_never_raises(body, headline):
    """Any body and headline give a string, never an exception."""
    assert isinstance(clean_body(body, headline), str)


@given(st.text(max_size=200))
def test_clean_headline_never_raises(headline):
    """Any headline gives a string with no surrounding spaces."""
    cleaned = clean_headline(headline)

    assert cleaned == cleaned.strip()


def test_html_to_text_drops_scripts_and_styles():
    """Script, style and head content is not article text."""
    html = (
        "<html><head><title>Page</title><style>p{color:red}</style></head><body>"
        "<p>First para.</p><script>var tracking = 1;</script><p>Second para.</p></body></html>"
    )

    text = html_to_text(html)

    assert "tracking" not in text
    assert "color" not in text
    assert "Page" not in text


def test_html_to_text_keeps_paragraphs_and_entities():
    """Block elements become blank-line separated paragraphs; inline tags and entities become text."""
    html = "<p>First <b>bold</b> para.</p><div>Second&nbsp;para &amp; more.</div><p>Third<br>line.</p>"

    assert html_to_text(html) == "First bold para.\n\nSecond para & more.\n\nThird\n\nline."


def test_looks_like_html():
    """Markup is recognised; plain text with a "<" is not mistaken for it."""
    assert looks_like_html("<p>Putin met Erdoğan.</p>")
    assert not looks_like_html("Trade grew by < 5% while 3 > 2.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Putin met Mr. Erdoğan. They talked.", ["Mr. Putin met Mr. Erdoğan.", "They talked."]),
        (
            "He met U.S. President Joe Biden. Then he left.",
            ["He met U.S. President Joe Biden.", "Then he left."],
        ),
        ("The U.K. Prime Minister spoke. Fine.", ["The U.K. Prime Minister spoke.", "Fine."]),
        ("Inflation was 2.5. Next year it fell.", ["Inflation was 2.5.", "Next year it fell."]),
    ],
)
def test_sentence_spans_respect_abbreviations(text, expected):
    """Titles and initialisms do not end a sentence; a number does."""
    assert _sentences(text) == expected


def test_sentence_spans_split_paragraphs():
    """A paragraph break ends a sentence even without punctuation."""
    text = "Leaders met in Astana\n\nThey discussed energy. And Syria."

    assert _sentences(text) == ["Leaders met in Astana", "They discussed energy.", "And Syria."]


def test_sentence_spans_are_trimmed_offsets():
    """Each span points at its sentence with no surrounding spaces."""
    text = "  First one.   Second one!  \n\n  Third?  "

    spans = sentence_spans(text)

    assert [text[start:end] for start, end in spans] == ["First one.", "Second one!", "Third?"]


def test_sentence_spans_keep_closing_quote():
    """A quote closing a sentence belongs to it."""
    text = "“I will definitely come,” Putin replied. “Good,” he said."

    assert _sentences(text) == ["“I will definitely come,” Putin replied.", "“Good,” he said."]


@given(st.text())
def test_sentence_spans_are_ordered_and_in_bounds(text):
    """Spans are non-empty, in order, non-overlapping and inside the text."""
    previous_end = 0
    for start, end in sentence_spans(text):
        assert previous_end <= start < end <= len(text)
        previous_end = end
