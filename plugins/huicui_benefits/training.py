"""Benefit 10, training: free places in training courses, a few a year."""

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

CODE = 10
SLUG = "training"


class TrainingConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.training]``."""

    places_per_year: Annotated[int, msgspec.Meta(ge=1, le=100)] = 4
    course_fee_fen: Annotated[int, msgspec.Meta(ge=0)] = 0  # paid to the provider per place


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, TrainingConfig)
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh="培训课程免费名额",
            name_en="Free places in training courses",
            category="education",
            venue_kinds=("training",),
            policy=Policy(
                effect="free",
                limits=(Limit(c.places_per_year, "year"),),
                message_zh="免费报名（每门课程核验一次）",
                message_en="Enrol free of charge (verify once per course)",
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
    c = benefit_config(config, SLUG, TrainingConfig)
    return per_use_lines(redemptions, CODE, c.course_fee_fen, "培训名额", "places")
