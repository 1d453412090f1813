"""Device tokens checked from memory: a device's poll or upload opens no database
connection to learn who is calling.

Each service process (each app: :func:`huicui.app.build_context` makes one) keeps the
devices it has seen as token hash → (device id, name, venue, enabled), and the tokens it
found unknown. Staying right while other processes change devices rests on one counter,
the ``device_generation`` row:

- every change to a device's standing (disable, enable, rename) bumps the counter in
  the transaction that makes the change (:func:`bump_generation`);
- the process that makes the change forgets that device at once, so a device disabled
  here is refused by the very next request here;
- every process reads the counter at most once per ``sync.device_check_seconds``
  (default 1 s), on the first request after that time, and forgets every token when it
  moved. So another process refuses a disabled device within that bound (plus the one
  read), tested with two apps on SQLite and PostgreSQL.

Why a counter read, and not PostgreSQL's LISTEN/NOTIFY or a time-to-live per token:
NOTIFY needs a connection held open per process, loses what was sent while it
reconnects, and SQLite has nothing like it; a TTL per token costs a read per device per
TTL (100,000 devices: many reads a second) and still accepts a disabled device for
the whole TTL. One indexed read of a one-row table per process per second serves both
databases, including several processes on one SQLite file (``uvicorn --workers`` or
``huicui serve`` beside ``huicui worker``), since it goes through the database they share.

``last_seen_at`` is written in batches: a request only notes the time in memory, and
:meth:`DeviceTokens.flush_seen` (the app's lifespan runs it every
``sync.seen_flush_seconds`` and at shutdown) writes the devices whose stored time is
older than :data:`SEEN_EVERY` in one statement per 900 devices.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable

import msgspec

from huicui.auth import DEVICE_ROLE, Principal
from huicui.db.bulk import IN_CHUNK, Params, fetch
from huicui.vault import hash_token

log = logging.getLogger("huicui.venues")

# Writing last_seen_at on every poll would turn a thousand polling devices into a
# thousand writes a minute; once per few minutes is enough to see which devices live.
SEEN_EVERY = dt.timedelta(minutes=5)
# Unknown tokens remembered at most (a flood of made-up tokens must not grow memory).
MAX_UNKNOWN = 10_000


class _Device(msgspec.Struct, frozen=True):
    principal: Principal
    enabled: bool


async def read_generation() -> int:
    """The current value of the device change counter (0 before the first change)."""
    rows = await fetch('SELECT "value" FROM "device_generation" WHERE "id" = 1', Params())
    return rows[0]["value"] if rows else 0


async def bump_generation() -> None:
    """Move the device change counter on; call it in the transaction that changes a device."""
    await fetch(
        'INSERT INTO "device_generation" ("id", "value") VALUES (1, 1) '
        'ON CONFLICT ("id") DO UPDATE SET "value" = "device_generation"."value" + 1',
        Params(),
    )


class DeviceTokens:
    """The ``hcd_`` token resolver with its memory; one per app (``ctx.device_tokens``).

    ``clock`` (monotonic seconds) may be replaced by tests to pass the check interval
    without waiting.
    """

    def __init__(self, check_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.check_seconds = check_seconds
        self.clock = clock
        self._known: dict[str, _Device] = {}
        self._unknown: set[str] = set()
        self._generation: int | None = None
        self._checked_at = float("-inf")
        self._seen: dict[int, dt.datetime] = {}
        self._written: dict[int, dt.datetime] = {}

    async def resolve(self, token: str) -> Principal | None:
        """The resolver ``huicui.app`` registers for ``hcd_`` tokens: enabled devices only."""
        return await self.principal(hash_token(token))

    async def principal(self, token_hash: str) -> Principal | None:
        """The enabled device whose token has this SHA-256, or ``None``.

        No database query when the token is known here and the counter was read less
        than ``check_seconds`` ago (the guard of every device route calls this).
        """
        await self._check()
        found = self._known.get(token_hash)
        if found is None:
            if token_hash in self._unknown:
                return None
            found = await self._load(token_hash)
            if found is None:
                return None
        if not found.enabled:
            return None
        self._note_seen(found.principal.id)
        return found.principal

    def remembered(self, token_hash: str) -> Principal | None:
        """The enabled device of this token hash when memory alone may answer, else ``None``.

        Synchronous, no database: the no-change poll (:mod:`huicui.bundles.poll`) calls
        it. ``None`` also when the token is unknown here, disabled, or the counter read
        is due; the caller then takes the full path (:meth:`principal`), which reads
        what is needed and refuses with a problem document.
        """
        if self.clock() - self._checked_at >= self.check_seconds:
            return None
        found = self._known.get(token_hash)
        if found is None or not found.enabled:
            return None
        self._note_seen(found.principal.id)
        return found.principal

    def forget_device(self, device_id: int) -> None:
        """Drop a device changed by this process, so its next request is read afresh."""
        for key in [k for k, v in self._known.items() if v.principal.id == device_id]:
            del self._known[key]

    def _forget_all(self, generation: int) -> None:
        self._known.clear()
        self._unknown.clear()
        self._generation = generation

    async def _check(self) -> None:
        now = self.clock()
        if now - self._checked_at < self.check_seconds:
            return
        # Set first: requests arriving while this read runs use what is known, which is
        # at most check_seconds plus one read old.
        self._checked_at = now
        try:
            generation = await read_generation()
        except BaseException:
            self._checked_at = float("-inf")
            raise
        if generation != self._generation:
            self._forget_all(generation)

    async def _load(self, token_hash: str) -> _Device | None:
        p = Params()
        # The counter in the same statement, so the row and the counter are one snapshot.
        sql = (
            'SELECT "id", "name", "venue", "enabled", '  # noqa: S608 (a placeholder only)
            '(SELECT "value" FROM "device_generation" WHERE "id" = 1) AS "generation" '
            f'FROM "device" WHERE "token_hash" = {p(token_hash)}'
        )
        rows = await fetch(sql, p)
        if not rows:
            if len(self._unknown) >= MAX_UNKNOWN:
                self._unknown.clear()
            self._unknown.add(token_hash)
            return None
        row = rows[0]
        generation = row["generation"] or 0
        found = _Device(
            principal=Principal(
                kind="device",
                id=row["id"],
                name=row["name"],
                role=DEVICE_ROLE,
                venue_id=row["venue"],
            ),
            enabled=bool(row["enabled"]),
        )
        if self._generation is None or generation > self._generation:
            self._forget_all(generation)
            self._checked_at = self.clock()
        if generation == self._generation:
            # Remembered only when read at the generation this process knows: a read
            # that raced a change is used once and read again next time.
            self._known[token_hash] = found
        return found

    def _note_seen(self, device_id: int) -> None:
        now = dt.datetime.now(dt.UTC)
        written = self._written.get(device_id)
        if written is None or now - written > SEEN_EVERY:
            self._seen[device_id] = now

    def pending_seen(self) -> int:
        """Devices whose last-seen time waits for :meth:`flush_seen`."""
        return len(self._seen)

    async def flush_seen(self) -> int:
        """Write the noted last-seen times, one statement per 900 devices; returns the count.

        A time is never written over a later one (an upload writes its own).
        """
        if not self._seen:
            return 0
        batch, self._seen = self._seen, {}
        ids = sorted(batch)
        try:
            for start in range(0, len(ids), IN_CHUNK // 4):
                await _write_seen(ids[start : start + IN_CHUNK // 4], batch)
        except BaseException:
            self._seen = {**batch, **self._seen}  # written next time
            raise
        self._written.update(batch)
        return len(batch)

    async def run_flusher(self, every_s: float) -> None:
        """Flush last-seen times every ``every_s`` seconds until cancelled."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.flush_seen()
            except Exception as exc:  # the database went away; the times wait in memory
                log.error("writing devices' last-seen times failed: %s", type(exc).__name__)


async def _write_seen(ids: list[int], times: dict[int, dt.datetime]) -> None:
    p = Params()
    cast = "::timestamptz" if p.postgres else ""

    def case() -> str:
        whens = " ".join(f"WHEN {p(i)} THEN {p(times[i])}{cast}" for i in ids)
        return f'CASE "id" {whens} END'

    new, listed, later = case(), p.many(ids), case()
    # Only placeholders are interpolated; ids and times are parameters.
    sql = (
        f'UPDATE "device" SET "last_seen_at" = {new} WHERE "id" IN ({listed}) '  # noqa: S608
        f'AND ("last_seen_at" IS NULL OR "last_seen_at" < {later})'
    )
    await fetch(sql, p)
