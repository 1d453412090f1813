"""Every committed HB2 vector decides as it says, the files are what the generator writes,
and both signatures of a live code verify with a stock COSE library (pycose)."""

import json
from importlib.metadata import version
from pathlib import Path

import cbor2
import pytest
from huicui_verifier import base45, hb2
from huicui_verifier.decide import REASONS

VECTOR_ROOT = Path(__file__).resolve().parent.parent / "vectors"
MANIFEST = json.loads((VECTOR_ROOT / "manifest.json").read_text("utf-8"))
HB2 = [v for v in MANIFEST["vectors"] if v["file"].startswith("hb2/")]
HB1 = [v for v in MANIFEST["vectors"] if v["file"].startswith("hb1/")]


def test_there_are_enough_hb2_vectors():
    """At least 30, most negative; every reason HB2 and the static-card policy brought
    has one, and every clock a refused proof time can name. (They run with the rest in
    test_vectors.py, and the JavaScript engine runs them too.)"""
    negative = [v for v in HB2 if not v["expected"]["accepted"]]
    assert len(HB2) >= 30 and len(negative) >= 25
    reasons = {v["expected"]["reason"] for v in HB2}
    hb1_reasons = {v["expected"]["reason"] for v in HB1}
    assert reasons >= set(REASONS) - hb1_reasons - {"limit_reached", "no_bundle"}
    assert {"ok", "malformed", "bad_signature", "revoked"} <= reasons
    clocks = {v["expected"].get("clock") for v in HB2 if "clock" in v["expected"]}
    assert clocks == {"phone", "gate", ""}
    assert any(v.get("earlier") for v in HB2)


pycose = pytest.importorskip("pycose")


@pytest.mark.skipif(
    int(version("cbor2").split(".")[0]) >= 6,
    reason="pycose 1.1 cannot decode under cbor2 6 (tagged arrays come back as tuples)",
)
def test_pycose_verifies_both_signatures_of_a_live_code(gen):
    """The issuer's with the JWKS key; the phone's with the key the bound certificate carries."""
    from pycose.keys import OKPKey
    from pycose.keys.curves import Ed25519
    from pycose.messages import Sign1Message

    v = next(v for v in HB2 if v["name"] == "hb2-ok-live")
    bound_item, proof_item = cbor2.loads(base45.decode(v["input"][len(hb2.PREFIX) :]))
    bound_bytes, proof_bytes = cbor2.dumps(bound_item), cbor2.dumps(proof_item)

    bound = Sign1Message.decode(bound_bytes)
    bound.key = OKPKey(crv=Ed25519, x=gen.raw_key(gen.ISSUER))
    assert bound.verify_signature()
    claims = cbor2.loads(bound.payload)
    device_key = claims[-65537][5]
    assert device_key == gen.raw_key(gen.PHONE) and claims[7] == gen.CTI

    proof = Sign1Message.decode(proof_bytes)
    proof.key = OKPKey(crv=Ed25519, x=device_key)
    proof.external_aad = bound_bytes
    assert proof.verify_signature()
    assert cbor2.loads(proof.payload) == v["now"] - gen.PROOF_AGE

    # Bound to this certificate: the same proof over another bound certificate fails,
    # and so does another phone's key or the issuer key used for the phone.
    proof.external_aad = gen.make_bound(cti=bytes.fromhex("0123456789abcd00"))
    assert not proof.verify_signature()
    proof.external_aad = bound_bytes
    proof.key = OKPKey(crv=Ed25519, x=gen.raw_key(gen.OTHER_PHONE))
    assert not proof.verify_signature()
    bound.key = OKPKey(crv=Ed25519, x=gen.raw_key(gen.STRANGER))
    assert not bound.verify_signature()
