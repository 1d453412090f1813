"""Benefit 2, ferry: free ride on the Beihai–Weizhou island ferry, two rides a day."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from huicui.plugins.api import (
    BenefitInfo,
    Limit,
    Policy,
    RedemptionFact,
    SettlementLine,
    benefit_config,
    hookimpl,
)

from huicui_benefits._settle import per_use_lines

CODE = 2
SLUG = "ferry"


class FerryConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.ferry]``: a return trip a day by default."""

    rides_per_day: Annotated[int, msgspec.Meta(ge=1, le=20)] = 2
    companions: Annotated[int, msgspec.Meta(ge=0, le=10)] = 0
    fare_fen: Annotated[int, msgspec.Meta(ge=0)] = 0  # paid to the operator per ride


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, FerryConfig)
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh="北涠线客轮免费乘坐",
            name_en="Free Beihai–Weizhou ferry",
            category="transport",
            venue_kinds=("ferry",),
            policy=Policy(
                effect="free",
                limits=(Limit(c.rides_per_day, "day", "benefit"),),
                companions=c.companions,
                message_zh="请引导持证人登船，船票免费",
                message_en="Board the holder; the ticket is free",
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
    c = benefit_config(config, SLUG, FerryConfig)
    return per_use_lines(redemptions, CODE, c.fare_fen, "客轮船票", "rides")
