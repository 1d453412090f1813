"""An example third-party Huicui benefit: half-price museum tickets.

Published as its own distribution with one entry point in group ``huicui.benefits``
(see ``pyproject.toml``); it imports nothing from Huicui but ``huicui.plugins.api``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from huicui.plugins.api import BenefitInfo, Limit, Policy, benefit_config, hookimpl

CODE = 11
SLUG = "museum"


class MuseumConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.museum]`` with its defaults."""

    percent_off: Annotated[int, msgspec.Meta(ge=1, le=100)] = 50
    visits_per_week: Annotated[int, msgspec.Meta(ge=1, le=50)] = 2


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, MuseumConfig)
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh="博物馆门票优惠",
            name_en="Museum ticket discount",
            category="culture",
            venue_kinds=("scenic",),
            policy=Policy(
                effect="discount",
                percent_off=c.percent_off,
                limits=(Limit(c.visits_per_week, "week"),),
                message_zh="按优惠价售票",
                message_en="Sell the ticket at the discount",
            ),
        )
    ]
