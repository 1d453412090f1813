"""Benefit 7, school: priority school choice for a member's registered direct descendants.

Eligible only when the member has registered at least one direct descendant.
The education bureau's staff process applications filed at
``/api/v1/school/applications`` (table ``school_application``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from huicui.plugins.api import (
    BenefitInfo,
    Context,
    HolderFacts,
    Policy,
    benefit_config,
    hookimpl,
)

from huicui_benefits._applications import Applications, application_controller

CODE = 7
SLUG = "school"
NAME_ZH = "直系后代优先择校"


class SchoolConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.school]``."""

    message_zh: str = "请凭审批结果到教育局办理择校"
    message_en: str = "Apply through the education bureau with the approved application"


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, SchoolConfig)
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh=NAME_ZH,
            name_en="Priority school choice for direct descendants",
            category="education",
            venue_kinds=("school",),
            policy=Policy(effect="priority", message_zh=c.message_zh, message_en=c.message_en),
        )
    ]


@hookimpl
def huicui_eligible(benefit: BenefitInfo, holder: HolderFacts) -> bool | None:
    if benefit.code != CODE:
        return None
    return holder.descendant_count > 0


@hookimpl
def huicui_piccolo_apps() -> list[str]:
    return ["huicui_benefits.school.piccolo_app"]


def _logic() -> Applications:
    from huicui_benefits.school.tables import SchoolApplication

    return Applications(SchoolApplication, CODE, SLUG, NAME_ZH)


@hookimpl
def huicui_route_handlers(ctx: Context) -> list[Any]:
    return [application_controller(_logic(), "/api/v1/school/applications", "school")]
