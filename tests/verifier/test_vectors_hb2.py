"""Every committed HB2 vector decides as it says, the files are what the generator writes,
and both signatures of a live code verify with a stock COSE library (pycose)."""

import json
from importlib.metadata import version
from pathlib import Path

import cbor2
import pytest
from huicui_verifier import base45, hb2
from huicui_verifier import bundle as B
from huicui_verifier.decide import REASONS, decide

VECTOR_DIR = Path(__file__).resolve().parent.parent / "vectors" / "hb2"
FILES = sorted(VECTOR_DIR.glob("*.json"))
FIELDS = {"description", "input", "bundle", "pinned_key", "now", "benefit", "earlier", "expected"}


def run_vector(v: dict):
    """Decide ``earlier`` then ``input`` at ``now``, remembering passed proofs as a device does."""
    now_ts = v["now"]
    from datetime import UTC, datetime

    now = datetime.fromtimestamp(now_ts, UTC)
    bundle = B.load(
        bytes.fromhex(v["bundle"]),
        pinned_key=bytes.fromhex(v["pinned_key"]),
        held_version=None,
        now=now,
    )
    seen: set[bytes] = set()

    def one(text: str):
        d = decide(
            text,
            bundle=bundle,
            benefit=v["benefit"],
            now=now,
            history_lookup=lambda cti, code: [],
            proof_seen=seen.__contains__,
        )
        if d.proof_id is not None:
            seen.add(bytes.fromhex(d.proof_id))
        return d

    for text in v["earlier"]:
        one(text)
    return one(v["input"])


def test_there_are_enough_hb2_vectors():
    vectors = [json.loads(f.read_text("utf-8")) for f in FILES]
    negative = [v for v in vectors if not v["expected"]["accepted"]]
    assert len(vectors) >= 30 and len(negative) >= 25
    reasons = {v["expected"]["reason"] for v in vectors}
    # Every reason HB2 and the static-card policy brought has a vector here.
    hb1_reasons = {
        json.loads(f.read_text("utf-8"))["expected"]["reason"]
        for f in (VECTOR_DIR.parent / "hb1").glob("*.json")
    }
    assert reasons >= set(REASONS) - hb1_reasons - {"limit_reached", "no_bundle"}
    assert {"ok", "malformed", "bad_signature", "revoked"} <= reasons
    clocks = {v["expected"].get("clock") for v in vectors if "clock" in v["expected"]}
    assert clocks == {"phone", "gate", ""}


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_hb2_vector(path):
    v = json.loads(path.read_text("utf-8"))
    assert set(v) == FIELDS
    d = run_vector(v)
    got = {"accepted": d.accepted, "reason": d.reason}
    if "clock" in v["expected"]:
        got["clock"] = d.clock
    assert got == v["expected"], (v["description"], d.detail_en)


def test_committed_hb2_vectors_match_the_generator(gen):
    expected = gen.build_hb2_vectors()
    on_disk = {f.name: f.read_text("utf-8") for f in FILES}
    assert sorted(on_disk) == sorted(expected), "run: python tests/vectors/generate.py"
    for name, text in expected.items():
        assert on_disk[name] == text, f"{name} is stale; run: python tests/vectors/generate.py"


pycose = pytest.importorskip("pycose")


@pytest.mark.skipif(
    int(version("cbor2").split(".")[0]) >= 6,
    reason="pycose 1.1 cannot decode under cbor2 6 (DESIGN.md)",
)
def test_pycose_verifies_both_signatures_of_a_live_code(gen):
    """The issuer's with the JWKS key; the phone's with the key the bound certificate carries."""
    from pycose.keys import OKPKey
    from pycose.keys.curves import Ed25519
    from pycose.messages import Sign1Message

    v = json.loads((VECTOR_DIR / "ok-live.json").read_text("utf-8"))
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
