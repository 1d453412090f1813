"""Benefit 1, scenic: free entry to the city's major scenic spots, once per venue per day."""

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

CODE = 1
SLUG = "scenic"


class ScenicConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.scenic]``; the defaults are the program's documented ones."""

    entries_per_day: Annotated[int, msgspec.Meta(ge=1, le=50)] = 1  # per venue
    companions: Annotated[int, msgspec.Meta(ge=0, le=10)] = 0
    ticket_fen: Annotated[int, msgspec.Meta(ge=0)] = 0  # paid to the venue per entry


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, ScenicConfig)
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh="景区免费游览",
            name_en="Free entry to scenic spots",
            category="leisure",
            venue_kinds=("scenic",),
            policy=Policy(
                effect="free",
                limits=(Limit(c.entries_per_day, "day", "venue"),),
                companions=c.companions,
                message_zh="核验通过后放行，无需购票",
                message_en="Let the holder in; no ticket needed",
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
    c = benefit_config(config, SLUG, ScenicConfig)
    return per_use_lines(redemptions, CODE, c.ticket_fen, "景区门票", "entries")
