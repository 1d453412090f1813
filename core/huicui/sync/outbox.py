"""The sync outbox: what follows a stored upload, worked off after the device's answer.

An upload's records and one ``sync_outbox`` row naming them are written in one
transaction (:func:`enqueue`, called by :mod:`huicui.sync.ingest`), so a record the
device was told is stored always has work waiting until every listener of
``huicui_redemptions_synced`` — the benefit plugins and the core's misuse detection —
has been told about it. A crash between storing and telling loses nothing.

**Exactly once, by committing the mark with the listener's writes.** A worker takes one
due row in a write transaction (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so any number of
processes share the rows and never take the same one; SQLite: the transaction holds the
database's write lock, the one lease SQLite has). Each listener not yet told runs inside
a savepoint of that transaction, and its name is added to the row's ``delivered`` list
in the same transaction: its own database writes and the mark commit together or not at
all. A process killed mid-way rolls back both, and the next worker tells that listener
again as if for the first time. Effects outside the database (a message sent, a file
written) are at-least-once: a listener doing such things keys them by the records'
``uuid`` (docs/sync.md).

**A failing listener does not hold the others up.** When a listener raises, its savepoint
is rolled back, the error's type (never its message, which may quote a certificate) is
logged with the listener's name and attempt, and that listener alone is retried later
with exponential backoff (5 s, 10 s, 20 s … up to ``sync.retry_max_seconds``); the
others are marked told and never hear of those records again. ``huicui worker --status``
lists what waits and who fails.

Kept in a table rather than a queue server because the transaction with the records
is the point, and both databases give what is needed (SKIP LOCKED on PostgreSQL, the
single writer on SQLite).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from huicui.context import Context
from huicui.db import one_connection
from huicui.db.bulk import Params, fetch, insert_rows
from huicui.plugins.api import RedemptionFact
from huicui.sync.tables import SyncOutbox

log = logging.getLogger("huicui.sync.outbox")
FIRST_RETRY_S = 5.0


class Failure(msgspec.Struct, frozen=True):
    """One listener's failures on one outbox row."""

    attempts: int
    next_at: float  # epoch seconds of the next try
    error: str  # the exception's type name only


class OutboxStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What waits in the outbox (``huicui worker --status``)."""

    rows: int  # uploads not yet told to every listener
    records: int  # records in them
    due: int  # rows a worker may take now
    oldest_age_s: float | None  # how long the oldest row has waited
    failing: dict[str, int]  # listener name → rows on which it failed and waits to retry


def backoff(attempts: int, cap: float) -> float:
    """Seconds before the next try after ``attempts`` failures: 5, 10, 20 … ``cap``."""
    return min(cap, FIRST_RETRY_S * 2 ** max(0, attempts - 1))


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


async def enqueue(
    device_id: int, venue_id: int, partner_id: int, ids: Sequence[int], now: dt.datetime
) -> None:
    """Write the outbox row for newly stored redemption ``ids``.

    Call it inside the transaction that stored them: that is what makes the outbox
    transactional.
    """
    await insert_rows(
        SyncOutbox,
        [
            {
                "device": device_id,
                "venue": venue_id,
                "partner": partner_id,
                "redemption_ids": _json(sorted(ids)),
                "created_at": now,
                "due_at": now,
                "delivered": "[]",
                "failures": "{}",
            }
        ],
    )


async def _claim(now: dt.datetime) -> dict[str, Any] | None:
    """The oldest due row, locked for this transaction; ``None`` when nothing is free."""
    p = Params()
    # Only a placeholder is interpolated.
    sql = (
        'SELECT "id", "redemption_ids", "delivered", "failures" FROM "sync_outbox" '  # noqa: S608
        f'WHERE "due_at" <= {p(now)} ORDER BY "id" LIMIT 1'
    )
    if p.postgres:
        # Rows another worker holds are skipped, not waited for: workers share the rows.
        sql += " FOR UPDATE SKIP LOCKED"
    rows = await fetch(sql, p)
    return rows[0] if rows else None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


async def facts_of(ids: Sequence[int]) -> list[RedemptionFact]:
    """The stored redemptions ``ids`` as listeners are told about them, in stored order."""
    if not ids:
        return []
    p = Params()
    listed = p.one_of(ids)
    # Only placeholders are interpolated; the ids are parameters.
    sql = (
        'SELECT "uuid", "certificate_id", "benefit", "venue", "partner", "device", "at", '  # noqa: S608
        f'"decision", "reason", "companions" FROM "redemption" WHERE "id" {listed} '
        'ORDER BY "id"'
    )
    return [
        RedemptionFact(
            uuid=row["uuid"],
            certificate_id=row["certificate_id"],
            benefit=row["benefit"],
            venue_id=row["venue"],
            partner_id=row["partner"],
            device_id=row["device"],
            at=_aware(row["at"]),
            accepted=row["decision"] == "accept",
            reason=row["reason"],
            companions=row["companions"],
        )
        for row in await fetch(sql, p)
    ]


async def work_one(ctx: Context, now: dt.datetime | None = None) -> bool:
    """Tell the listeners about the oldest due row; ``False`` when no row was free.

    One transaction: the row is locked, each listener not yet told runs in a savepoint,
    and the row is deleted (all told) or updated (who was told, who failed and when to
    try again) before the commit.
    """
    now = now or dt.datetime.now(dt.UTC)
    now_ts = now.timestamp()
    listeners = ctx.plugins.redemption_listeners()
    cap = float(ctx.settings.sync.retry_max_seconds)
    async with one_connection(write=True) as transaction:
        row = await _claim(now)
        if row is None:
            return False
        ids = msgspec.json.decode(row["redemption_ids"], type=list[int])
        delivered = set(msgspec.json.decode(row["delivered"], type=list[str]))
        failures = msgspec.json.decode(row["failures"], type=dict[str, Failure])
        facts: list[RedemptionFact] | None = None
        for name, tell in listeners:
            failed = failures.get(name)
            if name in delivered or (failed is not None and failed.next_at > now_ts):
                continue
            if facts is None:
                facts = await facts_of(ids)
            savepoint = await transaction.savepoint()
            try:
                result = tell(list(facts))
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # a listener may raise anything; the others go on
                await savepoint.rollback_to()
                attempts = (failed.attempts if failed else 0) + 1
                wait = backoff(attempts, cap)
                failures[name] = Failure(attempts, now_ts + wait, type(exc).__name__)
                log.error(
                    "listener %s failed on outbox row %d (%d records), attempt %d: %s; "
                    "retrying in %.0f s",
                    name,
                    row["id"],
                    len(ids),
                    attempts,
                    type(exc).__name__,
                    wait,
                )
            else:
                await savepoint.release()
                delivered.add(name)
                failures.pop(name, None)
        await _finish(row["id"], listeners, delivered, failures, now)
    return True


async def _finish(
    row_id: int,
    listeners: list[tuple[str, Any]],
    delivered: set[str],
    failures: dict[str, Failure],
    now: dt.datetime,
) -> None:
    waiting = [failures[name].next_at for name, _ in listeners if name not in delivered]
    if not waiting:
        await SyncOutbox.delete().where(SyncOutbox.id == row_id)
        return
    await SyncOutbox.update(
        {
            SyncOutbox.delivered: _json(sorted(delivered)),
            SyncOutbox.failures: _json({k: v for k, v in failures.items() if k not in delivered}),
            SyncOutbox.due_at: dt.datetime.fromtimestamp(min(waiting), dt.UTC),
        }
    ).where(SyncOutbox.id == row_id)


async def due_count(now: dt.datetime | None = None) -> int:
    """Rows a worker may take now (held ones included)."""
    now = now or dt.datetime.now(dt.UTC)
    return await SyncOutbox.count().where(SyncOutbox.due_at <= now)


async def drain(ctx: Context, *, limit: int | None = None, wait_s: float = 30.0) -> int:
    """Work rows until none is due; returns how many this call worked.

    Rows other workers hold are waited for (up to ``wait_s``), so when this returns every
    row that was due is told or waiting for a retry. For ``huicui worker --once`` and
    tests.
    """
    worked = 0
    deadline = time.monotonic() + wait_s
    while limit is None or worked < limit:
        if await work_one(ctx):
            worked += 1
            continue
        if await due_count() == 0:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"outbox rows still held by other workers after {wait_s} s")
        await asyncio.sleep(0.02)  # another worker holds the rest: wait for its commit
    return worked


async def status(now: dt.datetime | None = None) -> OutboxStatus:
    """Counts of what waits, and which listeners fail (for ``huicui worker --status``)."""
    now = now or dt.datetime.now(dt.UTC)
    rows = await SyncOutbox.select(
        SyncOutbox.redemption_ids, SyncOutbox.created_at, SyncOutbox.due_at, SyncOutbox.failures
    )
    failing: dict[str, int] = {}
    records = due = 0
    oldest: dt.datetime | None = None
    for row in rows:
        records += len(msgspec.json.decode(row["redemption_ids"], type=list[int]))
        created = _aware(row["created_at"])
        oldest = created if oldest is None or created < oldest else oldest
        if _aware(row["due_at"]) <= now:
            due += 1
        for name in msgspec.json.decode(row["failures"], type=dict[str, Failure]):
            failing[name] = failing.get(name, 0) + 1
    return OutboxStatus(
        rows=len(rows),
        records=records,
        due=due,
        oldest_age_s=(now - oldest).total_seconds() if oldest else None,
        failing=dict(sorted(failing.items())),
    )


class OutboxWorker:
    """Works the outbox in this process until stopped.

    Woken at once when an upload in this process stored records (:meth:`wake`), and
    otherwise looks every ``sync.outbox_poll_seconds`` for rows other processes left
    (or retries that came due). The app's lifespan runs one; ``huicui worker`` runs one
    on its own.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.worked = 0

    def wake(self) -> None:
        """Ask the worker to look now (from the worker's own event loop)."""
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Work rows until :meth:`stop`; errors of the database are logged and waited out."""
        self._wake = asyncio.Event()
        poll = self._ctx.settings.sync.outbox_poll_seconds
        while not self._stopping:
            self._wake.clear()
            try:
                while not self._stopping and await work_one(self._ctx):
                    self.worked += 1
            except Exception as exc:  # the database went away: try again at the next poll
                log.error("outbox worker: %s; trying again in %.1f s", type(exc).__name__, poll)
            if self._stopping:
                break
            try:
                await asyncio.wait_for(self._wake.wait(), poll)
            except TimeoutError:
                pass

    def start(self) -> None:
        """Run in the background of the current event loop."""
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self.run(), name="huicui-outbox")

    async def stop(self, finish_s: float = 5.0) -> None:
        """Stop after the row in hand, then work what is due for up to ``finish_s``."""
        if self._task is None:
            return
        self._stopping = True
        self.wake()
        await self._task
        self._task = None
        deadline = time.monotonic() + finish_s
        try:
            while time.monotonic() < deadline and await work_one(self._ctx):
                self.worked += 1
        except Exception as exc:  # stopping anyway; the rows wait for the next worker
            log.error("outbox worker stopping: %s", type(exc).__name__)
