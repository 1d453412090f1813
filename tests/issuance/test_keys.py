"""Signing keys: creation, encryption at rest, rotation without downtime, compromise."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from huicui.app import build_context
from huicui.issuance import keys
from huicui.issuance.tables import SigningKey
from huicui.settings import SettingsError


@pytest.fixture
def ctx(settings):
    return build_context(settings)


async def test_ensure_keys_makes_one_of_each_and_is_idempotent(db, ctx):
    await keys.ensure_keys(ctx)
    await keys.ensure_keys(ctx)
    rows = await SigningKey.select(SigningKey.purpose, SigningKey.state)
    assert sorted(r["purpose"] for r in rows) == ["bundle", "certificate"]
    assert all(r["state"] == "active" for r in rows)
    issuers = await keys.issuer_keys()
    assert len(issuers) == 1
    assert len(issuers[0].kid) == 4 and len(issuers[0].public_key) == 32
    assert issuers[0].state == "active" and issuers[0].not_after is None


async def test_bundle_signer_returns_a_working_pair_not_the_certificate_key(db, ctx):
    await keys.ensure_keys(ctx)
    private, public = await keys.bundle_signer(ctx)
    assert isinstance(private, Ed25519PrivateKey) and len(public) == 32
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(public).verify(private.sign(b"x"), b"x")
    assert public not in [k.public_key for k in await keys.issuer_keys()]


async def test_private_keys_are_encrypted_at_rest(db, ctx):
    await keys.ensure_keys(ctx)
    private, _ = await keys.bundle_signer(ctx)
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    row = await SigningKey.select().where(SigningKey.purpose == "bundle").first()
    assert raw.hex() not in row["private_key_enc"]
    assert row["private_key_enc"].startswith("scrypt1:")
    with pytest.raises(SettingsError, match="passphrase"):
        keys.decrypt_private_key(row["private_key_enc"], b"another passphrase!!", "bundle",
                                 row["kid"])
    # Bound to its row: the same ciphertext under another kid does not decrypt.
    with pytest.raises(SettingsError):
        keys.decrypt_private_key(row["private_key_enc"],
                                 ctx.settings.secrets.signing_passphrase.encode(), "bundle",
                                 "00000000")


def test_fingerprint_matches_the_verifier():
    from huicui_verifier.bundle import fingerprint

    key = bytes(range(32))
    assert keys.fingerprint(key) == fingerprint(key)
    assert len(keys.fingerprint(key)) == 39 and keys.fingerprint(key).count("-") == 7


async def test_rotate_retires_the_old_key_and_keeps_it_for_verifiers(db, ctx):
    await keys.ensure_keys(ctx)
    (old,) = await keys.issuer_keys()
    new_kid = await keys.rotate(ctx, "test")
    issuers = {k.kid.hex(): k for k in await keys.issuer_keys()}
    assert issuers[old.kid.hex()].state == "retired"
    assert issuers[old.kid.hex()].not_after is not None
    assert issuers[new_kid].state == "active"
    _, kid = await keys.certificate_signer(ctx)
    assert kid.hex() == new_kid
    # The database itself refuses a second active key.
    # sqlite3 and asyncpg raise different types for the unique index.
    with pytest.raises(Exception):
        await SigningKey.update({SigningKey.state: "active"}).where(
            SigningKey.kid == old.kid.hex())


async def test_compromise_needs_a_reason_and_replaces_an_active_key(db, ctx):
    from huicui.errors import InvalidInput

    await keys.ensure_keys(ctx)
    (old,) = await keys.issuer_keys()
    with pytest.raises(InvalidInput):
        await keys.compromise(ctx, "test", old.kid.hex(), "  ")
    assert await keys.compromise(ctx, "test", old.kid.hex(), "laptop stolen") == 0
    states = {k.kid.hex(): k.state for k in await keys.issuer_keys()}
    assert states[old.kid.hex()] == "compromised"
    assert list(states.values()).count("active") == 1


async def test_bundle_key_cannot_be_rotated_or_retired(db, ctx):
    from huicui.errors import InvalidInput

    await keys.ensure_keys(ctx)
    row = await SigningKey.select().where(SigningKey.purpose == "bundle").first()
    with pytest.raises(InvalidInput):
        await keys.rotate(ctx, "test", "bundle")
    with pytest.raises(InvalidInput):
        await keys.retire(ctx, "test", row["kid"])
