"""Every committed bundle vector (tests/vectors/bundle/) catches up as it says, and the
committed files are exactly what ``tests/vectors/generate.py`` writes."""

import json
from pathlib import Path

import pytest
from huicui_verifier import bundle as B
from huicui_verifier.catchup import Fetched, Held, catch_up

VECTOR_DIR = Path(__file__).resolve().parent.parent / "vectors" / "bundle"
FILES = sorted(VECTOR_DIR.glob("*.json"))


class MappingSource:
    """Published files from a vector's ``files``."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = {name: bytes.fromhex(h) for name, h in files.items()}

    def get(self, name, etag=None):
        data = self.files.get(name)
        return None if data is None else Fetched(data, None, len(data))


def run_vector(v: dict, gen) -> dict:
    held = None
    if v["held"]:
        payload = bytes.fromhex(v["held"]["snapshot"])
        obj = B.decode_map(payload)
        held = Held.from_payload(payload, obj, B.from_map(obj, "snapshot"))
    try:
        caught = catch_up(
            MappingSource(v["files"]),
            held=held,
            pinned_key=bytes.fromhex(v["pinned_key"]),
            program=v["enrolled"]["program"],
            venue=v["enrolled"]["venue"],
            profile_file=f"profile/{v['enrolled']['venue']}.cbor",
            now=gen.at(v["now"]),
            profile_rev=(v["held"] or {}).get("profile_rev"),
        )
    except B.BundleError as exc:
        return {"outcome": "refused", "error": exc.code}
    now_held = caught.held or held
    assert now_held is not None
    return {
        "outcome": "ok",
        "version": now_held.snapshot.version,
        "hash": now_held.hash.hex(),
        "deltas": caught.deltas,
        "snapshot_taken": caught.snapshot_taken,
        "revoked": len(now_held.revoked),
        "superseded": len(now_held.snapshot.superseded) // 8,
    }


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
