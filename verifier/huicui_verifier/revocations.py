"""The revoked-certificate list: one byte string on the wire, a hash set in memory.

On the wire a million revocations are 8 MB of sorted 8-byte ids with no per-item CBOR
overhead. In memory the ids become Python ints in a hash set, built through ``array``
at C speed, so a lookup at the gate costs one hash probe.
"""

from __future__ import annotations

import operator
import sys
from array import array
from collections.abc import Iterable
from itertools import islice

__all__ = ["ID_LENGTH", "RevocationSet", "check_packed", "contains", "pack", "splice"]

ID_LENGTH = 8
"""Bytes in a certificate id (``cti``), and so in each entry of the packed list."""


def pack(ids: Iterable[bytes]) -> bytes:
    """Sorted, de-duplicated concatenation of 8-byte certificate ids (the bundle's ``revoked``)."""
    unique = set()
    for cti in ids:
        if len(cti) != ID_LENGTH:
            raise ValueError(f"certificate id must be {ID_LENGTH} bytes, got {len(cti)}")
        unique.add(bytes(cti))
    return b"".join(sorted(unique))


def _as_ints(packed: bytes) -> array:
    if len(packed) % ID_LENGTH:
        raise ValueError(f"revoked list length {len(packed)} is not a multiple of {ID_LENGTH}")
    values = array("Q")
    if values.itemsize != ID_LENGTH:  # pragma: no cover - no such platform in use
        raise RuntimeError("this platform has no 8-byte array type")
    values.frombytes(packed)
    if sys.byteorder == "little":
        values.byteswap()  # ids are big-endian on the wire so byte order equals number order
    return values


class RevocationSet:
    """Revoked certificate ids, answering ``cti in revoked`` in constant time."""

    __slots__ = ("_ids",)

    def __init__(self, packed: bytes = b"", *, check_sorted: bool = True) -> None:
        """Read the packed form; with ``check_sorted`` refuse ids out of order or repeated.

        The packed list is part of the signed bundle, whose encoding is deterministic:
        one set of revocations has exactly one byte string, so order is checked, not
        assumed. Strictly ascending rules out repeats too (a million ids: ~60 ms).
        """
        values = _as_ints(packed)
        if check_sorted and not all(map(operator.lt, values, islice(values, 1, None))):
            raise ValueError("revoked ids must be sorted ascending without repeats")
        self._ids = frozenset(values)

    def updated(self, add: bytes = b"", remove: bytes = b"") -> RevocationSet:
        """A new set with the packed ids ``add`` added and ``remove`` removed.

        Cheaper than reading the whole new list again: the set is copied once, at C speed,
        and this one is left as it was.
        """
        ids = set(self._ids)  # one copy, changed in place (difference().union() made two)
        ids.difference_update(_as_ints(remove))
        ids.update(_as_ints(add))
        new = RevocationSet.__new__(RevocationSet)
        new._ids = ids
        return new

    def __contains__(self, cti: object) -> bool:
        if not isinstance(cti, (bytes, bytearray)) or len(cti) != ID_LENGTH:
            return False
        return int.from_bytes(cti, "big") in self._ids

    def __len__(self) -> int:
        return len(self._ids)


def check_packed(packed: bytes) -> str | None:
    """Why ``packed`` is not a list of 8-byte ids sorted ascending without repeats, or None.

    The ids are compared pairwise as big-endian numbers by ``map`` (no Python loop).
    """
    try:
        values = _as_ints(packed)
    except ValueError as exc:
        return str(exc)
    if not all(map(operator.lt, values, values[1:])):
        return "ids must be sorted ascending without repeats"
    return None


def _position(packed: bytes, cti: bytes) -> int:
    """Index of the first id in ``packed`` not below ``cti`` (binary search)."""
    lo, hi = 0, len(packed) // ID_LENGTH
    while lo < hi:
        mid = (lo + hi) // 2
        if packed[mid * ID_LENGTH : (mid + 1) * ID_LENGTH] < cti:
            lo = mid + 1
        else:
            hi = mid
    return lo


def contains(packed: bytes, cti: bytes) -> bool:
    """Whether the sorted list ``packed`` holds ``cti`` (a binary search, no set built)."""
    pos = _position(packed, cti)
    return packed[pos * ID_LENGTH : (pos + 1) * ID_LENGTH] == cti


def splice(packed: bytes, add: bytes = b"", remove: bytes = b"") -> bytes:
    """The sorted list ``packed`` with the sorted lists ``add`` added and ``remove`` removed.

    Costs a binary search per changed id and one join, so a thousand changes to a
    million-id list take milliseconds. Raises ValueError when an id to add is already
    there or an id to remove is not (the delta was made for another list).
    """
    edits: list[tuple[int, bytes | None]] = []
    for i in range(0, len(remove), ID_LENGTH):
        cti = remove[i : i + ID_LENGTH]
        pos = _position(packed, cti)
        if packed[pos * ID_LENGTH : (pos + 1) * ID_LENGTH] != cti:
            raise ValueError(f"id {cti.hex()} to remove is not in the list")
        edits.append((pos, None))
    for i in range(0, len(add), ID_LENGTH):
        cti = add[i : i + ID_LENGTH]
        pos = _position(packed, cti)
        if packed[pos * ID_LENGTH : (pos + 1) * ID_LENGTH] == cti:
            raise ValueError(f"id {cti.hex()} to add is already in the list")
        edits.append((pos, cti))
    # At one position a removal (of the id there) comes before an insertion (before it).
    edits.sort(key=lambda e: (e[0], e[1] is not None))
    parts, start = [], 0
    for pos, cti in edits:
        if pos > start:
            parts.append(packed[start * ID_LENGTH : pos * ID_LENGTH])
            start = pos
        if cti is None:
            start = pos + 1
        else:
            parts.append(cti)
    parts.append(packed[start * ID_LENGTH :])
    return b"".join(parts)
