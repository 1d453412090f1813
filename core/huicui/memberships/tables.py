"""The memberships' table.

Its migrations are in the ``roster`` Piccolo app (docs/architecture.md, "Domains and
the tables they own").
"""

from __future__ import annotations

from piccolo.columns import (
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from huicui.directories.tables import Directory
from huicui.identities.tables import Identity


class Membership(Table, tablename="membership"):
    """Identity × directory, moving through the membership state machine."""

    identity = ForeignKey(references=Identity, index=True)
    directory = ForeignKey(references=Directory, index=True)
    state = Varchar(length=16, default="nominated", index=True)
    source_org = Varchar(length=200, default="")
    reason = Text(default="")
    nominated_by = Integer(default=0)  # staff token id: four eyes compare ids
    nominated_by_name = Varchar(length=100, default="")
    nominated_at = Timestamptz(default=TimestamptzNow())
    decided_by = Integer(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    term_no = Integer(default=0)
    term_start = Date(null=True, default=None)
    term_end = Date(null=True, default=None, index=True)
    state_reason = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())
