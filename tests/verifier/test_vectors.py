"""Every vector in ``tests/vectors/manifest.json`` gives its expected outcome, run from the
manifest alone (as the JavaScript verifier runs it), and the committed files are exactly
what ``tests/vectors/generate.py`` writes (so they cannot drift from the code)."""

import json
from pathlib import Path

import pytest
from huicui_test_support import vectors_kit
from huicui_test_support.bundle_vectors import run_vector
from huicui_verifier import bundle as B
from huicui_verifier import reasons
from huicui_verifier.decide import decide

kit = vectors_kit()
VECTOR_ROOT = Path(__file__).resolve().parent.parent / "vectors"
MANIFEST = kit.read_manifest()
VECTORS = MANIFEST["vectors"]
DECISIONS = [v for v in VECTORS if v["kind"] == "decision"]
CATCH_UPS = [v for v in VECTORS if v["kind"] == "catch_up"]


def test_the_manifest_is_format_2_and_every_vector_has_a_known_kind():
    assert MANIFEST["format"] == 2
    assert {v["kind"] for v in VECTORS} == {"decision", "catch_up"}
    assert [v["name"] for v in VECTORS] == sorted(v["name"] for v in VECTORS)
    for files in MANIFEST["bundles"].values():
        assert set(files) == {"snapshot", "heartbeat", "profile", "announced"}


def _held_bundle(v: dict) -> B.Bundle | None:
    """The vector's file set (snapshot, heartbeat, profile) as the device holds it."""
    if v["bundle"] is None:
        return None
    files = MANIFEST["bundles"][v["bundle"]]
    return B.open_bundle(
        bytes.fromhex(files["snapshot"]),
        bytes.fromhex(files["heartbeat"]) if files["heartbeat"] is not None else None,
        bytes.fromhex(files["profile"]),
        pinned_key=bytes.fromhex(v["pinned_key"]),
        latest_version=files["announced"],
    )


@pytest.mark.parametrize("v", DECISIONS, ids=[v["name"] for v in DECISIONS])
def test_decision_vector(v, gen):
    assert set(v) - {"earlier"} == {
        "name",
        "file",
        "kind",
        "description",
        "input",
        "bundle",
        "pinned_key",
        "now",
        "benefit",
        "history",
        "expected",
    }
    now = gen.at(v["now"])
    history = [(h["at"], h["venue"]) for h in v["history"]]
    held = _held_bundle(v)
    seen: set[bytes] = set()  # the HB2 proofs this device passed, as its log keeps them

    def one(text: str):
        d = decide(
            text,
            bundle=held,
            benefit=v["benefit"],
            now=now,
            history_lookup=lambda cti, code: history,
            proof_seen=seen.__contains__,
        )
        if d.proof_id is not None:
            seen.add(bytes.fromhex(d.proof_id))
        return d

    for text in v.get("earlier", []):
        one(text)
    d = one(v["input"])
    got = {
        "accepted": d.accepted,
        "reason": d.reason,
        "warnings": [w.code for w in d.warnings],
    }
    if "input_kind" in v["expected"]:
        got["input_kind"] = d.input_kind
    if "clock" in v["expected"]:
        got["clock"] = d.clock
    assert got == v["expected"], (v["description"], d.detail_en)


@pytest.mark.parametrize("v", CATCH_UPS, ids=[v["name"] for v in CATCH_UPS])
def test_catch_up_vector(v, gen):
    assert set(v) - {"padded"} == {
        "name",
        "file",
        "kind",
        "description",
        "pinned_key",
        "enrolled",
        "held",
        "now",
        "files",
        "expected",
    }
    got = run_vector(v, gen)
    expected = v["expected"]
    assert {k: got.get(k) for k in expected} == expected, v["description"]


def test_the_vectors_cover_every_reason_and_refusal():
    decided = {v["expected"]["reason"] for v in DECISIONS}
    assert decided == set(reasons.REASONS), "a decision reason without a vector"
    refused = {v["expected"].get("error") for v in CATCH_UPS} - {None}
    assert refused == set(reasons.BUNDLE_REFUSALS), "a bundle refusal without a vector"
    assert sum(v["expected"]["outcome"] == "ok" for v in CATCH_UPS) >= 6
    kinds = {v["expected"].get("input_kind") for v in DECISIONS} - {None}
    assert kinds == set(reasons.INPUTS)
    warned = {w for v in DECISIONS for w in v["expected"]["warnings"]}
    assert warned == set(reasons.WARNINGS)
    negative = [v for v in DECISIONS if not v["expected"]["accepted"]]
    assert len(DECISIONS) >= 150 and len(negative) >= 110
    assert all(
        v["expected"]["input_kind"] for v in negative if v["expected"]["reason"] == "malformed"
    )


def test_every_vector_file_is_its_manifest_entry_with_layers():
    for v in VECTORS:
        on_disk = json.loads((VECTOR_ROOT / v["file"]).read_text("utf-8"))
        layers = on_disk.pop("layers", None)
        assert {"name": v["name"], "file": v["file"], **on_disk} == v
        assert (layers is None) == (v["kind"] == "catch_up")
        if v["kind"] == "decision" and v["expected"]["accepted"]:
            # An accepted certificate's layers go all the way down, and agree.
            if v["input"].startswith("HB2:"):
                assert v["input"] == "HB2:" + layers["base45"]
                assert layers["bound"]["cose"] in layers["cbor"] and layers["proof"]["time"]
                continue
            assert v["input"] == "HB1:" + layers["base45"]
            assert layers["payload"] in layers["cose"] and layers["claims"]["iss"]


def test_committed_vectors_match_the_generator(gen):
    expected = gen.build_vectors()
    on_disk = {
        str(f.relative_to(VECTOR_ROOT)): f.read_text("utf-8")
        for pattern in ("manifest.json", "hb1/*.json", "hb2/*.json", "bundle/*.json")
        for f in VECTOR_ROOT.glob(pattern)
    }
    assert sorted(on_disk) == sorted(expected), "run: python tests/vectors/generate.py"
    for name, text in expected.items():
        assert on_disk[name] == text, f"{name} is stale; run: python tests/vectors/generate.py"
