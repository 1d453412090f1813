"""The snapshot's content (keys, revocations, benefits, directories) and its version.

The version is the id of a ``bundle_release`` row. A row is added exactly when the
digest of the content differs from the latest row's, so the version only grows and
changes exactly when what devices must know changes. Nothing venue-specific is in the
digest: a venue's profile is its own signed file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from huicui_verifier import cbor_check
from huicui_verifier.bundle import KeyEntry, LocalizedName
from huicui_verifier.policy import BenefitInfo
from huicui_verifier.revocations import ID_LENGTH, contains, splice
from piccolo.query.functions.aggregate import Max

from huicui.bundles.tables import BundleRelease
from huicui.context import Context
from huicui.directories.tables import Directory


@dataclass(frozen=True)
class GlobalContent:
    """What every venue's bundle shares, with the version that names it."""

    version: int
    digest: str
    keys: tuple[KeyEntry, ...]
    revoked: bytes  # sorted 8-byte ids, concatenated: the bundle's wire form
    benefits: tuple[BenefitInfo, ...]
    directories: dict[int, LocalizedName]
    bundle_key: bytes
    signer: Ed25519PrivateKey
    released_at: int = 0  # when this version was first seen (epoch seconds): the snapshot iat
    # Sorted 8-byte hashes of superseded phone keys (the HB2 phone card), concatenated.
    superseded: bytes = b""
    # ``revoked`` is the list at ``revoked_read_at``, read when the clock said
    # ``revoked_read_clock``: the next read may ask only for what changed since.
    revoked_read_at: dt.datetime | None = None
    revoked_read_clock: dt.datetime | None = None
    # When ``revoked`` was made from an earlier list by adding and removing ids: that list
    # and the (sorted, packed) ids, so the publisher need not compare the two lists.
    revoked_base: bytes | None = None
    revoked_added: bytes = b""
    revoked_removed: bytes = b""

    @property
    def revoked_count(self) -> int:
        """How many certificate ids the revocation list holds."""
        return len(self.revoked) // ID_LENGTH


def pack_sorted(ids: list[bytes]) -> bytes:
    """Join ids that arrive sorted and unique into the wire form, in one C-speed pass.

    Order is not re-checked here: the verifier's ``bundle.sign`` refuses an unsorted
    or repeated list before anything is signed.
    """
    packed = b"".join(ids)
    if len(packed) != ID_LENGTH * len(ids):
        raise ValueError("every revoked certificate id must be 8 bytes")
    return packed


# Revocations committed late (a slow transaction, another host's clock) are still found
# when their revoked_at is at most this much older than the previous read.
REVOKED_OVERLAP = dt.timedelta(minutes=10)


def updated_revoked(
    packed: bytes, added: list[bytes], expired: list[bytes]
) -> tuple[bytes, bytes, bytes]:
    """``packed`` with the sorted ids ``added`` put in (those not there yet) and the
    sorted ids ``expired`` taken out (those it holds): the same bytes a full read gives.
    Returns (the new list, the ids put in, the ids taken out)."""
    add = b"".join(c for c in added if not contains(packed, c))
    remove = b"".join(c for c in expired if contains(packed, c))
    return (splice(packed, add, remove) if add or remove else packed), add, remove


async def _revoked(
    now: dt.datetime, previous: GlobalContent | None
) -> tuple[bytes, bytes | None, bytes, bytes]:
    """The revoked list at ``now``: from what changed since ``previous`` was read when it
    says when that was (and it was not later than ``now``), else read whole. Returns the
    list, and when made from ``previous``'s list: that list, the ids added and removed.

    Revocations are found by their ``revoked_at``, which the revoking process's clock
    wrote: the changes asked for start at the clock time of the previous read (not the
    ``now`` it was read for, which callers may set anywhere), less an overlap."""
    from huicui.issuance.certificates import revocation_changes, revoked_certificate_ids

    read_at = previous.revoked_read_at if previous is not None else None
    clock = previous.revoked_read_clock if previous is not None else None
    if previous is None or read_at is None or clock is None or read_at > now:
        return pack_sorted(await revoked_certificate_ids(now)), None, b"", b""
    added, expired = await revocation_changes(clock - REVOKED_OVERLAP, read_at, now)
    revoked, add, remove = updated_revoked(previous.revoked, added, expired)
    return revoked, previous.revoked, add, remove


