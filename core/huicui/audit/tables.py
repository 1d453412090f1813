"""The audit log's table.

Its migrations stay in the ``roster`` Piccolo app, where the table was first made
(docs/architecture.md, "Domains and the tables they own").
"""

from __future__ import annotations

from piccolo.columns import JSON, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    """Append-only: the code never updates or deletes a row of this table."""

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = Varchar(length=100, index=True)
    actor_role = Varchar(length=32)
    action = Varchar(length=64, index=True)
    target_type = Varchar(length=32, index=True)
    target_id = Varchar(length=64, index=True)
    reason = Text(default="")
    data = JSON(default="{}")
