"""The fast paths of text clean-up give exactly what the plain definitions give."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.text import (
    _BOILERPLATE_LINE,
    _is_boilerplate,
    _one_space,
    _tidy_paragraphs,
    clean_article,
    clean_body,
    clean_headline,
)

HEADLINE = "Erdoğan invites Putin to Türkiye as leaders discuss strategic ties"
_SPACING = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Every whitespace character, the zero-width space and a few letters (and a combining accent), newlines often.
_WHITESPACE = [chr(c) for c in range(0x3001) if chr(c).isspace()] + ["\u200b", "\n", "\n", " ", " "]
_MESSY = st.text(alphabet=st.sampled_from([*_WHITESPACE, "a", "B", "é", "e", "\u0301", "x"]), max_size=40)


def _tidy_line_by_line(text: str) -> str:
    """The definition: NFC, every line's spacing runs to one space and stripped, blank-line runs to one."""
    lines = [_SPACING.sub(" ", line).strip() for line in unicodedata.normalize("NFC", text).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


@settings(max_examples=2000)
@given(_MESSY)
def test_one_space_equals_one_substitution(text):
    """The two-pass spacing collapse equals replacing every spacing run by one space."""
    assert _one_space(text) == _SPACING.sub(" ", text)


@settings(max_examples=2000)
@given(_MESSY)
def test_tidy_equals_tidying_line_by_line(text):
    """Whole-text regex passes tidy exactly as the per-line definition does, on any mix of whitespace."""
    assert _tidy_paragraphs(text) == _tidy_line_by_line(text)


@settings(max_examples=1000)
@given(st.from_regex(_BOILERPLATE_LINE))
def test_boilerplate_prefilter_keeps_every_match(line):
    """Every line the boilerplate pattern matches passes the two-character prefilter and is dropped."""
    line = line.rstrip("\n")  # `$` also matches before a final newline; lines never hold one

    assert _BOILERPLATE_LINE.match(line)
    assert _is_boilerplate(line)


def test_ordinary_lines_are_not_boilerplate():
    """Prose lines, whichever letter they start with, are kept."""
    for line in ["The talks began.", "Share prices fell 3%.", "Reuters reported a deal.", "9 a.m.", "x y"]:
        assert not _is_boilerplate(line)


@given(st.text(max_size=60), st.text(max_size=300))
def test_clean_article_is_clean_headline_and_clean_body(headline, body):
    """clean_article cleans the headline once and gives what the two functions give."""
    assert clean_article(headline, body) == (clean_headline(headline), clean_body(body, headline))


def test_headline_with_suffix_is_dropped_but_a_long_paragraph_is_kept():
    """A repeated headline with a re-publisher's suffix goes; a long paragraph opening with it stays."""
    paragraph = HEADLINE + ", officials said on Tuesday, " + "adding that talks would go on " * 5 + "next week."
    body = f"{HEADLINE} - Daily Sabah\n\n{paragraph}"

    assert clean_body(body, HEADLINE) == paragraph


def test_decomposed_long_line_is_compared_after_nfc():
    """A line in decomposed form (not NFC) still gets the full comparison: its headline is found."""
    decomposed = unicodedata.normalize("NFD", HEADLINE + " - M5 Dergi")
    body = f"{decomposed}\n\nThe two leaders met in Astana."

    assert clean_body(body, HEADLINE) == "The two leaders met in Astana."
