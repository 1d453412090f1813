"""The device's durable decision log (SQLite), the source of limits and of uploads.

A decision is committed (WAL, ``synchronous=FULL``) before the caller shows it, so a
device that loses power after showing "accepted" still counts that use towards the
holder's limits and still uploads it for settlement.
"""

from __future__ import annotations

import sqlite3
import uuid as uuidlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from .decide import Decision
from .records import RedemptionRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    uuid TEXT PRIMARY KEY,
    cti TEXT,
    benefit INTEGER NOT NULL DEFAULT 0,
    venue INTEGER NOT NULL DEFAULT 0,
    at INTEGER NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'refuse')),
    reason TEXT NOT NULL,
    companions INTEGER NOT NULL DEFAULT 0,
    bundle_version INTEGER NOT NULL DEFAULT 0,
    uploaded INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1))
);
CREATE INDEX IF NOT EXISTS decisions_history ON decisions (cti, benefit, decision);
CREATE INDEX IF NOT EXISTS decisions_pending ON decisions (uploaded, at);
"""

# Spelled out in each statement (no string building) so every query is a plain literal.
_INSERT = (
    "INSERT INTO decisions (uuid, cti, benefit, venue, at, decision, reason, companions, "
    "bundle_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_PENDING = (
    "SELECT uuid, cti, benefit, venue, at, decision, reason, companions, bundle_version "
    "FROM decisions WHERE uploaded = 0 AND cti IS NOT NULL ORDER BY at, uuid LIMIT ?"
)
_RECENT = (
    "SELECT uuid, cti, benefit, venue, at, decision, reason, companions, bundle_version, uploaded "
    "FROM decisions ORDER BY at DESC, rowid DESC LIMIT ?"
)
_HISTORY = (
    "SELECT at, venue FROM decisions "
    "WHERE cti = ? AND benefit = ? AND decision = 'accept' ORDER BY at"
)


class DecisionLog:
    """Decisions of one device, in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        """Open (creating if needed) the log at ``path``."""
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, decision: Decision) -> RedemptionRecord | None:
        """Write ``decision`` durably and return its upload record.

        Returns None for decisions that carry no certificate id (unreadable codes): they
        are kept locally for the device's own count but never uploaded.
        """
        rec_uuid = str(uuidlib.uuid4())
        row = (
            rec_uuid,
            decision.cti,
            decision.benefit or 0,
            decision.venue_id or 0,
            decision.at,
            "accept" if decision.accepted else "refuse",
            decision.reason,
            decision.companions if decision.accepted else 0,
            decision.bundle_version or 0,
        )
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute(_INSERT, row)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        if decision.cti is None:
            return None
        return _to_record(row)

    def history(self, cti: str, benefit: int) -> list[tuple[int, int]]:
        """(epoch seconds, venue id) of accepted uses of ``cti`` and ``benefit``, for the policy."""
        rows = self._db.execute(_HISTORY, (cti, benefit))
        return [(at, venue) for at, venue in rows]

    def pending(self, limit: int) -> list[RedemptionRecord]:
        """Up to ``limit`` records not yet acknowledged by the server, oldest first."""
        rows = self._db.execute(_PENDING, (limit,))
        return [_to_record(row) for row in rows]

    def pending_count(self) -> int:
        """How many records wait for upload."""
        return self._db.execute(
            "SELECT count(*) FROM decisions WHERE uploaded = 0 AND cti IS NOT NULL"
        ).fetchone()[0]

    def mark_uploaded(self, uuids: Iterable[str]) -> None:
        """Mark records as acknowledged by the server (call only after its answer)."""
        ids = list(uuids)
        self._db.execute("BEGIN IMMEDIATE")
        self._db.executemany(
            "UPDATE decisions SET uploaded = 1 WHERE uuid = ?", [(u,) for u in ids]
        )
        self._db.execute("COMMIT")

    def recent(self, limit: int = 20) -> list[dict]:
        """The latest decisions, newest first, as dicts (for ``huicui-verify log``)."""
        cur = self._db.execute(_RECENT, (limit,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    def count(self) -> int:
        """How many decisions the log holds."""
        return self._db.execute("SELECT count(*) FROM decisions").fetchone()[0]


def _to_record(row: Sequence) -> RedemptionRecord:
    u, cti, benefit, venue, at, decision, reason, companions, version = row
    return RedemptionRecord(
        uuid=u,
        cti=cti,
        benefit=benefit,
        venue=venue,
        at=at,
        decision=decision,
        reason=reason,
        companions=companions,
        bundle_version=version,
    )