async def _directories() -> dict[int, LocalizedName]:
    rows = await Directory.select(Directory.number, Directory.name_zh, Directory.name_en).order_by(
        Directory.number
    )
    return {r["number"]: LocalizedName(zh=r["name_zh"], en=r["name_en"]) for r in rows}


def digest_of(
    ctx: Context,
    *,
    bundle_key: bytes,
    keys: tuple[KeyEntry, ...],
    revoked: bytes,
    benefits: tuple[BenefitInfo, ...],
    directories: dict[int, LocalizedName],
    superseded: bytes = b"",
) -> str:
    """sha256 over everything venue-independent a bundle says (not its iat/exp)."""
    program = ctx.settings.program
    head = {
        "program": [program.code, program.name_zh, program.name_en, program.timezone],
        "skew": ctx.settings.bundle.skew_seconds,
        "bundle_key": bundle_key,
        "keys": msgspec.to_builtins(keys, builtin_types=(bytes,)),
        "benefits": msgspec.to_builtins(benefits),
        "directories": msgspec.to_builtins(directories),
    }
    if superseded:  # absent when empty, so content from before HB2 keeps its digest
        head["superseded"] = superseded
    h = hashlib.sha256(cbor_check.dumps(head))
    h.update(revoked)  # the big part is hashed as it is, never turned into objects
    return h.hexdigest()


async def _release(digest: str, *, keys: int, revoked: int, benefits: int) -> tuple[int, int]:
    """The version for ``digest``: the latest release if it has this digest, else a new one.

    Two processes racing may both insert; each then takes the newest row with its
    digest, so both serve the same (highest) version for the same content.
    """
    latest = (
        await BundleRelease.select(BundleRelease.id, BundleRelease.digest)
        .order_by(BundleRelease.id, ascending=False)
        .first()
    )
    if latest is None or latest["digest"] != digest:
        await BundleRelease.insert(
            BundleRelease(
                digest=digest, key_count=keys, revoked_count=revoked, benefit_count=benefits
            )
        )
    row = (
        await BundleRelease.select(BundleRelease.id, BundleRelease.created_at)
        .where(BundleRelease.digest == digest)
        .order_by(BundleRelease.id, ascending=False)
        .first()
    )
    return int(row["id"]), int(row["created_at"].timestamp())


async def gather(
    ctx: Context, now: dt.datetime, previous: GlobalContent | None = None
) -> GlobalContent:
    """Read keys, unexpired revocations, benefits and directories; find or make the version.

    With ``previous`` (what an earlier call returned) only the revocations changed since
    then are read: a million-entry list costs what changed, and gives the same bytes.
    """
    from huicui.issuance.keys import bundle_signer, issuer_keys
    from huicui.issuance.phones import superseded_key_hashes

    signer, bundle_key = await bundle_signer(ctx)
    keys = tuple(
        KeyEntry(kid=k.kid, pub=k.public_key, state=k.state, nbf=k.not_before, exp=k.not_after)
        for k in await issuer_keys()
    )
    clock = dt.datetime.now(dt.UTC)
    revoked, base, added, removed = await _revoked(now, previous)
    # A handful per day at most (one per re-activation), so read whole every time.
    superseded = pack_sorted(await superseded_key_hashes(now))
    benefits = tuple(
        sorted(ctx.plugins.benefits() if ctx.plugins is not None else [], key=lambda b: b.code)
    )
    directories = await _directories()
    digest = digest_of(
        ctx,
        bundle_key=bundle_key,
        keys=keys,
        revoked=revoked,
        benefits=benefits,
        directories=directories,
        superseded=superseded,
    )
    version, released_at = await _release(
        digest, keys=len(keys), revoked=len(revoked) // ID_LENGTH, benefits=len(benefits)
    )
    return GlobalContent(
        version=version,
        digest=digest,
        keys=keys,
        revoked=revoked,
        superseded=superseded,
        benefits=benefits,
        directories=directories,
        bundle_key=bundle_key,
        signer=signer,
        released_at=released_at,
        revoked_read_at=now,
        revoked_read_clock=clock,
        revoked_base=base,
        revoked_added=added,
        revoked_removed=removed,
    )


async def change_stamp() -> int:
    """The newest audit event id: every change to bundle content writes one, so an
    unchanged stamp means the cached content is still right (one indexed read)."""
    from huicui.audit.tables import AuditEvent

    row = await AuditEvent.select(Max(AuditEvent.id, alias="stamp")).first()
    return int(row["stamp"] or 0) if row else 0
