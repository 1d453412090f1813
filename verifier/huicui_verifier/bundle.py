"""Bundle format 2: what a device needs to decide offline, as four kinds of signed file.

- a **snapshot** shared by every venue (keys, benefits with policies, directories,
  program settings, the revocation lists), named by the SHA-256 of its payload;
- a **delta** from one snapshot version to the next (see :mod:`.delta`);
- a tiny **heartbeat** ("the latest version is V, its hash is H, valid until T"), re-signed
  often: it, not the snapshot, proves freshness;
- the **venue profile** (name, benefits honored, fail mode, static-card policy).

Each file is the raw CBOR bytes of a COSE_Sign1 by the program's bundle key, whose payload
is a deterministic CBOR map with text keys and a ``type``. The device pins the bundle key
at enrollment. ``docs/bundle.md`` is the specification.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from . import cbor_check, cose
from .clock import PROGRAM_TZ, zone
from .hb1 import MAX_TIMESTAMP
from .policy import BenefitInfo
from .revocations import RevocationSet, check_packed

__all__ = [
    "DEFAULT_SKEW",
    "FIXED_FIELDS",
    "FORMAT",
    "HASH_LENGTH",
    "KINDS",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MEDIA_TYPE",
    "Bundle",
    "BundleError",
    "Changes",
    "Delta",
    "Heartbeat",
    "KeyEntry",
    "Kind",
    "LocalizedName",
    "Opened",
    "Payload",
    "Snapshot",
    "StaticCard",
    "VenueProfile",
    "assemble",
    "bundle_kid",
    "check_enrolled",
    "content_hash",
    "decode_map",
    "delta_problems",
    "encode",
    "fingerprint",
    "from_map",
    "heartbeat_problems",
    "normalize_fingerprint",
    "open_bundle",
    "open_file",
    "problems",
    "profile_problems",
    "raw_public_key",
    "sign",
    "sign_payload",
    "signed_payload",
    "snapshot_problems",
    "to_map",
]

FORMAT = 2
MEDIA_TYPE = "application/cbor"
MAX_FILE_BYTES = 64 * 1024 * 1024  # ~8 million revocations; far beyond a province's need
MAX_DEPTH = 10
DEFAULT_SKEW = 300
HASH_LENGTH = 32
Kind = Literal["snapshot", "delta", "heartbeat", "profile"]
KINDS: tuple[Kind, ...] = ("snapshot", "delta", "heartbeat", "profile")
StaticCard = Literal["accept", "check_id", "refuse"]


class LocalizedName(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A name in zh-CN and en."""

    zh: str
    en: str


class KeyEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A certificate-signing key: retired keys still verify, compromised ones refuse."""

    kid: bytes
    pub: bytes
    state: Literal["active", "retired", "compromised"]
    nbf: int
    exp: int | None = None


class Snapshot(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="snapshot"):
    """Everything every venue shares at one version (unknown top-level keys are kept)."""

    format: int = FORMAT
    program: str
    version: int
    iat: int
    program_name: LocalizedName
    tz: str = PROGRAM_TZ
    skew: int = DEFAULT_SKEW
    bundle_key: bytes
    keys: tuple[KeyEntry, ...]
    benefits: tuple[BenefitInfo, ...]
    directories: dict[int, LocalizedName] = {}
    revoked: bytes = b""  # 8-byte certificate ids, sorted ascending, concatenated
    superseded: bytes = b""  # 8-byte hashes of superseded phone keys (the HB2 phone card), likewise


class Changes(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Ids a delta adds to and removes from one packed list (each sorted, concatenated)."""

    add: bytes = b""
    remove: bytes = b""


