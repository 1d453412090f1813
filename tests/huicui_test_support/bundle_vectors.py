"""One catch-up as a catch-up vector of ``tests/vectors/manifest.json`` describes it, for
the vector test and the differential test of the two verifiers."""

from __future__ import annotations

from huicui_verifier import bundle as B
from huicui_verifier.catchup import Fetched, Held, catch_up


class MappingSource:
    """Published files from a vector's ``files`` (name → hex), each followed by zero bytes
    up to its size in ``padded`` when that names it; a name not there is a 404."""

    def __init__(self, files: dict[str, str], padded: dict[str, int] | None = None) -> None:
        self.files = {name: bytes.fromhex(h) for name, h in files.items()}
        for name, size in (padded or {}).items():
            self.files[name] += bytes(size - len(self.files[name]))

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
            MappingSource(v["files"], v.get("padded")),
            held=held,
            pinned_key=None if v["pinned_key"] is None else bytes.fromhex(v["pinned_key"]),
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
