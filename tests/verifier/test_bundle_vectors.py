"""Every committed bundle vector (tests/vectors/bundle/) catches up as it says, and the
committed files are exactly what ``tests/vectors/generate.py`` writes."""

import json
from pathlib import Path

import pytest
from huicui_test_support.bundle_vectors import run_vector

VECTOR_DIR = Path(__file__).resolve().parent.parent / "vectors" / "bundle"
FILES = sorted(VECTOR_DIR.glob("*.json"))


def test_there_are_vectors_for_every_refusal():
    vectors = [json.loads(f.read_text("utf-8")) for f in FILES]
    errors = {v["expected"].get("error") for v in vectors}
    assert errors >= {
        "older_version",
        "not_chained",
        "expired",
        "hash_mismatch",
        "wrong_venue",
        "wrong_program",
        "wrong_key",
        "bad_signature",
        "wrong_type",
        "malformed",
        "unsupported_format",
        "not_published",
    }
    assert sum(v["expected"]["outcome"] == "ok" for v in vectors) >= 6


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_bundle_vector(path, gen):
    v = json.loads(path.read_text("utf-8"))
    assert set(v) == {"description", "pinned_key", "enrolled", "held", "now", "files", "expected"}
    got = run_vector(v, gen)
    expected = v["expected"]
    assert {k: got[k] for k in expected} == expected, v["description"]


def test_committed_bundle_vectors_match_the_generator(gen):
    expected = gen.build_bundle_vectors()
    on_disk = {f.name: f.read_text("utf-8") for f in FILES}
    assert sorted(on_disk) == sorted(expected), "run: python tests/vectors/generate.py"
    for name, text in expected.items():
        assert on_disk[name] == text, f"{name} is stale; run: python tests/vectors/generate.py"
