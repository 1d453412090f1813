"""Benefit 9, housing: housing-purchase support, by application to the housing office.

Staff file applications at ``/api/v1/housing/applications`` and the housing
office decides them (table ``housing_application``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from huicui.plugins.api import BenefitInfo, Context, Policy, benefit_config, hookimpl

from huicui_benefits._applications import Applications, application_controller

CODE = 9
SLUG = "housing"
NAME_ZH = "购房支持"


class HousingConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.housing]``."""

    message_zh: str = "购房支持须经住房部门审批，请凭审批结果办理"
    message_en: str = "Housing support needs the housing office's approval"


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, HousingConfig)
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh=NAME_ZH,
            name_en="Housing-purchase support",
            category="housing",
            venue_kinds=("counter",),
            policy=Policy(effect="priority", message_zh=c.message_zh, message_en=c.message_en),
        )
    ]


@hookimpl
def huicui_piccolo_apps() -> list[str]:
    return ["huicui_benefits.housing.piccolo_app"]


@hookimpl
def huicui_route_handlers(ctx: Context) -> list[Any]:
    from huicui_benefits.housing.tables import HousingApplication

    logic = Applications(HousingApplication, CODE, SLUG, NAME_ZH)
    return [application_controller(logic, "/api/v1/housing/applications", "housing")]
