"""The verifier bundle: everything a device needs to decide offline, signed by the program.

A bundle file is the raw CBOR bytes of a COSE_Sign1 (media type ``application/cbor``)
whose payload is a CBOR map with text keys (:class:`BundlePayload`). The device pins the
bundle signer's public key when it is enrolled and from then on loads only bundles that
key signed, never an older version than it holds. ``docs/bundle.md`` is the specification.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from . import cbor_check, cose
from .clock import PROGRAM_TZ, require_aware, zone
from .hb1 import MAX_TIMESTAMP
from .policy import BenefitInfo
from .revocations import RevocationSet

__all__ = [
    "DEFAULT_SKEW",
    "FORMAT",
    "MAX_BUNDLE_BYTES",
    "MAX_DEPTH",
    "MEDIA_TYPE",
    "Bundle",
    "BundleError",
    "BundlePayload",
    "KeyEntry",
    "LocalizedName",
    "VenueProfile",
    "build_and_sign",
    "bundle_kid",
    "encode_payload",
    "fingerprint",
    "load",
    "normalize_fingerprint",
    "payload_problems",
    "raw_public_key",
    "read_payload",
]

FORMAT = 1
MEDIA_TYPE = "application/cbor"
MAX_BUNDLE_BYTES = 64 * 1024 * 1024  # ~8 million revocations; far beyond a province's need
MAX_DEPTH = 10
DEFAULT_SKEW = 300


class LocalizedName(msgspec.Struct, frozen=True):
    """A name in zh-CN and en."""

    zh: str
    en: str


class KeyEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A certificate-signing key: retired keys still verify, compromised ones refuse."""

    kid: bytes
    pub: bytes
    state: Literal["active", "retired", "compromised"]
    nbf: int
    exp: int | None = None


class VenueProfile(msgspec.Struct, frozen=True, kw_only=True):
    """The venue this device serves; ``fail_mode`` says what to do with a stale bundle."""

    id: int
    name_zh: str
    name_en: str
    kind: str
    partner_id: int
    benefits: tuple[int, ...]
    fail_mode: Literal["open", "closed"]
    # What a static card (printed certificate or plain QR image, HB1) gets here; absent
    # in the file means "accept", so bundles written before HB2 read as they did.
    static_cards: Literal["accept", "check_id", "refuse"] = "accept"


class BundlePayload(msgspec.Struct, frozen=True, kw_only=True):
    """The signed content of a bundle (CBOR map with these text keys)."""

    format: int = FORMAT
    program: str
    program_name: LocalizedName
    version: int
    iat: int
    exp: int
    tz: str = PROGRAM_TZ
    skew: int = DEFAULT_SKEW
    bundle_key: bytes
    keys: tuple[KeyEntry, ...]
    revoked: bytes = b""
    # sha256(device key)[0..8] of every superseded phone (HB2), sorted; absent when empty.
    superseded: bytes = b""
    benefits: tuple[BenefitInfo, ...]
    directories: dict[int, LocalizedName] = {}
    venue: VenueProfile


class BundleError(Exception):
    """A bundle the device must not load; ``code`` is one of the codes in ``docs/bundle.md``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle with its lookups built: keys by kid, revocations, benefits by code."""

    raw: bytes
    payload: BundlePayload
    keys: dict[bytes, KeyEntry]
    revoked: RevocationSet
    benefits: dict[int, BenefitInfo]
    expired: bool = field(default=False)
    superseded: RevocationSet = field(default_factory=RevocationSet)
    # Ready-made key objects by their 32 raw bytes, so a scan does not rebuild one; a key
    # missing here (one the library will not load) is verified from its bytes as before.
    public_keys: dict[bytes, Ed25519PublicKey] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def version(self) -> int:
        """The bundle's version; a device never goes back to a smaller one."""
        return self.payload.version

    @property
    def venue(self) -> VenueProfile:
        """The venue profile this bundle was made for."""
        return self.payload.venue

    @property
    def fingerprint(self) -> str:
        """Fingerprint of the bundle signer's key, as shown at enrollment."""
        return fingerprint(self.payload.bundle_key)

    def is_stale(self, now_ts: int) -> bool:
        """True when ``now_ts`` (epoch seconds) is past the bundle's expiry."""
        return now_ts > self.payload.exp


def bundle_kid(bundle_key: bytes) -> bytes:
    """The kid of a bundle signature: the first 4 bytes of sha256(raw public key)."""
    return hashlib.sha256(bundle_key).digest()[:4]


