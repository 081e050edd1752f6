"""Similarity signatures of texts that store no readable fingerprint: keyed MinHash.

A text is normalised (HTML tags and entities dropped, capitalised words inside a sentence
left out, so that the names a template is filled with do not count, case-folded, ё → е,
punctuation dropped) and cut into overlapping runs of :data:`SHINGLE` words. Each
distinct shingle is hashed with a keyed PRF (BLAKE2b in its keyed mode, under a sub-key
of the blind-index key derived with HKDF for this purpose only, as
:func:`casedesk.core.crypto.blind_index` derives one per purpose).
The signature is a one-permutation MinHash: each shingle's
keyed hash picks one of :data:`PERMS` positions (its low bits) and a value (the rest),
and each position keeps the smallest value that fell in it. Two signatures agree at a
position with a probability equal to the Jaccard similarity of the two texts' shingle
sets, so the share of equal positions (among those not empty in both) estimates it. One
keyed hash per shingle, not one per position, keeps it to a couple of hundred
microseconds for a long appeal.

The stored form (:func:`signature`) is the positions' values in base64: without the key
it says only how similar two texts are, nothing of their words (docs/security.md,
"Similarity signatures"). Bands of :data:`ROWS` positions (:func:`bands`, LSH) find the
candidates: two texts share at least one band with a probability of
``1 - (1 - J**ROWS) ** BANDS`` (0.9998 at J = 0.8, 0.64 at J = 0.5); the candidates are
then compared on the whole signature (:func:`jaccard`).

A text of fewer than :data:`MIN_SHINGLES` distinct shingles gets no signature (""):
short notes ("прошу помочь") would all look alike.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from operator import eq

from .crypto import _blind, subkey
from .tokens import plain_text

SHINGLE = 3
PERMS = 64
ROWS = 4
BANDS = PERMS // ROWS
MIN_SHINGLES = 6
MAX_WORDS = 3000

_PIECE = re.compile(r"[^\W_]+|[.!?\n]")
_LENGTH = PERMS * 2  # bytes of a decoded signature
_MASK = PERMS - 1
_SHIFT = PERMS.bit_length() - 1
_NONE = 1 << 64
EMPTY = 0xFFFF
_EMPTY = EMPTY.to_bytes(2, "big")
_UNPACK = struct.Struct(f">{PERMS}H").unpack


class _Keyed:
    """The keyed BLAKE2b object of the current blind-index key (copied per shingle),
    derived once per key; the key comes from ``crypto._blind`` so a settings change (tests,
    rotation) is followed."""

    def __init__(self) -> None:
        self.root: bytes | None = None
        self.mac = None

    def get(self):
        version, root, _macs = _blind.get()
        if root is not self.root:
            key = subkey(root, f"similarity/{version}")
            self.mac = hashlib.blake2b(key=key, digest_size=8, person=b"shingle")
            self.root = root
        return self.mac


_keyed = _Keyed()


def words(text: str) -> list[str]:
    """The words of ``text`` as they are shingled: tags and entities gone, case-folded,
    ё → е, punctuation dropped, and capitalised words inside a sentence (names: what a
    template passed among families changes) left out."""
    found = []
    starts = True
    for match in _PIECE.finditer(plain_text(text or "")):
        piece = match.group()
        if piece in ".!?\n":
            starts = True
            continue
        if not starts and piece[0].isupper() and not piece.isupper():
            continue
        starts = False
        found.append(piece.casefold().replace("ё", "е"))
        if len(found) >= MAX_WORDS:
            break
    return found


def values(text: str) -> list[int] | None:
    """The MinHash values of ``text`` (``PERMS`` ints, :data:`EMPTY` for a position no
    shingle fell in), or None if it is too short to compare."""
    found = words(text)
    shingles = {" ".join(found[i:i + SHINGLE]) for i in range(len(found) - SHINGLE + 1)}
    if len(shingles) < MIN_SHINGLES:
        return None
    mac = _keyed.get()
    least = [_NONE] * PERMS
    for shingle in shingles:
        keyed = mac.copy()
        keyed.update(shingle.encode())
        value = int.from_bytes(keyed.digest(), "big")
        position = value & _MASK
        value >>= _SHIFT
        if value < least[position]:
            least[position] = value
    # The low 16 bits of each minimum (uniform, unlike its high bits).
    return [EMPTY if v == _NONE else min(v & 0xFFFF, EMPTY - 1) for v in least]


def signature(*texts: str) -> str:
    """The stored signature of the texts joined: base64 of ``PERMS`` 16-bit values, or ""
    when they are too short."""
    found = values("\n".join(t for t in texts if t))
    if found is None:
        return ""
    return base64.b64encode(b"".join(v.to_bytes(2, "big") for v in found)).decode()


def decode(stored: str) -> bytes:
    """The ``PERMS * 2`` raw bytes of a stored signature (b"" for none)."""
    if not stored:
        return b""
    raw = base64.b64decode(stored)
    return raw if len(raw) == _LENGTH else b""


def bands(raw: bytes) -> list[bytes]:
    """The LSH bands of a decoded signature: up to ``BANDS`` keys, each its band's number
    and its ``ROWS`` values (two signatures sharing a key are candidates). A band no
    shingle fell in is left out: it would match every other short text."""
    step = ROWS * 2
    empty = _EMPTY * ROWS
    return [bytes([n]) + raw[i:i + step] for n, i in enumerate(range(0, len(raw), step))
            if raw[i:i + step] != empty]


def jaccard(a: bytes, b: bytes) -> float:
    """The Jaccard similarity estimated from two decoded signatures (0.0 if either is
    missing): the share of equal positions among those where either has a shingle."""
    if not a or not b or len(a) != len(b):
        return 0.0
    same = used = 0
    for i in range(0, len(a), 2):
        x = a[i:i + 2]
        y = b[i:i + 2]
        if x == _EMPTY and y == _EMPTY:
            continue
        used += 1
        same += x == y
    return same / used if used else 0.0


def prepared(raw: bytes) -> tuple[tuple[int, ...], int] | None:
    """A decoded signature in the form :func:`jaccard_prepared` compares fast: its values
    and the bit mask of its empty positions (None for no signature)."""
    if not raw:
        return None
    found = _UNPACK(raw)
    empty = 0
    for i, value in enumerate(found):
        if value == EMPTY:
            empty |= 1 << i
    return found, empty


def jaccard_prepared(a: tuple[tuple[int, ...], int], b: tuple[tuple[int, ...], int]) -> float:
    """:func:`jaccard` of two :func:`prepared` signatures, a few times faster."""
    both_empty = (a[1] & b[1]).bit_count()
    used = PERMS - both_empty
    if not used:
        return 0.0
    return (sum(map(eq, a[0], b[0])) - both_empty) / used
