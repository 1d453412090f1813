"""HB1: the honor certificate carried in a QR code.

``"HB1:" + base45(COSE_Sign1(CWT claims))``, EdDSA with a 4-byte kid. The full
specification, with a worked example, is ``docs/hb1.md``. HB1 is a closed format: a
claim or header it does not name is refused, and any extension takes a new prefix.
"""

from __future__ import annotations

import struct
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
    codes: tuple[int, ...] = ()
    for table in _CODES_IN_BYTE:  # a byte at a time, lowest first, by table lookup
        if not bits:
            break
        codes += table[bits & 0xFF]
        bits >>= 8
    return codes


# For the n-th byte of the bit field, byte value -> the codes its set bits stand for.
_CODES_IN_BYTE = tuple(
    tuple(tuple(8 * n + i for i in range(8) if value >> i & 1) for value in range(256))
    for n in range((MAX_BENEFIT_CODE + 1) // 8)
)


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
    exact = _decode_exact(text)
    if exact is not None:
        return exact
    # Anything the shortcut does not take is read again in full, to name the broken rule.
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


def _decode_exact(text: str) -> Decoded | None:
    """The certificate in ``text`` if it is valid and laid out exactly as :func:`encode`
    writes it, else None.

    A shortcut for the scan path: it returns only what :func:`decode` would return for
    the same text, and None for everything else, valid or not, which :func:`decode` then
    reads in full. Each step refuses rather than guesses: Base45 by
    :func:`base45.try_decode`, the envelope by :func:`cose.exact_parts`, the claims by
    :func:`_exact_claims`, then the rules of :func:`claims_problem`.
    """
    if type(text) is not str or len(text) > MAX_TEXT_LENGTH or not text.startswith(PREFIX):
        return None
    raw = base45.try_decode(text[len(PREFIX) :])
    if raw is None:
        return None
    parts = cose.exact_parts(raw)
    if parts is None:
        return None
    claims = _exact_checked_claims(parts[2])
    if claims is None:
        return None
    protected, kid, payload, signature = parts
    return Decoded(kid, protected, payload, signature, claims)


def _exact_checked_claims(payload: bytes) -> CertificateClaims | None:
    """The claims of a payload in :func:`claims_to_cbor`'s exact layout that break no rule,
    else None (the full reading then names the problem). HB2's bound certificate uses it."""
    values = _exact_claims(payload)
    if values is None:
        return None
    iss, exp, iat, cti, name, id_last4, bits, directory = values
    if directory is None:
        directory = DEFAULT_DIRECTORY
    elif not DEFAULT_DIRECTORY < directory < 2**31:  # the default must be omitted
        return None
    # The types are known here (text, whole numbers, an 8-byte cti), so these are the
    # remaining rules of claims_problem and bits_to_benefits; any failure goes the long
    # way, which words the refusal.
    if (
        bits & 1
        or bits >> (MAX_BENEFIT_CODE + 1)
        or not 0 <= iat < exp <= MAX_TIMESTAMP
        or not 2 <= len(iss) <= 4
        or not (iss.isascii() and iss.isalnum())
        or not 1 <= len(name) <= MAX_NAME_LENGTH
        or not name.isprintable()
        or not 1 <= len(id_last4) <= 4
        or not id_last4.isprintable()
    ):
        return None
    # Positional arguments, in field order: measurably quicker than keywords here.
    return CertificateClaims(iss, iat, exp, cti, name, id_last4, bits_to_benefits(bits), directory)


def _read_claims(payload: bytes) -> CertificateClaims:
    exact = _exact_claims(payload) if type(payload) is bytes else None
    if exact is None:
        return _read_claims_general(payload)
    iss, exp, iat, cti, name, id_last4, bits, directory = exact
    # From here on the same checks, in the same order, as the general reading makes once
    # its types are known to be right.
    try:
        codes = bits_to_benefits(bits)
    except ValueError as exc:
        raise _malformed(str(exc)) from None
    if directory == DEFAULT_DIRECTORY:
        raise _malformed("directory 1 is the default and must be omitted")
    claims = CertificateClaims(
        iss=iss,
        exp=exp,
        iat=iat,
        cti=cti,
        name=name,
        id_last4=id_last4,
        directory=DEFAULT_DIRECTORY if directory is None else directory,
        benefits=codes,
    )
    problem = claims_problem(claims)
    if problem:
        raise _malformed(problem)
    return claims


class _NotExact(Exception):
    """The claims are not laid out as :func:`claims_to_cbor` writes them."""


def _arg(data: bytes, pos: int, major: int) -> tuple[int, int]:
    """(argument, position after the head) of an item of major type ``major`` at ``pos``."""
    info = data[pos] - (major << 5)
    if 0 <= info < 24:
        return info, pos + 1
    if 24 <= info <= 27:
        end = pos + 1 + (1 << (info - 24))
        return int.from_bytes(data[pos + 1 : end], "big"), end
    raise _NotExact


def _text(data: bytes, pos: int) -> tuple[str, int]:
    length, pos = _arg(data, pos, 3)
    return data[pos : pos + length].decode("utf-8"), pos + length


# The label -65537 (the Huicui claims) as a CBOR negative integer head.
_LABEL_HUICUI = b"\x3a\x00\x01\x00\x00"


# The fixed-width start of the claims in the usual case, by the length n of iss (short
# text): a5 01 | 60+n iss | 04 1a exp | 06 1a iat | 07 48 cti | -65537 | a3/a4 01, i.e.
# both times 4-byte integers, as for every time from 1970-07 to 2106.
_USUAL_START = tuple(struct.Struct(f">2sB{n}s2sI2sI2s8s5sBB") for n in range(24))
_USUAL_KEYS = (b"\xa5\x01", b"\x04\x1a", b"\x06\x1a", b"\x07\x48", _LABEL_HUICUI, 0x01)


def _exact_claims(payload: bytes) -> tuple | None:
    """The claim values of a payload laid out exactly as :func:`claims_to_cbor` writes it.

    That layout is ``{1: text, 4: uint, 6: uint, 7: 8 bytes, -65537: {1: text, 2: text,
    3: uint[, 4: uint]}}`` in this key order. Every such payload is one the general
    reading (well-formedness walk, cbor2) decodes to the same values, so this is only a
    shortcut; anything else returns None and takes the general reading. Returns
    ``(iss, exp, iat, cti, name, id_last4, bits, directory or None)``.
    """
    try:
        usual = None
        if len(payload) > 2 and 0x60 <= payload[2] < 0x78:
            usual = _USUAL_START[payload[2] - 0x60]
            if len(payload) < usual.size:
                usual = None
        if usual is not None:  # one unpack for the fixed-width start
            (begin, _, iss, exp_key, exp, iat_key, iat, cti_key, cti, label, pairs, name_key) = (
                usual.unpack_from(payload)
            )
            if (begin, exp_key, iat_key, cti_key, label, name_key) != _USUAL_KEYS:
                usual = None
            else:
                iss = iss.decode("utf-8")
                pos = usual.size  # the name's head
        if usual is None:
            if payload[0] != 0xA5 or payload[1] != 0x01:
                return None
            iss, pos = _text(payload, 2)
            if payload[pos] != 0x04:
                return None
            exp, pos = _arg(payload, pos + 1, 0)
            if payload[pos] != 0x06:
                return None
            iat, pos = _arg(payload, pos + 1, 0)
            if payload[pos : pos + 2] != b"\x07\x48":  # key 7, an 8-byte string
                return None
            cti = payload[pos + 2 : pos + 10]
            pos += 10
            if payload[pos : pos + 5] != _LABEL_HUICUI:
                return None
            pairs = payload[pos + 5]
            if payload[pos + 6] != 0x01:
                return None
            pos += 7  # the name's head
        if pairs not in (0xA3, 0xA4):
            return None
        name, pos = _text(payload, pos)
        if payload[pos] != 0x02:
            return None
        id_last4, pos = _text(payload, pos + 1)
        if payload[pos] != 0x03:
            return None
        bits, pos = _arg(payload, pos + 1, 0)
        directory = None
        if pairs == 0xA4:
            if payload[pos] != 0x04:
                return None
            directory, pos = _arg(payload, pos + 1, 0)
    except (IndexError, ValueError, _NotExact):  # past the end, or text that is not UTF-8
        return None
    # Positions only grow, so any read past the end leaves pos beyond len(payload).
    if pos != len(payload):
        return None
    return iss, exp, iat, cti, name, id_last4, bits, directory


def _read_claims_general(payload: bytes) -> CertificateClaims:
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
