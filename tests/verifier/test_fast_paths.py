"""The decoders' fast paths agree with the strict general readers, byte for byte.

The fast paths exist for speed (bench/decide_rate.py); the general readers name the
broken rule. Whatever the fast path takes, the general path must take the same way,
and whatever the general path refuses, the fast path must leave to it.
"""

from __future__ import annotations

import random

from huicui_verifier import base45, cose, hb1
from huicui_verifier.base45 import ALPHABET


def _strict_b45(text: str):
    try:
        return ("ok", base45._decode_strict(text))
    except base45.Base45Error as exc:
        return ("err", exc.code)


def test_base45_fast_path_matches_the_strict_decoder():
    rng = random.Random(9285)
    for _ in range(4000):
        if rng.random() < 0.5:
            text = base45.encode(rng.randbytes(rng.randrange(0, 40)))
        else:
            pool = ALPHABET + "abc!é\x00"
            text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 30)))
        fast = base45.try_decode(text)
        strict = _strict_b45(text)
        if fast is not None:
            assert strict == ("ok", fast), text
        # The public decoder answers exactly what the strict one does.
        try:
            public = ("ok", base45.decode(text))
        except base45.Base45Error as exc:
            public = ("err", exc.code)
        assert public == strict, text


def _general(text: str):
    """HB1 read only through the general, strict readers."""
    try:
        sign1 = cose.parse(base45._decode_strict(text[len(hb1.PREFIX):]))
        claims = hb1._read_claims_general(sign1.payload)
    except (base45.Base45Error, cose.CoseError, hb1.HB1Error):
        return None
    return (sign1.kid, sign1.protected, sign1.payload, sign1.signature, claims)


def _mutations(text: str, rng: random.Random):
    raw = bytearray(base45.decode(text[len(hb1.PREFIX):]))
    for _ in range(3000):
        mutated = bytearray(raw)
        for _ in range(rng.randrange(1, 4)):
            kind = rng.random()
            pos = rng.randrange(len(mutated))
            if kind < 0.6:
                mutated[pos] = rng.randrange(256)
            elif kind < 0.8:
                del mutated[pos]
            else:
                mutated.insert(pos, rng.randrange(256))
        yield hb1.PREFIX + base45.encode(bytes(mutated))


def test_hb1_fast_path_never_takes_what_the_general_reader_refuses(gen):
    rng = random.Random(18)
    good = gen.make_cert()
    assert hb1._decode_exact(good) is not None
    checked = 0
    for text in [good, *_mutations(good, rng)]:
        exact = hb1._decode_exact(text)
        general = _general(text)
        if exact is not None:
            checked += 1
            assert general == (exact.kid, exact.protected, exact.payload, exact.signature,
                               exact.claims), text
        if general is None:
            assert exact is None, text
    assert checked >= 1
