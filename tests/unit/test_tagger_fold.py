"""The fast `fold` the tagger scans: same result as folding one character at a time, same length."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.text import _fold_char, fold


def _one_by_one(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_fold_matches_the_per_character_rule(text):
    """The vectorised fold equals the per-character definition on any text, and keeps its length."""
    folded = fold(text)

    assert folded == _one_by_one(text)
    assert len(folded) == len(text)


def test_fold_of_ascii_lowers_and_blanks_punctuation():
    """ASCII takes the fast path: letters lower-cased, digits kept, everything else a space."""
    assert fold("Putin's U.S.-Iran talks, 2022!") == "putin s u s  iran talks  2022 "


def test_fold_is_turkish_aware_and_strips_diacritics():
    """İ and ı fold to i (not i + dot), ğ/ş lose their marks, curly quotes become spaces."""
    assert fold("İSTANBUL ılık Erdoğan’ın BOTAŞ") == "istanbul ilik erdogan in botas"


def test_fold_keeps_other_scripts_and_rare_codepoints():
    """Cyrillic is lower-cased, CJK and emoji (beyond the lookup table) keep one character each."""
    text = "Путин 习近平 😀 x"

    assert fold(text) == "путин 习近平   x"
    assert len(fold(text)) == len(text)
