"""Benefit 8, medical: priority appointments with associate-senior experts, a few a month."""

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

CODE = 8
SLUG = "medical"


class MedicalConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.medical]``."""

    appointments_per_month: Annotated[int, msgspec.Meta(ge=1, le=31)] = 2
    fee_fen: Annotated[int, msgspec.Meta(ge=0)] = 0  # paid to the hospital per appointment


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, MedicalConfig)
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh="副高以上专家优先预约",
            name_en="Priority appointment with senior medical experts",
            category="health",
            venue_kinds=("hospital",),
            policy=Policy(
                effect="priority",
                limits=(Limit(c.appointments_per_month, "month"),),
                message_zh="请为持证人优先安排副主任医师及以上专家号",
                message_en="Book the holder with an associate-senior expert first",
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
    c = benefit_config(config, SLUG, MedicalConfig)
    return per_use_lines(redemptions, CODE, c.fee_fen, "专家预约", "appointments")
