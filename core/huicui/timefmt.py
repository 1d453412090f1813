"""Times shown to people are in the program's timezone (Asia/Shanghai by default)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def to_local_iso(value: dt.datetime | None, tz: Any) -> str | None:
    """ISO 8601 with the program's offset, e.g. ``2026-11-26T18:00:00+08:00``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz).isoformat(timespec="seconds")


def today(tz: Any) -> dt.date:
    """The calendar date now in the program's timezone."""
    return dt.datetime.now(tz).date()
