"""HB2: the live card on the holder's phone, a bound certificate plus a fresh phone proof.

``"HB2:" + base45([bound, proof])``: ``bound`` is an HB1-style COSE_Sign1 by the issuer
whose claims also carry the phone's Ed25519 public key; ``proof`` is a COSE_Sign1 by
that phone key over the time, with the bound certificate's bytes as external_aad, so a
proof cannot be moved to another certificate. Both verify with a stock COSE library.
The full specification, with a worked example, is ``docs/hb2.md``. Like HB1, HB2 is
closed: every byte must be the deterministic encoding (RFC 8949 §4.2.1) of what it
says, and anything else is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import cbor2
import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import base45, cbor_check, cose, hb1

__all__ = [
    "DEVICE_KEY_LENGTH",
    "HC_DEVICE_KEY",
    "KEY_HASH_LENGTH",
    "MAX_TEXT_LENGTH",
    "PREFIX",
    "PROOF_PROTECTED",
    "PROOF_WINDOW",
    "BoundCertificate",
    "Decoded",
    "HB2Error",
    "Proof",
    "bound_claims_to_cbor",
    "bound_shown_as_static",
    "decode",
    "device_key_hash",
    "encode",
    "join",
    "proof_id",
    "proof_payload",
    "read_bound",
    "read_proof",
    "sign_bound",
    "sign_proof",
    "verify_device",
    "verify_issuer",
]

PREFIX = "HB2:"
MAX_TEXT_LENGTH = 1024  # a version-10 code at L holds 395 characters
HC_DEVICE_KEY = 5  # in the Huicui private claim (-65537) of a bound certificate
DEVICE_KEY_LENGTH = 32
KEY_HASH_LENGTH = 8
# A proof is fresh for this many seconds after its time (the bundle's skew is added on
# both sides). The holder page signs a new one every 10 seconds.
PROOF_WINDOW = 30
# The proof's protected header {1: -8}: alg EdDSA and nothing else (the key is named by
# the bound certificate, so no kid).
PROOF_PROTECTED = b"\xa1\x01\x27"
_PROOF_START = b"\xd2\x84\x43\xa1\x01\x27\xa0"  # tag 18, array(4), that header, {}
_PROOF_TIME_HEAD = b"\x45\x1a"  # payload: a 5-byte string holding a 4-byte uint
_PROOF_EXACT_LENGTH = len(_PROOF_START) + 2 + 4 + 2 + 64
_BOUND_START = b"\xd2\x84\x49\xa2\x01\x27\x04\x44"  # tag 18, array(4), {1: -8, 4: kid}


class HB2Error(hb1.HB1Error):
    """An HB2 text that cannot be read; ``reason`` is a decision reason code.

    A kind of :class:`hb1.HB1Error`, so a caller reading either format catches one type.
    """


class BoundCertificate(msgspec.Struct, frozen=True):
    """A structurally valid bound certificate whose issuer signature is not checked yet.

    ``raw`` is the tagged COSE_Sign1 exactly as carried: the proof signs it as
    external_aad.
    """

    raw: bytes
    protected: bytes
    kid: bytes
    payload: bytes
    signature: bytes
    claims: hb1.CertificateClaims
    device_key: bytes


class Proof(msgspec.Struct, frozen=True):
    """The phone's signed statement "this card, shown at ``time``"; not checked yet."""

    protected: bytes
    payload: bytes
    time: int
    signature: bytes


class Decoded(msgspec.Struct, frozen=True):
    """A structurally valid HB2 text: the bound certificate and the proof."""

    bound: BoundCertificate
    proof: Proof


def _malformed(detail: str) -> HB2Error:
    return HB2Error("malformed", detail)


# --- writing --------------------------------------------------------------------------


