"""4. A decision with its durable log write: ``gate.check_and_record`` per scan.

The log is the verifier's real ``DecisionLog``: a SQLite file in WAL mode with
``synchronous=FULL`` in a temporary directory on disk, so each scan pays a commit and
an fsync before the answer could be shown. Every scan is a different holder (one
certificate each), as at a gate, so each one is accepted and its history read first.
"""

from __future__ import annotations

import time

from benchlib import (
    ISSUER_LABEL,
    KID,
    NOW,
    Bench,
    Outcome,
    fs_type,
    load_bundle,
    make_bundle,
    percentile,
    random_revoked,
    seeded_key,
    summary_ms,
    typical_claims,
)

NAME = "log"
TITLE = "Decision with durable log write (check_and_record, SQLite WAL, synchronous=FULL)"
TARGET_P99_MS = 10.0


def run(bench: Bench) -> Outcome:
    from huicui_verifier import hb1
    from huicui_verifier.decide import decide
    from huicui_verifier.gate import check_and_record
    from huicui_verifier.log import DecisionLog

    out = Outcome(NAME, TITLE)
    key = seeded_key(ISSUER_LABEL)
    scans = bench.size(1500, 200)
    task = bench.task("durable decisions", scans * 2)
    texts = []
    for _ in range(scans):
        texts.append(hb1.encode(typical_claims(), key, KID))
        task.advance()
    data, pinned = make_bundle(random_revoked(10_000))
    loaded = load_bundle(data, pinned)

    folder = bench.tmp / "device-log"
    folder.mkdir(exist_ok=True)
    log = DecisionLog(folder / "decisions.sqlite3")
    timings, decide_only, refused = [], [], 0
    try:
        for text in texts:
            started = time.perf_counter()
            decision = check_and_record(text, bundle=loaded, log=log, benefit=None, now=NOW)
            timings.append(time.perf_counter() - started)
            refused += not decision.accepted
            task.advance()
        # The same decisions without the write, for the share the commit takes.
        for text in texts[: min(300, scans)]:
            started = time.perf_counter()
            decide(text, bundle=loaded, benefit=None, now=NOW, history_lookup=log.history)
            decide_only.append(time.perf_counter() - started)
        rows = log.count()
    finally:
        log.close()
    task.done()
    if refused:
        raise RuntimeError(f"{refused} benchmark scans were refused")

    stats = summary_ms(timings)
    out.add("p99 per scan", stats["p99_ms"], "ms", TARGET_P99_MS, "<")
    out.add("p50 per scan", stats["p50_ms"], "ms")
    out.add("max per scan", stats["max_ms"], "ms")
    out.add("scans per second (one after another)", round(len(timings) / sum(timings)), "/s")
    fs = fs_type(folder)
    decide_p50 = percentile(decide_only, 50) * 1000
    out.details = {
        "with_write": stats,
        "decide_only_same_log": summary_ms(decide_only),
        "filesystem": fs,
        "rows_in_log": rows,
    }
    out.notes.append(
        f"Log on {fs} ({folder.parent}). Of the {stats['p50_ms']:.2f} ms median, the decision "
        f"with its history query is {decide_p50:.2f} ms; the rest is the WAL commit and fsync."
    )
    if stats["p99_ms"] < TARGET_P99_MS / 2:
        out.notes.append(
            f"A harder target: p99 < {max(2, round(stats['p99_ms'] * 1.5))} ms. The tail "
            "follows the disk's fsync latency (here a shared virtual disk), not the code."
        )
    elif stats["p99_ms"] < TARGET_P99_MS:
        out.notes.append(
            f"Passes with {TARGET_P99_MS - stats['p99_ms']:.1f} ms to spare; the tail follows "
            "the disk's fsync latency (a shared virtual disk here), not the code, so it "
            "moves with the neighbours' I/O."
        )
    else:
        out.notes.append(
            f"Missed by {stats['p99_ms'] - TARGET_P99_MS:.1f} ms: the tail is fsync on a "
            "shared virtual disk; synchronous=NORMAL in WAL mode would skip the per-commit "
            "fsync but lose the last scans on power loss, which the design forbids."
        )
    return out
