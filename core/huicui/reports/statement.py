"""The monthly settlement statement of one partner: what the program owes it, and why.

Counts come from the stored redemptions (accepted ones only are paid); amounts come
from the benefit plugins (``huicui_settlement_lines``), which price each benefit with
the program's configuration. Month boundaries are those of the program's time zone
(Asia/Shanghai): a ride at 23:30 on 31 October local time belongs to October.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from typing import Any

from piccolo.columns.combination import And

from huicui.context import Context
from huicui.errors import InvalidInput, NotFound
from huicui.plugins.api import RedemptionFact, SettlementLine
from huicui.reports.schemas import DailyUses, PartnerRef, Statement, StatementRow, Totals
from huicui.sync.tables import Redemption
from huicui.timefmt import to_local_iso
from huicui.venues.tables import Partner, Venue

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 2020  # devices refuse to record anything earlier
# Benefit code 0 in a redemption: the card was refused before a benefit was chosen (a
# revoked or expired card, a bad signature). Such rows are named for what they are.
NO_BENEFIT = 0
NO_BENEFIT_ZH, NO_BENEFIT_EN = "未指定权益", "no benefit determined"
NO_BENEFIT_NOTE = (
    "选定权益之前即被拒绝（如证书已撤销），不计费",
    "refused before a benefit was chosen (e.g. a revoked card); not paid",
)


def yuan(fen: int) -> str:
    """Fen as a yuan amount with two decimals, exactly (no floating point)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def parse_month(text: str) -> tuple[int, int]:
    """``YYYY-MM`` → (year, month); anything else is a 422 naming the parameter."""
    match = _MONTH.match((text or "").strip())
    year, month = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not match or not 1 <= month <= 12 or not FIRST_YEAR <= year <= 2999:
        raise InvalidInput(
            "月份格式应为 YYYY-MM（例如 2026-10），且不早于 2020 年",
            "month must be YYYY-MM (e.g. 2026-10), 2020 or later",
            parameter="month",
        )
    return year, month


def month_bounds(year: int, month: int, tz: Any) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of the next month) in ``tz``, as aware datetimes."""
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


async def _partner(partner_id: int) -> PartnerRef:
    row = (
        await Partner.select(
            Partner.id, Partner.name_zh, Partner.name_en, Partner.settlement_ref
        )
        .where(Partner.id == partner_id)
        .first()
    )
    if row is None:
        raise NotFound("未找到该合作方", f"Partner {partner_id} not found", parameter="partner")
    return PartnerRef(**row)


async def month_facts(
    partner_id: int, start: dt.datetime, end: dt.datetime
) -> list[RedemptionFact]:
    """The partner's stored redemptions with ``start <= at < end`` (refusals included)."""
    rows = (
        await Redemption.select(
            Redemption.uuid,
            Redemption.certificate_id,
            Redemption.benefit,
            Redemption.venue,
            Redemption.partner,
            Redemption.device,
            Redemption.at,
            Redemption.decision,
            Redemption.reason,
            Redemption.companions,
        )
        .where(
            And(
                Redemption.partner == partner_id,
                And(Redemption.at >= start, Redemption.at < end),
            )
        )
        .order_by(Redemption.at)
    )
    return [
        RedemptionFact(
            uuid=r["uuid"],
            certificate_id=r["certificate_id"],
            benefit=r["benefit"],
            venue_id=r["venue"],
            partner_id=r["partner"],
            device_id=r["device"],
            at=r["at"] if r["at"].tzinfo else r["at"].replace(tzinfo=dt.UTC),
            accepted=r["decision"] == "accept",
            reason=r["reason"],
            companions=r["companions"],
        )
        for r in rows
    ]


def _notes(lines: list[SettlementLine]) -> tuple[str, str]:
    zh = "；".join(line.note_zh for line in lines if line.note_zh)
    en = "; ".join(line.note_en for line in lines if line.note_en)
    return zh, en