def bound_claims_to_cbor(claims: hb1.CertificateClaims, device_key: bytes) -> bytes:
    """The bound certificate's claims: HB1's, with the device key as private claim 5.

    Written head by head rather than through cbor2: the reader re-encodes every bound
    certificate it accepts to prove the bytes deterministic, and this is several times
    quicker. A test holds it equal to cbor2's canonical encoding.
    """
    problem = hb1.claims_problem(claims)
    if problem:
        raise ValueError(problem)
    if not isinstance(device_key, bytes) or len(device_key) != DEVICE_KEY_LENGTH:
        raise ValueError(f"device key must be {DEVICE_KEY_LENGTH} raw bytes")
    return _claims_bytes(claims, device_key)


def _head_bytes(major: int, value: int) -> bytes:
    """The shortest CBOR head of major type ``major`` with argument ``value``."""
    top = major << 5
    if value < 24:
        return bytes((top | value,))
    if value < 0x100:
        return bytes((top | 24, value))
    if value < 0x10000:
        return bytes((top | 25,)) + value.to_bytes(2, "big")
    if value < 0x100000000:
        return bytes((top | 26,)) + value.to_bytes(4, "big")
    return bytes((top | 27,)) + value.to_bytes(8, "big")


def _text_bytes(text: str) -> bytes:
    data = text.encode("utf-8")
    return _head_bytes(3, len(data)) + data


# Map keys in deterministic order: 1, 4, 6, 7, then -65537 (0x3a00010000) sorts last.
_LABEL_HUICUI = b"\x3a\x00\x01\x00\x00"


def _claims_bytes(c: hb1.CertificateClaims, device_key: bytes) -> bytes:
    with_directory = c.directory != hb1.DEFAULT_DIRECTORY
    return b"".join(
        (
            b"\xa5\x01",
            _text_bytes(c.iss),
            b"\x04",
            _head_bytes(0, c.exp),
            b"\x06",
            _head_bytes(0, c.iat),
            b"\x07\x48",
            c.cti,
            _LABEL_HUICUI,
            b"\xa5" if with_directory else b"\xa4",
            b"\x01",
            _text_bytes(c.name),
            b"\x02",
            _text_bytes(c.id_last4),
            b"\x03",
            _head_bytes(0, hb1.benefits_to_bits(c.benefits)),
            (b"\x04" + _head_bytes(0, c.directory)) if with_directory else b"",
            b"\x05\x58\x20",
            device_key,
        )
    )


def sign_bound(
    claims: hb1.CertificateClaims, device_key: bytes, private_key: Ed25519PrivateKey, kid: bytes
) -> bytes:
    """The bound certificate (tagged COSE_Sign1 bytes), signed by the issuer key ``kid``."""
    return cose.sign(bound_claims_to_cbor(claims, device_key), private_key, kid)


def proof_payload(time: int) -> bytes:
    """The proof's payload: the time in epoch seconds as a CBOR unsigned integer."""
    if type(time) is not int or not 0 <= time <= hb1.MAX_TIMESTAMP:
        raise ValueError("proof time must be whole epoch seconds before 9999-12-30")
    return cbor_check.dumps(time)


def sign_proof(bound_raw: bytes, time: int, device_private: Ed25519PrivateKey) -> bytes:
    """The proof (tagged COSE_Sign1 bytes): the device key signs ``time`` over ``bound_raw``."""
    payload = proof_payload(time)
    signature = device_private.sign(cose.sig_structure(PROOF_PROTECTED, payload, bound_raw))
    return cbor_check.dumps(
        cbor2.CBORTag(cose.COSE_SIGN1_TAG, [PROOF_PROTECTED, {}, payload, signature])
    )


def join(bound_raw: bytes, proof_raw: bytes) -> str:
    """The QR text of a bound certificate and a proof, both as tagged COSE_Sign1 bytes."""
    return PREFIX + base45.encode(b"\x82" + bound_raw + proof_raw)


