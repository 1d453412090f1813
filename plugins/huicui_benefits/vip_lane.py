"""Benefit 4, vip_lane: the VIP fast lane at stations, the airport and service halls."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from huicui.plugins.api import BenefitInfo, Policy, benefit_config, hookimpl

CODE = 4
SLUG = "vip_lane"


class VipLaneConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.vip_lane]``."""

    companions: Annotated[int, msgspec.Meta(ge=0, le=10)] = 1


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, VipLaneConfig)
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh="贵宾快速通道",
            name_en="VIP fast lane",
            category="service",
            venue_kinds=("counter",),
            policy=Policy(
                effect="priority",
                companions=c.companions,
                message_zh="请引导至贵宾通道优先办理",
                message_en="Show the holder to the VIP lane",
            ),
        )
    ]
