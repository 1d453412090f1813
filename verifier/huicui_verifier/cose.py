"""COSE_Sign1 (RFC 9052 §4.2) with EdDSA, as both HB1 certificates and bundles use it.

Only the one shape Huicui signs is accepted: tag 18, protected header exactly
``{1: -8, 4: kid}`` with a 4-byte kid, an empty unprotected header, an attached payload
and a 64-byte signature. Anything else is refused rather than interpreted.
"""

from __future__ import annotations

from typing import NamedTuple

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import cbor_check

COSE_SIGN1_TAG = 18
ALG_EDDSA = -8
HEADER_ALG = 1
HEADER_KID = 4
KID_LENGTH = 4


class CoseError(ValueError):
    """A COSE_Sign1 that is not the shape Huicui signs."""


class Sign1(NamedTuple):
    """The four parts of a parsed COSE_Sign1; nothing here is verified yet.

    A named tuple rather than a dataclass: the scan path builds one per code, and a tuple
    is the cheapest object that still names its fields.
    """

    protected: bytes
    kid: bytes
    payload: bytes
    signature: bytes


def protected_header(kid: bytes) -> bytes:
    """The serialized protected header ``{1: -8, 4: kid}``."""
    if len(kid) != KID_LENGTH:
        raise ValueError(f"kid must be exactly {KID_LENGTH} bytes, got {len(kid)}")
    return cbor_check.dumps({HEADER_ALG: ALG_EDDSA, HEADER_KID: bytes(kid)})