class Delta(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="delta"):
    """How snapshot ``from`` (hash ``from_hash``) becomes snapshot ``to`` (hash ``to_hash``)."""

    format: int = FORMAT
    program: str
    from_: int = msgspec.field(name="from")
    from_hash: bytes
    to: int
    to_hash: bytes
    iat: int  # the iat of snapshot ``to``
    set: dict[str, Any] = {}  # top-level snapshot fields replaced whole
    revoked: Changes = Changes()
    superseded: Changes = Changes()


class Heartbeat(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="heartbeat"):
    """The latest version and its snapshot hash, valid from ``iat`` until ``exp``."""

    format: int = FORMAT
    program: str
    version: int
    hash: bytes
    iat: int
    exp: int


class VenueProfile(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="profile"):
    """The venue a device serves; ``fail_mode`` says what to do when the data is stale."""

    format: int = FORMAT
    program: str
    id: int = msgspec.field(name="venue")
    rev: int  # only grows: the venue's last change, epoch seconds
    name_zh: str
    name_en: str
    kind: str
    partner_id: int
    benefits: tuple[int, ...]
    fail_mode: Literal["open", "closed"]
    static_card: StaticCard = "accept"
    # Only at a "refuse" venue, and then ``benefits`` is empty: the codes a live phone
    # card (HB2) is honored for. A verifier from before HB2 reads only ``benefits`` and so
    # honors nothing for a static card there, instead of ignoring the policy (docs/bundle.md).
    live_benefits: tuple[int, ...] | None = None

    @property
    def honored(self) -> tuple[int, ...]:
        """The benefit codes honored here (for a static card only when it is not refused)."""
        return self.benefits if self.live_benefits is None else self.live_benefits


Payload = Snapshot | Delta | Heartbeat | VenueProfile
_TYPES: dict[str, type] = {
    "snapshot": Snapshot,
    "delta": Delta,
    "heartbeat": Heartbeat,
    "profile": VenueProfile,
}
# Fields a delta may not replace through ``set``: identity, version and the two lists
# (those change through their own add/remove).
FIXED_FIELDS = frozenset(
    {"format", "type", "program", "version", "iat", "bundle_key", "revoked", "superseded"}
)


class BundleError(Exception):
    """A file the device must not take; ``code`` is one of the codes in ``docs/bundle.md``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


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


def content_hash(payload_bytes: bytes) -> bytes:
    """A snapshot's name: SHA-256 of its payload bytes (the CBOR inside the COSE_Sign1)."""
    return hashlib.sha256(payload_bytes).digest()


# --- rules beyond the types ---------------------------------------------------------


def _common_problems(p: Payload) -> list[str]:
    found = []
    if p.format != FORMAT:
        found.append(f"format must be {FORMAT}")
    if not 2 <= len(p.program) <= 4:
        found.append("program must be 2-4 characters")
    return found


def _time_ok(*values: int) -> bool:
    return all(0 <= v <= MAX_TIMESTAMP for v in values)


def snapshot_problems(s: Snapshot) -> list[str]:
    """Every rule snapshot ``s`` breaks beyond its types; empty when it may be signed or used."""
    found = _common_problems(s)
    if s.version < 0 or not _time_ok(s.iat):
        found.append("version and iat must be >= 0 (iat before 9999-12-30)")
    try:
        zone(s.tz)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        found.append(f"unknown time zone {s.tz!r}")
    if not 0 <= s.skew <= 86400:
        found.append("skew must be 0..86400 seconds")
    if len(s.bundle_key) != 32:
        found.append("bundle_key must be 32 bytes")
    kids = set()
    for key in s.keys:
        if len(key.kid) != cose.KID_LENGTH or len(key.pub) != 32:
            found.append(f"key {key.kid.hex()}: kid must be 4 bytes and pub 32 bytes")
        if key.kid in kids:
            found.append(f"key {key.kid.hex()} listed twice")
        kids.add(key.kid)
    codes = set()
    for info in s.benefits:
        if info.code in codes:
            found.append(f"benefit code {info.code} listed twice")
        codes.add(info.code)
        found.extend(f"benefit {info.code}: {p}" for p in info.policy.problems())
    for name in ("revoked", "superseded"):
        problem = check_packed(getattr(s, name))
        if problem:
            found.append(f"{name}: {problem}")
    return found


