"""Certificates' and signing keys' API shapes."""

from __future__ import annotations

from typing import Annotated

import msgspec


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
