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

from . import base45, cbor_check, cose, foreign

__all__ = [
    "CLAIMS_MAX_DEPTH",
    "CLAIM_CTI",
    "CLAIM_EXP",
    "CLAIM_HUICUI",
    "CLAIM_IAT",
    "CLAIM_ISS",
    "DEFAULT_DIRECTORY",
    "HC_BENEFITS",
    "HC_DIRECTORY",
    "HC_ID_LAST4",
    "HC_NAME",
    "MAX_BENEFIT_CODE",
    "MAX_NAME_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_TIMESTAMP",
    "PREFIX",
    "CertificateClaims",
    "Decoded",
    "HB1Error",
    "benefits_to_bits",
    "bits_to_benefits",
    "claims_problem",
    "claims_to_cbor",
    "decode",
    "encode",
    "fast_claims",
    "fast_decode",
    "strict_claims",
    "strict_decode",
    "verify",
]

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
    """A certificate that cannot be read.

    ``reason`` is a decision reason code, ``detail`` names the broken rule (English, for
    support), and ``kind`` says what the text looked like: one of the keys of the
    ``inputs`` table in ``reasons.json`` (``damaged`` for a Huicui code that does not
    read, ``payment_code``, ``url``, ``eu_dcc``, ``not_huicui``, ``empty``, …).
    """

    def __init__(self, reason: str, detail: str, kind: str = "damaged") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.kind = kind


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
    if not isinstance(c.iss, str):
        return _ISS_RULE
    if not (_is_int(c.iat) and _is_int(c.exp)):
        return _TIME_RULE
    if not isinstance(c.cti, bytes) or len(c.cti) != 8:
        return "cti must be exactly 8 bytes"
    if not isinstance(c.name, str):
        return _NAME_RULE
    if not isinstance(c.id_last4, str):
        return _ID_RULE
    if any(type(b) is not int or not 1 <= b <= MAX_BENEFIT_CODE for b in c.benefits):
        return f"benefit codes must be 1..{MAX_BENEFIT_CODE}"
    if not _is_int(c.directory):
        return _DIRECTORY_RULE
    return _value_problem(c.iss, c.iat, c.exp, c.name, c.id_last4, c.directory)


_ISS_RULE = "iss must be 2-4 ASCII letters or digits"
_TIME_RULE = "iat and exp must be whole seconds with 0 <= iat < exp <= 9999-12-30"
_NAME_RULE = f"name must be 1-{MAX_NAME_LENGTH} printable characters"
_ID_RULE = "id_last4 must be 1-4 printable characters"
_DIRECTORY_RULE = "directory must be 1 .. 2^31-1"


def _value_problem(
    iss: str, iat: int, exp: int, name: str, id_last4: str, directory: int
) -> str | None:
    """The rules of :func:`claims_problem` for values whose types are already right.

    The one place these rules live: the fast reader calls it too. Lengths count code
    points; "printable" is :meth:`str.isprintable` (``docs/hb1.md`` states it by Unicode
    category).
    """
    if not 2 <= len(iss) <= 4 or not (iss.isascii() and iss.isalnum()):
        return _ISS_RULE
    if not 0 <= iat < exp <= MAX_TIMESTAMP:
        return _TIME_RULE
    if not 1 <= len(name) <= MAX_NAME_LENGTH or not name.isprintable():
        return _NAME_RULE
    if not 1 <= len(id_last4) <= 4 or not id_last4.isprintable():
        return _ID_RULE
    if not 1 <= directory < 2**31:
        return _DIRECTORY_RULE
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


def _malformed(detail: str, kind: str = "damaged") -> HB1Error:
    return HB1Error("malformed", detail, kind)


def decode(text: str) -> Decoded:
    """Parse an HB1 text without checking its signature.

    Raises :class:`HB1Error` (reason ``malformed``, with a detail naming the rule) for
    any input that is not exactly an HB1 certificate; never anything else. The fast
    reader takes what :func:`encode` writes; anything else is read by
    :func:`strict_decode`, which accepts exactly the same texts and names the broken rule.
    """
    decoded = fast_decode(text)
    if decoded is not None:
        return decoded
    return strict_decode(text)


