"""5. A snapshot with 1,000,000 revoked certificates: size, load time, lookup time.

The snapshot is built and signed by the verifier's own ``bundle.sign`` (the service signs
with the same function), written to a file, and loaded the way a device does: read the
file, ``bundle.open_file`` with the pinned key (signature over the whole file, CBOR
parse and determinism check, type check), then the revocation set.
"""

from __future__ import annotations

import gc
import os
import random
import time

from benchlib import Bench, Outcome, make_bundle, median, random_revoked, seeded_key

NAME = "revocations"
TITLE = "Bundle with 1,000,000 revoked certificates"
TARGET_MB = 9.0
TARGET_LOAD_S = 1.0
TARGET_LOOKUP_US = 2.0
DELTA_ADDED = 1000


def _delta_size() -> int:
    """Size of the signed delta (format 2) that adds 1,000 ids to a small snapshot."""
    from huicui_verifier import bundle, cose, delta

    (old, _, _), _ = make_bundle(b"")
    (new, _, _), _ = make_bundle(random_revoked(DELTA_ADDED), version=8)
    maps = [bundle.decode_map(cose.parse(f).payload) for f in (old, new)]
    made = delta.make(maps[0], maps[1], program="BH")
    return len(bundle.sign(made, seeded_key("huicui-bench/bundle")))


def run(bench: Bench) -> Outcome:
    from huicui_verifier import bundle, cose
    from huicui_verifier.catchup import Held

    out = Outcome(NAME, TITLE)
    count = 1_000_000  # the size, also with --quick (a few seconds)
    loads = bench.size(5, 2)
    task = bench.task(f"bundle with {count:,} revocations", 3 + loads)
    revoked = random_revoked(count)
    task.advance()
    started = time.perf_counter()
    data, pinned = make_bundle(revoked)
    sign_s = time.perf_counter() - started
    task.advance()
    path = bench.tmp / "bundle-1m.cbor"
    path.write_bytes(data[0])  # the snapshot: what carries the revocation list
    size = path.stat().st_size
    task.advance()

    load_times, verify_times = [], []
    loaded = None
    for _ in range(loads):
        loaded = None
        gc.collect()
        started = time.perf_counter()
        raw = path.read_bytes()
        opened = bundle.open_file(raw, "snapshot", pinned_key=pinned)
        loaded = Held.from_payload(opened.payload_bytes, opened.obj, opened.payload)
        load_times.append(time.perf_counter() - started)
        sign1 = cose.parse(raw)
        started = time.perf_counter()
        cose.verify(sign1, pinned)
        verify_times.append(time.perf_counter() - started)
        task.advance()
    task.done()
    assert loaded is not None and len(loaded.revoked) == count

    rng = random.Random(5)
    n = 200_000
    present = [revoked[i * 8 : i * 8 + 8] for i in rng.sample(range(count), min(n, count))]
    absent = [os.urandom(8) for _ in range(n)]
    s = loaded.revoked

    def per_lookup(ids: list[bytes]) -> float:
        started = time.perf_counter()
        hits = 0
        for cti in ids:
            if cti in s:
                hits += 1
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        for _cti in ids:
            pass
        loop = time.perf_counter() - started
        per_lookup.hits = hits  # type: ignore[attr-defined]
        return (elapsed - loop) / len(ids) * 1e6

    hit_us = median(per_lookup(present) for _ in range(3))
    assert per_lookup.hits == len(present)  # type: ignore[attr-defined]
    miss_us = median(per_lookup(absent) for _ in range(3))
    lookup_us = max(hit_us, miss_us)

    mb = size / 1_000_000
    load_s = median(load_times)
    out.add("size on disk", round(mb, 3), "MB", TARGET_MB, "<=", f"{size:,} bytes")
    out.add(
        "load (read + signature + parse + set build), median",
        round(load_s, 3),
        "s",
        TARGET_LOAD_S,
        "<",
    )
    out.add("lookup (worse of hit/miss)", round(lookup_us, 3), "µs", TARGET_LOOKUP_US, "<")
    delta = _delta_size()
    out.add(
        "signed delta adding 1,000 revocations",
        delta,
        "bytes",
        note=f"instead of the full {mb:.1f} MB snapshot",
    )
    out.details = {
        "revoked": count,
        "bytes": size,
        "bytes_per_revocation": round(size / count, 3),
        "sign_s": round(sign_s, 3),
        "load_s": [round(x, 3) for x in load_times],
        "signature_check_s": round(median(verify_times), 4),
        "lookup_hit_us": round(hit_us, 3),
        "lookup_miss_us": round(miss_us, 3),
        "delta_bytes": delta,
    }
    out.notes.append(
        f"{size / count:.3f} bytes per revocation: 8 for the id, the rest is the envelope. "
        f"Of the {load_s * 1000:.0f} ms load, checking the signature over the whole file takes "
        f"{median(verify_times) * 1000:.0f} ms; the rest is the CBOR parse and the "
        "frozenset of a million ints."
    )
    out.notes.append(
        f"Format 2: a device that holds the snapshot takes a delta; one listing "
        f"{DELTA_ADDED:,} new ids is {delta:,} bytes signed."
    )
    harder = []
    if load_s < TARGET_LOAD_S / 2:
        harder.append(f"load < {max(0.1, round(load_s * 1.5, 1))} s")
    if lookup_us < TARGET_LOOKUP_US / 2:
        harder.append(f"lookup < {max(0.2, round(lookup_us * 1.5, 1))} µs")
    if harder:
        out.notes.append("Beaten easily; harder targets: " + ", ".join(harder) + ".")
    return out
