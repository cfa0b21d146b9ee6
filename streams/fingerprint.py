"""Text fingerprints for duplicate detection: an exact hash and a MinHash signature of word 5-shingles.

Signatures use one-permutation hashing (OPH) over 64-bit shingle hashes in numpy: one pass of
vector operations per article instead of 128 hash calls per shingle (see PERF-NOTES). Empty bins
are filled by optimal densification (Shrivastava, ICML 2017), which keeps the estimate unbiased
and its error close to classic MinHash on short texts. A signature is NUM_PERM 32-bit values,
512 bytes: that is what the story index keeps in memory and the table keeps (base64) on disk.

Everything is seeded with constants: every worker and every replay computes the same values.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import mmh3
import numpy as np
import numpy.typing as npt

from streams.text import fold

__all__ = [
    "NUM_PERM",
    "SHINGLE",
    "SIGNATURE_BYTES",
    "Fingerprint",
    "decode_signature",
    "encode_signature",
    "fingerprint",
    "fingerprint_from_record",
    "fingerprint_to_record",
    "signature_array",
    "signature_similarity",
]

NUM_PERM = 256
VALUE_BITS = 16
SHINGLE = 5
SIGNATURE_BYTES = NUM_PERM * VALUE_BITS // 8
_MIN_TOKENS = 8  # below this the body says too little; the headline joins it
_PROBES = 32  # densification attempts per empty bin before falling back to the next filled bin

_rng = np.random.default_rng(20_240_703)
_MUL = np.uint64((int(_rng.integers(1, 2**63, dtype=np.uint64)) << 1) | 1)  # odd
_ADD = np.uint64(int(_rng.integers(0, 2**63, dtype=np.uint64)))
_POSITION_MUL = np.array([(0x9E3779B97F4A7C15 * (k + 1) | 1) % 2**64 for k in range(8)], dtype=np.uint64)
_PROBE = _rng.integers(0, NUM_PERM, (NUM_PERM, _PROBES))
"""Bin i, when empty, takes the value of bin _PROBE[i, t] for the first t where that bin is filled."""
_BIN_SHIFT = np.uint64(64 - (NUM_PERM.bit_length() - 1))
_VALUE_MASK = np.uint64(2**VALUE_BITS - 1)
_EMPTY = np.uint64(2**VALUE_BITS)  # above every value
_DTYPE = np.dtype(f"<u{VALUE_BITS // 8}")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup needs from an article's text."""

    exact: str
    """Hash of the folded token sequence: equal for copies that differ only in case, accents, punctuation."""
    signature: bytes
    """MinHash of the word 5-shingles: NUM_PERM little-endian 32-bit values."""
    shingles: int
    """Number of distinct shingles; with the signature it estimates containment of a truncated copy."""


@lru_cache(maxsize=200_000)
def _token_hash(token: str) -> int:
    return int(mmh3.hash64(token, seed=7, signed=False)[0])


def fingerprint(headline: str, text: str, *, shingle: int = SHINGLE) -> Fingerprint:
    """Fingerprint the body; very short bodies are fingerprinted with their headline."""
    tokens = fold(text).split()
    if len(tokens) < _MIN_TOKENS:
        tokens = fold(headline).split() + tokens
    exact = hashlib.blake2b(" ".join(tokens).encode(), digest_size=12).hexdigest()
    hashes = np.fromiter((_token_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    shingles = shingle_hashes(hashes, shingle)
    return Fingerprint(exact, minhash(shingles).tobytes(), int(shingles.size))


def shingle_hashes(hashes: npt.NDArray[np.uint64], shingle: int = SHINGLE) -> npt.NDArray[np.uint64]:
    """Distinct 64-bit hashes of the word `shingle`-grams (the whole text when it is shorter)."""
    if hashes.size == 0:
        return np.zeros(1, dtype=np.uint64)
    width = min(shingle, hashes.size)
    count = hashes.size - width + 1
    combined = np.zeros(count, dtype=np.uint64)
    for k in range(width):  # order-sensitive: each position has its own odd multiplier
        combined ^= hashes[k : k + count] * _POSITION_MUL[k]
    return np.unique(combined)


def minhash(shingles: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    """One-permutation MinHash: one mixing multiply per shingle; its top bits pick one of NUM_PERM
    bins, its low 32 bits are the value, and each bin keeps its minimum."""
    mixed = shingles * _MUL + _ADD
    bins = (mixed >> _BIN_SHIFT).astype(np.intp)
    signature = np.full(NUM_PERM, _EMPTY, dtype=np.uint64)
    np.minimum.at(signature, bins, mixed & _VALUE_MASK)
    empty = signature == _EMPTY
    if empty.any():
        signature = _densified(signature, empty)
    return signature.astype(_DTYPE)


def _densified(signature: npt.NDArray[np.uint64], empty: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint64]:
    out = signature.copy()
    pending = np.flatnonzero(empty)
    for attempt in range(_PROBES):
        donors = _PROBE[pending, attempt]
        found = ~empty[donors]
        out[pending[found]] = signature[donors[found]]
        pending = pending[~found]
        if pending.size == 0:
            return out
    filled = np.flatnonzero(~empty)  # a text of a handful of shingles: the next filled bin, tagged by distance
    donors = filled[np.searchsorted(filled, pending) % filled.size]
    distance = ((donors - pending) % NUM_PERM).astype(np.uint64)
    out[pending] = (signature[donors] ^ (distance * np.uint64(0x9E3779B1))) & _VALUE_MASK
    return out


def signature_array(signature: bytes) -> npt.NDArray[np.uint32]:
    """The signature as a read-only uint32 array (no copy)."""
    return np.frombuffer(signature, dtype=_DTYPE)


def signature_similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash slots."""
    return int(np.count_nonzero(signature_array(a) == signature_array(b))) / NUM_PERM


def encode_signature(signature: bytes) -> str:
    """Base64 text for JSON records and tables (684 characters)."""
    return base64.b64encode(signature).decode("ascii")


def decode_signature(text: str) -> bytes:
    signature = base64.b64decode(text, validate=True)
    if len(signature) != SIGNATURE_BYTES:
        msg = f"signature of {len(signature)} bytes, expected {SIGNATURE_BYTES}"
        raise ValueError(msg)
    return signature


def fingerprint_to_record(fp: Fingerprint) -> dict[str, object]:
    return {"exact": fp.exact, "signature": encode_signature(fp.signature), "shingles": fp.shingles}


def fingerprint_from_record(record: Mapping[str, object]) -> Fingerprint:
    return Fingerprint(str(record["exact"]), decode_signature(str(record["signature"])), int(str(record["shingles"])))
