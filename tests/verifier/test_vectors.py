"""Every vector in ``tests/vectors/manifest.json`` gives its expected outcome, run from the
manifest alone (as the JavaScript verifier runs it), and the committed files are exactly
what ``tests/vectors/generate.py`` writes (so they cannot drift from the code)."""

import json
from pathlib import Path

import pytest
from huicui_test_support import vectors_kit
from huicui_verifier import bundle as B
from huicui_verifier import reasons
from huicui_verifier.decide import decide

kit = vectors_kit()
VECTOR_ROOT = Path(__file__).resolve().parent.parent / "vectors"
MANIFEST = kit.read_manifest()
VECTORS = MANIFEST["vectors"]
DECISIONS = [v for v in VECTORS if v["kind"] == "decision"]
LOADS = [v for v in VECTORS if v["kind"] == "bundle_load"]


def _bundle_bytes(v: dict) -> bytes | None:
    """The vector's bundle file: its bytes from the manifest, padded when it says so."""
    if v["bundle"] is None:
        return None
    data = bytes.fromhex(MANIFEST["bundles"][v["bundle"]])
    size = v.get("bundle_size")
    return data if size is None else data + bytes(size - len(data))


def _key(v: dict) -> bytes | None:
    return None if v["pinned_key"] is None else bytes.fromhex(v["pinned_key"])


@pytest.mark.parametrize("v", DECISIONS, ids=[v["name"] for v in DECISIONS])
def test_decision_vector(v, gen):
    assert set(v) == {
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
    data = _bundle_bytes(v)
    held = None
    if data is not None:
        held = B.load(data, pinned_key=_key(v), held_version=None, now=now)
    history = [(h["at"], h["venue"]) for h in v["history"]]
    d = decide(
        v["input"],
        bundle=held,
        benefit=v["benefit"],
        now=now,
        history_lookup=lambda cti, code: history,
    )
    got = {
        "accepted": d.accepted,
        "reason": d.reason,
        "warnings": [w.code for w in d.warnings],
    }
    if "input_kind" in v["expected"]:
        got["input_kind"] = d.input_kind
    assert got == v["expected"], (v["description"], d.detail_en)


@pytest.mark.parametrize("v", LOADS, ids=[v["name"] for v in LOADS])
def test_bundle_load_vector(v, gen):
    try:
        B.load(
            _bundle_bytes(v),
            pinned_key=_key(v),
            held_version=v["held_version"],
            enrolled_venue=v["enrolled_venue"],
            now=gen.at(v["now"]),
        )
        code = "ok"
    except B.BundleError as exc:
        code = exc.code
    assert {"code": code} == v["expected"], v["description"]


def test_the_vectors_cover_every_reason_and_refusal():
    decided = {v["expected"]["reason"] for v in DECISIONS}
    assert decided == set(reasons.REASONS), "a decision reason without a vector"
    loaded = {v["expected"]["code"] for v in LOADS}
    assert loaded == {"ok", *reasons.BUNDLE_REFUSALS}, "a bundle refusal without a vector"
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
        layers = on_disk.pop("layers")
        assert {"name": v["name"], "file": v["file"], **on_disk} == v
        if v["kind"] == "decision" and v["expected"]["accepted"]:
            # An accepted certificate's layers go all the way down, and agree.
            assert v["input"] == "HB1:" + layers["base45"]
            assert layers["payload"] in layers["cose"] and layers["claims"]["iss"]


def test_committed_vectors_match_the_generator(gen):
    expected = gen.build_vectors()
    on_disk = {
        str(f.relative_to(VECTOR_ROOT)): f.read_text("utf-8")
        for pattern in ("manifest.json", "hb1/*.json", "bundle/*.json")
        for f in VECTOR_ROOT.glob(pattern)
    }
    assert sorted(on_disk) == sorted(expected), "run: python tests/vectors/generate.py"
    for name, text in expected.items():
        assert on_disk[name] == text, f"{name} is stale; run: python tests/vectors/generate.py"
