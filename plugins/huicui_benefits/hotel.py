"""Benefit 5, hotel: the agreement rate at designated hotels.

The policy tells the front desk the discount; the agreement rate of each partner
hotel lives in configuration and drives the monthly settlement: the program pays
a hotel the difference between its rack rate and the agreement rate per night.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from huicui.plugins.api import (
    BenefitConfigError,
    BenefitInfo,
    Limit,
    Policy,
    RedemptionFact,
    SettlementLine,
    accepted_by_venue,
    benefit_config,
    hookimpl,
)

CODE = 5
SLUG = "hotel"
Fen = Annotated[int, msgspec.Meta(ge=0)]


class HotelRate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One partner hotel's rates per room-night, in fen (1 yuan = 100 fen)."""

    partner_id: Annotated[int, msgspec.Meta(ge=1)]
    rack_rate_fen: Fen
    agreement_rate_fen: Fen

    def __post_init__(self) -> None:
        if self.agreement_rate_fen > self.rack_rate_fen:
            raise ValueError("agreement_rate_fen must not exceed rack_rate_fen")


class HotelConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.hotel]`` with ``[[benefits.hotel.partners]]`` tables."""

    percent_off: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    nights_per_month: Annotated[int, msgspec.Meta(ge=0, le=31)] = 0  # 0 = no limit
    partners: list[HotelRate] = msgspec.field(default_factory=list)


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, HotelConfig)
    seen = [p.partner_id for p in c.partners]
    if len(seen) != len(set(seen)):
        raise BenefitConfigError(f"benefits.{SLUG}.partners: a partner_id appears twice")
    limits = (Limit(c.nights_per_month, "month"),) if c.nights_per_month else ()
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh="指定酒店协议价",
            name_en="Agreement rate at designated hotels",
            category="lodging",
            venue_kinds=("hotel",),
            policy=Policy(
                effect="discount",
                percent_off=c.percent_off,
                limits=limits,
                message_zh="按协议价办理入住（每晚核验一次）",
                message_en="Check in at the agreement rate (verify once per night)",
            ),
        )
    ]


@hookimpl
def huicui_settlement_lines(
    partner_id: int,
    month: str,
    redemptions: list[RedemptionFact],
    config: dict[str, dict[str, Any]],
) -> list[SettlementLine]:
    c = benefit_config(config, SLUG, HotelConfig)
    rate = next((p for p in c.partners if p.partner_id == partner_id), None)
    lines = []
    for venue, nights in sorted(accepted_by_venue(redemptions, CODE).items()):
        if rate is None:
            lines.append(
                SettlementLine(
                    venue_id=venue,
                    benefit=CODE,
                    count=nights,
                    amount_fen=0,
                    note_zh="未配置该酒店的协议价（benefits.hotel.partners）",
                    note_en="no agreement rate configured for this partner "
                    "(benefits.hotel.partners)",
                )
            )
            continue
        per_night = rate.rack_rate_fen - rate.agreement_rate_fen
        rack, agreed = f"¥{rate.rack_rate_fen / 100:.2f}", f"¥{rate.agreement_rate_fen / 100:.2f}"
        lines.append(
            SettlementLine(
                venue_id=venue,
                benefit=CODE,
                count=nights,
                amount_fen=nights * per_night,
                note_zh=f"{nights} 间夜 × 差价（门市价 {rack} − 协议价 {agreed}）",
                note_en=f"{nights} room-nights × (rack {rack} − agreement {agreed})",
            )
        )
    return lines