def heartbeat_problems(h: Heartbeat) -> list[str]:
    """Every rule heartbeat ``h`` breaks beyond its types."""
    found = _common_problems(h)
    if h.version < 0 or len(h.hash) != HASH_LENGTH:
        found.append("version must be >= 0 and hash 32 bytes")
    if not (_time_ok(h.iat, h.exp) and h.iat < h.exp):
        found.append("iat < exp required (both before 9999-12-30)")
    return found


def profile_problems(v: VenueProfile) -> list[str]:
    """Every rule profile ``v`` breaks beyond its types."""
    found = _common_problems(v)
    if v.id < 0 or v.partner_id < 0 or not _time_ok(v.rev):
        found.append("venue, partner_id and rev must be >= 0")
    if list(v.benefits) != sorted(set(v.benefits)):
        found.append("benefits must be sorted ascending without repeats")
    if v.live_benefits is not None and list(v.live_benefits) != sorted(set(v.live_benefits)):
        found.append("live_benefits must be sorted ascending without repeats")
    if v.static_card == "refuse" and (v.benefits or v.live_benefits is None):
        found.append("a refuse venue lists its benefits as live_benefits, with benefits empty")
    if v.static_card != "refuse" and v.live_benefits is not None:
        found.append("live_benefits belongs to a refuse venue only")
    return found


def delta_problems(d: Delta) -> list[str]:
    """Every rule delta ``d`` breaks beyond its types (chaining is checked when applied)."""
    found = _common_problems(d)
    if not 0 <= d.from_ < d.to:
        found.append("from must be >= 0 and below to")
    if len(d.from_hash) != HASH_LENGTH or len(d.to_hash) != HASH_LENGTH:
        found.append("from_hash and to_hash must be 32 bytes")
    if not _time_ok(d.iat):
        found.append("iat must be >= 0")
    fixed = sorted(FIXED_FIELDS.intersection(d.set))
    if fixed:
        found.append(f"set may not replace {fixed}")
    for name in ("revoked", "superseded"):
        changes: Changes = getattr(d, name)
        for part in ("add", "remove"):
            problem = check_packed(getattr(changes, part))
            if problem:
                found.append(f"{name}.{part}: {problem}")
    return found


_PROBLEMS = {
    Snapshot: snapshot_problems,
    Delta: delta_problems,
    Heartbeat: heartbeat_problems,
    VenueProfile: profile_problems,
}


def problems(payload: Payload) -> list[str]:
    """Every rule ``payload`` (any of the four kinds) breaks; empty when it is valid."""
    return _PROBLEMS[type(payload)](payload)


# --- writing ------------------------------------------------------------------------


def to_map(payload: Payload) -> dict:
    """The payload as plain CBOR-ready values (text keys, bytes kept as bytes)."""
    obj = msgspec.to_builtins(payload, builtin_types=(bytes,))
    if isinstance(payload, VenueProfile) and payload.live_benefits is None:
        del obj["live_benefits"]  # absent unless the venue refuses static cards
    return obj


def encode(payload: Payload | Mapping) -> bytes:
    """The deterministic CBOR encoding of a payload (a struct or its map)."""
    obj = payload if isinstance(payload, Mapping) else to_map(payload)
    return cbor_check.dumps(obj)


