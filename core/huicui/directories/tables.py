"""The directories' table.

Its migrations are in the ``roster`` Piccolo app (docs/architecture.md, "Domains and
the tables they own").
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Directory(Table, tablename="directory"):
    """A named roster (名录) with a term length and the benefits it offers."""

    number = Integer(unique=True, index=True)  # 1 is the program's default directory
    slug = Varchar(length=64, unique=True)
    name_zh = Varchar(length=200)
    name_en = Varchar(length=200)
    term_days = Integer(default=1095)
    # Benefit codes offered; NULL means every installed benefit (the default).
    benefits = JSON(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
