"""Base45 (RFC 9285), the text form that lets an HB1 QR code use alphanumeric mode.

Written here rather than taken from a package: the few published codecs either accept
input the RFC forbids (a triplet above 65535, a dangling single character) or fail with a
bare ``ValueError``. A verifier reading hostile codes needs the strict reading and an
error that says which rule was broken, so the gate can show a precise refusal.
"""

from __future__ import annotations

__all__ = ["ALPHABET", "Base45Error", "decode", "encode", "fast_decode", "strict_decode"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class Base45Error(ValueError):
    """Input that is not valid Base45; ``code`` names the broken rule."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def encode(data: bytes) -> str:
    """Encode bytes as Base45 text (RFC 9285 §4)."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out.append(ALPHABET[c] + ALPHABET[d] + ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out.append(ALPHABET[c] + ALPHABET[d])
    return "".join(out)


def decode(text: str) -> bytes:
    """Decode Base45 text, refusing anything RFC 9285 does not allow.

    Raises :class:`Base45Error` with code ``bad_character`` (a character outside the
    45-character alphabet, lower case included), ``dangling_character`` (length that
    leaves one character over) or ``value_too_large`` (a triplet above 65535 or a final
    pair above 255).
    """
    out = fast_decode(text)
    if out is not None:
        return out
    # Anything the fast reader does not take is read again, slowly, to name the broken rule.
    return strict_decode(text)


# Byte value -> Base45 digit value; 255 marks a byte outside the alphabet.
_DIGITS = bytes(ALPHABET.index(chr(b)) if chr(b) in ALPHABET else 255 for b in range(256))
# Triplet count -> an integer of that many 3-byte words, each 0x0000FF (kept for QR sizes).
_MASKS: dict[int, int] = {}
_MASKS_KEPT = 512


def fast_decode(text: str) -> bytes | None:
    """Decode valid Base45 text at C speed, or return None when :func:`decode` must judge it.

    Returns exactly what :func:`decode` returns for every text it accepts, and None for
    all else (a wrong character, a dangling one, a value too large) so that
    :func:`strict_decode` can name the broken rule.
    """
    if type(text) is not str or len(text) % 3 == 1 or not text.isascii():
        return None
    # The digits, read as one big-endian integer, form one 3-byte word per triplet:
    # (first, second, third). Shifts and a mask pick each digit out of every word at
    # once, so first + 45*second + 2025*third is computed for all triplets in a few big
    # integer operations. A triplet is at most 91124 (< 2**24), so words never carry
    # into each other, and one above 65535 shows in its word's top byte.
    digits = text.encode("ascii").translate(_DIGITS)
    if 255 in digits:
        return None
    size = len(digits)
    full = size - size % 3
    count = full // 3
    mask = _MASKS.get(count)
    if mask is None:
        mask = int.from_bytes(b"\0\0\xff" * count, "big")
        if count <= _MASKS_KEPT:
            _MASKS[count] = mask
    packed = int.from_bytes(digits[:full], "big")
    values = ((packed >> 16) & mask) + 45 * ((packed >> 8) & mask) + 2025 * (packed & mask)
    if (values >> 16) & mask:
        return None
    words = values.to_bytes(full, "big")
    out = bytearray(2 * count + (full < size))
    out[0 : 2 * count : 2] = words[1::3]
    out[1 : 2 * count : 2] = words[2::3]
    if full < size:
        last = digits[full] + digits[full + 1] * 45
        if last > 0xFF:
            return None
        out[-1] = last
    return bytes(out)


def strict_decode(text: str) -> bytes:
    """The reference reading, character by character; raises for any broken rule."""
    if not isinstance(text, str):
        raise Base45Error("bad_character", "input is not text")
    if len(text) % 3 == 1:
        raise Base45Error("dangling_character", f"length {len(text)} leaves one character over")
    values: list[int] = []
    for pos, ch in enumerate(text):
        v = _VALUE.get(ch)
        if v is None:
            raise Base45Error("bad_character", f"{ch!r} at position {pos} is not in the alphabet")
        values.append(v)
    out = bytearray()
    full = len(values) - len(values) % 3
    for i in range(0, full, 3):
        n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025
        if n > 0xFFFF:
            raise Base45Error("value_too_large", f"triplet at position {i} is {n} > 65535")
        out += n.to_bytes(2, "big")
    if full < len(values):
        n = values[full] + values[full + 1] * 45
        if n > 0xFF:
            raise Base45Error("value_too_large", f"final pair at position {full} is {n} > 255")
        out.append(n)
    return bytes(out)