def strict_decode(text: str) -> Decoded:
    """The reference reading of an HB1 text, every layer by its strict reader.

    Raises :class:`HB1Error` as :func:`decode` does; ``kind`` says what the text looked
    like (:func:`foreign.recognise`), so staff read "not a Huicui card" for a payment
    code and "damaged" for a Huicui code that does not read.
    """
    if not isinstance(text, str):
        raise _malformed("input is not text", "not_huicui")
    if len(text) > MAX_TEXT_LENGTH:
        kind = "damaged" if text.startswith(PREFIX) else foreign.recognise(text)
        raise _malformed(f"input longer than {MAX_TEXT_LENGTH} characters", kind)
    if not text.startswith(PREFIX):
        raise _malformed(f"prefix {PREFIX!r} missing", foreign.recognise(text))
    try:
        raw = base45.strict_decode(text[len(PREFIX) :])
    except base45.Base45Error as exc:
        raise _malformed(f"base45 {exc.code}: {exc.detail}") from None
    try:
        sign1 = cose.strict_parse(raw)
    except cose.CoseError as exc:
        raise _malformed(str(exc)) from None
    claims = strict_claims(sign1.payload)
    return Decoded(sign1.kid, sign1.protected, sign1.payload, sign1.signature, claims)


def fast_decode(text: str) -> Decoded | None:
    """The certificate in ``text`` if it is valid and laid out exactly as :func:`encode`
    writes it, else None.

    A shortcut for the scan path: it returns only what :func:`strict_decode` returns for
    the same text, and None for everything else, valid or not. Each layer has its fast
    reader beside its strict one: :func:`base45.fast_decode`, :func:`cose.fast_parse`,
    :func:`fast_claims`; ``tests/verifier/test_fast_paths.py`` compares every pair.
    """
    if type(text) is not str or len(text) > MAX_TEXT_LENGTH or not text.startswith(PREFIX):
        return None
    raw = base45.fast_decode(text[len(PREFIX) :])
    if raw is None:
        return None
    sign1 = cose.fast_parse(raw)
    if sign1 is None:
        return None
    protected, kid, payload, signature = sign1  # unpacking: cheaper than four attributes
    claims = fast_claims(payload)
    if claims is None:
        return None
    return Decoded(kid, protected, payload, signature, claims)


def fast_claims(payload: bytes) -> CertificateClaims | None:
    """The claims of a payload laid out exactly as :func:`claims_to_cbor` writes it and
    within every rule, else None (then :func:`strict_claims` reads it and names the rule)."""
    values = _fast_claim_values(payload)
    if values is None:
        return None
    iss, exp, iat, cti, name, id_last4, bits, directory = values
    if directory is None:
        directory = DEFAULT_DIRECTORY
    elif directory == DEFAULT_DIRECTORY:  # the default must be omitted
        return None
    if _value_problem(iss, iat, exp, name, id_last4, directory) is not None:
        return None
    try:
        codes = bits_to_benefits(bits)
    except ValueError:
        return None
    # Positional arguments, in field order: measurably quicker than keywords here.
    return CertificateClaims(iss, iat, exp, cti, name, id_last4, codes, directory)


class _NotFast(Exception):
    """The claims are not laid out as :func:`claims_to_cbor` writes them."""


def _arg(data: bytes, pos: int, major: int) -> tuple[int, int]:
    """(argument, position after the head) of an item of major type ``major`` at ``pos``."""
    info = data[pos] - (major << 5)
    if 0 <= info < 24:
        return info, pos + 1
    if 24 <= info <= 27:
        end = pos + 1 + (1 << (info - 24))
        arg = int.from_bytes(data[pos + 1 : end], "big")
        if arg < _SHORTEST[info - 24]:  # a longer head than needed: not deterministic
            raise _NotFast
        return arg, end
    raise _NotFast


# The smallest argument a 1-, 2-, 4- and 8-byte head may carry (RFC 8949 §4.2.1).
_SHORTEST = (24, 0x100, 0x10000, 0x100000000)


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


def _fast_claim_values(payload: bytes) -> tuple | None:
    """The claim values of a payload laid out exactly as :func:`claims_to_cbor` writes it.

    That layout is ``{1: text, 4: uint, 6: uint, 7: 8 bytes, -65537: {1: text, 2: text,
    3: uint[, 4: uint]}}`` in this key order, every head in its shortest form. Every such
    payload is one :func:`strict_claims` (deterministic-encoding walk, cbor2) decodes to
    the same values, so this is only a shortcut; anything else returns None. Returns
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
            if (
                (begin, exp_key, iat_key, cti_key, label, name_key) != _USUAL_KEYS
                or exp < 0x10000
                or iat < 0x10000
            ):
                usual = None  # the byte-by-byte reading below judges it (and a long head)
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
    except (IndexError, ValueError, _NotFast):  # past the end, or text that is not UTF-8
        return None
    # Positions only grow, so any read past the end leaves pos beyond len(payload).
    if pos != len(payload):
        return None
    return iss, exp, iat, cti, name, id_last4, bits, directory


CLAIMS_MAX_DEPTH = 2  # the claims map and the map under -65537


def strict_claims(payload: bytes) -> CertificateClaims:
    """The reference reading of the claims payload; raises :class:`HB1Error` naming the rule."""
    try:
        cwt = cbor_check.loads(payload, max_depth=CLAIMS_MAX_DEPTH)
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
