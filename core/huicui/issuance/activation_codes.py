"""The activation code of a card: what, besides the holder link, moves the card to a phone.

``XXXX-XXXX`` in Crockford's Base32 (no I, L, O or U, so a code read aloud or off paper
is typed right): 40 bits of a keyed hash of the certificate id and a generation number,
with a key derived from the data key. Nothing is stored but the generation, so a copy of
the database yields no codes; staff replace a code by raising the generation.
"""

from __future__ import annotations

from huicui.context import Context

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def activation_code(ctx: Context, cti_hex: str, generation: int) -> str:
    """The card's current activation code, ``XXXX-XXXX``."""
    digest = ctx.vault.lookup_hash(f"{cti_hex}:{generation}", "activation-code")
    assert digest is not None
    value = int(digest[:10], 16)  # 40 bits
    chars = [ALPHABET[(value >> (5 * i)) & 31] for i in range(LENGTH)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def normalize_code(text: str) -> str:
    """A code as typed (any case, spaces, dashes, O for 0, I or L for 1) → ``XXXX-XXXX``."""
    kept = "".join(ch for ch in str(text).upper() if ch.isalnum()).translate(_READ_AS)
    return kept[:4] + "-" + kept[4:]
