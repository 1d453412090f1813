"""Every committed vector decides as it says, and the committed files are exactly what
``tests/vectors/generate.py`` writes (so they cannot drift from the code)."""

import json
from pathlib import Path

import pytest
from huicui_verifier import bundle as B
from huicui_verifier.decide import decide

VECTOR_DIR = Path(__file__).resolve().parent.parent / "vectors" / "hb1"
FILES = sorted(VECTOR_DIR.glob("*.json"))


def test_there_are_enough_vectors():
    vectors = [json.loads(f.read_text("utf-8")) for f in FILES]
    negative = [v for v in vectors if not v["expected"]["accepted"]]
    assert len(vectors) >= 60
    assert len(negative) >= 40
    reasons = {v["expected"]["reason"] for v in vectors}
    assert reasons >= {
        "ok",
        "malformed",
        "unknown_key",
        "key_compromised",
        "bad_signature",
        "not_yet_valid",
        "expired",
        "revoked",
        "benefit_not_held",
        "not_honored",
        "outside_hours",
        "stale_bundle",
    }


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_vector(path, gen):
    v = json.loads(path.read_text("utf-8"))
    assert set(v) == {
        "description",
        "input",
        "snapshot",
        "heartbeat",
        "profile",
        "pinned_key",
        "now",
        "benefit",
        "expected",
    }
    now = gen.at(v["now"])
    bundle = B.open_bundle(
        bytes.fromhex(v["snapshot"]),
        bytes.fromhex(v["heartbeat"]) if v["heartbeat"] else None,
        bytes.fromhex(v["profile"]),
        pinned_key=bytes.fromhex(v["pinned_key"]),
    )
    d = decide(
        v["input"],
        bundle=bundle,
        benefit=v["benefit"],
        now=now,
        history_lookup=lambda cti, code: [],
    )
    assert {"accepted": d.accepted, "reason": d.reason} == v["expected"], (
        v["description"],
        d.detail_en,
    )


def test_committed_vectors_match_the_generator(gen):
    expected = gen.build_vectors()
    on_disk = {f.name: f.read_text("utf-8") for f in FILES}
    assert sorted(on_disk) == sorted(expected), "run: python tests/vectors/generate.py"
    for name, text in expected.items():
        assert on_disk[name] == text, f"{name} is stale; run: python tests/vectors/generate.py"