def encode(bound_raw: bytes, time: int, device_private: Ed25519PrivateKey) -> str:
    """Sign a fresh proof for ``time`` and return the QR text ``"HB2:" + base45(...)``."""
    return join(bound_raw, sign_proof(bound_raw, time, device_private))


def device_key_hash(device_key: bytes) -> bytes:
    """The 8 bytes a bundle lists for a superseded phone: sha256(raw key)[0..8]."""
    return hashlib.sha256(device_key).digest()[:KEY_HASH_LENGTH]


def proof_id(decoded: Decoded) -> bytes:
    """What a device remembers of a proof: sha256(device key ‖ time as 8 bytes)[0..16].

    Ed25519 is deterministic, so one phone showing one card at one second makes one
    proof; the same key and time seen twice at a device is a replay.
    """
    time = decoded.proof.time.to_bytes(8, "big")
    return hashlib.sha256(decoded.bound.device_key + time).digest()[:16]


# --- reading --------------------------------------------------------------------------


def decode(text: str) -> Decoded:
    """Parse an HB2 text without checking either signature.

    Raises :class:`HB2Error` (reason ``malformed``, with a detail naming the rule) for
    any input that is not exactly an HB2 code; never anything else.
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
    if not raw or raw[0] != 0x82:
        raise _malformed("HB2 must be a CBOR array of exactly two items")
    # The usual bound certificate: Huicui's protected header and a 24..255-byte payload,
    # so its end is known from one length byte; anything else is walked head by head.
    if len(raw) > 15 and raw[1:9] == _BOUND_START and raw[13:15] == b"\xa0\x58":
        end = 15 + raw[15] + 1 + 66
    else:
        end = _sign1_end(raw, 1)
    return Decoded(read_bound(raw[1:end]), read_proof(raw[end:]))


def _head(data: bytes, pos: int, major: int, what: str) -> tuple[int, int]:
    """(argument, position after the head) of a definite item of type ``major`` at ``pos``."""
    if pos >= len(data):
        raise _malformed(f"{what} missing")
    initial = data[pos]
    info = initial & 0x1F
    if initial >> 5 != major:
        raise _malformed(f"{what} has the wrong CBOR type")
    if info < 24:
        return info, pos + 1
    if info <= 27:
        end = pos + 1 + (1 << (info - 24))
        if end > len(data):
            raise _malformed(f"{what} is cut short")
        return int.from_bytes(data[pos + 1 : end], "big"), end
    raise _malformed(f"{what} has an indefinite or reserved length")


def _sign1_end(data: bytes, pos: int) -> int:
    """Where the tagged COSE_Sign1 starting at ``pos`` ends (its heads only; the strict
    reading of its contents follows)."""
    if data[pos : pos + 2] != b"\xd2\x84":
        raise _malformed("the bound certificate must be a COSE_Sign1 (tag 18, four items)")
    pos += 2
    for index, major in enumerate((2, 5, 2, 2)):
        length, pos = _head(data, pos, major, f"bound certificate item {index}")
        if major == 5:
            if length:
                raise _malformed("the bound certificate's unprotected header must be empty")
            continue
        if length > len(data) - pos:
            raise _malformed(f"bound certificate item {index} runs past the end")
        pos += length
    return pos


def read_bound(raw: bytes) -> BoundCertificate:
    """A bound certificate from its tagged COSE_Sign1 bytes; raises :class:`HB2Error`."""
    parts = cose.fast_parse(raw)  # Huicui's exact envelope layout: deterministic as it is
    if parts is None:
        try:
            parts = cose.strict_parse(raw)
        except cose.CoseError as exc:
            raise _malformed(f"bound certificate: {exc}") from None
        if raw != _sign1_bytes(parts.protected, parts.payload, parts.signature):
            raise _malformed("bound certificate is not in deterministic CBOR encoding")
    protected, kid, payload, signature = parts
    claims, device_key = _read_bound_claims(payload)
    # Positional, in field order: measurably quicker than keywords on the scan path.
    return BoundCertificate(raw, protected, kid, payload, signature, claims, device_key)


def _sign1_bytes(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    """The deterministic encoding of a tagged COSE_Sign1 with an empty unprotected header."""
    return b"".join(
        (
            b"\xd2\x84",
            _head_bytes(2, len(protected)),
            protected,
            b"\xa0",
            _head_bytes(2, len(payload)),
            payload,
            b"\x58\x40",
            signature,
        )
    )


def _read_bound_claims(payload: bytes) -> tuple[hb1.CertificateClaims, bytes]:
    exact = _exact_bound_claims(payload)
    if exact is not None:
        return exact
    return _strict_bound_claims(payload)


def _strict_bound_claims(payload: bytes) -> tuple[hb1.CertificateClaims, bytes]:
    """The reference reading of a bound certificate's claims; names the broken rule."""
    try:
        cwt = cbor_check.loads(payload, max_depth=2)
    except cbor_check.CBORCheckError as exc:
        raise _malformed(f"claims are not CBOR: {exc}") from None
    private = cwt.get(hb1.CLAIM_HUICUI) if cbor_check.is_map(cwt) else None
    if not isinstance(private, Mapping):
        raise _malformed("claims must be a map holding the Huicui claim -65537 as a map")
    device_key = private.get(HC_DEVICE_KEY)
    if not isinstance(device_key, bytes) or len(device_key) != DEVICE_KEY_LENGTH:
        raise _malformed(f"a bound certificate carries a {DEVICE_KEY_LENGTH}-byte device key (5)")
    rest = {k: v for k, v in private.items() if k != HC_DEVICE_KEY}
    # Everything but the device key follows HB1's rules exactly: read it as HB1 claims.
    try:
        claims = hb1.strict_claims(cbor_check.dumps({**cwt, hb1.CLAIM_HUICUI: rest}))
    except hb1.HB1Error as exc:
        raise _malformed(exc.detail) from None
    except ValueError as exc:  # a value the canonical encoder cannot write back
        raise _malformed(f"claims: {exc}") from None
    if bound_claims_to_cbor(claims, device_key) != payload:
        raise _malformed("claims are not in deterministic CBOR encoding")
    return claims, device_key