def fingerprint(pubkey32: bytes) -> str:
    """Human-comparable fingerprint: sha256 of the raw key, first 16 bytes, ``XXXX-XXXX-…``."""
    digest = hashlib.sha256(bytes(pubkey32)).digest()[:16].hex().upper()
    return "-".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def normalize_fingerprint(text: str) -> str:
    """Accept a fingerprint typed with or without dashes, spaces or lower case."""
    digits = "".join(ch for ch in text.upper() if ch in "0123456789ABCDEF")
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of ``private_key``'s public key."""
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def payload_problems(payload: BundlePayload) -> list[str]:
    """Every rule ``payload`` breaks beyond its types; empty when it may be signed or loaded."""
    found: list[str] = []
    if payload.format != FORMAT:
        found.append(f"format must be {FORMAT}")
    if not 2 <= len(payload.program) <= 4:
        found.append("program must be 2-4 characters")
    if payload.version < 0 or not 0 <= payload.iat < payload.exp <= MAX_TIMESTAMP:
        found.append("version must be >= 0 and iat < exp (both before 9999-12-30)")
    try:
        zone(payload.tz)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        found.append(f"unknown time zone {payload.tz!r}")
    if not 0 <= payload.skew <= 86400:
        found.append("skew must be 0..86400 seconds")
    if len(payload.bundle_key) != 32:
        found.append("bundle_key must be 32 bytes")
    kids = set()
    for key in payload.keys:
        if len(key.kid) != cose.KID_LENGTH or len(key.pub) != 32:
            found.append(f"key {key.kid.hex()}: kid must be 4 bytes and pub 32 bytes")
        if key.kid in kids:
            found.append(f"key {key.kid.hex()} listed twice")
        kids.add(key.kid)
    if len(payload.revoked) % 8:
        found.append("revoked must be a concatenation of 8-byte ids")
    if len(payload.superseded) % 8:
        found.append("superseded must be a concatenation of 8-byte key hashes")
    codes = set()
    for info in payload.benefits:
        if info.code in codes:
            found.append(f"benefit code {info.code} listed twice")
        codes.add(info.code)
        found.extend(f"benefit {info.code}: {p}" for p in info.policy.problems())
    missing = set(payload.venue.benefits) - codes
    if missing:
        found.append(f"venue honors benefits {sorted(missing)} that the benefit table lacks")
    return found


def encode_payload(payload: BundlePayload) -> bytes:
    """The deterministic CBOR encoding of ``payload``."""
    return cbor_check.dumps(payload_map(payload))


def payload_map(payload: BundlePayload) -> dict[str, Any]:
    """``payload`` as the plain map that is encoded.

    The two keys HB2 added are left out at their defaults (no superseded phones, a venue
    that accepts static cards), so a bundle that uses neither is byte for byte what it
    was before them.
    """
    obj = msgspec.to_builtins(payload, builtin_types=(bytes,))
    if not obj["superseded"]:
        del obj["superseded"]
    if obj["venue"]["static_cards"] == "accept":
        del obj["venue"]["static_cards"]
    return obj


def build_and_sign(payload: BundlePayload, private_key: Ed25519PrivateKey) -> bytes:
    """Validate ``payload`` and return the signed bundle file (raw COSE_Sign1 CBOR bytes).

    ``private_key`` must be the key whose public half is ``payload.bundle_key``.
    Raises ValueError for an invalid payload or a key mismatch.
    """
    if raw_public_key(private_key) != payload.bundle_key:
        raise ValueError("private_key does not match payload.bundle_key")
    problems = payload_problems(payload)
    if problems:
        raise ValueError("; ".join(problems))
    RevocationSet(payload.revoked)  # refuses unsorted or repeated ids before they ship
    RevocationSet(payload.superseded)
    return cose.sign(encode_payload(payload), private_key, bundle_kid(payload.bundle_key))


def _thaw(value: Any) -> Any:
    # cbor2 6 hands back frozendicts and tuples; msgspec.convert wants plain dicts.
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


