"""Store a device's batch of redemption records exactly once, with the work that follows.

A batch is all or nothing: every record is checked first, and one bad record refuses
the whole batch with a problem naming each bad record by index, so nothing is ever
half-written. A batch sent twice (the device did not hear the first answer) is stored
once: on SQLite the insert is one ``INSERT … ON CONFLICT (uuid) DO NOTHING``
(:mod:`huicui.db.bulk`); on PostgreSQL the whole upload is one statement, a plain INSERT
first and that form again only when the batch repeats a stored uuid (docs/sync.md).
Telling the plugins and misuse detection is not done here: an outbox row written in the
same transaction (statement) carries it past the answer (:mod:`huicui.sync.outbox`).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid as uuidlib

import msgspec
from huicui_verifier.records import MAX_BATCH, RedemptionRecord, SyncRequest, SyncResponse
from piccolo.engine.finder import engine_finder

from huicui.auth import Principal
from huicui.context import Context
from huicui.db import is_postgres, one_connection
from huicui.db.bulk import IN_CHUNK, Params, fetch, insert_rows, is_unique_violation
from huicui.errors import HuicuiError, InvalidInput
from huicui.sync import outbox
from huicui.sync.tables import Redemption

_CTI = re.compile(r"^[0-9a-f]{16}$")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REASON = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
EARLIEST = int(dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp())
# A device clock may run ahead; a day ahead is a broken clock, not drift.
FUTURE_TOLERANCE_S = 24 * 3600
MAX_COMPANIONS = 99

# Benefit numbers a device may upload: 0 (none was chosen, e.g. a revoked card) or a
# code; wider than today's codes so a device with a newer bundle is never refused.
MAX_RECORD_BENEFIT = 10_000


class BatchTooLarge(HuicuiError):
    status = 413
    code = "batch_too_large"


def canonical_uuid(text: str) -> str:
    """``text`` as the lower-case hyphenated UUID stored; raises ValueError if not a UUID.

    Devices send that form already: a match is the answer without building a UUID.
    """
    if _CANONICAL_UUID.fullmatch(text):
        return text
    return str(uuidlib.UUID(text))


def record_problems(record: RedemptionRecord, venue_id: int, now_ts: int) -> list[str]:
    """Every rule ``record`` breaks (English), given the uploading device's venue."""
    found = []
    try:
        canonical_uuid(record.uuid)
    except (ValueError, AttributeError, TypeError):
        found.append("uuid: not a UUID")
    if not _CTI.match(record.cti):
        found.append("cti: must be 16 lower-case hex digits")
    if not 0 <= record.benefit <= MAX_RECORD_BENEFIT:
        found.append(f"benefit: must be a benefit code 0..{MAX_RECORD_BENEFIT}")
    if record.venue != venue_id:
        found.append(f"venue: {record.venue} is not this device's venue {venue_id}")
    if record.at < EARLIEST:
        found.append("at: before 2020, the device clock is wrong")
    elif record.at > now_ts + FUTURE_TOLERANCE_S:
        found.append("at: more than a day in the future, the device clock is wrong")
    if not _REASON.match(record.reason):
        found.append("reason: must be a reason code such as ok or limit_reached")
    if not 0 <= record.companions <= MAX_COMPANIONS:
        found.append(f"companions: must be 0..{MAX_COMPANIONS}")
    if record.bundle_version < 0:
        found.append("bundle_version: must not be negative")
    return found


def check_batch(request: SyncRequest, venue_id: int, now_ts: int) -> None:
    """Raise 413 for an oversized batch, 422 naming every bad record; else return."""
    count = len(request.records)
    if count > MAX_BATCH:
        raise BatchTooLarge(
            f"一次最多上传 {MAX_BATCH} 条记录，本次 {count} 条",
            f"a batch holds at most {MAX_BATCH} records, got {count}",
            max_batch=MAX_BATCH,
            received=count,
        )
    bad = []
    for index, record in enumerate(request.records):
        problems = record_problems(record, venue_id, now_ts)
        if problems:
            bad.append({"index": index, "uuid": record.uuid[:64], "problems": problems})
    if bad:
        listed = ", ".join(str(b["index"]) for b in bad[:20])
        raise InvalidInput(
            f"第 {listed} 条记录无效，整批未保存",
            f"records {listed} are invalid; nothing of this batch was stored",
            records=bad,
        )


