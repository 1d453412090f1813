"""Settlement statements' shapes (JSON; the CSV and PDF render the same Struct)."""

from __future__ import annotations

import msgspec


class PartnerRef(msgspec.Struct):
    id: int
    name_zh: str
    name_en: str
    settlement_ref: str


class StatementRow(msgspec.Struct):
    """One venue and benefit: accepted uses (paid), refused ones (not paid), the amount."""

    venue_id: int
    venue_name_zh: str
    venue_name_en: str
    benefit: int
    benefit_slug: str
    benefit_name_zh: str
    benefit_name_en: str
    accepted: int
    refused: int
    amount_fen: int  # 1 yuan = 100 fen
    amount_yuan: str
    note_zh: str
    note_en: str


class DailyUses(msgspec.Struct):
    date: str  # YYYY-MM-DD, program time zone
    accepted: int


class Totals(msgspec.Struct):
    accepted: int
    refused: int
    amount_fen: int
    amount_yuan: str


class Statement(msgspec.Struct):
    """A partner's month: rows per venue and benefit, totals, and accepted uses per day."""

    program_zh: str
    program_en: str
    partner: PartnerRef
    month: str
    period_start: str
    period_end: str  # exclusive
    timezone: str
    currency: str
    generated_at: str
    rows: list[StatementRow]
    totals: Totals
    daily: list[DailyUses]
