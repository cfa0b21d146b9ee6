"""Text fingerprints for duplicate detection: an exact hash and a MinHash signature of word 5-shingles.

Signatures use one-permutation hashing (OPH) over 64-bit shingle hashes in numpy: one pass of
vector operations per article instead of 128 hash calls per shingle (see PERF-NOTES). Empty bins
are filled by optimal densification (Shrivastava, ICML 2017), which keeps the estimate unbiased
and its error close to classic MinHash on short texts. A signature is NUM_PERM 16-bit values,
512 bytes: that is what the story index keeps in memory and the table keeps (base64) on disk.

Everything is seeded with constants: every worker and every replay computes the same values.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import repeat

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
_PROBE_ROW = np.arange(NUM_PERM) * _PROBES
"""Flat offset of each row of _PROBE, to pick one probe per row with `take`."""
_BIN_SHIFT = np.uint64(64 - (NUM_PERM.bit_length() - 1))
_VALUE_MASK = np.uint64(2**VALUE_BITS - 1)
_EMPTY = np.uint64(2**VALUE_BITS)  # above every value
_DTYPE = np.dtype(f"<u{VALUE_BITS // 8}")
_ALL_EMPTY = np.full(NUM_PERM, _EMPTY, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup needs from an article's text."""

    exact: str
    """Hash of the folded token sequence: equal for copies that differ only in case, accents, punctuation."""
    signature: bytes
    """MinHash of the word 5-shingles: NUM_PERM little-endian 16-bit values."""
    shingles: int
    """Number of distinct shingles; with the signature it estimates containment of a truncated copy."""


_TOKEN_DIGESTS: dict[str, bytes] = {}
"""Token → its MurmurHash3 x64-128 digest (seed 7, of its UTF-8), whose first 8 bytes are the token's hash:
one C-level `dict.get` per token, joined into one buffer numpy reads without converting Python ints, and
misses computed by C-level `map`s. Emptied when it outgrows _CACHE_LIMIT (the values never change)."""
_CACHE_LIMIT = 200_000
_SEED = 7


def _token_hash(token: str) -> int:
    """`mmh3.hash64(token, seed=7, signed=False)[0]`: the value a token contributes to its shingles."""
    return int.from_bytes(mmh3.mmh3_x64_128_digest(token.encode(), _SEED)[:8], "little")


def _token_hashes(tokens: list[str]) -> npt.NDArray[np.uint64]:
    cache = _TOKEN_DIGESTS
    joined = b"".join(map(cache.get, tokens, repeat(b"")))  # a token not seen yet adds no bytes
    if len(joined) != 16 * len(tokens):
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        missing = list(set(tokens).difference(cache))
        digests = map(mmh3.mmh3_x64_128_digest, map(str.encode, missing), repeat(_SEED))
        cache.update(zip(missing, digests, strict=True))
        joined = b"".join(map(cache.__getitem__, tokens))
    return np.frombuffer(joined, dtype="<u8")[::2]


def fingerprint(headline: str, text: str, *, shingle: int = SHINGLE) -> Fingerprint:
    """Fingerprint the body; very short bodies are fingerprinted with their headline."""
    folded = fold(text)
    if len(folded) >= _VECTOR_MIN_CHARS:
        hashes, joined = _hashed_tokens(folded)
        if hashes.size >= _MIN_TOKENS:
            return _fingerprint(joined, hashes, shingle)
    tokens = folded.split()
    if len(tokens) < _MIN_TOKENS:
        tokens = fold(headline).split() + tokens
    return _fingerprint(" ".join(tokens).encode(), _token_hashes(tokens), shingle)


def _fingerprint(joined: bytes, hashes: npt.NDArray[np.uint64], shingle: int) -> Fingerprint:
    """From the tokens joined by single spaces (UTF-8) and their hashes."""
    mixed = _combined(hashes, shingle)
    np.multiply(mixed, _MUL, out=mixed)
    np.add(mixed, _ADD, out=mixed)
    # Mixing is a bijection (odd multiplier), so distinct mixed values count the distinct shingles:
    # a sort and a compare instead of `np.unique` (hash-based in numpy 2.4, 5-8x slower here).
    mixed.sort()
    distinct = int(np.count_nonzero(mixed[1:] != mixed[:-1])) + 1
    exact = hashlib.blake2b(joined, digest_size=12).hexdigest()
    return Fingerprint(exact, _signature(mixed).tobytes(), distinct)


# MurmurHash3 x64-128 over many tokens at once (the reference: smhasher's MurmurHash3.cpp), for long
# texts, where per-token Python work (split, a dict lookup per token) costs more than ~45 numpy calls.
_VECTOR_MIN_CHARS = 2_000
"""From this length (folded) on the vectorised path is faster here (measured: 2x at 8 KB, slower below)."""
_C1, _C2 = np.uint64(0x87C37B91114253D5), np.uint64(0x4CF5AD432745937F)
_F1, _F2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_LOW_BYTES = np.array([(1 << 8 * min(n, 8)) - 1 for n in range(16)], dtype=np.uint64)
_HIGH_BYTES = np.array([(1 << 8 * (n - 8)) - 1 if n > 8 else 0 for n in range(16)], dtype=np.uint64)
"""Masks keeping a token's first min(n, 8) bytes, and its bytes 9..n, of the 8-byte words read at its start."""
_PAD = b" " * 24