async def _lookups(venue_id: int, ctis: set[str]) -> tuple[int, dict[str, int | None]]:
    """The venue's partner and cti → membership id, in one query for a whole batch.

    ``check_batch`` already made every cti 16 lower-case hex digits, the form stored.
    An unknown cti (forged or foreign card) maps to None: its record is still stored,
    since its refusal is evidence. The venue row drives the query (certificates are
    LEFT JOINed), so the partner comes back even when no cti is known.
    """
    out: dict[str, int | None] = dict.fromkeys(ctis)
    wanted = sorted(ctis)
    partner_id: int | None = None
    for start in range(0, len(wanted), IN_CHUNK):
        p = Params()
        # In the order they appear in the text (SQLite's ``?`` are positional).
        listed = p.many(wanted[start : start + IN_CHUNK])
        venue = p(venue_id)
        # Only placeholders are interpolated; the values are parameters.
        sql = (
            'SELECT v."partner", c."cti", c."membership" FROM "venue" v '  # noqa: S608
            f'LEFT JOIN "certificate" c ON c."cti" IN ({listed}) WHERE v."id" = {venue}'
        )
        for row in await fetch(sql, p):
            partner_id = row["partner"]
            if row["cti"] is not None:
                out[row["cti"]] = row["membership"]
    assert partner_id is not None  # a device's venue is never deleted
    return partner_id, out


async def ingest(
    ctx: Context, device: Principal, request: SyncRequest, now: dt.datetime | None = None
) -> SyncResponse:
    """Check and store (once per uuid) a device's batch; answers the counts.

    The records, the device's sync time and the outbox row that will tell the plugins
    and misuse detection commit together (:mod:`huicui.sync.outbox`); that work runs
    after the answer.
    """
    now = now or dt.datetime.now(dt.UTC)
    venue_id = device.venue_id
    assert venue_id is not None  # device principals always carry their venue
    check_batch(request, venue_id, int(now.timestamp()))
    records = request.records
    if not records:
        await _seen(device.id, now)
        return SyncResponse(received=0, new=0, known=0)
    canonical = [canonical_uuid(r.uuid) for r in records]
    engine = engine_finder()
    # PostgreSQL: first as a plain INSERT. ON CONFLICT checks the uuid index for each row
    # before inserting it and again while inserting (a speculative insertion), where a
    # plain INSERT checks once: about 15% of the batch's time on the server. A batch
    # sent before (rare: the device did not hear the answer) fails on the unique index,
    # rolls back whole, and goes again skipping what is stored. Not inside a caller's
    # transaction, which the failure would abort; not on SQLite, where DO NOTHING costs
    # nothing more.
    first_try_plain = is_postgres(engine) and engine.current_transaction.get() is None
    try:
        new_ids = await _write(
            device.id, venue_id, records, canonical, now, skip_known=not first_try_plain
        )
    except Exception as exc:
        if not (first_try_plain and is_unique_violation(exc)):
            raise
        new_ids = await _write(device.id, venue_id, records, canonical, now, skip_known=True)
    if new_ids and ctx.outbox is not None:
        ctx.outbox.wake()
    return SyncResponse(received=len(records), new=len(new_ids), known=len(records) - len(new_ids))


async def _write(
    device_id: int,
    venue_id: int,
    records: list[RedemptionRecord],
    canonical: list[str],
    now: dt.datetime,
    *,
    skip_known: bool,
) -> list[int]:
    """One transaction: the lookups, the records, the device's sync time and the outbox
    row; returns the ids stored. Without ``skip_known`` a stored uuid fails it whole."""
    # One transaction for the lookups and the writes: fewer round trips; on SQLite the
    # writers of this process queue on a lock meanwhile, not in SQLite's busy wait.
    if is_postgres(engine_finder()):
        first: dict[str, RedemptionRecord] = {}
        for key, r in zip(canonical, records, strict=True):
            first.setdefault(key, r)  # a uuid repeated inside one batch is one record
        return await _write_pg(device_id, venue_id, first, now, skip_known)
    async with one_connection(write=True):
        partner_id, memberships = await _lookups(venue_id, {r.cti for r in records})
        new_ids = await _store(
            device_id, venue_id, partner_id, memberships, records, canonical, now, skip_known
        )
        await _seen(device_id, now)
        if new_ids:
            await outbox.enqueue(device_id, venue_id, partner_id, new_ids, now)
    return new_ids


