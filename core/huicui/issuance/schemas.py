"""Certificates' and signing keys' API shapes."""

from __future__ import annotations

from typing import Annotated

import msgspec
from huicui_verifier.hb2 import PROOF_WINDOW


class CertificateBenefitOut(msgspec.Struct):
    code: int
    slug: str
    name_zh: str
    name_en: str


class CertificateOut(msgspec.Struct):
    """A certificate as staff see it. ``text`` is what the QR code carries."""

    id: str
    text: str
    status: str
    status_zh: str
    membership_id: int
    identity_id: int
    directory_number: int
    kid: str
    key_state: str
    issued_at: str
    valid_from: str
    valid_until: str
    iat: int
    exp: int
    benefits: list[CertificateBenefitOut]
    revoked_at: str | None
    revoke_reason: str
    superseded_by: str | None


class Issued(msgspec.Struct):
    """A freshly issued certificate; ``holder_link`` is set only when a new link was made."""

    cti: str
    holder_link: str | None


class HolderLinkOut(msgspec.Struct):
    """The holder's card link; shown once (only its hash is stored)."""

    id: str
    link: str
    token: str


class RevokeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class KeyOut(msgspec.Struct):
    """A signing key as staff see it (``huicui keys list``)."""

    kid: str
    purpose: str
    state: str
    fingerprint: str
    not_before: int
    not_after: int | None
    state_reason: str
    certificates: int


# --- phone cards (docs/hb2.md, docs/keys.md "Phone cards") -----------------------------

REFRESH_SECONDS = 10  # how often the holder page signs a new proof


class ActivateIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What the holder page sends: the phone's public key and the activation code."""

    public_key: str  # base64url (no padding) of the 32 raw bytes
    code: str


class ActivationOut(msgspec.Struct, kw_only=True):
    """The bound certificate and what the page needs to sign proofs with it."""

    cti: str
    bound: str  # the bound certificate: COSE_Sign1 bytes, base64url without padding
    key_hash: str
    iat: int
    exp: int
    server_time_ms: int
    activations_used: int
    activations_allowed: int
    superseded: list[str]  # key hashes of the phones this activation replaced
    proof_window: int = PROOF_WINDOW
    refresh_seconds: int = REFRESH_SECONDS


class PhoneStatusOut(msgspec.Struct, kw_only=True):
    """The server's clock, and whether the asking phone still holds the card."""

    server_time_ms: int
    current: bool  # the asking phone's key is the card's active one
    bound: str | None  # the current bound certificate, when current
    superseded_at: str | None  # when another phone took the card, when not current


class ActivationStateOut(msgspec.Struct, kw_only=True):
    """What staff see of a card's phone activations (never the code unless asked)."""

    id: str
    activations_used: int
    activations_allowed: int
    wrong_codes: int
    locked: bool
    active_key_hash: str | None
    code: str | None = None


class ActivationResetIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    new_code: bool = False  # also replace the activation code (the printed one stops working)