def _exact_bound_claims(payload: bytes) -> tuple[hb1.CertificateClaims, bytes] | None:
    """The claims and device key of a payload laid out as :func:`bound_claims_to_cbor`
    writes it in the usual case, else None (the general reading then judges it).

    The usual case: iss a short text, exp and iat 4-byte integers, so the Huicui claim's
    label sits at a fixed offset; the device key is the last pair. Dropping that pair
    leaves HB1 claims, which HB1's own fast reader checks, shortest heads included; the
    rest (the map heads, the label, the key's pair) is fixed bytes, so the whole payload
    is deterministic. Only what the general reading accepts is returned.
    """
    if len(payload) < 64 or payload[-35:-32] != b"\x05\x58\x20" or not 0x62 <= payload[2] < 0x78:
        return None
    label_at = 25 + payload[2] - 0x60
    pairs = payload[label_at + 5]
    if payload[label_at : label_at + 5] != _LABEL_HUICUI or pairs not in (0xA4, 0xA5):
        return None
    inner = b"".join((payload[: label_at + 5], bytes((pairs - 1,)), payload[label_at + 6 : -35]))
    claims = hb1.fast_claims(inner)
    if claims is None:
        return None
    return claims, payload[-32:]


def read_proof(raw: bytes) -> Proof:
    """The proof from its tagged COSE_Sign1 bytes; raises :class:`HB2Error`."""
    if (
        len(raw) == _PROOF_EXACT_LENGTH
        and raw.startswith(_PROOF_START)
        and raw[7:9] == _PROOF_TIME_HEAD
        and raw[13:15] == b"\x58\x40"
    ):
        time = int.from_bytes(raw[9:13], "big")
        if time >= 0x10000:  # else the uint would have a shorter head
            return Proof(PROOF_PROTECTED, raw[8:13], time, raw[15:])
    try:
        obj = cbor_check.loads(raw, max_depth=2, top_tags=frozenset({cose.COSE_SIGN1_TAG}))
    except cbor_check.CBORCheckError as exc:
        raise _malformed(f"proof is not CBOR: {exc}") from None
    if not isinstance(obj, cbor2.CBORTag) or obj.tag != cose.COSE_SIGN1_TAG:
        raise _malformed("the proof must be a COSE_Sign1 (tag 18)")
    parts = obj.value
    if not cbor_check.is_array(parts) or len(parts) != 4:
        raise _malformed("the proof must be an array of four items")
    protected, unprotected, payload, signature = parts
    if protected != PROOF_PROTECTED:
        raise _malformed("the proof's protected header must be exactly {1: -8}")
    if not cbor_check.is_map(unprotected) or len(unprotected):
        raise _malformed("the proof's unprotected header must be an empty map")
    if not isinstance(payload, bytes):
        raise _malformed("the proof's payload must be an attached byte string")
    if not isinstance(signature, bytes) or len(signature) != 64:
        raise _malformed("the proof's signature must be 64 bytes")
    try:
        time = cbor_check.loads(payload, max_depth=0)
    except cbor_check.CBORCheckError as exc:
        raise _malformed(f"the proof's time is not CBOR: {exc}") from None
    if type(time) is not int or not 0 <= time <= hb1.MAX_TIMESTAMP:
        raise _malformed("the proof's time must be whole epoch seconds before 9999-12-30")
    if payload != proof_payload(time) or raw != _sign1_bytes(protected, payload, signature):
        raise _malformed("proof is not in deterministic CBOR encoding")
    return Proof(protected, payload, time, signature)


