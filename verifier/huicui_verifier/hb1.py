"""HB1: the honor certificate carried in a QR code.

``"HB1:" + base45(COSE_Sign1(CWT claims))``, EdDSA with a 4-byte kid. The full
specification, with a worked example, is ``docs/hb1.md``. HB1 is a closed format: a
claim or header it does not name is refused, and any extension takes a new prefix.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import base45, cbor_check, cose

PREFIX = "HB1:"
MAX_TEXT_LENGTH = 1024  # a version-8 code holds ~211 characters; far past that is an attack
MAX_NAME_LENGTH = 32
MAX_BENEFIT_CODE = 63
# 9999-12-30T00:00:00Z: later times overflow datetime once shifted into a local time zone.
MAX_TIMESTAMP = 253402128000
DEFAULT_DIRECTORY = 1

CLAIM_ISS, CLAIM_EXP, CLAIM_IAT, CLAIM_CTI, CLAIM_HUICUI = 1, 4, 6, 7, -65537
HC_NAME, HC_ID_LAST4, HC_BENEFITS, HC_DIRECTORY = 1, 2, 3, 4


class HB1Error(Exception):
    """A certificate that cannot be read; ``reason`` is a decision reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class CertificateClaims(msgspec.Struct, frozen=True):
    """What an HB1 certificate says about its holder.

    ``benefits`` holds benefit codes; any iterable is accepted and kept sorted and
    unique. ``iat`` is both the issue time and the not-before time.
    """

    iss: str
    iat: int
    exp: int
    cti: bytes
    name: str
    id_last4: str
    benefits: tuple[int, ...] = ()
    directory: int = DEFAULT_DIRECTORY

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "benefits", tuple(sorted(set(self.benefits))))


class Decoded(msgspec.Struct, frozen=True):
    """A structurally valid certificate whose signature has not been checked yet."""

    kid: bytes
    protected: bytes
    payload: bytes
    signature: bytes
    claims: CertificateClaims


def benefits_to_bits(codes: Iterable[int]) -> int:
    """Benefit codes to the bit field (code n sets bit n, so code 1 is the value 2)."""
    bits = 0
    for code in codes:
        if type(code) is not int or not 1 <= code <= MAX_BENEFIT_CODE:
            raise ValueError(f"benefit code must be 1..{MAX_BENEFIT_CODE}, got {code!r}")
        bits |= 1 << code
    return bits


def bits_to_benefits(bits: int) -> tuple[int, ...]:
    """The bit field back to sorted benefit codes."""
    if bits < 0 or bits & 1 or bits >> (MAX_BENEFIT_CODE + 1):
        raise ValueError(f"benefit bits out of range: {bits}")
    return tuple(n for n in range(1, MAX_BENEFIT_CODE + 1) if bits >> n & 1)


def _is_int(value: object) -> bool:
    return type(value) is int


def claims_problem(c: CertificateClaims) -> str | None:
    """Why these claims cannot be an HB1 certificate, or None when they can."""
    if (
        not isinstance(c.iss, str)
        or not 2 <= len(c.iss) <= 4
        or not (c.iss.isascii() and c.iss.isalnum())
    ):
        return "iss must be 2-4 ASCII letters or digits"
    if not (_is_int(c.iat) and _is_int(c.exp)) or not 0 <= c.iat < c.exp <= MAX_TIMESTAMP:
        return "iat and exp must be whole seconds with 0 <= iat < exp <= 9999-12-30"
    if not isinstance(c.cti, bytes) or len(c.cti) != 8:
        return "cti must be exactly 8 bytes"
    if (
        not isinstance(c.name, str)
        or not 1 <= len(c.name) <= MAX_NAME_LENGTH
        or not c.name.isprintable()
    ):
        return f"name must be 1-{MAX_NAME_LENGTH} printable characters"
    if (
        not isinstance(c.id_last4, str)
        or not 1 <= len(c.id_last4) <= 4
        or not c.id_last4.isprintable()
    ):
        return "id_last4 must be 1-4 printable characters"
    if any(type(b) is not int or not 1 <= b <= MAX_BENEFIT_CODE for b in c.benefits):
        return f"benefit codes must be 1..{MAX_BENEFIT_CODE}"
    if not _is_int(c.directory) or not 1 <= c.directory < 2**31:
        return "directory must be a positive integer"
    return None


def claims_to_cbor(claims: CertificateClaims) -> bytes:
    """The CWT claims map of ``claims``, deterministically encoded."""
    problem = claims_problem(claims)
    if problem:
        raise ValueError(problem)
    private: dict[int, object] = {
        HC_NAME: claims.name,
        HC_ID_LAST4: claims.id_last4,
        HC_BENEFITS: benefits_to_bits(claims.benefits),
    }
    if claims.directory != DEFAULT_DIRECTORY:
        private[HC_DIRECTORY] = claims.directory
    return cbor_check.dumps(
        {
            CLAIM_ISS: claims.iss,
            CLAIM_EXP: claims.exp,
            CLAIM_IAT: claims.iat,
            CLAIM_CTI: claims.cti,
            CLAIM_HUICUI: private,
        }
    )