def _bstr_head(length: int) -> bytes:
    """The shortest CBOR head of a byte string of ``length`` bytes (major type 2)."""
    if length < 24:
        return bytes((0x40 + length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    if length < 0x100000000:
        return b"\x5a" + length.to_bytes(4, "big")
    return b"\x5b" + length.to_bytes(8, "big")


# The array head and "Signature1" context string that open every Sig_structure.
_SIG1_START = b"\x84\x6aSignature1"


def sig_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """The bytes that are signed: ``["Signature1", protected, external_aad, payload]``.

    HB1 and bundles leave ``external_aad`` empty; an HB2 proof binds the bound
    certificate through it (``docs/hb2.md``).
    """
    if type(protected) is bytes and type(payload) is bytes and type(external_aad) is bytes:
        # Joined by hand: the same bytes the deterministic encoder writes, in a tenth of
        # its time (this runs on every scan).
        return b"".join(
            (
                _SIG1_START,
                _bstr_head(len(protected)),
                protected,
                _bstr_head(len(external_aad)),
                external_aad,
                _bstr_head(len(payload)),
                payload,
            )
        )
    return cbor_check.dumps(["Signature1", protected, external_aad, payload])


def sign(payload: bytes, private_key: Ed25519PrivateKey, kid: bytes) -> bytes:
    """Return the CBOR bytes of a tagged COSE_Sign1 over ``payload``."""
    protected = protected_header(kid)
    signature = private_key.sign(sig_structure(protected, payload))
    return cbor_check.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


# The accepted shape is 2 deep (tag 18, the array; the empty unprotected map adds no
# level). Any limit of 2 or more refuses exactly the same inputs; 4 lets a deeper
# envelope be refused for what is wrong with it rather than for its depth.
MAX_DEPTH = 4
PROTECTED_MAX_DEPTH = 1


def parse(data: bytes) -> Sign1:
    """Parse a tagged COSE_Sign1, raising :class:`CoseError` for anything off-shape.

    The fast reader takes the one layout :func:`sign` writes; everything else is read by
    :func:`strict_parse`, which names the broken rule. Both accept exactly the same input.
    """
    parts = fast_parse(data)
    if parts is not None:
        return Sign1._make(parts)
    return strict_parse(data)


def strict_parse(data: bytes) -> Sign1:
    """The reference reading of a COSE_Sign1: CBOR check, then every shape rule in turn."""
    try:
        obj = cbor_check.loads(data, max_depth=MAX_DEPTH, top_tags=frozenset({COSE_SIGN1_TAG}))
    except cbor_check.CBORCheckError as exc:
        raise CoseError(f"not CBOR: {exc}") from None
    if not isinstance(obj, cbor2.CBORTag) or obj.tag != COSE_SIGN1_TAG:
        raise CoseError("not a COSE_Sign1: tag 18 expected")
    parts = obj.value
    if not cbor_check.is_array(parts) or len(parts) != 4:
        raise CoseError("COSE_Sign1 must be an array of four items")
    protected, unprotected, payload, signature = parts
    if not isinstance(protected, bytes):
        raise CoseError("protected header must be a byte string")
    if not cbor_check.is_map(unprotected):
        raise CoseError("unprotected header must be a map")
    if len(unprotected):
        raise CoseError("unprotected header must be empty")
    if not isinstance(payload, bytes):
        raise CoseError("payload must be an attached byte string")
    if not isinstance(signature, bytes) or len(signature) != 64:
        raise CoseError("signature must be a 64-byte string")
    kid = _read_protected(protected)
    return Sign1(protected=protected, kid=kid, payload=payload, signature=signature)


# Tag 18, an array of four, then the protected header as Huicui writes it: a 9-byte
# string holding {1: -8, 4: <4-byte kid>}.
_FAST_START = b"\xd2\x84\x49\xa2\x01\x27\x04\x44"
_FAST_MIN = len(_FAST_START) + 4 + 1 + 1 + 2 + 64
# The payload's head by its initial byte: (bytes of length argument, smallest length it
# may carry in the deterministic encoding).
_BSTR_HEADS = {0x58: (1, 24), 0x59: (2, 0x100), 0x5A: (4, 0x10000), 0x5B: (8, 0x100000000)}


def fast_parse(data: bytes) -> tuple[bytes, bytes, bytes, bytes] | None:
    """The parts of the COSE_Sign1 in ``data`` (in :class:`Sign1`'s order, as a plain
    tuple: this runs on every scan) if it is laid out exactly as :func:`sign` writes it,
    or None.

    Every input this accepts is one :func:`strict_parse` accepts with the same four parts
    (its well-formedness walk, cbor2 and header checks all pass), so it is only a
    shortcut; anything else, hostile or merely unusual, returns None and must take
    :func:`strict_parse`. ``tests/verifier/test_fast_paths.py`` holds it to that.
    """
    if (
        type(data) is not bytes
        or len(data) < _FAST_MIN
        or not data.startswith(_FAST_START)
        or data[12] != 0xA0
    ):
        return None
    initial = data[13]  # the payload's head: a byte string of any definite length
    if initial == 0x58:  # 24..255 bytes, every HB1 certificate
        length, start = data[14], 15
        if length < 24:  # a longer head than needed: not deterministic
            return None
    elif 0x40 <= initial <= 0x57:
        length, start = initial - 0x40, 14
    else:
        head = _BSTR_HEADS.get(initial)
        if head is None:
            return None
        start = 14 + head[0]
        length = int.from_bytes(data[14:start], "big")
        if length < head[1]:  # a longer head than needed: not deterministic
            return None
    end = start + length
    # Exactly a 64-byte signature (head 0x58 0x40) after the payload, and nothing more.
    if len(data) != end + 66 or data[end : end + 2] != b"\x58\x40":
        return None
    return data[3:12], data[8:12], data[start:end], data[end + 2 :]


def _read_protected(protected: bytes) -> bytes:
    try:
        header = cbor_check.loads(protected, max_depth=PROTECTED_MAX_DEPTH)
    except cbor_check.CBORCheckError as exc:
        raise CoseError(f"protected header is not CBOR: {exc}") from None
    if not cbor_check.is_map(header):
        raise CoseError("protected header must be a map")
    if HEADER_ALG not in header:
        raise CoseError("protected header has no algorithm")
    alg = header[HEADER_ALG]
    if type(alg) is not int or alg != ALG_EDDSA:
        raise CoseError(f"unsupported algorithm {alg!r}: only EdDSA (-8)")
    kid = header.get(HEADER_KID)
    if kid is None:
        raise CoseError("protected header has no kid")
    if not isinstance(kid, bytes) or len(kid) != KID_LENGTH:
        raise CoseError(f"kid must be a {KID_LENGTH}-byte string")
    extra = set(header) - {HEADER_ALG, HEADER_KID}
    if extra:
        raise CoseError(f"protected header has unexpected labels {sorted(extra, key=repr)}")
    return kid


def verify(sign1: Sign1, public_key: Ed25519PublicKey | bytes) -> bool:
    """True when the signature is valid for ``public_key`` (an Ed25519 key or its 32 raw bytes)."""
    if isinstance(public_key, (bytes, bytearray)):
        try:
            public_key = Ed25519PublicKey.from_public_bytes(bytes(public_key))
        except ValueError:
            return False
    try:
        public_key.verify(sign1.signature, sig_structure(sign1.protected, sign1.payload))
    except InvalidSignature:
        return False
    return True