def bound_shown_as_static(text: str) -> BoundCertificate | None:
    """The bound certificate inside a text that is not a valid HB2 code, else None.

    Catches a bound certificate shown without a fresh proof: its COSE re-encoded as
    ``HB1:`` text, or as ``HB2:`` text with the proof left off.
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
        return None
    if text.startswith(hb1.PREFIX):
        body = text[len(hb1.PREFIX) :]
    elif text.startswith(PREFIX):
        body = text[len(PREFIX) :]
    else:
        return None
    try:
        raw = base45.decode(body)
    except base45.Base45Error:
        return None
    try:
        return read_bound(raw)
    except HB2Error:
        return None


# --- verifying ------------------------------------------------------------------------


def verify_issuer(bound: BoundCertificate, public_key: Ed25519PublicKey | bytes) -> bool:
    """True when the issuer's signature on the bound certificate is valid for ``public_key``."""
    return cose.verify(
        cose.Sign1(bound.protected, bound.kid, bound.payload, bound.signature), public_key
    )


# Key objects of phones seen lately: a gate meets the same phones again and again.
_DEVICE_KEYS: dict[bytes, Ed25519PublicKey] = {}
_DEVICE_KEYS_KEPT = 4096


def _device_key(raw: bytes) -> Ed25519PublicKey:
    key = _DEVICE_KEYS.get(raw)
    if key is None:
        key = Ed25519PublicKey.from_public_bytes(raw)  # raises ValueError for a bad key
        if len(_DEVICE_KEYS) >= _DEVICE_KEYS_KEPT:
            _DEVICE_KEYS.clear()
        _DEVICE_KEYS[raw] = key
    return key


def verify_device(decoded: Decoded) -> bool:
    """True when the proof is signed by the device key the bound certificate names."""
    try:
        key = _device_key(decoded.bound.device_key)
        key.verify(
            decoded.proof.signature,
            cose.sig_structure(decoded.proof.protected, decoded.proof.payload, decoded.bound.raw),
        )
    except (InvalidSignature, ValueError):
        return False
    return True