def encode(claims: CertificateClaims, private_key: Ed25519PrivateKey, kid: bytes) -> str:
    """Sign ``claims`` and return the QR text ``"HB1:" + base45(COSE_Sign1)``.

    Raises ValueError when the claims break a format rule (see :func:`claims_problem`)
    or the kid is not 4 bytes.
    """
    payload = claims_to_cbor(claims)
    return PREFIX + base45.encode(cose.sign(payload, private_key, kid))


def _malformed(detail: str) -> HB1Error:
    return HB1Error("malformed", detail)


def decode(text: str) -> Decoded:
    """Parse an HB1 text without checking its signature.

    Raises :class:`HB1Error` (reason ``malformed``, with a detail naming the rule) for
    any input that is not exactly an HB1 certificate; never anything else.
    """
    if not isinstance(text, str):
        raise _malformed("input is not text")
    if len(text) > MAX_TEXT_LENGTH:
        raise _malformed(f"input longer than {MAX_TEXT_LENGTH} characters")
    if not text.startswith(PREFIX):
        raise _malformed(f"prefix {PREFIX!r} missing")
    try:
        raw = base45.decode(text[len(PREFIX) :])
    except base45.Base45Error as exc:
        raise _malformed(f"base45 {exc.code}: {exc.detail}") from None
    try:
        sign1 = cose.parse(raw)
    except cose.CoseError as exc:
        raise _malformed(str(exc)) from None
    claims = _read_claims(sign1.payload)
    return Decoded(
        kid=sign1.kid,
        protected=sign1.protected,
        payload=sign1.payload,
        signature=sign1.signature,
        claims=claims,
    )


def _read_claims(payload: bytes) -> CertificateClaims:
    try:
        cwt = cbor_check.loads(payload, max_depth=2)
    except cbor_check.CBORCheckError as exc:
        raise _malformed(f"claims are not CBOR: {exc}") from None
    if not cbor_check.is_map(cwt):
        raise _malformed("claims must be a map")
    expected = {CLAIM_ISS, CLAIM_EXP, CLAIM_IAT, CLAIM_CTI, CLAIM_HUICUI}
    if set(cwt) != expected:
        missing = expected - set(cwt)
        raise _malformed(
            f"claims missing {sorted(missing)}" if missing else "claims carry unknown labels"
        )
    private = cwt[CLAIM_HUICUI]
    if not cbor_check.is_map(private):
        raise _malformed("claim -65537 must be a map")
    keys = set(private)
    if not {HC_NAME, HC_ID_LAST4, HC_BENEFITS} <= keys or not keys <= {
        HC_NAME,
        HC_ID_LAST4,
        HC_BENEFITS,
        HC_DIRECTORY,
    }:
        raise _malformed("claim -65537 must hold keys 1, 2, 3 and optionally 4")
    bits = private[HC_BENEFITS]
    if not _is_int(bits):
        raise _malformed("benefit bits must be an integer")
    try:
        codes = bits_to_benefits(bits)
    except ValueError as exc:
        raise _malformed(str(exc)) from None
    if HC_DIRECTORY in private and private[HC_DIRECTORY] == DEFAULT_DIRECTORY:
        raise _malformed("directory 1 is the default and must be omitted")
    fields = {
        "iss": cwt[CLAIM_ISS],
        "exp": cwt[CLAIM_EXP],
        "iat": cwt[CLAIM_IAT],
        "cti": cwt[CLAIM_CTI],
        "name": private[HC_NAME],
        "id_last4": private[HC_ID_LAST4],
        "directory": private.get(HC_DIRECTORY, DEFAULT_DIRECTORY),
    }
    # Type-check before building the Struct so a wrong type gets a precise detail.
    for field, kind in (("iss", str), ("name", str), ("id_last4", str), ("cti", bytes)):
        if not isinstance(fields[field], kind):
            raise _malformed(f"{field} must be {kind.__name__}")
    for field in ("exp", "iat", "directory"):
        if not _is_int(fields[field]):
            raise _malformed(f"{field} must be an integer")
    claims = CertificateClaims(benefits=codes, **fields)
    problem = claims_problem(claims)
    if problem:
        raise _malformed(problem)
    return claims


def verify(decoded: Decoded, public_key: Ed25519PublicKey | bytes) -> bool:
    """True when the certificate's signature is valid for ``public_key`` (key or 32 raw bytes)."""
    return cose.verify(
        cose.Sign1(decoded.protected, decoded.kid, decoded.payload, decoded.signature),
        public_key,
    )