async def _seen(device_id: int, now: dt.datetime) -> None:
    """Record the device's sync (written out: Piccolo's update costs more Python)."""
    p = Params()
    # Only placeholders are interpolated (one per use: SQLite's ``?`` are positional).
    sql = (
        f'UPDATE "device" SET "last_sync_at" = {p(now)}, "last_seen_at" = {p(now)} '  # noqa: S608
        f'WHERE "id" = {p(device_id)}'
    )
    await fetch(sql, p)


# PostgreSQL: the whole upload as one statement, so one round trip and no BEGIN or
# COMMIT of its own (a statement is atomic by itself). Its parts: the device's sync
# time; the records, read from one JSON array of arrays [uuid, cti, benefit, at (epoch
# seconds), decision, reason, companions, bundle_version], each with the membership of
# its certificate (none for an unknown card) and the venue's partner; and the outbox
# row naming the ids written, only when some were. Every data-modifying part of a WITH
# runs once and to completion whether or not the query reads it. Under load each round
# trip waits for the server process to be scheduled: the four of the transaction it
# replaces cost more than the database's work on them.
_PG_UPLOAD = """
WITH seen AS (
  UPDATE "device" SET "last_sync_at" = $2, "last_seen_at" = $2 WHERE "id" = $3
), place AS (
  SELECT "partner" FROM "venue" WHERE "id" = $4
), stored AS (
  INSERT INTO "redemption" ("uuid", "device", "venue", "partner", "certificate_id",
    "membership_id", "benefit", "at", "decision", "reason", "companions",
    "bundle_version", "received_at")
  SELECT r->>0, $3, $4, place."partner", r->>1, c."membership", (r->>2)::integer,
    to_timestamp((r->>3)::bigint), r->>4, r->>5, (r->>6)::integer, (r->>7)::integer, $2
  FROM jsonb_array_elements($1::jsonb) AS r CROSS JOIN place
  LEFT JOIN "certificate" c ON c."cti" = r->>1
  {conflict}RETURNING "id"
), told AS (
  INSERT INTO "sync_outbox" ("device", "venue", "partner", "redemption_ids", "created_at",
    "due_at", "delivered", "failures")
  SELECT $3, $4, (SELECT "partner" FROM place),
    '[' || string_agg("id"::text, ',' ORDER BY "id") || ']', $2, $2, '[]', '{{}}'
  FROM stored HAVING count(*) > 0
)
SELECT "id" FROM stored
"""
_PG_PLAIN = _PG_UPLOAD.format(conflict="")
_PG_SKIP_KNOWN = _PG_UPLOAD.format(conflict='ON CONFLICT ("uuid") DO NOTHING\n  ')
_rows_json = msgspec.json.Encoder()


async def _write_pg(
    device_id: int, venue_id: int, by_uuid: dict[str, RedemptionRecord], now: dt.datetime,
    skip_known: bool,
) -> list[int]:
    rows = [
        (key, r.cti, r.benefit, r.at, r.decision, r.reason, r.companions, r.bundle_version)
        for key, r in by_uuid.items()
    ]
    p = Params()
    for value in (_rows_json.encode(rows).decode(), now, device_id, venue_id):
        p(value)  # $1 … $4, in this order
    found = await fetch(_PG_SKIP_KNOWN if skip_known else _PG_PLAIN, p)
    return [row["id"] for row in found]


async def _store(
    device_id: int,
    venue_id: int,
    partner_id: int,
    memberships: dict[str, int | None],
    records: list[RedemptionRecord],
    canonical: list[str],
    now: dt.datetime,
    skip_known: bool,
) -> list[int]:
    rows: dict[str, dict] = {}
    for key, r in zip(canonical, records, strict=True):
        if key in rows:
            continue  # a uuid repeated inside one batch is one record
        rows[key] = {
            "uuid": key,
            "device": device_id,
            "venue": venue_id,
            "partner": partner_id,
            "certificate_id": r.cti,
            "membership_id": memberships[r.cti],
            "benefit": r.benefit,
            "at": dt.datetime.fromtimestamp(r.at, dt.UTC),
            "decision": r.decision,
            "reason": r.reason,
            "companions": r.companions,
            "bundle_version": r.bundle_version,
            "received_at": now,
        }
    # No read first: records stored before (a retried batch, or a retry racing its
    # original) are skipped by DO NOTHING, and RETURNING names only what this one wrote.
    inserted = await insert_rows(
        Redemption,
        list(rows.values()),
        on_conflict_do_nothing="uuid" if skip_known else None,
        returning="id",
    )
    return [row["id"] for row in inserted]
