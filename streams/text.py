"""Text clean-up and folding: HTML to text, re-publisher boilerplate, datelines, sentences.

Folding is length-preserving on purpose: a match found in the folded text has the same
offsets in the cleaned text, so evidence spans point at what a reader sees.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser

import numpy as np
import numpy.typing as npt

__all__ = [
    "clean_article",
    "clean_body",
    "clean_headline",
    "fold",
    "html_to_text",
    "looks_like_html",
    "sentence_spans",
]

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "blockquote",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
        "pre",
        "hr",
        "dd",
        "dt",
    ]
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "iframe", "svg"})
_HTML_HINT = re.compile(r"<(?:p|div|br|span|a|b|i|em|strong|li|h[1-6]|html|body|figure|script|style)\b", re.I)


class _TextExtractor(HTMLParser):
    """Collects text, one paragraph per block element, skipping scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    """True when the text carries common markup tags (flat `body` may be either)."""
    return _HTML_HINT.search(text) is not None


def html_to_text(html: str) -> str:
    """Reduce HTML to plain paragraphs separated by blank lines."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return _tidy_paragraphs("".join(extractor.parts))


_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_ODD_SPACES = re.compile(
    r"[\t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000][ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]*"
)
_DOUBLE_SPACES = re.compile(r"  +")
_MANY_NEWLINES = re.compile(r"\n\s*\n+")


def _one_space(text: str) -> str:
    """`_SPACES.sub(" ", text)`, 4x faster: a regex that matched every gap between words would replace
    each one; these two match only what changes (a run holding another spacing character, then runs of
    plain spaces), and each starts with a rarely seen character, so the scan skips ahead in C."""
    return _DOUBLE_SPACES.sub(" ", _ODD_SPACES.sub(" ", text))


def _tidy_paragraphs(text: str) -> str:
    lines = [line.strip() for line in _one_space(unicodedata.normalize("NFC", text)).split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


# Lines a re-publisher wraps around a syndicated story: subscribe buttons, navigation,
# "Source:" credits (often mangled, e.g. "Source: Da,lySabah"), share bars.
_BOILERPLATE_LINE = re.compile(
    r"""^(?:
        abone\s+ol | back\s+to\s+top(?:\s+button)? | related\s+(?:articles|posts|news|stories)
      | read\s+(?:more|also|next)\b.* | (?:also\s+)?see\s+also\b.* | subscribe(?:\s+now)?
      | share(?:\s+this)?(?:\s+(?:article|story))? | advertisement | sponsored(?:\s+content)?
      | follow\s+us\b.* | click\s+here\b.* | sign\s+up\b.* | (?:photo|image)\s*(?:credit)?:.{0,80}
      | (?:source|kaynak|via)\s*:.{0,80} | tags?\s*:.{0,200} | all\s+rights\s+reserved.{0,80}
      | ©.{0,80} | copyright\b.{0,80} | print | e-?mail | whatsapp | facebook | twitter | x
      | reuters? | \(?end\)?                        # a wire's sign-off line
    )$""",
    re.I | re.X,
)
_BOILERPLATE_STARTS = frozenset(
    "ab ba re se al su sh ad sp fo cl si ph im so ka vi ta co pr e- em wh fa tw (e en".split()
)
"""The first two characters, lower-cased, of every alternative of _BOILERPLATE_LINE that is two characters
or longer when ASCII ("x" and "©" lines are shorter or not ASCII and go to the regex): an ASCII line
starting otherwise cannot match. tests/unit/test_text_fast.py checks it on lines generated from the pattern."""
_NOT_BOILERPLATE_HEADS = frozenset(
    head for a in range(128) for b in range(128) if (head := chr(a) + chr(b)).lower() not in _BOILERPLATE_STARTS
)
"""Every two-character ASCII line start that no boilerplate line has (shorter or non-ASCII starts are not here)."""
# A wire dateline opening the first paragraph: "ANKARA (AA) - ", "MOSCOW, Jan 5 (Reuters) - ".
_DATELINE = re.compile(
    r"""^(?:[A-Z][A-Z'’.\- ]{1,40}[A-Z.])          # city in capitals
        (?:,\s*[A-Z][A-Za-z'’.\- ]{1,30})?          # optional region / country
        (?:,?\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?      # optional date "Jan 5"
        \s*(?:\([^)\n]{1,40}\))?                    # optional agency "(Reuters)"
        \s*[-–—:]{1,2}\s+""",
    re.X,
)
_AGENCY_ONLY = re.compile(r"^\((?:[A-Z][A-Za-z ]{1,30})\)\s*[-–—]\s+")
_HEADLINE_SUFFIX = re.compile(r"\s+[-–—|]\s+([^-–—|]{2,40})$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


def clean_headline(headline: str) -> str:
    """Tidy spaces and drop a re-publisher suffix such as " - M5 Dergi" or " | Reuters"."""
    text = _one_space(unicodedata.normalize("NFC", headline)).strip()
    match = _HEADLINE_SUFFIX.search(text)
    if match and len(match.group(1).split()) <= 4 and len(text[: match.start()].split()) >= 3:
        text = text[: match.start()].rstrip()
    return text


def _is_crumb(line: str) -> bool:
    """Navigation or category crumbs: a few words, no sentence punctuation, not a row of figures."""
    words = line.split(None, 6)  # a seventh part means more than six words: no need to split the rest
    return len(words) <= 6 and not _SENTENCE_END.search(line) and sum(_has_digit(w) for w in words) < 2


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def clean_body(body: str, headline: str) -> str:
    """Plain body text without boilerplate lines, leading crumbs, repeated headline or dateline.

    Crumbs are stripped only as whole paragraphs (a line standing between blank lines): the
    first line of hard-wrapped wire text ("Standard Oil Co and BP North America\nInc said ...")
    is prose, and a body made only of short lines (a price table) is kept, not emptied.
    """
    return clean_article(headline, body)[1]


def clean_article(headline: str, body: str) -> tuple[str, str]:
    """`(clean_headline(headline), clean_body(body, headline))`, cleaning the headline once."""
    text = _tidy_paragraphs(body)
    cleaned_headline = clean_headline(headline)
    headlines = (fold(headline).split(), fold(cleaned_headline).split())
    limit = max(map(len, headlines)) + _SUFFIX_TOKENS

    def is_headline(line: str) -> bool:  # with or without a re-publisher's suffix, on either side
        tokens = fold(line).split(None, limit)
        if len(tokens) > limit and unicodedata.is_normalized("NFC", line):
            return False  # more tokens than a headline with a re-publisher's suffix (a paragraph)
        return tokens in headlines or fold(clean_headline(line)).split() in headlines

    lines = [
        line for line in text.split("\n") if line[:2] in _NOT_BOILERPLATE_HEADS or not _BOILERPLATE_LINE.match(line)
    ]
    blocks = [b.strip("\n") for b in _MANY_NEWLINES.split("\n".join(lines))]
    blocks = [b for b in blocks if b.strip()]
    start, end = 0, len(blocks)
    while start < end and "\n" not in blocks[start] and (_is_crumb(blocks[start]) or is_headline(blocks[start])):
        start += 1
    while end > start and "\n" not in blocks[end - 1] and _is_crumb(blocks[end - 1]):
        end -= 1
    kept = blocks[start:end] or blocks
    if kept:
        first, _, rest = kept[0].partition("\n")
        if rest and is_headline(first):  # the headline, then the story on the next line
            kept = [rest, *kept[1:]]
    text = "\n\n".join(kept)
    stripped = _DATELINE.sub("", text, count=1)
    if stripped == text:
        stripped = _AGENCY_ONLY.sub("", text, count=1)
    return cleaned_headline, stripped


_SUFFIX_TOKENS = 20
"""Most tokens a re-publisher's suffix removed by clean_headline can fold to: its name has at most 40
characters (_HEADLINE_SUFFIX), its separators fold to spaces. A line whose folded tokens outnumber a
headline's by more (and that NFC leaves alone) is no headline, with or without the suffix."""


def _is_boilerplate(line: str) -> bool:
    # The regex's ~30 alternatives cost 0.5 µs a line; most lines start otherwise (one set lookup).
    return line[:2] not in _NOT_BOILERPLATE_HEADS and _BOILERPLATE_LINE.match(line) is not None


class _FoldTable(dict[int, str]):
    """Codepoint → one folded character, computed once per codepoint (str.translate calls it)."""

    def __missing__(self, codepoint: int) -> str:
        folded = _fold_char(chr(codepoint))
        self[codepoint] = folded
        return folded


_TURKISH = {"ı": "i", "İ": "i"}


def _fold_char(char: str) -> str:
    if char in _TURKISH:
        return _TURKISH[char]
    if char.isascii():
        return char.lower() if char.isalnum() else " "
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    base = base.casefold()
    # Keep one character so offsets survive; "ß" → "s" folds text and patterns alike.
    return base[0] if base and base[0].isalnum() else " "


_FOLD = _FoldTable()
# ASCII letters to lower case, digits kept, other ASCII to a space.
_ASCII_FOLD = bytes(b + 32 if 65 <= b <= 90 else b if chr(b).isalnum() else 32 for b in range(256))
_TABLE_SIZE = 0x3000
"""Codepoints below this (Latin, Greek, Cyrillic, Hebrew, Arabic, punctuation…) fold by table lookup."""


@lru_cache(maxsize=1)
def _fold_table() -> npt.NDArray[np.uint32]:
    return np.array([ord(_FOLD[c]) for c in range(_TABLE_SIZE)], dtype=np.uint32)


def fold(text: str) -> str:
    """Casefold, strip diacritics (Turkish-aware), punctuation to spaces; same length as the input.

    Fast (PERF-NOTES: normalising is the costliest step): ASCII text goes through one C-level
    `bytes.translate`; other text through a vectorised table lookup on its UTF-32 code units,
    with the per-character rule only for the rare codepoints beyond the table (CJK…).
    """
    if text.isascii():
        return text.encode().translate(_ASCII_FOLD).decode()
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    folded = _fold_table().take(codes, mode="clip")  # `take` is ~4x faster than fancy indexing
    if codes.max() >= _TABLE_SIZE:
        for i in np.flatnonzero(codes >= _TABLE_SIZE):
            folded[i] = ord(_FOLD[int(codes[i])])
    return folded.tobytes().decode("utf-32-le", "surrogatepass")


_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "col",
        "lt",
        "sgt",
        "st",
        "jr",
        "sr",
        "vs",
        "no",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "inc",
        "ltd",
        "co",
        "corp",
        "u",
        "s",
        "uk",
        "un",
        "eu",
        "e",
        "g",
        "i",
        "e",
        "etc",
    ]
)
_INITIALISM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # "u.s", "u.k", "e.g": the last word with its final dot stripped
_BOUNDARY = re.compile(r"[.!?…][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9А-ЯЁ])|\n+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets; paragraphs always split, abbreviations do not."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        head = text[start : match.start()].rsplit(None, 1)
        last_word = head[-1].lower().strip(".") if head else ""
        if match.group().strip() and (
            last_word in _ABBREVIATIONS or len(last_word) == 1 or _INITIALISM.fullmatch(last_word)
        ):
            continue
        end = match.start() + len(match.group().rstrip())
        if text[start:end].strip():
            spans.append(_trimmed(text, start, end))
        start = match.end()
    if text[start:].strip():
        spans.append(_trimmed(text, start, len(text)))
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
