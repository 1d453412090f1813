"""Every fast reader agrees with its strict twin, over the vectors and mutations of them.

The fast readers exist for speed (bench/decide_rate.py); the strict readers are the
reference and name the broken rule. The pairs: ``base45.fast_decode`` /
``base45.strict_decode``, ``cose.fast_parse`` / ``cose.strict_parse``,
``hb1.fast_claims`` / ``hb1.strict_claims``, ``hb1.fast_decode`` / ``hb1.strict_decode``,
and in ``decide``: ``_fast_select_benefit`` / ``select_benefit``, ``_fast_verify`` /
``hb1.verify``. For each: whatever the fast one takes, the strict one takes the same
way; whatever the strict one refuses, the fast one leaves to it (returns None).
"""

from __future__ import annotations

import itertools
import random

from huicui_test_support import vectors_kit
from huicui_verifier import base45, cose, decide, hb1
from huicui_verifier.base45 import ALPHABET


def _outcome(fn, arg, errors):
    try:
        return ("ok", fn(arg))
    except errors as exc:
        return ("err", type(exc).__name__)


def _decision_inputs() -> list[str]:
    return [v["input"] for v in vectors_kit().read_manifest()["vectors"] if v["kind"] == "decision"]


def _mutations(raw: bytes, rng: random.Random, count: int):
    """``raw`` with one to three bytes changed, dropped or inserted, ``count`` times."""
    for _ in range(count):
        mutated = bytearray(raw)
        for _ in range(rng.randrange(1, 4)):
            kind = rng.random()
            pos = rng.randrange(len(mutated)) if mutated else 0
            if kind < 0.6 and mutated:
                mutated[pos] = rng.randrange(256)
            elif kind < 0.8 and mutated:
                del mutated[pos]
            else:
                mutated.insert(pos, rng.randrange(256))
        yield bytes(mutated)


def _longer_heads(raw: bytes) -> list[bytes]:
    """Every variant of ``raw`` with one short head (argument < 24) re-written with a
    one-byte argument: the same value, encoded non-deterministically. Heads are found by
    trying each position; what is not a head gives bytes the readers refuse anyway."""
    out = []
    for pos, byte in enumerate(raw):
        major, info = byte >> 5, byte & 0x1F
        if major in (0, 1, 2, 3, 4, 5) and info < 24:
            out.append(raw[:pos] + bytes((major << 5 | 24, info)) + raw[pos + 1 :])
    return out


def _agree(fast, strict, errors, candidates, public=None) -> tuple[int, int]:
    """Hold ``fast`` to ``strict`` over ``candidates``; (inputs fast took, strict refused)."""
    taken = refused = 0
    for item in candidates:
        quick = fast(item)
        reference = _outcome(strict, item, errors)
        if quick is not None:
            taken += 1
            assert reference == ("ok", quick), item
        if reference[0] == "err":
            refused += 1
            assert quick is None, item
        if public is not None:  # the public reader answers exactly what the strict one does
            assert _outcome(public, item, errors) == reference, item
    return taken, refused


def test_base45_fast_decode_matches_strict_decode():
    rng = random.Random(9285)
    texts = [t[len(hb1.PREFIX) :] for t in _decision_inputs()]
    for _ in range(3000):
        if rng.random() < 0.5:
            texts.append(base45.encode(rng.randbytes(rng.randrange(0, 40))))
        else:
            pool = ALPHABET + "abc!é\x00"
            texts.append("".join(rng.choice(pool) for _ in range(rng.randrange(0, 30))))
    taken, _ = _agree(
        base45.fast_decode, base45.strict_decode, base45.Base45Error, texts, base45.decode
    )
    assert taken > 1000


def _cose_layers() -> list[bytes]:
    raws = []
    for text in _decision_inputs():
        try:
            raws.append(base45.decode(text[len(hb1.PREFIX) :]))
        except base45.Base45Error:
            pass
    return raws


def test_cose_fast_parse_matches_strict_parse():
    rng = random.Random(9052)
    raws = _cose_layers()
    candidates = list(raws)
    for raw in raws[:40]:
        candidates += _longer_heads(raw)
        candidates += list(_mutations(raw, rng, 60))
    taken, refused = _agree(
        cose.fast_parse, cose.strict_parse, cose.CoseError, candidates, cose.parse
    )
    assert taken >= 20 and refused >= 1000


def test_fast_claims_match_strict_claims():
    rng = random.Random(8392)
    payloads = []
    for raw in _cose_layers():
        try:
            payloads.append(cose.parse(raw).payload)
        except cose.CoseError:
            pass
    candidates = list(payloads)
    for payload in payloads[:40]:
        candidates += _longer_heads(payload)
        candidates += list(_mutations(payload, rng, 60))
    taken, refused = _agree(hb1.fast_claims, hb1.strict_claims, hb1.HB1Error, candidates)
    assert taken >= 20 and refused >= 1000


def test_hb1_fast_decode_matches_strict_decode(gen):
    rng = random.Random(18)
    good = gen.make_cert()
    assert hb1.fast_decode(good) is not None
    texts = _decision_inputs()
    raw_good = base45.decode(good[len(hb1.PREFIX) :])
    texts += [gen.text_of(raw) for raw in _longer_heads(raw_good)]
    texts += [gen.text_of(raw) for raw in _mutations(raw_good, rng, 3000)]
    taken, refused = _agree(hb1.fast_decode, hb1.strict_decode, hb1.HB1Error, texts, hb1.decode)
    assert taken >= 20 and refused >= 2000


def test_no_long_head_variant_of_a_certificate_reads(gen):
    # The deterministic-encoding rule at every layer: the envelope, the protected-header
    # bstr and the claims inside the payload bstr. One certificate, one text.
    raw = base45.decode(gen.make_cert()[len(hb1.PREFIX) :])
    variants = _longer_heads(raw)
    assert len(variants) > 20
    for variant in variants:
        for read in (hb1.fast_decode, hb1.decode):
            try:
                result = read(gen.text_of(variant))
            except hb1.HB1Error:
                continue
            assert result is None, variant.hex()


def test_fast_select_benefit_matches_select_benefit():
    codes = (None, 1, 2, 3, 4)
    sets = [tuple(c) for n in range(4) for c in itertools.combinations((1, 2, 3, 4), n)]
    for requested, held, honored in itertools.product(codes, sets, sets):
        assert decide._fast_select_benefit(requested, held, honored) == decide.select_benefit(
            requested, held, honored
        ), (requested, held, honored)


def test_fast_verify_matches_hb1_verify(gen):
    loaded = gen.make_bundle()  # verified against the pinned key, as a device holds it
    checked = 0
    for text in _decision_inputs():
        try:
            decoded = hb1.decode(text)
        except hb1.HB1Error:
            continue
        key = loaded.keys.get(decoded.kid)
        if key is None:
            continue
        checked += 1
        assert decide._fast_verify(loaded, key, decoded) == hb1.verify(decoded, key.pub), text
    assert checked >= 30