def _hashed_tokens(folded: str) -> tuple[npt.NDArray[np.uint64], bytes]:
    """Hashes of `folded.split()` (as `_token_hashes`) and the tokens joined by single spaces, UTF-8.

    Folded text holds only spaces and letters or digits, so in its UTF-8 a token is a run of bytes other
    than 0x20. Tokens of up to 15 bytes (nearly all) are hashed here as MurmurHash3's tail; longer ones,
    which need its block loop, one by one."""
    data = folded.encode()
    text = np.frombuffer(b" " + data + _PAD, dtype=np.uint8)
    letters = text != 32
    edges = np.diff(letters.view(np.int8))
    starts = (edges == 1).nonzero()[0] + 1
    lengths = (edges == -1).nonzero()[0] + 1 - starts
    words = np.ndarray((text.size - 7,), dtype="<u8", buffer=text, strides=(1,))  # 8 bytes from each offset
    tail = np.minimum(lengths, 15)
    k1 = words.take(starts) & _LOW_BYTES.take(tail)
    k2 = words.take(starts + 8) & _HIGH_BYTES.take(tail)  # 0 for tokens of 8 bytes or less: no effect
    h1 = _rotl(k1 * _C1, 31) * _C2 ^ np.uint64(_SEED)
    h2 = _rotl(k2 * _C2, 33) * _C1 ^ np.uint64(_SEED)
    size = lengths.astype(np.uint64)
    h1 ^= size
    h2 ^= size
    h1 += h2
    h2 += h1
    h1 = _fmix(h1)
    h1 += _fmix(h2)
    for i in (lengths > 15).nonzero()[0].tolist():
        token = data[starts[i] - 1 : starts[i] - 1 + lengths[i]]
        h1[i] = int.from_bytes(mmh3.mmh3_x64_128_digest(token, _SEED)[:8], "little")
    kept = letters.copy()
    kept[1:] |= letters[:-1]  # each token and the one space after it
    return h1, text[kept].tobytes()[:-1]


def _rotl(x: npt.NDArray[np.uint64], bits: int) -> npt.NDArray[np.uint64]:
    result: npt.NDArray[np.uint64] = (x << np.uint64(bits)) | (x >> np.uint64(64 - bits))
    return result


def _fmix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    h ^= h >> np.uint64(33)
    h *= _F1
    h ^= h >> np.uint64(33)
    h *= _F2
    h ^= h >> np.uint64(33)
    return h


def _combined(hashes: npt.NDArray[np.uint64], shingle: int) -> npt.NDArray[np.uint64]:
    """One 64-bit hash per word `shingle`-gram, duplicates kept (the whole text when it is shorter)."""
    if hashes.size == 0:
        return np.zeros(1, dtype=np.uint64)
    width = min(shingle, hashes.size)
    count = hashes.size - width + 1
    combined: npt.NDArray[np.uint64] = hashes[:count] * _POSITION_MUL[0]
    product = np.empty_like(combined)
    for k in range(1, width):  # order-sensitive: each position has its own odd multiplier
        np.multiply(hashes[k : k + count], _POSITION_MUL[k], out=product)
        combined ^= product
    return combined


def shingle_hashes(hashes: npt.NDArray[np.uint64], shingle: int = SHINGLE) -> npt.NDArray[np.uint64]:
    """Distinct 64-bit hashes of the word `shingle`-grams (the whole text when it is shorter), sorted."""
    return np.unique(_combined(hashes, shingle))


def minhash(shingles: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint16]:
    """One-permutation MinHash: one mixing multiply per shingle; its top bits pick one of NUM_PERM
    bins, its low VALUE_BITS bits are the value, and each bin keeps its minimum."""
    return _signature(shingles * _MUL + _ADD)


def _signature(mixed: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint16]:
    signature = _ALL_EMPTY.copy()
    np.minimum.at(signature, mixed >> _BIN_SHIFT, mixed & _VALUE_MASK)
    empty = (signature == _EMPTY).nonzero()[0]
    if empty.size:
        _densify(signature, empty)
    return signature.astype(_DTYPE)


def _densify(signature: npt.NDArray[np.uint64], empty: npt.NDArray[np.intp]) -> None:
    """Fill the empty bins in place: each takes the value of the first filled bin among its _PROBES
    probes (argmax finds the first filled one in each row of probes, all bins at once); bins with no
    filled probe take the next filled bin, tagged by its distance. Donors are read before any write."""
    filled = signature != _EMPTY
    probes = _PROBE.take(empty, axis=0)
    donors = probes.take(_PROBE_ROW[: empty.size] + filled.take(probes).argmax(axis=1))
    values = signature.take(donors)  # _EMPTY where no probe is filled (argmax 0 points at an empty bin)
    signature[empty] = values
    if values[values.argmax()] == _EMPTY:  # a text of a handful of shingles
        pending = empty[values == _EMPTY]
        filled_bins = filled.nonzero()[0]
        donors = filled_bins.take(np.searchsorted(filled_bins, pending) % filled_bins.size)
        distance = ((donors - pending) % NUM_PERM).astype(np.uint64)
        signature[pending] = (signature.take(donors) ^ (distance * np.uint64(0x9E3779B1))) & _VALUE_MASK


def signature_array(signature: bytes) -> npt.NDArray[np.uint16]:
    """The signature as a read-only uint16 array (no copy)."""
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
