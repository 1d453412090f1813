"""The worked examples in the format documents are what the code produces today."""

import textwrap
from pathlib import Path

import cbor2
from huicui_verifier import base45, bundle

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_hb1_worked_example_is_current(gen):
    text = (DOCS / "hb1.md").read_text("utf-8")
    cert = gen.make_cert()
    assert cert in text
    signature = cbor2.loads(base45.decode(cert[4:])).value[3].hex()
    assert signature[:64] in text and signature[64:] in text
    assert gen.raw_key(gen.ISSUER).hex() in text


def test_bundle_worked_example_is_current(gen):
    text = (DOCS / "bundle.md").read_text("utf-8")
    files = gen.example_files()
    for data in (files.heartbeat, files.profile):
        for line in textwrap.wrap(data.hex(), 96):
            assert line in text
        assert f"({len(data)} bytes, hex)" in text
    assert f"snapshot/{files.snapshot_hash.hex()}.cbor" in text
    assert f"{len(files.snapshot)} bytes signed" in text
    assert bundle.fingerprint(gen.raw_key(gen.BUNDLE_SIGNER)) in text


def test_bundle_doc_names_every_refusal():
    from huicui_verifier.reasons import BUNDLE_REFUSALS

    text = (DOCS / "bundle.md").read_text("utf-8")
    for code in BUNDLE_REFUSALS:
        assert f"| `{code}` |" in text, code


def test_verifier_doc_lists_every_reason():
    from huicui_verifier.decide import REASONS

    text = (DOCS / "verifier.md").read_text("utf-8")
    for code, (zh, _en) in REASONS.items():
        assert f"`{code}`" in text
        assert zh in text, code


def test_hb2_worked_example_is_current(gen):
    from huicui_verifier import hb2

    text = (DOCS / "hb2.md").read_text("utf-8")
    bound = gen.make_bound()
    live = hb2.encode(bound, gen.T0 - gen.PROOF_AGE, gen.PHONE)
    assert live in text
    assert f"QR text ({len(live)} characters)" in text
    raw = base45.decode(live[len(hb2.PREFIX) :])
    assert f"Bytes ({len(raw)}), annotated" in text
    assert gen.raw_key(gen.PHONE).hex() in text
    bound_sig, proof_sig = raw[1 + len(bound) - 64 : 1 + len(bound)].hex(), raw[-64:].hex()
    for signature in (bound_sig, proof_sig):
        assert signature[:64] in text and signature[64:] in text
    assert hb2.proof_id(hb2.decode(live)).hex() in text
    assert hb2.device_key_hash(gen.raw_key(gen.PHONE)).hex() in text
