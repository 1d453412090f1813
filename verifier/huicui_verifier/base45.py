"""Base45 (RFC 9285), the text form that lets an HB1 QR code use alphanumeric mode.

Written here rather than taken from a package: the few published codecs either accept
input the RFC forbids (a triplet above 65535, a dangling single character) or fail with a
bare ``ValueError``. A verifier reading hostile codes needs the strict reading and an
error that says which rule was broken, so the gate can show a precise refusal.
"""

from __future__ import annotations

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
