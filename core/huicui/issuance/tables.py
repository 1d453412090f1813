"""Piccolo tables of issuance: signing keys, certificates and the phones cards are bound to."""

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
    # The phone card (docs/hb2.md): activations since the last staff reset, wrong
    # activation codes since the last success or reset, and which activation code is
    # current (the code is derived from it with the data key, never stored).
    phone_activations = Integer(default=0)
    activation_failures = Integer(default=0)
    activation_code_generation = Integer(default=0)


class PhoneBinding(Table, tablename="phone_binding"):
    """A bound certificate: the term certificate (same cti) plus one phone's public key.

    One ``active`` row per certificate at most; activating another phone makes the
    previous row ``superseded``, and the bundle lists its key hash until ``exp``.
    """

    certificate = ForeignKey(references=Certificate, index=True)
    cti = Varchar(length=16, index=True)
    device_key = Varchar(length=64)  # raw Ed25519 public key, hex
    key_hash = Varchar(length=16, index=True)  # sha256(key)[0..8], hex: the bundle's entry
    kid = Varchar(length=8)
    iat = BigInt()
    exp = BigInt(index=True)
    bound = Text()  # the bound certificate, COSE_Sign1 bytes as base64url
    status = Varchar(length=16, default="active", index=True)  # active | superseded
    superseded_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
