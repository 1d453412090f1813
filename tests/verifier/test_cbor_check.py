"""Deterministic CBOR (RFC 8949 §4.2.1): the reader refuses every other encoding with a
detail naming the rule, and the writer the issuer and the bundle builder use produces
exactly what the reader accepts (issue 13, security 4)."""

from __future__ import annotations

import random
import unicodedata

import cbor2
import pytest
from huicui_test_support import vectors_kit
from huicui_verifier import bundle, cose, hb1
from huicui_verifier.cbor_check import CBORCheckError, check, dumps, loads


def refused(data: bytes, *, max_depth: int = 4) -> str:
    with pytest.raises(CBORCheckError) as err:
        check(data, max_depth=max_depth)
    return str(err.value)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        ("1801", "non-shortest head"),  # 1 in two bytes
        ("190017", "non-shortest head"),  # 23 in three bytes
        ("1a0000ffff", "non-shortest head"),  # 65535 in five bytes
        ("1b00000000ffffffff", "non-shortest head"),  # 2^32 - 1 in nine bytes
        ("3817", "non-shortest head"),  # -24 written 38 17
        ("5801ff", "non-shortest head"),  # a one-byte string with a one-byte length
        ("780161", "non-shortest head"),
        ("9800", "non-shortest head"),  # an empty array, long form
        ("b800", "non-shortest head"),
        ("d81200", "non-shortest head"),  # tag 18 written d8 12
        ("9f00ff", "indefinite length"),
        ("bf0000ff", "indefinite length"),
        ("5f41004100ff", "indefinite length"),
        ("a202000100", "out of order"),  # {2: 0, 1: 0}
        ("a22001181800", "out of order"),  # {-1: 1, 24: 0}: length-first, not bytewise
        ("a201000100", "duplicate"),
        ("f93c00", "floating-point"),  # half float 1.0
        ("fa3f800000", "floating-point"),
        ("fb3ff0000000000000", "floating-point"),
        ("f7", "simple value"),  # undefined
        ("f820", "simple value"),
        ("62c0af", "UTF-8"),  # overlong "/"
        ("63eda080", "UTF-8"),  # an encoded surrogate
        ("62e69d", "UTF-8"),  # half a character
        ("a1c11a0000000000", "tag 1"),  # a tag as a map key
        ("81c100", "tag 1"),  # a tag inside an array
    ],
)
def test_every_non_deterministic_encoding_is_refused_by_name(data, rule):
    assert rule in refused(bytes.fromhex(data)), data


def test_the_shortest_forms_are_accepted():
    for value in (0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1, -1, -24, -25):
        check(cbor2.dumps(value), max_depth=1)
    check(bytes.fromhex("a21818002001"), max_depth=1)  # {24: 0, -1: 1}: bytewise order


def test_depth_counts_tags_and_every_array_or_map_that_holds_something():
    check(b"\x80", max_depth=0)  # [] holds nothing: no level
    check(b"\x81\x80", max_depth=1)  # [[]]
    assert "nesting deeper than 1" in refused(b"\x81\x81\x00", max_depth=1)  # [[0]]
    assert "nesting deeper than 2" in refused(b"\xa1\x01\x81\xa1\x00\x00", max_depth=2)
    data = bytes.fromhex("d28440a04040")  # 18([h'', {}, h'', h'']): the tag and the array
    with pytest.raises(CBORCheckError):
        check(data, max_depth=1, top_tags=frozenset({18}))
    check(data, max_depth=2, top_tags=frozenset({18}))


def test_dumps_orders_keys_bytewise_where_cbor2_canonical_does_not():
    value = {24: "a", -1: "b", "z": 1, 256: 2}
    mine = dumps(value)
    assert mine == bytes.fromhex("a41818616119010002206162617a01")
    check(mine, max_depth=1)
    theirs = cbor2.dumps(value, canonical=True)  # length-first (RFC 7049)
    assert theirs != mine and "out of order" in refused(theirs)
    assert loads(mine, max_depth=1) == value


def _random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(8 if depth < 3 else 4)
    if kind == 0:
        return rng.choice([0, 23, 24, 255, 256, 65535, 65536, 2**32, 2**63]) * rng.choice([1, -1])
    if kind == 1:
        return "".join(rng.choice("aZ荟萃 é𠀀") for _ in range(rng.randrange(0, 30)))
    if kind == 2:
        return rng.randbytes(rng.choice([0, 1, 23, 24, 300]))
    if kind == 3:
        return rng.choice([True, False, None])
    if kind in (4, 5):
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    keys = {
        rng.choice([rng.randrange(-300, 70000), "".join(rng.choice("abc") for _ in range(3))])
        for _ in range(rng.randrange(0, 6))
    }
    return {k: _random_value(rng, depth + 1) for k in keys}


def test_whatever_dumps_writes_the_reader_accepts_and_reads_back():
    rng = random.Random(8949)
    for _ in range(2000):
        value = _random_value(rng)
        data = dumps(value)
        assert loads(data, max_depth=8) == value


def test_the_issuer_and_the_bundle_builder_write_what_the_readers_accept():
    kit = vectors_kit()
    manifest = kit.read_manifest()
    accepted = [v for v in manifest["vectors"] if v["kind"] == "decision"]
    accepted = [v for v in accepted if v["expected"]["accepted"] and v["file"].startswith("hb1/")]
    assert len(accepted) > 30
    for v in accepted:  # every certificate hb1.encode made reads through the strict path
        decoded = hb1.strict_decode(v["input"])
        again = hb1.encode(decoded.claims, kit.ISSUER, kit.KID_ACTIVE)
        if decoded.kid == kit.KID_ACTIVE:
            assert again == v["input"], v["name"]  # one certificate, one text
    for name, files in manifest["bundles"].items():  # every file bundle.sign made
        for kind in ("snapshot", "heartbeat", "profile"):
            if files[kind] is None:
                continue
            sign1 = cose.strict_parse(bytes.fromhex(files[kind]))
            payload = bundle.from_map(bundle.decode_map(sign1.payload), kind)
            assert bundle.encode(payload) == sign1.payload, (name, kind)


def test_printable_is_the_category_rule_in_docs_hb1():
    # docs/hb1.md: printable = no code point in Cc Cf Cs Co Cn Zs Zl Zp, except U+0020.
    excluded = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}
    for cp in range(0x110000):
        ch = chr(cp)
        rule = cp == 0x20 or unicodedata.category(ch) not in excluded
        assert ch.isprintable() == rule, hex(cp)
