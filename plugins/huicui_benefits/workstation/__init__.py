"""Benefit 6, workstation: free use of 荟萃北海 workstation rooms, by booking.

Staff book rooms for members at ``/api/v1/workstation/bookings``; a room cannot
be booked twice for overlapping times (table ``workstation_booking``).
"""

from __future__ import annotations

from typing import Any

from huicui.plugins.api import BenefitInfo, Context, Hours, Policy, benefit_config, hookimpl

from huicui_benefits.workstation.bookings import CODE, WorkstationConfig

SLUG = "workstation"


@hookimpl
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    c = benefit_config(config, SLUG, WorkstationConfig)
    return [
        BenefitInfo(
            code=CODE,
            slug=SLUG,
            name_zh="荟萃北海工作站免费使用",
            name_en="Free use of Huicui workstations",
            category="community",
            venue_kinds=("workstation",),
            policy=Policy(
                effect="booking",
                hours=(Hours(c.opens, c.closes),),
                message_zh="请核对预约记录后开放工作站",
                message_en="Check the booking, then open the room",
            ),
        )
    ]


@hookimpl
def huicui_piccolo_apps() -> list[str]:
    return ["huicui_benefits.workstation.piccolo_app"]


@hookimpl
def huicui_route_handlers(ctx: Context) -> list[Any]:
    from huicui_benefits.workstation.controller import booking_controller

    return [booking_controller(benefit_config(ctx.settings.benefits, SLUG, WorkstationConfig))]