def read_payload(payload_bytes: bytes) -> BundlePayload:
    """Decode and type-check payload bytes (no signature check); raises BundleError."""
    try:
        obj = cbor_check.loads(payload_bytes, max_depth=MAX_DEPTH)
    except cbor_check.CBORCheckError as exc:
        raise BundleError("malformed", f"payload is not CBOR: {exc}") from None
    if not cbor_check.is_map(obj):
        raise BundleError("malformed", "payload must be a map")
    if obj.get("format") != FORMAT:
        raise BundleError(
            "unsupported_format",
            f"bundle format {obj.get('format')!r}, this verifier reads {FORMAT}",
        )
    try:
        # builtin_types: a byte string must arrive as one; msgspec would otherwise take
        # base64 text for bytes, so "revoked": "" would read as an empty list.
        payload = msgspec.convert(_thaw(obj), BundlePayload, strict=True, builtin_types=(bytes,))
    except msgspec.ValidationError as exc:
        raise BundleError("malformed", f"payload: {exc}") from None
    problems = payload_problems(payload)
    if problems:
        raise BundleError("malformed", "; ".join(problems))
    return payload


def load(
    data: bytes,
    *,
    pinned_key: bytes | None,
    held_version: int | None,
    now: datetime,
    enrolled_venue: int | None = None,
) -> Bundle:
    """Verify and load a bundle file.

    The signature must verify with ``pinned_key`` (32 raw bytes), which must also be the
    payload's ``bundle_key``. With ``pinned_key=None`` (first enrollment only) the
    bundle is trusted on first use against its own ``bundle_key``: the caller must then
    show :func:`fingerprint` for comparison and pin the key. A version below
    ``held_version`` is refused, and so is a bundle for another venue than
    ``enrolled_venue`` (the venue the device was enrolled at; None before enrollment):
    one program key signs every venue's bundle, so the signature alone cannot stop a
    device from being moved to another venue by a file. An expired bundle still loads,
    with ``expired=True``.

    Raises :class:`BundleError` with code ``too_large``, ``malformed``,
    ``unsupported_format``, ``wrong_key``, ``bad_signature``, ``older_version`` or
    ``other_venue``, checked in that order (``docs/bundle.md``).
    """
    now_ts = require_aware(now)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BundleError("malformed", "bundle must be bytes")
    data = bytes(data)
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError("too_large", f"bundle of {len(data)} bytes exceeds {MAX_BUNDLE_BYTES}")
    try:
        sign1 = cose.parse(data)
    except cose.CoseError as exc:
        raise BundleError("malformed", str(exc)) from None
    if pinned_key is not None and sign1.kid != bundle_kid(pinned_key):
        raise BundleError("wrong_key", "bundle is signed by a key other than the pinned one")
    if pinned_key is not None:
        # Check the signature before reading the payload: with a pinned key, nothing
        # unsigned is ever parsed beyond the outer envelope.
        signer = bytes(pinned_key)
        if not cose.verify(sign1, signer):
            raise BundleError(
                "bad_signature", "bundle signature does not verify with the pinned key"
            )
        payload = read_payload(sign1.payload)
        if payload.bundle_key != signer:
            raise BundleError("wrong_key", "bundle names a bundle_key other than the pinned one")
    else:
        payload = read_payload(sign1.payload)
        if sign1.kid != bundle_kid(payload.bundle_key):
            raise BundleError("malformed", "kid does not match the bundle key")
        if not cose.verify(sign1, payload.bundle_key):
            raise BundleError(
                "bad_signature", "bundle signature does not verify with its own bundle_key"
            )
    try:  # part of reading the payload: an unsorted or repeating list is malformed
        revoked = RevocationSet(payload.revoked)
        superseded = RevocationSet(payload.superseded)
    except ValueError as exc:
        raise BundleError("malformed", str(exc)) from None
    if held_version is not None and payload.version < held_version:
        raise BundleError(
            "older_version", f"bundle version {payload.version} is older than held {held_version}"
        )
    if enrolled_venue is not None and payload.venue.id != enrolled_venue:
        raise BundleError(
            "other_venue",
            f"bundle is for venue {payload.venue.id}, this device is enrolled at venue "
            f"{enrolled_venue}; enroll it again to move it",
        )
    return Bundle(
        raw=data,
        payload=payload,
        keys={k.kid: k for k in payload.keys},
        revoked=revoked,
        benefits={b.code: b for b in payload.benefits},
        expired=now_ts > payload.exp,
        superseded=superseded,
        public_keys=_public_keys(payload.keys),
    )


def _public_keys(keys: tuple[KeyEntry, ...]) -> dict[bytes, Ed25519PublicKey]:
    """Key objects for every certificate key the library accepts, by raw public key."""
    out: dict[bytes, Ed25519PublicKey] = {}
    for key in keys:
        # A key the library refuses is left out: cose.verify judges it at scan time.
        with contextlib.suppress(Exception):
            out[key.pub] = Ed25519PublicKey.from_public_bytes(key.pub)
    return out
