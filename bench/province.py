"""10. Province simulation: 100,000 venues, 1,000,000 revocations, then 1,000 more.

The venues and the revocations are **generated directly in the database** (one
``executemany`` on SQLite, ``COPY`` on PostgreSQL): going through the API would take
hours for a million certificates. Everything after that is the service's own code: the
1,000 new revocations go through ``huicui.issuance.certificates.revoke`` (update and
audit event, as the API does), the change is published by the running
``BundleService.refresh`` into a folder, and a device catches up from that folder with
``huicui_verifier.catchup.catch_up`` — the very code a verifier runs.

Measured, per database where the figure depends on it:

* server CPU time to publish the change (the service process, plus the PostgreSQL
  backends' CPU read from ``/proc`` on PostgreSQL); goal ≤ 1 s in total;
* bytes a device downloads to catch up after the change (goal ≤ 10 KB) and when nothing
  changed (goal ≤ 512 bytes), through the published folder and through HTTP;
* device time to verify and apply the 1,000-entry delta to the million-entry list;
* the poll rate (``304``) of ``GET /api/v1/bundle`` with a device token and of the
  public ``GET /bundle/heartbeat.cbor``, as a ratio of a bare Litestar route served the
  same way and measured with ``wrk`` in the same run (goal ≥ 0.5).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchlib import (
    BENCH_DIR,
    Bench,
    Outcome,
    child_env,
    child_progress,
    median,
    profile_breakdown,
    run_child,
    shares_text,
)

NAME = "province"
TITLE = "Province: 100,000 venues, 1,000,000 revocations, then 1,000 revocations added"
PUBLISH_GOAL_S = 1.0
CATCHUP_GOAL_B = 10 * 1024
UNCHANGED_GOAL_B = 512
POLL_GOAL = 0.5
WRK_CONNECTIONS = 8
REASON = "省级演练 / province drill"

# --- inside the child: data ---------------------------------------------------------------


def _ctis(count: int, rng: random.Random) -> list[str]:
    found: set[str] = set()
    while len(found) < count:
        found.update(f"{rng.getrandbits(64):016x}" for _ in range(count - len(found)))
    return list(found)


def _rows(venues: int, revoked: int, spare: int, kinds: list[tuple[str, list[int]]], kid: str):
    """Partners, venues and certificates as plain tuples (the generated province)."""
    rng = random.Random(11)
    now = dt.datetime.now(dt.UTC)
    now_ts = int(now.timestamp())
    partners = [(f"合作方{i:03d}",) for i in range(1, 101)]
    venue_rows = []
    for i in range(venues):
        kind, codes = kinds[i % len(kinds)]
        # One venue a second, as the service's own writes stamp them (to the microsecond):
        # the publisher finds changed venues by updated_at.
        made = now - dt.timedelta(seconds=venues - i)
        venue_rows.append(
            (
                1 + i % 100,
                f"场馆{i:06d}",
                f"Venue {i:06d}",
                kind,
                f"[{','.join(map(str, codes))}]",
                made,
                made,
            )
        )
    ctis = _ctis(revoked + spare, rng)
    certs = []
    for i, cti in enumerate(ctis):
        active = i >= revoked
        certs.append(
            (
                cti,
                1 + i % 1000,
                1 + i % 1000,
                kid,
                now_ts - rng.randint(1, 700) * 86400,
                now_ts + rng.randint(30, 1095) * 86400,
                "active" if active else "revoked",
                None if active else now - dt.timedelta(days=1),
                "" if active else REASON,
            )
        )
    return partners, venue_rows, certs


CERT_COLUMNS = ("cti", "membership", "identity", "kid", "iat", "exp", "status", "revoked_at")


async def _generate(ctx, venues: int, revoked: int, spare: int) -> list[str]:
    """Write the province straight into the database; returns the active ctis to revoke."""
    from huicui.issuance.keys import issuer_keys

    kinds: dict[str, list[int]] = {}
    for b in ctx.plugins.benefits():
        for k in b.venue_kinds:
            kinds.setdefault(k, []).append(b.code)
    kid = (await issuer_keys())[0].kid.hex()
    partners, venue_rows, certs = _rows(venues, revoked, spare, sorted(kinds.items()), kid)
    people = [(f"演练{i:04d}", "bench") for i in range(1000)]
    url = os.environ["HUICUI_DATABASE_URL"]
    child_progress(0, 1, "writing the province into the database")
    certs_out = [c[:8] for c in certs]
    reasons = [c[8] for c in certs]
    if url.startswith("sqlite"):
        import sqlite3

        import piccolo.engine.sqlite  # noqa: F401 - registers the datetime adapters Piccolo reads

        con = sqlite3.connect(url.split("sqlite:///", 1)[1])
        with con:
            con.executemany('INSERT INTO partner ("name_zh") VALUES (?)', partners)
            con.executemany(
                'INSERT INTO venue ("partner","name_zh","name_en","kind","benefits",'
                '"created_at","updated_at") VALUES (?,?,?,?,?,?,?)',
                venue_rows,
            )
            con.executemany('INSERT INTO identity ("display_name","source") VALUES (?,?)', people)
            con.executemany(
                'INSERT INTO membership ("identity","directory","state") VALUES (?,1,?)',
                [(i, "approved") for i in range(1, 1001)],
            )
            con.executemany(
                f'INSERT INTO certificate ({",".join(CERT_COLUMNS)},"revoke_reason") '
                "VALUES (?,?,?,?,?,?,?,?,?)",
                [(*c, r) for c, r in zip(certs_out, reasons, strict=True)],
            )
        con.close()
    else:
        import asyncpg

        con = await asyncpg.connect(url)
        try:
            async with con.transaction():
                await con.copy_records_to_table("partner", records=partners, columns=["name_zh"])
                await con.copy_records_to_table(
                    "venue",
                    records=venue_rows,
                    columns=[
                        "partner",
                        "name_zh",
                        "name_en",
                        "kind",
                        "benefits",
                        "created_at",
                        "updated_at",
                    ],
                )
                await con.copy_records_to_table(
                    "identity", records=people, columns=["display_name", "source"]
                )
                await con.copy_records_to_table(
                    "membership",
                    records=[(i, 1, "approved") for i in range(1, 1001)],
                    columns=["identity", "directory", "state"],
                )
                await con.copy_records_to_table(
                    "certificate",
                    records=[(*c, r) for c, r in zip(certs_out, reasons, strict=True)],
                    columns=[*CERT_COLUMNS, "revoke_reason"],
                )
            await con.execute("ANALYZE")
        finally:
            await con.close()
    return [c[0] for c in certs[revoked:]]


async def _backend_cpu(url: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving this database, from
    ``/proc`` (0 on SQLite, where the database works inside the service's process)."""
    if url.startswith("sqlite"):
        return 0.0
    import asyncpg

    con = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        rows = await con.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", url.rsplit("/", 1)[1]
        )
    finally:
        await con.close()
    ticks = 0
    for row in rows:
        try:
            fields = Path(f"/proc/{row['pid']}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, PermissionError):
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


async def _revoke_all(ctx, ctis: list[str]) -> float:
    from huicui.issuance.certificates import revoke
    from servicekit import bench_principal

    actor = bench_principal()
    started = time.perf_counter()
    for i, cti in enumerate(ctis):
        await revoke(ctx, actor, cti, REASON)
        if i % 100 == 0:
            child_progress(i, len(ctis), "revoking through the service")
    return time.perf_counter() - started


async def _publish_measured(service, url: str) -> dict:
    cpu0, wall0, db0 = time.process_time(), time.perf_counter(), await _backend_cpu(url)
    published = await service.refresh()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    db = await _backend_cpu(url) - db0
    return {
        "cpu_s": cpu,
        "db_cpu_s": db,
        "wall_s": wall,
        "publisher_cpu_s": published.cpu_seconds,
        "version": published.version,
        "files": published.files,
        "delta_bytes": published.delta_bytes,
        "snapshot_bytes": published.snapshot_bytes,
        "heartbeat_bytes": published.heartbeat_bytes,
        "profiles_written": published.profiles_written,
    }


def _device_enroll(folder: Path, venue: int, now: dt.datetime):
    from huicui_verifier.catchup import DirectorySource, catch_up, profile_name

    return catch_up(
        DirectorySource(folder),
        held=None,
        pinned_key=None,
        program=None,
        venue=venue,
        profile_file=profile_name(venue),
        now=now,
    )


def _device_follow(folder: Path, venue: int, now: dt.datetime, state) -> tuple:
    """Catch up from ``state`` (a previous CatchUp's result, merged); returns (out, secs)."""
    from huicui_verifier.catchup import DirectorySource, catch_up, profile_name

    started = time.perf_counter()
    out = catch_up(
        DirectorySource(folder),
        held=state["held"],
        pinned_key=state["key"],
        program=state["held"].snapshot.program,
        venue=venue,
        profile_file=profile_name(venue),
        now=now,
        heartbeat_etag=state["beat_etag"],
        profile_etag=state["profile_etag"],
    )
    return out, time.perf_counter() - started


def _merge(state: dict, out) -> dict:
    return {
        "held": out.held or state.get("held"),
        "key": out.pinned_key or state.get("key"),
        "beat_etag": out.heartbeat_etag or state.get("beat_etag"),
        "profile_etag": out.profile_etag or state.get("profile_etag"),
    }


def _apply_times(folder: Path, before, key: bytes, rounds: int) -> dict:
    """Device time for the delta alone: verify its signature, apply, check to_hash."""
    from huicui_verifier.bundle import open_file
    from huicui_verifier.catchup import delta_name
    from huicui_verifier.delta import apply

    data = (folder / delta_name(before.hash)).read_bytes()
    verify, applying = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        delta = open_file(data, "delta", pinned_key=key).payload
        t1 = time.perf_counter()
        apply(before.obj, before.hash, delta, revoked=before.revoked)
        t2 = time.perf_counter()
        verify.append(t1 - t0)
        applying.append(t2 - t1)
    return {
        "verify_ms": median(verify) * 1000,
        "apply_ms": median(applying) * 1000,
        "added": len(delta.revoked.add) // 8,
        "held_ids": len(before.revoked),
    }


async def child(venues: int, revoked: int, added: int, device: bool, profile: bool) -> dict:
    """In the child: generate, publish, revoke ``added`` through the service, publish the
    change (measured), and let a device catch up from the folder."""
    from huicui.bundles.builder import bundle_service
    from servicekit import fresh_service, make_device, service_pool

    url = os.environ["HUICUI_DATABASE_URL"]
    folder = Path(os.environ["HUICUI_BUNDLE_PUBLISH_DIR"])
    ctx = await fresh_service()
    result: dict = {}
    async with service_pool(ctx):
        principal, token = await make_device(ctx)
        result["token"], result["venue_id"] = token, principal.venue_id
        started = time.perf_counter()
        spare = await _generate(ctx, venues, revoked, added * (2 if profile else 1))
        result["generate_s"] = time.perf_counter() - started
        service = bundle_service(ctx)
        child_progress(0, 1, f"first publish ({venues:,} venue profiles)")
        result["first"] = await _publish_measured(service, url)
        now = dt.datetime.now(dt.UTC)
        state = None
        if device:
            enrolled = _device_enroll(folder, principal.venue_id, now)
            state = _merge({}, enrolled)
            result["enroll_bytes"] = enrolled.transferred
        result["revoke_s"] = await _revoke_all(ctx, spare[:added])
        child_progress(0, 1, "publishing the change")
        result["change"] = await _publish_measured(service, url)
        if device and state is not None:
            before = state["held"]
            out, secs = _device_follow(folder, principal.venue_id, now, state)
            result["catchup"] = {
                "bytes": out.transferred,
                "files": out.files,
                "deltas": out.deltas,
                "snapshot_taken": out.snapshot_taken,
                "seconds": secs,
                "version": out.held.snapshot.version if out.held else None,
                "held_ids": len(out.held.revoked) if out.held else None,
            }
            state = _merge(state, out)
            again, secs = _device_follow(folder, principal.venue_id, now, state)
            result["unchanged"] = {"bytes": again.transferred, "files": again.files}
            result["apply"] = _apply_times(folder, before, state["key"], rounds=5)
        if profile:
            import cProfile

            await _revoke_all(ctx, spare[added:])
            profiler = cProfile.Profile()
            profiler.enable()
            published = await service.refresh()
            profiler.disable()
            result["profile"] = profile_breakdown(profiler, top=8)
            result["profiled_cpu_s"] = published.cpu_seconds
    return result


# --- in the parent: HTTP ------------------------------------------------------------------

BARE_APP = "bare_app:app"


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def _wrk(port: int, path: str, headers: dict[str, str], seconds: int) -> dict:
    """``wrk`` pinned to one core, 8 connections; requests/s and non-2xx/3xx count."""
    cmd = ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        cmd = ["taskset", "-c", "1", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    if not rps:
        raise RuntimeError(f"wrk gave no rate: {out[-500:]}")
    p99_ms = None
    if p99:
        p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return {"rps": float(rps.group(1)), "errors": int(bad.group(1)) if bad else 0, "p99_ms": p99_ms}


def _http_round(bench: Bench, env: dict, made: dict, seconds: int) -> dict:
    """Serve the province database and a bare route; wrk both; a device over HTTP."""
    from http_load import _free_port, _start_uvicorn, _stop, _wait_healthy
    from huicui_verifier.catchup import catch_up
    from huicui_verifier.sync import HttpSource

    port, bare_port = _free_port(), _free_port()
    service, slog = _start_uvicorn(
        bench, ["--factory", "huicui.app:app_factory"], env, port, f"uvicorn-{port}.log", BENCH_DIR
    )
    bare, blog = _start_uvicorn(bench, [BARE_APP], env, bare_port, f"bare-{port}.log", BENCH_DIR)
    got: dict = {}
    try:
        _wait_healthy(port, service, 120)
        _wait_healthy(bare_port, bare, 120, "/ping")
        token = {"Authorization": f"Bearer {made['token']}"}
        status, head, _ = _get(port, "/api/v1/bundle", token)
        if status != 200:
            raise RuntimeError(f"GET /api/v1/bundle answered {status}")
        api_etag = head["etag"]
        status, head, _ = _get(port, "/bundle/heartbeat.cbor", {})
        static_etag = head.get("etag") if status == 200 else None
        for path, hdrs, want in (
            ("/api/v1/bundle", {**token, "If-None-Match": api_etag}, 304),
            ("/bundle/heartbeat.cbor", {"If-None-Match": static_etag or ""}, 304),
        ):
            status, _, _ = _get(port, path, hdrs)
            if status != want and not (path.startswith("/bundle/") and static_etag is None):
                raise RuntimeError(f"{path} with If-None-Match answered {status}, not {want}")
        cases = {"bare_1": ("bare", "/ping", {})}
        cases["api"] = ("service", "/api/v1/bundle", {**token, "If-None-Match": api_etag})
        # The same poll with a query string skips the no-change shortcut
        # (huicui.bundles.poll): what Litestar's full path costs, for comparison.
        cases["api_full"] = (
            "service",
            "/api/v1/bundle?path=full",
            {**token, "If-None-Match": api_etag},
        )
        if static_etag:
            cases["static"] = ("service", "/bundle/heartbeat.cbor", {"If-None-Match": static_etag})
        cases["bare_2"] = ("bare", "/ping", {})
        for name, (which, path, hdrs) in cases.items():
            got[name] = _wrk(bare_port if which == "bare" else port, path, hdrs, seconds)
        # A device over HTTP: first the whole snapshot, then a poll with nothing changed.
        now = dt.datetime.now(dt.UTC)
        for label, base, tok, prof in (
            (
                "static",
                f"http://127.0.0.1:{port}/bundle/",
                None,
                f"profile/{made['venue_id']}.cbor",
            ),
            ("api", f"http://127.0.0.1:{port}/api/v1/bundle/", made["token"], "profile.cbor"),
        ):
            source = HttpSource(base, tok)
            first = catch_up(
                source,
                held=None,
                pinned_key=None,
                program=None,
                venue=made["venue_id"],
                profile_file=prof,
                now=now,
            )
            again = catch_up(
                source,
                held=first.held,
                pinned_key=first.pinned_key,
                program=first.held.snapshot.program,
                venue=made["venue_id"],
                profile_file=prof,
                now=now,
                heartbeat_etag=first.heartbeat_etag,
                profile_etag=first.profile_etag,
            )
            got[f"device_{label}"] = {
                "first_bytes": first.transferred,
                "unchanged_bytes": again.transferred,
                "unchanged_files": again.files,
            }
    finally:
        for proc, log in ((service, slog), (bare, blog)):
            _stop(proc)
            log.close()
    return got


# --- the measurement ----------------------------------------------------------------------


def _backend_env(bench: Bench, backend: str, url: str | None) -> dict:
    work = bench.tmp / backend
    work.mkdir(exist_ok=True)
    return child_env(
        work,
        url,
        HUICUI_BUNDLE_PUBLISH_DIR=str(work / "published"),
    )


def _one_backend(bench: Bench, backend: str, url: str | None, sizes: dict, seconds: int) -> dict:
    env = _backend_env(bench, backend, url)
    made = run_child(
        bench,
        "province",
        "child",
        {**sizes, "device": backend == "sqlite", "profile": True},
        env,
        label=f"province on {backend}",
        timeout=3600,
    )
    if shutil.which("wrk"):
        made["http"] = _http_round(bench, env, made, seconds)
    else:
        made["http"] = None
    return made


def run(bench: Bench) -> Outcome:
    out = Outcome(NAME, TITLE)
    sizes = {
        "venues": bench.size(100_000, 2_000),
        "revoked": bench.size(1_000_000, 20_000),
        "added": bench.size(1_000, 200),
    }
    seconds = bench.size(10, 3)
    results: dict[str, dict] = {}
    results["sqlite"] = _one_backend(bench, "sqlite", None, sizes, seconds)
    from servicekit import pg_create, pg_drop

    try:
        pg_name, pg_url = asyncio.run(pg_create())
    except Exception as exc:  # no server here: the report says so
        pg_name, pg_reason = None, f"PostgreSQL not reachable at 127.0.0.1:5432 ({exc!r})"
    if pg_name:
        try:
            results["postgres"] = _one_backend(bench, "postgres", pg_url, sizes, seconds)
        finally:
            asyncio.run(pg_drop(pg_name))
    _report(out, results, sizes, None if pg_name else pg_reason)
    return out


def _label(backend: str) -> str:
    return "SQLite" if backend == "sqlite" else "PostgreSQL"


def _report(out: Outcome, results: dict, sizes: dict, pg_missing: str | None) -> None:
    added = sizes["added"]
    for backend, got in results.items():
        change = got["change"]
        total = change["cpu_s"] + change["db_cpu_s"]
        extra = f" + PostgreSQL backends {change['db_cpu_s']:.2f} s" if backend != "sqlite" else ""
        out.add(
            f"{_label(backend)}: server CPU to publish {added:,} new revocations",
            round(total, 3),
            "s",
            PUBLISH_GOAL_S,
            "<=",
            f"service process {change['cpu_s']:.2f} s{extra}; wall {change['wall_s']:.2f} s; "
            f"files {', '.join(change['files'][:3])}",
        )
    if pg_missing:
        out.add("PostgreSQL: server CPU to publish", f"not measured: {pg_missing}")
    sq = results["sqlite"]
    if "catchup" in sq:
        cu, un = sq["catchup"], sq["unchanged"]
        out.add(
            f"Device catch-up after {added:,} revocations (from the published folder)",
            cu["bytes"],
            "B",
            CATCHUP_GOAL_B,
            "<=",
            f"{cu['deltas']} delta(s), snapshot taken: {cu['snapshot_taken']}; "
            f"{', '.join(cu['files'])}",
        )
        out.add(
            "Device catch-up when nothing changed (from the published folder)",
            un["bytes"],
            "B",
            UNCHANGED_GOAL_B,
            "<=",
            ", ".join(un["files"]),
        )
        ap = sq["apply"]
        out.add(
            f"Device: verify + apply a {ap['added']:,}-entry delta to a "
            f"{ap['held_ids']:,}-entry list",
            round(ap["verify_ms"] + ap["apply_ms"], 1),
            "ms",
            note=f"signature {ap['verify_ms']:.1f} ms, apply and check to_hash "
            f"{ap['apply_ms']:.1f} ms (median of 5); the whole catch-up took "
            f"{cu['seconds'] * 1000:.0f} ms",
        )
    for backend, got in results.items():
        http = got.get("http")
        if not http:
            out.add(f"{_label(backend)}: poll rate", "not measured: wrk is not installed")
            continue
        bare = (http["bare_1"]["rps"] + http["bare_2"]["rps"]) / 2
        for case, title, goal in (
            ("api", "GET /api/v1/bundle, device token, 304", POLL_GOAL),
            ("static", "GET /bundle/heartbeat.cbor, public, 304", POLL_GOAL),
            ("api_full", "the same device poll through Litestar's full path (extra)", None),
        ):
            if case not in http:
                out.add(f"{_label(backend)}: {title}", "not measured: not served")
                continue
            rate = http[case]["rps"]
            errors = http[case]["errors"]
            out.add(
                f"{_label(backend)}: {title}, ratio to a bare Litestar route",
                round(rate / bare, 2),
                "×",
                goal,
                ">=" if goal else "",
                f"{rate:,.0f}/s against {bare:,.0f}/s (bare, mean of before and after); "
                f"p99 {http[case]['p99_ms']:.1f} ms"
                + (f"; {errors} answers not 2xx/3xx" if errors else ""),
            )
        if backend == "sqlite":
            for label in ("static", "api"):
                dev = http.get(f"device_{label}")
                if dev:
                    out.add(
                        f"Device poll over HTTP ({label} path) when nothing changed: on the wire",
                        dev["unchanged_bytes"],
                        "B",
                        UNCHANGED_GOAL_B,
                        "<=",
                        "status lines and headers of " + ", ".join(dev["unchanged_files"]),
                    )
    out.details = {
        backend: {k: v for k, v in got.items() if k not in ("token",)}
        for backend, got in results.items()
    }
    out.notes.append(
        f"The {sizes['venues']:,} venues and {sizes['revoked']:,} revoked certificates are "
        "generated directly in the database (executemany on SQLite, COPY on PostgreSQL); "
        f"the {added:,} new revocations go through the service's revoke() one by one, and "
        "the change is published by the service's BundleService.refresh, which had already "
        "published the first version (so it holds that version in memory, as a running "
        "service does)."
    )
    out.notes.append(
        "The running service reads only the revocations changed since its last read "
        "(certificate.revoked_at, indexed by migration issuance_0003; expiries by exp) and "
        "hands the publisher the ids added and removed, so neither the million-row read "
        "nor a million-id diff is repeated per change; a whole read runs at start, on "
        "force and every hour (builder.FULL_READ_SECONDS). Before this, publishing 1,000 "
        "revocations cost 4.1 s CPU on SQLite (full read 46%, list diff 20% of the time)."
    )
    for backend, got in results.items():
        first = got["first"]
        out.notes.append(
            f"{_label(backend)}: generating took {got['generate_s']:.0f} s; the first publish "
            f"({first['profiles_written']:,} venue profiles, a {first['snapshot_bytes']:,}-byte "
            f"snapshot) took {first['cpu_s'] + first['db_cpu_s']:.1f} s CPU; revoking "
            f"{added:,} through the service took {got['revoke_s']:.1f} s. Profile of a second "
            f"change of {added:,} (self time by library): {shares_text(got['profile'])}; "
            "top cumulative: "
            + ", ".join(
                f"{t['function']} {t['share']:.0%}" for t in got["profile"]["top_cumulative"][:6]
            )
            + "."
        )
    out.notes.append(
        "The device poll answered 304 is the no-change shortcut (huicui.bundles.poll, in "
        "front of Litestar's routing, middleware, guard and dependency injection, from the "
        "device-token and heartbeat memories); any refusal and any other request take the "
        "full path. The extra line sends the same poll with a query string, which the "
        "shortcut leaves to the full path: what Litestar's path costs."
    )
    out.notes.append(
        "Poll rates: wrk (one thread pinned to core 1, "
        f"{WRK_CONNECTIONS} connections) against one uvicorn process, the service as "
        "`huicui serve` runs it, and a bare Litestar route (`bench/bare_app.py`) served the "
        "same way, measured before and after the service cases in the same run."
    )


if __name__ == "__main__":
    sys.exit("run through bench/run.py --only province")
