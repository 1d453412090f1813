"""Encryption of personal data at rest, keyed hashes for duplicate checks, masking.

AES-256-GCM from ``cryptography``; the column name is the associated data so a
ciphertext copied into another column does not decrypt. Sub-keys for encryption
and hashing are derived with HKDF from one data key, so one secret is managed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets as _stdlib_secrets
import unicodedata
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from huicui.settings import SecretsSettings, SettingsError

_PREFIX = "v1:"


class DecryptionError(Exception):
    """A stored value could not be decrypted (wrong key or tampered)."""


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


class DataVault:
    """Encrypts, hashes and masks personal data with keys derived from one data key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise SettingsError("secrets.data_key must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(_derive(master_key, b"huicui/field-encryption/v1"))
        self._hash_key = _derive(master_key, b"huicui/lookup-hash/v1")
        self._token_key = _derive(master_key, b"huicui/misc/v1")

    def encrypt(self, value: str | None, column: str) -> str | None:
        """Encrypt ``value`` for ``column``; ``None`` and ``""`` stay as they are."""
        if not value:
            return value
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), column.encode())
        return _PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str | None, column: str) -> str | None:
        """Reverse :meth:`encrypt`; raises :class:`DecryptionError` on a wrong key."""
        if not stored:
            return stored
        if not stored.startswith(_PREFIX):
            raise DecryptionError(f"{column}: unknown ciphertext version")
        raw = base64.b64decode(stored[len(_PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], column.encode()).decode("utf-8")
        except InvalidTag as exc:
            raise DecryptionError(f"{column}: cannot decrypt (wrong data key?)") from exc

    def lookup_hash(self, value: str | None, kind: str) -> str | None:
        """Keyed hash of a normalized value, for finding duplicates without the plain text."""
        if not value:
            return None
        normalized = normalize_identifier(value)
        digest = hmac.new(self._hash_key, f"{kind}:{normalized}".encode(), hashlib.sha256)
        return digest.hexdigest()


def normalize_identifier(value: str) -> str:
    """Full-width to half-width, spaces and dashes dropped, upper case (ID ``x`` → ``X``)."""
    text = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in text if ch not in " -\t").upper()


def mask(value: str | None) -> str:
    """The one masked form of personal data: four stars and the last four characters.

    ``11010519491231002X`` and its stored tail ``002X`` both give ``****002X``: only the
    tail is kept in the clear, so the API, exports and every other place that masks show
    the same text, and the mask does not hint at the value's length.
    """
    tail = last4(value)
    return "****" + tail if tail else ""


def last4(value: str | None) -> str:
    """The last four characters of a normalized identifier."""
    return normalize_identifier(value)[-4:] if value else ""


def hash_token(token: str) -> str:
    """Tokens are 256-bit random values, so a plain SHA-256 is a sound stored form."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def new_token(prefix: str) -> str:
    """A fresh bearer token such as ``hcs_…`` (staff) or ``hcd_…`` (device)."""
    return f"{prefix}_{_stdlib_secrets.token_urlsafe(32)}"


def _read_secret(value: str, file: str, name: str) -> str:
    if value:
        return value.strip()
    path = Path(file)
    if not path.is_file():
        raise SettingsError(
            f"secret {name} is not set: give HUICUI_SECRETS_{name.upper()} or create {path} "
            "(`huicui setup` makes development secrets)"
        )
    return path.read_text(encoding="utf-8").strip()


def load_data_key(settings: SecretsSettings) -> bytes:
    """The 32-byte data key from the environment or the secret file."""
    text = _read_secret(settings.data_key, settings.data_key_file, "data_key")
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise SettingsError("secrets.data_key is not valid base64") from exc
    if len(key) != 32:
        raise SettingsError("secrets.data_key must decode to 32 bytes")
    return key


def load_signing_passphrase(settings: SecretsSettings) -> bytes:
    """Passphrase that encrypts the signing keys' private halves at rest."""
    text = _read_secret(
        settings.signing_passphrase, settings.signing_passphrase_file, "signing_passphrase"
    )
    if len(text) < 16:
        raise SettingsError("secrets.signing_passphrase must be at least 16 characters")
    return text.encode("utf-8")


def create_dev_secrets(settings: SecretsSettings) -> list[Path]:
    """Create missing secret files (mode 0600) for development; returns those made."""
    made = []
    for file, content in (
        (settings.data_key_file, base64.b64encode(os.urandom(32)).decode()),
        (settings.signing_passphrase_file, _stdlib_secrets.token_urlsafe(32)),
    ):
        path = Path(file)
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(content + "\n")
        made.append(path)
    return made
