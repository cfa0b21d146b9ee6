"""Fingerprints are pinned: the same text gives the same exact hash, signature and shingle count, release after release.

Signatures are compared across workers and kept in state, so any change to tokenising, hashing or the
MinHash layout must show up here. The pinned values were computed with the code as of commit 475cb49.
"""

from __future__ import annotations

import hashlib

import mmh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.fingerprint import (
    _VECTOR_MIN_CHARS,
    SHINGLE,
    SIGNATURE_BYTES,
    _fingerprint,
    _hashed_tokens,
    _token_hash,
    _token_hashes,
    fingerprint,
)
from streams.text import fold

WORDS = "the president met his counterpart in astana on wednesday to discuss trade energy and security ties".split()


def _generated(count: int) -> str:
    """A fixed pseudo-random text (a linear congruential generator, independent of `random`)."""
    x, out = 1, []
    for i in range(count):
        x = (x * 1103515245 + 12345) % 2**31
        word = WORDS[x >> 16 & 15]
        out.append(word.capitalize() + "," if i % 11 == 0 else word)
    return " ".join(out)


TEXTS = {
    "empty": ("", ""),
    "headline only": ("Putin arrives in Astana", ""),
    "short body joins headline": ("Erdoğan arrives in Astana", "Developing story."),
    "ascii sentence": (
        "Leaders meet",
        "President A met President B in Astana on Wednesday to discuss trade and energy.",
    ),
    "turkish and accents": (
        "",
        "İstanbul'da Erdoğan ve Putin, ılımlı bir görüşme yaptı; "
        "Ankara’dan “açıklama” geldi — Zürich, São Paulo, Straße.",
    ),
    "cjk and cyrillic": (
        "",
        "Путин и Си Цзиньпин встретились в Пекине 習近平 普京 会谈 北京 2024年 on trade, energy and security.",
    ),
    "few shingles": ("", "one two three four five six seven eight nine"),
    "repeated text": ("", "the same words again and again " * 40),
    "long text": ("", _generated(1500)),
    "medium text": ("", _generated(200)),
}
# (exact, blake2b-128 of the signature, distinct shingles) per (text, shingle width).
PINNED = {
    ("empty", 5): ("b8e1dda3ac0aa3820ad2990b", "53fb4693b97dfd7a787b4af2e41afb32", 1),
    ("empty", 3): ("b8e1dda3ac0aa3820ad2990b", "53fb4693b97dfd7a787b4af2e41afb32", 1),
    ("headline only", 5): ("454eff161942c9bc65113d22", "b74904128d5e3541c12028aa717c4f3a", 1),
    ("headline only", 3): ("454eff161942c9bc65113d22", "0c019763d6fa912030c90447ca3c3524", 2),
    ("short body joins headline", 5): ("2fc0ef40ec51c928f2fac643", "1b9cb428c3ee6f40d37b93f66b19b25c", 2),
    ("short body joins headline", 3): ("2fc0ef40ec51c928f2fac643", "bf9da220d771bc4efe2920e710ff3a5f", 4),
    ("ascii sentence", 5): ("49f8f243ddd82093dd496d6c", "550dc716a7db9bafc949cf7a7e74209e", 10),
    ("ascii sentence", 3): ("49f8f243ddd82093dd496d6c", "91049ec93b8c2dc52af57c29a87e8965", 12),
    ("turkish and accents", 5): ("b8374045dc94e1510a97c463", "1e7087d6f79b4746a71fc55f333327fe", 13),
    ("turkish and accents", 3): ("b8374045dc94e1510a97c463", "3ac70ef784d3ef537634805f70cfd68e", 15),
    ("cjk and cyrillic", 5): ("b6b8e4aab425d7b19cf3d074", "4b38739dcc788b56af1814a19773fde1", 13),
    ("cjk and cyrillic", 3): ("b6b8e4aab425d7b19cf3d074", "3fc46913f6ae274cc8d039ccd581e196", 15),
    ("few shingles", 5): ("7e09c9e5c55ca5d19aec8080", "48e06124b3ba0d6c026fcbb13b7c0ae2", 5),
    ("few shingles", 3): ("7e09c9e5c55ca5d19aec8080", "3d924acc83dffed997fe05b807aa7711", 7),
    ("repeated text", 5): ("ffdd8d7c71ddc55fca5c15c6", "1fc14b64e02b40c7e4f18ddb0168e8e1", 6),
    ("repeated text", 3): ("ffdd8d7c71ddc55fca5c15c6", "dd8dccb65ec189600afaa95f2ad9646e", 6),
    ("long text", 5): ("5e2f219143f25a94016bd8b5", "45492821ca736d2a746b6d5d9dcf2a99", 1496),
    ("long text", 3): ("5e2f219143f25a94016bd8b5", "b8de2b7c528f5ee45ff80fcafd817889", 1279),
    ("medium text", 5): ("6b5817362f786579ceea41a5", "fd98b11c4504e4bb827e6dd355ef2e70", 196),
    ("medium text", 3): ("6b5817362f786579ceea41a5", "a044944dcad8457f10e2b04aa9abe0cf", 197),
}

PINNED_TOKENS = [11644094160996976140, 6645021354372891324, 14952551545627800992]


@pytest.mark.parametrize(("name", "shingle"), PINNED)
def test_fingerprint_is_pinned(name, shingle):
    """Exact hash, signature and shingle count equal the values the original implementation computed."""
    headline, text = TEXTS[name]

    fp = fingerprint(headline, text, shingle=shingle)

    assert len(fp.signature) == SIGNATURE_BYTES
    signature = hashlib.blake2b(fp.signature, digest_size=16).hexdigest()
    assert (fp.exact, signature, fp.shingles) == PINNED[name, shingle]


def test_token_hash_is_pinned():
    """Token hashes are mmh3 x64-128 (seed 7), first 64 bits, unsigned: stable across processes."""
    assert [_token_hash(t) for t in ("astana", "erdogan", "2024")] == PINNED_TOKENS


def test_fingerprint_does_not_depend_on_earlier_calls():
    """Caches are invisible: fingerprinting other texts first does not change a text's fingerprint."""
    fresh = fingerprint(*TEXTS["medium text"])
    for headline, text in TEXTS.values():
        fingerprint(headline, text)

    assert fingerprint(*TEXTS["medium text"]) == fresh


@settings(max_examples=300)
@given(st.lists(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=40), max_size=60))
def test_vectorised_token_hashes_equal_mmh3(words):
    """Hashing all tokens at once (long texts) equals mmh3 per token, for any length and script."""
    folded = fold("  ".join(words))
    tokens = folded.split()

    hashes, joined = _hashed_tokens(folded)

    assert hashes.tolist() == [mmh3.hash64(t, seed=7, signed=False)[0] for t in tokens]
    assert joined == " ".join(tokens).encode()


def test_long_and_short_paths_agree():
    """A text just above the vectorised path's threshold fingerprints as the token-by-token path does."""
    text = _generated(400) + " Zürich Straße телекоммуникационный 習近平 internationalisation"
    assert len(fold(text)) >= _VECTOR_MIN_CHARS
    tokens = fold(text).split()
    expected = _fingerprint(" ".join(tokens).encode(), _token_hashes(tokens), SHINGLE)

    assert fingerprint("", text) == expected
