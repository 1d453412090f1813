"""Deltas between consecutive snapshots: made by the service, applied by devices.

A delta says how snapshot ``from`` becomes snapshot ``to``: the ids added to and removed
from each list, and the top-level fields replaced whole (keys, benefits, …). A device
that holds ``from`` (same version *and* hash) applies it, encodes the result
deterministically and must arrive at exactly ``to_hash``: the result is then the very
snapshot the service signed, byte for byte, without downloading it.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

from .bundle import (
    FIXED_FIELDS,
    BundleError,
    Changes,
    Delta,
    Snapshot,
    content_hash,
    encode,
    from_map,
)
from .revocations import ID_LENGTH, RevocationSet, splice

__all__ = [
    "LISTS",
    "Applied",
    "apply",
    "make",
]

LISTS = ("revoked", "superseded")


@dataclass(frozen=True)
class Applied:
    """A snapshot reached through a delta: what it says, its payload bytes, map and hash."""

    snapshot: Snapshot
    payload_bytes: bytes
    obj: dict
    hash: bytes
    revoked: RevocationSet | None = None


def _words(packed: bytes) -> set[int]:
    # Native-order words: their order means nothing, but equal ids give equal words.
    values = array("Q")
    values.frombytes(packed)
    return set(values)


def _packed(words: set[int]) -> bytes:
    raw = array("Q", words).tobytes()  # each word back to its id's own 8 bytes
    return b"".join(sorted(raw[i : i + ID_LENGTH] for i in range(0, len(raw), ID_LENGTH)))


def _diff(old: bytes, new: bytes) -> Changes:
    """The ids ``new`` adds to and removes from ``old`` (both packed and sorted)."""
    if old == new:
        return Changes()
    before, after = _words(old), _words(new)
    return Changes(add=_packed(after - before), remove=_packed(before - after))


def make(old: dict, new: dict, *, program: str, revoked: Changes | None = None) -> Delta | None:
    """The delta from snapshot map ``old`` to snapshot map ``new``; None if none can say it.

    (A top-level field that disappears cannot be said by ``set``: devices then take the
    new snapshot.) Both maps are the plain payload maps; their hashes are computed here.
    ``revoked``, when the caller already knows how ``old``'s revoked list became
    ``new``'s (sorted ids added and removed), saves comparing two long lists; the delta
    is the same. A wrong one makes a delta whose result misses ``to_hash``, which every
    device refuses.
    """
    if set(old) - set(new):
        return None
    replaced = {
        k: v for k, v in new.items() if k not in FIXED_FIELDS and (k not in old or old[k] != v)
    }
    return Delta(
        program=program,
        from_=old["version"],
        from_hash=content_hash(encode(old)),
        to=new["version"],
        to_hash=content_hash(encode(new)),
        iat=new["iat"],
        set=replaced,
        revoked=revoked
        if revoked is not None
        else _diff(old.get("revoked", b""), new.get("revoked", b"")),
        superseded=_diff(old.get("superseded", b""), new.get("superseded", b"")),
    )


def apply(
    held: dict,
    held_hash: bytes,
    delta: Delta,
    *,
    revoked: RevocationSet | None = None,
) -> Applied:
    """Apply ``delta`` to the held snapshot map (whose payload hash is ``held_hash``).

    Raises :class:`BundleError`: ``wrong_program``; ``not_chained`` when the delta starts
    from another version or hash; ``hash_mismatch`` when the result is not ``to_hash``
    (or an id to remove is missing, or one to add is already there). ``revoked``, the
    held set, is updated in place of being rebuilt when given.
    """
    if delta.program != held.get("program"):
        raise BundleError(
            "wrong_program", f"delta of program {delta.program!r}, held {held.get('program')!r}"
        )
    if delta.from_ != held.get("version") or delta.from_hash != held_hash:
        raise BundleError(
            "not_chained",
            f"delta from v{delta.from_} does not start at the held v{held.get('version')}",
        )
    new = dict(held)
    new.update(delta.set)
    new["version"], new["iat"] = delta.to, delta.iat
    try:
        for name in LISTS:
            changes: Changes = getattr(delta, name)
            new[name] = splice(held.get(name, b""), changes.add, changes.remove)
    except ValueError as exc:
        raise BundleError("hash_mismatch", f"delta does not fit the held lists: {exc}") from None
    payload_bytes = encode(new)
    digest = content_hash(payload_bytes)
    if digest != delta.to_hash:
        raise BundleError("hash_mismatch", f"v{delta.to} after the delta is not its to_hash")
    snapshot = from_map(new, "snapshot")
    if revoked is not None:
        revoked = revoked.updated(delta.revoked.add, delta.revoked.remove)
    return Applied(snapshot, payload_bytes, new, digest, revoked)
