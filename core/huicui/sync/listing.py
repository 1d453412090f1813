"""Synced redemptions as staff see them: filtered, newest first, times in the program's zone.

Filters arrive as text from a query string; each is checked here so a wrong one becomes
a problem document naming the parameter, never an empty page that looks like "no uses".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from huicui.context import Context
from huicui.errors import InvalidInput
from huicui.sync.ingest import MAX_RECORD_BENEFIT
from huicui.sync.schemas import RedemptionFilter, RedemptionOut
from huicui.sync.tables import Redemption
from huicui.timefmt import to_local_iso

_CTI = re.compile(r"^[0-9a-fA-F]{16}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _bad(name: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(zh, en, parameter=name)


def parse_certificate_id(text: str | None) -> str | None:
    """16 hex digits (any case) → the stored lower-case form; else a 422 naming it."""
    if text is None:
        return None
    if not _CTI.match(text):
        raise _bad(
            "certificate_id",
            "证书编号应为 16 位十六进制字符",
            "certificate_id must be 16 hex digits",
        )
    return text.lower()


def parse_benefit(ctx: Context, text: str | None) -> int | None:
    """A benefit slug or code → its code.

    A code need not be installed (a device may have uploaded one a plugin no longer
    declares); a slug must name an installed benefit.
    """
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        code = int(text)
        if code <= MAX_RECORD_BENEFIT:
            return code
    elif ctx.plugins is not None and (info := ctx.plugins.by_slug(text.lower())) is not None:
        return info.code
    raise _bad(
        "benefit",
        f"未知权益 {text[:32]!r}：请给出已安装权益的代号或编号 0–{MAX_RECORD_BENEFIT}",
        f"unknown benefit {text[:32]!r}: give an installed benefit's slug "
        f"or a code 0-{MAX_RECORD_BENEFIT}",
    )


def parse_time(text: str | None, name: str, tz: Any, *, end_of_day: bool) -> dt.datetime | None:
    """``2026-11-26`` or an ISO 8601 time → an aware UTC datetime; else a 422 naming ``name``.

    A time without offset, and a bare date, are read in the program's timezone. A bare
    date means the start of that day, or with ``end_of_day`` the start of the next (so
    ``until=2026-11-30`` includes the whole of the 30th).
    """
    if text is None:
        return None
    text = text.strip()
    try:
        if _DATE.match(text):
            day = dt.date.fromisoformat(text)
            if end_of_day:
                day += dt.timedelta(days=1)
            value = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        else:
            value = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
            if value.tzinfo is None:
                value = value.replace(tzinfo=tz)
        return value.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise _bad(
            name,
            f"参数 {name} 应为日期（2026-11-26）或时间（2026-11-26T08:00:00+08:00）",
            f"{name} must be a date (2026-11-26) or an ISO 8601 time (2026-11-26T08:00:00+08:00)",
        ) from None


def make_filter(
    ctx: Context,
    *,
    certificate_id: str | None = None,
    membership_id: int | None = None,
    venue_id: int | None = None,
    partner_id: int | None = None,
    device_id: int | None = None,
    benefit: str | None = None,
    decision: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> RedemptionFilter:
    """Check the filters as given in a query string; a wrong one raises a 422 naming it."""
    if decision is not None and decision not in ("accept", "refuse"):
        raise _bad(
            "decision", "decision 应为 accept 或 refuse", "decision must be accept or refuse"
        )
    start = parse_time(since, "since", ctx.tz, end_of_day=False)
    end = parse_time(until, "until", ctx.tz, end_of_day=True)
    if start is not None and end is not None and start >= end:
        raise _bad("until", "until 必须晚于 since", "until must be later than since")
    return RedemptionFilter(
        certificate_id=parse_certificate_id(certificate_id),
        membership_id=membership_id,
        venue_id=venue_id,
        partner_id=partner_id,
        device_id=device_id,
        benefit=parse_benefit(ctx, benefit),
        decision=decision,
        since=start,
        until=end,
    )


def _conditions(f: RedemptionFilter) -> list[Any]:
    equal = [
        (Redemption.certificate_id, f.certificate_id),
        (Redemption.membership_id, f.membership_id),
        (Redemption.venue, f.venue_id),
        (Redemption.partner, f.partner_id),
        (Redemption.device, f.device_id),
        (Redemption.benefit, f.benefit),
        (Redemption.decision, f.decision),
    ]
    found = [column == value for column, value in equal if value is not None]
    if f.since is not None:
        found.append(Redemption.at >= f.since)
    if f.until is not None:
        found.append(Redemption.at < f.until)
    return found


async def list_redemptions(
    ctx: Context, f: RedemptionFilter, *, limit: int, offset: int
) -> tuple[list[RedemptionOut], int]:
    """Redemptions matching ``f``, newest decision first; returns (page, total)."""
    query = Redemption.select(
        *Redemption.all_columns(),
        Redemption.venue.name_zh.as_alias("venue_name_zh"),
        Redemption.venue.name_en.as_alias("venue_name_en"),
    )
    count = Redemption.count()
    for condition in _conditions(f):
        query, count = query.where(condition), count.where(condition)
    rows = await (
        query.order_by(Redemption.at, ascending=False)
        .order_by(Redemption.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return [_out(ctx, row) for row in rows], await count


def _out(ctx: Context, row: dict[str, Any]) -> RedemptionOut:
    info = ctx.plugins.benefit(row["benefit"]) if ctx.plugins is not None else None
    return RedemptionOut(
        uuid=row["uuid"],
        certificate_id=row["certificate_id"],
        membership_id=row["membership_id"],
        benefit=row["benefit"],
        benefit_slug=info.slug if info else None,
        benefit_name_zh=info.name_zh if info else f"权益 {row['benefit']}",
        benefit_name_en=info.name_en if info else f"benefit {row['benefit']}",
        decision=row["decision"],
        reason=row["reason"],
        companions=row["companions"],
        at=to_local_iso(row["at"], ctx.tz) or "",
        received_at=to_local_iso(row["received_at"], ctx.tz) or "",
        venue_id=row["venue"],
        venue_name_zh=row["venue_name_zh"] or "",
        venue_name_en=row["venue_name_en"] or "",
        partner_id=row["partner"],
        device_id=row["device"],
        bundle_version=row["bundle_version"],
    )
