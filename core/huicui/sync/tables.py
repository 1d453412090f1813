"""Synced redemptions' table.

Its migrations stay in the ``venues`` Piccolo app, where the table was first made
(docs/architecture.md, "Domains and the tables they own").
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from huicui.venues.tables import Device, Partner, Venue


class Redemption(Table, tablename="redemption"):
    """One decision a device made and uploaded; ``uuid`` makes uploads idempotent.

    ``device``, ``venue`` and ``partner`` are foreign keys for Piccolo's joins, but
    PostgreSQL does not check them on insert (migration venues_0004: a query per row
    and key was 40% of the sync ingest): the ingest takes them from the authenticated
    device, its venue and the venue's partner in one transaction, and those rows are
    never deleted. SQLite checks them still.
    """

    # Each index is kept up by every synced record, so only those a query reads are
    # here (migration venues_0007). UNIQUE already makes one for uuid. A listing by
    # device or venue walks the ``at`` index, newest first.
    uuid = Varchar(length=36, unique=True)
    device = ForeignKey(references=Device)
    venue = ForeignKey(references=Venue)
    partner = ForeignKey(references=Partner, index=True)  # the settlement statement
    certificate_id = Varchar(length=16, index=True)  # cti hex; may name no known certificate
    membership_id = Integer(null=True, default=None, index=True)
    benefit = Integer()  # filtered together with a certificate, partner or time, never alone
    at = Timestamptz(index=True)
    decision = Varchar(length=8)  # accept | refuse
    reason = Varchar(length=64)
    companions = Integer(default=0)
    bundle_version = Integer(default=0)
    received_at = Timestamptz(default=TimestamptzNow())


class SyncOutbox(Table, tablename="sync_outbox"):
    """Work that follows one stored upload: telling the ``huicui_redemptions_synced``
    listeners (the benefit plugins and the core's misuse detection).

    Written in the transaction that stores the records, so a stored record always has
    its row here until every listener has been told (docs/sync.md). Owned by the
    ``sync`` Piccolo app. The ids and names are JSON text, read only by
    :mod:`huicui.sync.outbox`; nothing here references other tables, so the insert costs
    no foreign-key check.
    """

    device = Integer()
    venue = Integer()
    partner = Integer()
    redemption_ids = Text()  # JSON array of the redemption ids this upload stored
    created_at = Timestamptz(default=TimestamptzNow())
    due_at = Timestamptz(default=TimestamptzNow(), index=True)  # next try; backoff moves it
    delivered = Text(default="[]")  # JSON array of listener names already told
    failures = Text(default="{}")  # JSON: listener → {attempts, next_at, error type}
