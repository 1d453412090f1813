"""One catch-up as a bundle vector (tests/vectors/bundle/) describes it, for the vector
test and the differential test of the two verifiers."""

from __future__ import annotations

from huicui_verifier import bundle as B
from huicui_verifier.catchup import Fetched, Held, catch_up


class MappingSource:
    """Published files from a vector's ``files`` (name → hex); a name not there is a 404."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = {name: bytes.fromhex(h) for name, h in files.items()}

    def get(self, name, etag=None):
        data = self.files.get(name)
        return None if data is None else Fetched(data, None, len(data))


def run_vector(v: dict, gen) -> dict:
    """The vector's catch-up: what the device then holds, or the refusal's code."""
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
