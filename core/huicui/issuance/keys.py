"""Signing keys: Ed25519 pairs for certificates (HB1) and for verifier bundles.

States: ``active`` (signs) → ``retired`` (signs nothing new, still verifies what it
signed) → ``compromised`` (verifiers refuse its certificates once the next bundle
arrives). One active key per purpose at a time, enforced by a partial unique index;
rotation retires the old key and activates the new one in one transaction, so
issuance never sees zero active keys.

Private keys are encrypted at rest with scrypt + AES-256-GCM rather than
``BestAvailableEncryption`` PKCS#8: scrypt is memory-hard (PKCS#8 in cryptography
uses PBKDF2, cheap to brute-force on GPUs), GCM authenticates, and the associated
data binds each ciphertext to its kid and purpose, so a private key copied onto
another row does not decrypt.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import os
from typing import Any, Literal

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from huicui_verifier.bundle import fingerprint as _verifier_fingerprint
from piccolo.columns.combination import And
from piccolo.engine.finder import engine_finder

from huicui.audit import service as audit
from huicui.auth import Principal
from huicui.context import Context
from huicui.errors import Conflict, InvalidInput, NotFound
from huicui.issuance.schemas import KeyOut
from huicui.issuance.tables import Certificate, SigningKey
from huicui.settings import SettingsError
from huicui.vault import load_signing_passphrase

CERTIFICATE = "certificate"
BUNDLE = "bundle"
PURPOSES = (CERTIFICATE, BUNDLE)
KeyState = Literal["active", "retired", "compromised"]

_ENC_PREFIX = "scrypt1:"
# scrypt cost: 2**15 × 8 × 128 B = 32 MiB and ~0.1 s per derivation. Decrypted keys
# are cached per process, so this is paid once per key, not per signature.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
_cache: dict[tuple[str, bytes], Ed25519PrivateKey] = {}
log = logging.getLogger("huicui.keys")


class IssuerKey(msgspec.Struct, frozen=True, kw_only=True):
    """A certificate-signing key as verifiers must know it (bundle ``keys``)."""

    kid: bytes  # 4 bytes
    public_key: bytes  # 32 raw bytes
    state: KeyState
    not_before: int  # epoch seconds: certificates issued earlier are refused
    not_after: int | None  # epoch seconds it stopped signing; None while active


def fingerprint(public_key: bytes) -> str:
    """sha256 of the raw key, first 16 bytes, upper hex in groups of 4 (``XXXX-XXXX-…``)."""
    return _verifier_fingerprint(public_key)


def _raw_public(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _aad(purpose: str, kid_hex: str) -> bytes:
    return f"huicui/signing-key/{purpose}/{kid_hex}".encode()


def _derive(passphrase: bytes, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P).derive(passphrase)


def encrypt_private_key(
    private_key: Ed25519PrivateKey, passphrase: bytes, purpose: str, kid_hex: str
) -> str:
    """The stored form of a private key: ``scrypt1:`` + base64(salt ‖ nonce ‖ AES-GCM)."""
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_derive(passphrase, salt)).encrypt(nonce, raw, _aad(purpose, kid_hex))
    return _ENC_PREFIX + base64.b64encode(salt + nonce + sealed).decode("ascii")


def decrypt_private_key(
    stored: str, passphrase: bytes, purpose: str, kid_hex: str
) -> Ed25519PrivateKey:
    """Reverse :func:`encrypt_private_key`; a wrong passphrase is a :class:`SettingsError`."""
    cache_key = (kid_hex, hashlib.sha256(passphrase + b"\0" + stored.encode()).digest())
    cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    if not stored.startswith(_ENC_PREFIX):
        raise SettingsError(f"signing key {kid_hex}: unknown private key format")
    blob = base64.b64decode(stored[len(_ENC_PREFIX) :])
    salt, nonce, sealed = blob[:16], blob[16:28], blob[28:]
    try:
        raw = AESGCM(_derive(passphrase, salt)).decrypt(nonce, sealed, _aad(purpose, kid_hex))
    except InvalidTag:
        raise SettingsError(
            f"signing key {kid_hex} cannot be decrypted: wrong secrets.signing_passphrase?"
        ) from None
    key = Ed25519PrivateKey.from_private_bytes(raw)
    _cache[cache_key] = key
    return key


def _epoch(value: dt.datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp())


async def _new_key_row(ctx: Context, purpose: str) -> SigningKey:
    passphrase = load_signing_passphrase(ctx.settings.secrets)
    private_key = Ed25519PrivateKey.generate()
    while True:
        kid_hex = os.urandom(4).hex()
        if not await SigningKey.exists().where(SigningKey.kid == kid_hex):
            break
    now = dt.datetime.now(dt.UTC)
    return SigningKey(
        kid=kid_hex,
        purpose=purpose,
        state="active",
        public_key=_raw_public(private_key).hex(),
        private_key_enc=encrypt_private_key(private_key, passphrase, purpose, kid_hex),
        not_before=now,
        not_after=None,
        created_at=now,
        updated_at=now,
    )


async def _active_row(purpose: str) -> dict[str, Any] | None:
    return (
        await SigningKey.select()
        .where(And(SigningKey.purpose == purpose, SigningKey.state == "active"))
        .first()
    )


async def ensure_keys(ctx: Context) -> None:
    """Create an active certificate-signing key and a bundle-signing key if none exist.

    Safe to call from several processes at once: the partial unique index lets only
    one active key per purpose be inserted; the loser finds the winner's key.
    """
    for purpose in PURPOSES:
        if await _active_row(purpose) is not None:
            continue
        row = await _new_key_row(ctx, purpose)
        try:
            await SigningKey.insert(row)
        except Exception:
            if await _active_row(purpose) is None:
                raise
            continue
        await audit.record(
            "system:keys", "key.create", "signing_key", row.kid, data={"purpose": purpose}
        )


async def ensure_keys_at_startup(ctx: Context) -> None:
    """:func:`ensure_keys` for the service's start-up.

    A database that is not migrated yet only warns (issuance creates the keys on first
    use); a wrong or missing signing passphrase stops start-up, since nothing could
    be signed.
    """
    load_signing_passphrase(ctx.settings.secrets)
    try:
        await ensure_keys(ctx)
    except SettingsError:
        raise
    except Exception as exc:
        log.warning("signing keys not checked (%s); run `huicui migrate`", type(exc).__name__)


async def issuer_keys() -> list[IssuerKey]:
    """Every certificate-signing key, in all states, oldest first (for the bundle)."""
    rows = (
        await SigningKey.select()
        .where(SigningKey.purpose == CERTIFICATE)
        .order_by(SigningKey.not_before)
        .order_by(SigningKey.id)
    )
    return [
        IssuerKey(
            kid=bytes.fromhex(row["kid"]),
            public_key=bytes.fromhex(row["public_key"]),
            state=row["state"],
            not_before=_epoch(row["not_before"]) or 0,
            not_after=_epoch(row["not_after"]),
        )
        for row in rows
    ]


async def _signer(ctx: Context, purpose: str) -> tuple[Ed25519PrivateKey, bytes, str]:
    row = await _active_row(purpose)
    if row is None:
        await ensure_keys(ctx)
        row = await _active_row(purpose)
        assert row is not None  # ensure_keys made one or raised
    passphrase = load_signing_passphrase(ctx.settings.secrets)
    key = decrypt_private_key(row["private_key_enc"], passphrase, purpose, row["kid"])
    public = bytes.fromhex(row["public_key"])
    if _raw_public(key) != public:
        raise SettingsError(f"signing key {row['kid']}: private and public halves differ")
    return key, public, row["kid"]


async def bundle_signer(ctx: Context) -> tuple[Ed25519PrivateKey, bytes]:
    """The bundle-signing private key (decrypted) and its raw 32-byte public key."""
    key, public, _ = await _signer(ctx, BUNDLE)
    return key, public


async def certificate_signer(ctx: Context) -> tuple[Ed25519PrivateKey, bytes]:
    """The active certificate-signing private key and its 4-byte kid."""
    key, _, kid_hex = await _signer(ctx, CERTIFICATE)
    return key, bytes.fromhex(kid_hex)


def parse_kid(text: str) -> str:
    """A kid as typed by staff (8 hex digits, any case) → lower hex; else a 422."""
    value = text.strip().lower()
    if len(value) != 8 or any(ch not in "0123456789abcdef" for ch in value):
        raise InvalidInput(
            "密钥编号应为 8 位十六进制字符", f"key id must be 8 hex digits, got {text!r}"
        )
    return value


async def get_key_row(kid_hex: str) -> dict[str, Any]:
    """The key row for ``kid_hex`` or :class:`NotFound`."""
    row = await SigningKey.select().where(SigningKey.kid == parse_kid(kid_hex)).first()
    if row is None:
        raise NotFound("未找到该签名密钥", f"signing key {kid_hex} not found")
    return row


async def list_keys() -> list[KeyOut]:
    """Every signing key, newest first, with how many certificates each signed."""
    rows = await SigningKey.select().order_by(SigningKey.id, ascending=False)
    out = []
    for row in rows:
        count = await Certificate.count().where(Certificate.kid == row["kid"])
        out.append(
            KeyOut(
                kid=row["kid"],
                purpose=row["purpose"],
                state=row["state"],
                fingerprint=fingerprint(bytes.fromhex(row["public_key"])),
                not_before=_epoch(row["not_before"]) or 0,
                not_after=_epoch(row["not_after"]),
                state_reason=row["state_reason"],
                certificates=count,
            )
        )
    return out


async def rotate(ctx: Context, actor: Principal | str, purpose: str = CERTIFICATE) -> str:
    """Make a new active key and retire the old one in one transaction; returns the new kid.

    Certificates signed by the old key stay valid: verifiers keep it as ``retired``.
    """
    if purpose not in PURPOSES:
        raise InvalidInput("用途应为 certificate 或 bundle", "purpose: certificate or bundle")
    if purpose == BUNDLE:
        # Devices pin the bundle key at enrollment; changing it needs re-enrollment.
        raise InvalidInput(
            "更换清单签名密钥需要重新登记所有设备，暂不支持",
            "rotating the bundle key would orphan every enrolled device; not supported",
        )
    row = await _new_key_row(ctx, purpose)
    now = dt.datetime.now(dt.UTC)
    async with engine_finder().transaction():
        old = await _active_row(purpose)
        if old is not None:
            await SigningKey.update(
                {
                    SigningKey.state: "retired",
                    SigningKey.not_after: now,
                    SigningKey.state_reason: "rotated",
                    SigningKey.updated_at: now,
                }
            ).where(SigningKey.id == old["id"])
        await SigningKey.insert(row)
    await audit.record(
        actor,
        "key.rotate",
        "signing_key",
        row.kid,
        data={"purpose": purpose, "retired": old["kid"] if old else None},
    )
    return row.kid


async def retire(ctx: Context, actor: Principal | str, kid_hex: str, reason: str = "") -> None:
    """Stop a key signing. Retiring the active certificate key rotates first (no downtime)."""
    row = await get_key_row(kid_hex)
    if row["state"] != "active":
        raise Conflict(
            "只有启用中的密钥可以停用", f"key {row['kid']} is {row['state']}, not active"
        )
    if row["purpose"] == CERTIFICATE:
        await rotate(ctx, actor, CERTIFICATE)
    else:
        raise InvalidInput(
            "清单签名密钥不能停用（设备已锁定该密钥）",
            "the bundle key cannot be retired: devices pin it",
        )
    await audit.record(actor, "key.retire", "signing_key", row["kid"], reason=reason)


async def certificates_signed_by(kid_hex: str, *, active_only: bool = True) -> int:
    """How many certificates ``kid_hex`` signed (only still active ones by default)."""
    query = Certificate.count().where(Certificate.kid == kid_hex)
    if active_only:
        query = query.where(Certificate.status == "active")
    return await query


async def compromise(ctx: Context, actor: Principal | str, kid_hex: str, reason: str) -> int:
    """Mark a key compromised; returns how many active certificates it signed.

    The next bundle lists the key as compromised and verifiers refuse every
    certificate it signed; re-issue them with ``huicui certificates reissue --kid``.
    A compromised active key is replaced by a fresh one first, so issuance goes on.
    """
    if not reason.strip():
        raise InvalidInput("标记泄露必须说明原因", "a reason is required to mark a key compromised")
    row = await get_key_row(kid_hex)
    if row["state"] == "compromised":
        raise Conflict("该密钥已标记为泄露", f"key {row['kid']} is already compromised")
    if row["purpose"] == BUNDLE:
        raise InvalidInput(
            "清单签名密钥泄露需要重新登记所有设备，请联系维护人员",
            "a compromised bundle key means re-enrolling every device; not done by this command",
        )
    if row["state"] == "active":
        await rotate(ctx, actor, CERTIFICATE)
    now = dt.datetime.now(dt.UTC)
    await SigningKey.update(
        {
            SigningKey.state: "compromised",
            SigningKey.state_reason: reason.strip(),
            SigningKey.not_after: row["not_after"] or now,
            SigningKey.updated_at: now,
        }
    ).where(SigningKey.id == row["id"])
    affected = await certificates_signed_by(row["kid"])
    await audit.record(
        actor,
        "key.compromise",
        "signing_key",
        row["kid"],
        reason=reason.strip(),
        data={"affected_certificates": affected},
    )
    return affected


__all__ = [
    "IssuerKey",
    "KeyOut",
    "bundle_signer",
    "certificate_signer",
    "compromise",
    "ensure_keys",
    "fingerprint",
    "issuer_keys",
    "list_keys",
    "retire",
    "rotate",
]
