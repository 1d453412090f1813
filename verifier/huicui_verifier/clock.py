"""Time zones and time text for the program's local time (Asia/Shanghai)."""

from __future__ import annotations

__all__ = ["PROGRAM_TZ", "last_valid_day", "local_text", "require_aware", "zone"]

from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROGRAM_TZ = "Asia/Shanghai"
# China has kept UTC+8 without daylight saving since 1991, so a device without a time zone
# database (some Windows and embedded systems) can still compute the right local day.
_FALLBACK = {"Asia/Shanghai": timezone(timedelta(hours=8), "CST")}


@lru_cache(maxsize=16)
def zone(name: str = PROGRAM_TZ) -> tzinfo:
    """The time zone called ``name``, falling back to a fixed offset for Asia/Shanghai."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name in _FALLBACK:
            return _FALLBACK[name]
        raise


def local_text(ts: int, tz: str = PROGRAM_TZ) -> str:
    """``YYYY-MM-DD HH:MM`` in the program's time zone, for staff and holders."""
    return datetime.fromtimestamp(ts, zone(tz)).strftime("%Y-%m-%d %H:%M")


def last_valid_day(exp: int, tz: str = PROGRAM_TZ) -> str:
    """``YYYY-MM-DD``: the last local day a certificate with this ``exp`` is valid.

    ``exp`` is the exclusive end of validity, so the last valid day is the one holding
    the second before it: an ``exp`` at local midnight (what the service issues) names
    the day before, as the API, the printed card and the holder page all say.
    """
    return datetime.fromtimestamp(exp - 1, zone(tz)).strftime("%Y-%m-%d")


def require_aware(now: datetime) -> int:
    """Whole seconds since the epoch of an aware datetime; naive times are refused."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp())
