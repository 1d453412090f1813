"""Piccolo tables of issuance: signing keys and certificates."""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from huicui.identities.tables import Identity
from huicui.memberships.tables import Membership


class SigningKey(Table, tablename="signing_key"):
    """An Ed25519 key pair; the private half is encrypted with the signing passphrase.

    ``purpose`` is ``certificate`` (signs HB1) or ``bundle`` (signs verifier bundles).
    A partial unique index (migration 0002) allows one ``active`` key per purpose.
    """

    kid = Varchar(length=8, unique=True, index=True)  # 4 bytes, hex
    purpose = Varchar(length=16, index=True)
    state = Varchar(length=16, default="active", index=True)  # active | retired | compromised
    public_key = Varchar(length=64)  # 32 raw bytes, hex
    private_key_enc = Text()
    not_before = Timestamptz(default=TimestamptzNow())
    not_after = Timestamptz(null=True, default=None)  # when it stopped signing
    state_reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Certificate(Table, tablename="certificate"):
    """One HB1 certificate per term. The full ID number is never stored here."""

    cti = Varchar(length=16, unique=True, index=True)  # 8 random bytes, hex
    membership = ForeignKey(references=Membership, index=True)
    identity = ForeignKey(references=Identity, index=True)
    directory_number = Integer(default=1)
    kid = Varchar(length=8, index=True)
    iat = BigInt()
    exp = BigInt(index=True)
    benefits = JSON(default="[]")
    status = Varchar(length=16, default="active", index=True)  # active | revoked | superseded
    revoked_at = Timestamptz(null=True, default=None)
    revoke_reason = Text(default="")
    superseded_by = Varchar(length=16, default="")
    holder_token_hash = Varchar(length=64, null=True, default=None, unique=True, index=True)
    hb1 = Text()
    created_at = Timestamptz(default=TimestamptzNow())
