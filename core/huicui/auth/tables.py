"""Staff tokens' table.

Its migrations stay in the ``roster`` Piccolo app, where the table was first made
(docs/architecture.md, "Domains and the tables they own").
"""

from __future__ import annotations

from piccolo.columns import Boolean, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class StaffToken(Table, tablename="staff_token"):
    """A staff bearer token: only its SHA-256 is stored."""

    name = Varchar(length=100)
    role = Varchar(length=16)
    token_hash = Varchar(length=64, unique=True, index=True)
    prefix = Varchar(length=12)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked = Boolean(default=False)
