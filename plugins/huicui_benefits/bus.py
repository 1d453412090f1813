"""Benefit 3, bus: free city bus rides (no limit unless the program sets one)."""

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

CODE = 3
SLUG = "bus"


class BusConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.bus]``: unlimited rides by default (``rides_per_day = 0``)."""

    rides_per_day: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0  # 0 = no limit
    fare_fen: Annotated[int, msgspec.Meta(ge=0)] = 0  # paid to the bus company per ride


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, BusConfig)
    limits = (Limit(c.rides_per_day, "day"),) if c.rides_per_day else ()
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh="免费乘坐市内公交",
            name_en="Free city bus",
            category="transport",
            venue_kinds=("bus",),
            policy=Policy(
                effect="free",
                limits=limits,
                message_zh="免费乘车",
                message_en="Free ride",
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
    c = benefit_config(config, SLUG, BusConfig)
    return per_use_lines(redemptions, CODE, c.fare_fen, "公交乘车", "rides")
