"""The device's durable decision log (SQLite), the source of limits and of uploads.

A decision is committed (WAL, ``synchronous=FULL``) before the caller shows it, so a
device that loses power after showing "accepted" still counts that use towards the
holder's limits and still uploads it for settlement.

A record is *pending* until the server acknowledges it, then *uploaded*. A record the
server refuses (it names it in a 422), or one the operator gives up on when moving the
device to another venue, is *quarantined*: it keeps its reason, is never uploaded again
and is never deleted, so a single bad record cannot block every later upload and the
evidence stays on the device.
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
    uploaded INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1)),
    quarantined_at INTEGER,
    quarantine_reason TEXT,
    card TEXT NOT NULL DEFAULT '',
    id_check INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS decisions_history ON decisions (cti, benefit, decision);
CREATE INDEX IF NOT EXISTS decisions_pending ON decisions (uploaded, at);
CREATE TABLE IF NOT EXISTS proofs (
    id BLOB PRIMARY KEY,
    proof_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS proofs_age ON proofs (proof_at);
"""

# Spelled out in each statement (no string building) so every query is a plain literal.
_INSERT = (
    "INSERT INTO decisions (uuid, cti, benefit, venue, at, decision, reason, companions, "
    "bundle_version, card, id_check) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Logs written before quarantine (and HB2) existed gain their columns when opened.
_ADDED_COLUMNS = (
    ("quarantined_at", "ALTER TABLE decisions ADD COLUMN quarantined_at INTEGER"),
    ("quarantine_reason", "ALTER TABLE decisions ADD COLUMN quarantine_reason TEXT"),
    ("card", "ALTER TABLE decisions ADD COLUMN card TEXT NOT NULL DEFAULT ''"),
    ("id_check", "ALTER TABLE decisions ADD COLUMN id_check INTEGER NOT NULL DEFAULT 0"),
)
# An HB2 proof is remembered from the decision that first passed it, for at least its
# freshness window and both skews; a day is kept, far beyond any bundle's skew.
_REMEMBER_PROOF = "INSERT OR IGNORE INTO proofs (id, proof_at) VALUES (?, ?)"
_PROOF_SEEN = "SELECT 1 FROM proofs WHERE id = ?"
_FORGET_PROOFS = "DELETE FROM proofs WHERE proof_at < ?"
PROOF_MEMORY_SECONDS = 86400
_PENDING = (
    "SELECT uuid, cti, benefit, venue, at, decision, reason, companions, bundle_version "
    "FROM decisions WHERE uploaded = 0 AND cti IS NOT NULL AND quarantine_reason IS NULL "
    "AND venue != ? ORDER BY at, uuid LIMIT ?"
)
_PENDING_COUNT = (
    "SELECT count(*) FROM decisions WHERE uploaded = 0 AND cti IS NOT NULL "
    "AND quarantine_reason IS NULL AND venue != ?"
)
_QUARANTINE_ONE = (
    "UPDATE decisions SET quarantined_at = ?, quarantine_reason = ? WHERE uuid = ? "
    "AND uploaded = 0 AND cti IS NOT NULL AND quarantine_reason IS NULL"
)
_QUARANTINE_PENDING = (
    "UPDATE decisions SET quarantined_at = ?, quarantine_reason = ? "
    "WHERE uploaded = 0 AND cti IS NOT NULL AND quarantine_reason IS NULL AND venue != ?"
)
_QUARANTINED_COUNT = "SELECT count(*) FROM decisions WHERE quarantine_reason IS NOT NULL"
_RECENT = (
    "SELECT uuid, cti, benefit, venue, at, decision, reason, companions, bundle_version, "
    "uploaded, quarantined_at, quarantine_reason, card, id_check "
    "FROM decisions ORDER BY at DESC, rowid DESC LIMIT ?"
)
_RECENT_QUARANTINED = (
    "SELECT uuid, cti, benefit, venue, at, decision, reason, companions, bundle_version, "
    "uploaded, quarantined_at, quarantine_reason, card, id_check "
    "FROM decisions WHERE quarantine_reason IS NOT NULL "
    "ORDER BY at DESC, rowid DESC LIMIT ?"
)
# No real venue has id -1: "every venue" in the queries that can leave one out.
_NO_VENUE = -1
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
        have = {row[1] for row in self._db.execute("PRAGMA table_info(decisions)")}
        for name, statement in _ADDED_COLUMNS:
            if name not in have:
                self._db.execute(statement)

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
            # card and id_check stay on the device: the log shows whether the staff were
            # told to compare the ID document (a static card at a check_id venue).
            self._db.execute(_INSERT, (*row, decision.card, int(decision.id_check)))
            if decision.proof_id is not None and decision.proof_at is not None:
                # In the same transaction: a replay is refused from the moment the
                # first answer is shown, power cut or not.
                self._db.execute(
                    _REMEMBER_PROOF, (bytes.fromhex(decision.proof_id), decision.proof_at)
                )
                self._db.execute(_FORGET_PROOFS, (decision.at - PROOF_MEMORY_SECONDS,))
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

    def proof_seen(self, proof_id: bytes) -> bool:
        """True when an HB2 proof with this id was passed here before (the replay check)."""
        return self._db.execute(_PROOF_SEEN, (proof_id,)).fetchone() is not None

    def pending(self, limit: int, *, except_venue: int | None = None) -> list[RedemptionRecord]:
        """Up to ``limit`` records not yet acknowledged by the server, oldest first.

        Quarantined records are never pending. ``except_venue`` leaves out the records
        made for that venue.
        """
        skip = _NO_VENUE if except_venue is None else except_venue
        rows = self._db.execute(_PENDING, (skip, limit))
        return [_to_record(row) for row in rows]

    def pending_count(self, *, except_venue: int | None = None) -> int:
        """How many records wait for upload (optionally leaving out one venue's)."""
        skip = _NO_VENUE if except_venue is None else except_venue
        return self._db.execute(_PENDING_COUNT, (skip,)).fetchone()[0]

    def quarantine(self, reasons: dict[str, str], at: int) -> int:
        """Set aside the pending records named in ``reasons`` (uuid → reason); returns how many.

        They stay in the log with their reason and are never uploaded again.
        """
        self._db.execute("BEGIN IMMEDIATE")
        try:
            changed = sum(
                self._db.execute(_QUARANTINE_ONE, (at, reason[:2000], uuid)).rowcount
                for uuid, reason in reasons.items()
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return changed

    def quarantine_pending(self, reason: str, at: int, *, except_venue: int | None = None) -> int:
        """Set aside every pending record (but ``except_venue``'s) with ``reason``; how many."""
        skip = _NO_VENUE if except_venue is None else except_venue
        self._db.execute("BEGIN IMMEDIATE")
        try:
            changed = self._db.execute(_QUARANTINE_PENDING, (at, reason[:2000], skip)).rowcount
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return changed

    def quarantined_count(self) -> int:
        """How many records were set aside (refused by the server or given up on)."""
        return self._db.execute(_QUARANTINED_COUNT).fetchone()[0]

    def mark_uploaded(self, uuids: Iterable[str]) -> None:
        """Mark records as acknowledged by the server (call only after its answer)."""
        ids = list(uuids)
        self._db.execute("BEGIN IMMEDIATE")
        self._db.executemany(
            "UPDATE decisions SET uploaded = 1 WHERE uuid = ?", [(u,) for u in ids]
        )
        self._db.execute("COMMIT")

    def recent(self, limit: int = 20, *, quarantined_only: bool = False) -> list[dict]:
        """The latest decisions, newest first, as dicts (for ``huicui-verify log``).

        ``quarantine_reason`` is None unless the record was set aside.
        """
        cur = self._db.execute(_RECENT_QUARANTINED if quarantined_only else _RECENT, (limit,))
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
