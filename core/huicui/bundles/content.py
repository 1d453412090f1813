"""The global part of every bundle (keys, revocations, benefits, directories) and its version.

The version is the id of a ``bundle_release`` row. A row is added exactly when the
digest of the global content differs from the latest row's, so the version only grows
and changes exactly when what devices must know changes. Nothing venue-specific is in
the digest: a venue's profile rides along in its own bundle without a new version.
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
from huicui_verifier.revocations import ID_LENGTH
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
    superseded: bytes  # sorted 8-byte key hashes of superseded phones (HB2), concatenated
    benefits: tuple[BenefitInfo, ...]
    directories: dict[int, LocalizedName]
    bundle_key: bytes
    signer: Ed25519PrivateKey

    @property
    def revoked_count(self) -> int:
        """How many certificate ids the revocation list holds."""
        return len(self.revoked) // ID_LENGTH


def pack_sorted(ids: list[bytes]) -> bytes:
    """Join ids that arrive sorted and unique into the wire form, in one C-speed pass.

    Order is not re-checked here: the verifier's ``build_and_sign`` refuses an unsorted
    or repeated list before anything is signed.
    """
    packed = b"".join(ids)
    if len(packed) != ID_LENGTH * len(ids):
        raise ValueError("every revoked certificate id must be 8 bytes")
    return packed


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


async def _release(digest: str, *, keys: int, revoked: int, benefits: int) -> int:
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
        await BundleRelease.select(Max(BundleRelease.id, alias="version"))
        .where(BundleRelease.digest == digest)
        .first()
    )
    return int(row["version"])


async def gather(ctx: Context, now: dt.datetime) -> GlobalContent:
    """Read keys, unexpired revocations, benefits and directories; find or make the version."""
    from huicui.issuance.certificates import revoked_certificate_ids
    from huicui.issuance.keys import bundle_signer, issuer_keys
    from huicui.issuance.phones import superseded_key_hashes

    signer, bundle_key = await bundle_signer(ctx)
    keys = tuple(
        KeyEntry(kid=k.kid, pub=k.public_key, state=k.state, nbf=k.not_before, exp=k.not_after)
        for k in await issuer_keys()
    )
    revoked = pack_sorted(await revoked_certificate_ids(now))
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
    version = await _release(
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
    )


async def change_stamp() -> int:
    """The newest audit event id: every change to bundle content writes one, so an
    unchanged stamp means the cached content is still right (one indexed read)."""
    from huicui.audit.tables import AuditEvent

    row = await AuditEvent.select(Max(AuditEvent.id, alias="stamp")).first()
    return int(row["stamp"] or 0) if row else 0
