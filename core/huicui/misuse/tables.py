"""Piccolo table of misuse flags: what detection found, and what staff did about it."""

from __future__ import annotations

from piccolo.columns import JSON, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class MisuseFlag(Table, tablename="misuse_flag"):
    """One suspected misuse of a certificate, waiting for (or past) a staff decision.

    ``dedup_key`` names the finding (certificate, kind and period or venue pair), so a
    batch synced twice, or records of one period arriving in several batches, never
    raise a second flag for the same thing.
    """

    dedup_key = Varchar(length=200, unique=True, index=True)
    kind = Varchar(length=20, index=True)  # over_limit | impossible_travel
    certificate_id = Varchar(length=16, index=True)  # cti hex
    membership_id = Integer(null=True, default=None, index=True)
    benefit = Integer(null=True, default=None)
    redemption_uuids = JSON(default="[]")
    details = JSON(default="{}")
    status = Varchar(length=12, default="open", index=True)  # open | dismissed | actioned
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    handled_by = Varchar(length=100, default="")
    handled_at = Timestamptz(null=True, default=None)
    note = Text(default="")
