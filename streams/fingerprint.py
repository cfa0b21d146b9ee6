"""Text fingerprints for duplicate detection: an exact hash and a MinHash signature of word 5-shingles.

Signatures use one-permutation hashing over 64-bit shingle hashes in numpy: one pass of vector
operations per article instead of 128 hash calls per shingle (see PERF-NOTES).
Everything is seeded with constants: every worker and every replay computes the same values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import mmh3
import numpy as np
import numpy.typing as npt

from streams.text import fold

__all__ = ["NUM_PERM", "SHINGLE", "Fingerprint", "fingerprint", "signature_similarity"]

NUM_PERM = 128
SHINGLE = 5
_MIN_TOKENS = 8  # below this the body says too little; the headline joins it

_rng = np.random.default_rng(20_240_703)
_MUL = (_rng.integers(1, 2**63, 1, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)  # odd
_ADD = _rng.integers(0, 2**63, 1, dtype=np.uint64)
_POSITION_MUL = np.array([(0x9E3779B97F4A7C15 * (k + 1) | 1) % 2**64 for k in range(SHINGLE)], dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup needs from an article's text."""

    exact: str
    """Hash of the folded token sequence: equal for copies that differ only in case, accents, punctuation."""
    signature: tuple[int, ...]
    """MinHash of the word 5-shingles (NUM_PERM values; an empty bin holds a borrowed value above 2**32)."""
    shingles: int
    """Number of distinct shingles; with the signature it estimates containment of a truncated copy."""


@lru_cache(maxsize=200_000)
def _token_hash(token: str) -> int:
    return int(mmh3.hash64(token, seed=7, signed=False)[0])


def fingerprint(headline: str, text: str) -> Fingerprint:
    """Fingerprint the body; very short bodies are fingerprinted with their headline."""
    tokens = fold(text).split()
    if len(tokens) < _MIN_TOKENS:
        tokens = fold(headline).split() + tokens
    exact = hashlib.blake2b(" ".join(tokens).encode(), digest_size=12).hexdigest()
    hashes = np.fromiter((_token_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    shingles = _shingle_hashes(hashes)
    return Fingerprint(exact, _minhash(shingles), int(shingles.size))


def _shingle_hashes(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    if hashes.size == 0:
        return np.zeros(1, dtype=np.uint64)
    width = min(SHINGLE, hashes.size)
    count = hashes.size - width + 1
    combined = np.zeros(count, dtype=np.uint64)
    for k in range(width):  # order-sensitive: each position has its own odd multiplier
        combined ^= hashes[k : k + count] * _POSITION_MUL[k]
    return np.unique(combined)


_EMPTY = np.uint64(2**64 - 1)
_BIN_SHIFT = np.uint64(64 - NUM_PERM.bit_length() + 1)
_VALUE_MASK = np.uint64(2**32 - 1)


def _minhash(shingles: npt.NDArray[np.uint64]) -> tuple[int, ...]:
    # One-permutation hashing: one mixing multiply per shingle, its top bits pick one of
    # NUM_PERM bins and each bin keeps its minimum. Empty bins borrow the next filled bin
    # (rotation densification), so short texts still give comparable signatures.
    mixed = shingles * _MUL[0] + _ADD[0]
    bins = (mixed >> _BIN_SHIFT).astype(np.intp)
    signature = np.full(NUM_PERM, _EMPTY, dtype=np.uint64)
    np.minimum.at(signature, bins, mixed & _VALUE_MASK)
    empty = signature == _EMPTY
    if empty.any():
        filled = np.flatnonzero(~empty)
        nxt = filled[np.searchsorted(filled, np.arange(NUM_PERM)) % filled.size]
        shift = ((nxt - np.arange(NUM_PERM)) % NUM_PERM).astype(np.uint64) << np.uint64(32)
        signature = np.where(empty, signature[nxt] + shift, signature)
    return tuple(signature.tolist())


def signature_similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash slots."""
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
