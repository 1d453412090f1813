"""What plugins are told about synced redemptions, and the settlement lines they answer."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

import msgspec


class RedemptionFact(msgspec.Struct, frozen=True, kw_only=True):
    """One synced redemption, as plugins are told about it."""

    uuid: str
    certificate_id: str  # cti, 16 hex characters
    benefit: int
    venue_id: int
    partner_id: int
    device_id: int
    at: dt.datetime
    accepted: bool
    reason: str
    companions: int = 0


class SettlementLine(msgspec.Struct, frozen=True, kw_only=True):
    """What the program owes a partner for one venue and benefit in a month."""

    venue_id: int
    benefit: int
    count: int
    amount_fen: int  # 1 yuan = 100 fen
    note_zh: str = ""
    note_en: str = ""


def accepted_by_venue(redemptions: Iterable[RedemptionFact], code: int) -> Counter[int]:
    """Accepted uses of benefit ``code`` per venue id (refusals cost the program nothing).

    A partner may run several venues: settle each venue on its own line.
    """
    return Counter(r.venue_id for r in redemptions if r.benefit == code and r.accepted)