def sign_payload(payload_bytes: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """A COSE_Sign1 file over already-encoded payload bytes, by the bundle key."""
    return cose.sign(payload_bytes, private_key, bundle_kid(raw_public_key(private_key)))


def sign(payload: Payload, private_key: Ed25519PrivateKey) -> bytes:
    """Validate ``payload`` and return the signed file (raw COSE_Sign1 CBOR bytes).

    Raises ValueError for an invalid payload, or a snapshot whose ``bundle_key`` is not
    ``private_key``'s public half.
    """
    if isinstance(payload, Snapshot) and payload.bundle_key != raw_public_key(private_key):
        raise ValueError("private_key does not match snapshot.bundle_key")
    found = problems(payload)
    if found:
        raise ValueError("; ".join(found))
    return sign_payload(encode(payload), private_key)


# --- reading ------------------------------------------------------------------------


def _thaw(value: Any) -> Any:
    # cbor2 6 hands back frozendicts and tuples; msgspec.convert wants plain dicts.
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


def signed_payload(data: bytes) -> bytes:
    """The payload bytes of a signed file, its signature not checked: for a publisher
    reading back the files it wrote itself. Raises :class:`BundleError` (``malformed``)."""
    try:
        return cose.parse(data).payload
    except cose.CoseError as exc:
        raise BundleError("malformed", str(exc)) from None


def decode_map(payload_bytes: bytes) -> dict:
    """The payload as a plain map; refuses non-CBOR and non-deterministic encodings."""
    try:
        obj = cbor_check.loads(payload_bytes, max_depth=MAX_DEPTH)
    except cbor_check.CBORCheckError as exc:
        raise BundleError("malformed", f"payload is not CBOR: {exc}") from None
    if not cbor_check.is_map(obj):
        raise BundleError("malformed", "payload must be a map")
    obj = _thaw(obj)
    if any(not isinstance(k, str) for k in obj):
        raise BundleError("malformed", "payload keys must be text")
    if _has_float(obj):
        raise BundleError("malformed", "payload holds a float: no bundle field is one")
    # One reading for every verifier: the bytes must be exactly the deterministic
    # encoding of what they say (RFC 8949 §4.2.1), so no two readers differ.
    if cbor_check.dumps(obj) != payload_bytes:
        raise BundleError("malformed", "payload is not deterministically encoded")
    return obj


def from_map(obj: Mapping, kind: Kind) -> Any:
    """Type-check a decoded payload map as ``kind``; raises BundleError."""
    if obj.get("format") != FORMAT:
        raise BundleError(
            "unsupported_format", f"format {obj.get('format')!r}, this verifier reads {FORMAT}"
        )
    if obj.get("type") != kind:
        raise BundleError("wrong_type", f"a {kind} was expected, this is {obj.get('type')!r}")
    try:
        # builtin_types: a byte string must arrive as one; msgspec would otherwise take
        # base64 text for bytes, so "revoked": "" would read as an empty list.
        payload = msgspec.convert(obj, _TYPES[kind], strict=True, builtin_types=(bytes,))
    except msgspec.ValidationError as exc:
        raise BundleError("malformed", f"{kind}: {exc}") from None
    found = problems(payload)
    if found:
        raise BundleError("malformed", f"{kind}: " + "; ".join(found))
    return payload


@dataclass(frozen=True)
class Opened:
    """A verified file: what it says, the exact payload bytes and their plain map."""

    payload: Any
    payload_bytes: bytes
    obj: dict


def open_file(data: bytes, kind: Kind, *, pinned_key: bytes | None) -> Opened:
    """Verify a signed file of ``kind`` and read it.

    With ``pinned_key`` (32 raw bytes) the kid and the signature must match it before the
    payload is read at all, and a snapshot must name it as its ``bundle_key``. Only a
    snapshot may be opened with ``pinned_key=None`` (first enrollment): it is then trusted
    on first use against its own ``bundle_key``, and the caller must compare
    :func:`fingerprint` with the one the office shows.

    Raises :class:`BundleError` (``too_large``, ``malformed``, ``unsupported_format``,
    ``wrong_type``, ``wrong_key``, ``bad_signature``).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BundleError("malformed", "a bundle file must be bytes")
    data = bytes(data)
    if len(data) > MAX_FILE_BYTES:
        raise BundleError("too_large", f"{len(data)} bytes exceed {MAX_FILE_BYTES}")
    try:
        sign1 = cose.parse(data)
    except cose.CoseError as exc:
        raise BundleError("malformed", str(exc)) from None
    if pinned_key is None:
        if kind != "snapshot":
            raise BundleError("wrong_key", f"a {kind} can only be read with a pinned key")
        obj = decode_map(sign1.payload)
        payload = from_map(obj, kind)
        if sign1.kid != bundle_kid(payload.bundle_key):
            raise BundleError("malformed", "kid does not match the snapshot's bundle_key")
        if not cose.verify(sign1, payload.bundle_key):
            raise BundleError("bad_signature", "signature does not verify with its bundle_key")
        return Opened(payload, sign1.payload, obj)
    signer = bytes(pinned_key)
    if sign1.kid != bundle_kid(signer):
        raise BundleError("wrong_key", f"{kind} is signed by a key other than the pinned one")
    # The signature first: with a pinned key nothing unsigned is parsed past the envelope.
    if not cose.verify(sign1, signer):
        raise BundleError("bad_signature", f"{kind} signature does not verify with the pinned key")
    obj = decode_map(sign1.payload)
    payload = from_map(obj, kind)
    if kind == "snapshot" and payload.bundle_key != signer:
        raise BundleError("wrong_key", "snapshot names a bundle_key other than the pinned one")
    return Opened(payload, sign1.payload, obj)


# --- what a device decides with -----------------------------------------------------


@dataclass(frozen=True)
class Bundle:
    """A device's data: a snapshot, its venue's profile, and the heartbeat that vouches.

    ``fresh_until`` is the ``exp`` of the heartbeat that named exactly this snapshot
    (version and hash); 0 when none did, so the data counts as stale.
    """

    snapshot: Snapshot
    snapshot_hash: bytes
    profile: VenueProfile
    fresh_until: int
    checked_at: int  # iat of that heartbeat (or of the snapshot): the clock must not be behind
    keys: dict[bytes, KeyEntry]
    revoked: RevocationSet
    benefits: dict[int, BenefitInfo]
    # 8-byte hashes of superseded phone keys (HB2): their live codes are refused.
    superseded: RevocationSet = field(default_factory=RevocationSet)
    # Ready-made key objects by their 32 raw bytes, so a scan does not rebuild one; a key
    # missing here (one the library will not load) is verified from its bytes as before.
    public_keys: dict[bytes, Ed25519PublicKey] = field(
        default_factory=dict, compare=False, repr=False
    )
    latest_version: int | None = None  # newer version a heartbeat announced, not yet held

    @property
    def version(self) -> int:
        """The snapshot version held; a device never goes back to a smaller one."""
        return self.snapshot.version

    @property
    def venue(self) -> VenueProfile:
        """The profile of the venue this device serves."""
        return self.profile

    @property
    def program(self) -> str:
        """The program id (equals the certificates' ``iss``)."""
        return self.snapshot.program

    @property
    def tz(self) -> str:
        """The program's time zone, for limits, hours and displayed times."""
        return self.snapshot.tz

    @property
    def skew(self) -> int:
        """Clock-skew tolerance in seconds."""
        return self.snapshot.skew

    @property
    def fingerprint(self) -> str:
        """Fingerprint of the bundle key, as shown at enrollment."""
        return fingerprint(self.snapshot.bundle_key)

    @property
    def behind(self) -> bool:
        """True when a heartbeat announced a newer version than the one held."""
        return self.latest_version is not None and self.latest_version > self.version

    def is_stale(self, now_ts: int) -> bool:
        """True from ``fresh_until`` on (``now == fresh_until`` is already stale)."""
        return now_ts >= self.fresh_until


def assemble(
    snapshot: Snapshot,
    snapshot_hash: bytes,
    profile: VenueProfile,
    heartbeat: Heartbeat | None,
    *,
    revoked: RevocationSet | None = None,
    latest_version: int | None = None,
) -> Bundle:
    """The device view of a snapshot, a profile and (if it vouches for them) a heartbeat.

    The caller has verified all three. A profile or heartbeat of another program is
    refused (``wrong_program``); a heartbeat for this version with another hash is
    refused (``hash_mismatch``); one for another version gives no freshness.
    """
    for other in (profile, heartbeat):
        if other is not None and other.program != snapshot.program:
            raise BundleError(
                "wrong_program",
                f"{type(other).__name__} of program {other.program!r}, "
                f"snapshot of {snapshot.program!r}",
            )
    fresh_until, checked_at = 0, snapshot.iat
    if heartbeat is not None and heartbeat.version == snapshot.version:
        if heartbeat.hash != snapshot_hash:
            raise BundleError(
                "hash_mismatch", f"heartbeat names another snapshot for v{snapshot.version}"
            )
        fresh_until, checked_at = heartbeat.exp, heartbeat.iat
    elif heartbeat is not None and heartbeat.version > snapshot.version:
        latest_version = max(latest_version or 0, heartbeat.version)
    if revoked is None:
        revoked = RevocationSet(snapshot.revoked, check_sorted=False)
    return Bundle(
        snapshot=snapshot,
        snapshot_hash=snapshot_hash,
        profile=profile,
        fresh_until=fresh_until,
        checked_at=checked_at,
        keys={k.kid: k for k in snapshot.keys},
        revoked=revoked,
        benefits={b.code: b for b in snapshot.benefits},
        superseded=RevocationSet(snapshot.superseded, check_sorted=False),
        public_keys=_public_keys(snapshot.keys),
        latest_version=latest_version,
    )


def open_bundle(
    snapshot: bytes,
    heartbeat: bytes | None,
    profile: bytes,
    *,
    pinned_key: bytes,
    program: str | None = None,
    venue: int | None = None,
    latest_version: int | None = None,
) -> Bundle:
    """Verify three signed files (snapshot, heartbeat, profile) and assemble them.

    ``program`` and ``venue`` are what the device was enrolled for: data for another is
    refused (``wrong_program``, ``other_venue``). ``latest_version`` is a newer version a
    later heartbeat announced that the device could not reach (it then warns
    ``bundle_behind``). Used by the vectors and by devices that load files carried on a
    stick.
    """
    snap = open_file(snapshot, "snapshot", pinned_key=pinned_key)
    prof = open_file(profile, "profile", pinned_key=pinned_key).payload
    beat = open_file(heartbeat, "heartbeat", pinned_key=pinned_key).payload if heartbeat else None
    check_enrolled(snap.payload, program=program)
    check_enrolled(prof, program=program, venue=venue)
    return assemble(
        snap.payload,
        content_hash(snap.payload_bytes),
        prof,
        beat,
        latest_version=latest_version,
    )


def check_enrolled(payload: Any, *, program: str | None, venue: int | None = None) -> None:
    """Refuse data for another program (``wrong_program``) or venue (``other_venue``)."""
    if program is not None and payload.program != program:
        raise BundleError(
            "wrong_program", f"this device serves program {program!r}, not {payload.program!r}"
        )
    if venue is not None and isinstance(payload, VenueProfile) and payload.id != venue:
        raise BundleError(
            "other_venue", f"this device serves venue {venue}, not venue {payload.id}"
        )


def _public_keys(keys: tuple[KeyEntry, ...]) -> dict[bytes, Ed25519PublicKey]:
    """Key objects for every certificate key the library accepts, by raw public key."""
    out: dict[bytes, Ed25519PublicKey] = {}
    for key in keys:
        # A key the library refuses is left out: cose.verify judges it at scan time.
        with contextlib.suppress(Exception):
            out[key.pub] = Ed25519PublicKey.from_public_bytes(key.pub)
    return out