async def settlement(ctx: Context, partner_id: int, month: str) -> Statement:
    """The statement of ``partner_id`` for ``month`` (``YYYY-MM``, program time zone).

    Raises :class:`InvalidInput` for a malformed month and :class:`NotFound` for an
    unknown partner.
    """
    year, number = parse_month(month)
    month = f"{year:04d}-{number:02d}"
    partner = await _partner(partner_id)
    start, end = month_bounds(year, number, ctx.tz)
    facts = await month_facts(partner_id, start, end)
    lines = ctx.plugins.settlement_lines(partner_id, month, facts) if ctx.plugins else []

    accepted: Counter[tuple[int, int]] = Counter()
    refused: Counter[tuple[int, int]] = Counter()
    per_day: Counter[dt.date] = Counter()
    for fact in facts:
        key = (fact.venue_id, fact.benefit)
        if fact.accepted:
            accepted[key] += 1
            per_day[fact.at.astimezone(ctx.tz).date()] += 1
        else:
            refused[key] += 1
    by_key: dict[tuple[int, int], list[SettlementLine]] = defaultdict(list)
    for line in lines:
        by_key[(line.venue_id, line.benefit)].append(line)

    # Per venue by benefit code, the refusals without a benefit last.
    keys = sorted(
        set(accepted) | set(refused) | set(by_key), key=lambda k: (k[0], k[1] == NO_BENEFIT, k[1])
    )
    venue_ids = sorted({venue for venue, _ in keys})
    venues = {
        v["id"]: v
        for v in await Venue.select(Venue.id, Venue.name_zh, Venue.name_en).where(
            Venue.id.is_in(venue_ids or [0])
        )
    }
    rows = []
    for venue_id, code in keys:
        priced = by_key.get((venue_id, code), [])
        amount = sum(line.amount_fen for line in priced)
        note_zh, note_en = _notes(priced)
        if not priced and accepted[(venue_id, code)]:
            note_zh, note_en = "该权益无结算规则，不计费", "no settlement rule for this benefit"
        info = ctx.plugins.benefit(code) if ctx.plugins else None
        if code == NO_BENEFIT:
            name_zh, name_en = NO_BENEFIT_ZH, NO_BENEFIT_EN
            note_zh, note_en = NO_BENEFIT_NOTE
        elif info is not None:
            name_zh, name_en = info.name_zh, info.name_en
        else:
            name_zh, name_en = f"权益 {code}", f"benefit {code}"
        venue = venues.get(venue_id, {})
        rows.append(
            StatementRow(
                venue_id=venue_id,
                venue_name_zh=venue.get("name_zh", f"场所 {venue_id}"),
                venue_name_en=venue.get("name_en", ""),
                benefit=code,
                benefit_slug=info.slug if info else "",
                benefit_name_zh=name_zh,
                benefit_name_en=name_en,
                accepted=accepted[(venue_id, code)],
                refused=refused[(venue_id, code)],
                amount_fen=amount,
                amount_yuan=yuan(amount),
                note_zh=note_zh,
                note_en=note_en,
            )
        )
    total_fen = sum(row.amount_fen for row in rows)
    days = (end.date() - start.date()).days
    return Statement(
        program_zh=ctx.settings.program.name_zh,
        program_en=ctx.settings.program.name_en,
        partner=partner,
        month=month,
        period_start=start.isoformat(timespec="seconds"),
        period_end=end.isoformat(timespec="seconds"),
        timezone=ctx.settings.program.timezone,
        currency="CNY",
        generated_at=to_local_iso(dt.datetime.now(dt.UTC), ctx.tz) or "",
        rows=rows,
        totals=Totals(
            accepted=sum(row.accepted for row in rows),
            refused=sum(row.refused for row in rows),
            amount_fen=total_fen,
            amount_yuan=yuan(total_fen),
        ),
        daily=[
            DailyUses(date=(day := start.date() + dt.timedelta(days=i)).isoformat(),
                      accepted=per_day[day])
            for i in range(days)
        ],
    )
