"""Small plugin objects the loader tests register directly."""

from __future__ import annotations

import datetime as dt

from huicui.plugins.api import BenefitInfo, Limit, Policy, RedemptionFact, hookimpl


def info(code: int = 30, slug: str = "fake", **policy: object) -> BenefitInfo:
    return BenefitInfo(
        code=code,
        slug=slug,
        name_zh="测试权益",
        name_en="Test benefit",
        category="test",
        venue_kinds=("counter",),
        policy=Policy(**{"effect": "free", **policy}),  # type: ignore[arg-type]
    )


class Declares:
    """A plugin declaring the given benefits."""

    def __init__(self, *benefits: BenefitInfo, name: str = "declares") -> None:
        self.benefits = list(benefits)
        self.__name__ = name

    @hookimpl
    def huicui_benefits(self, config):
        return self.benefits


LIMITED = info(31, "limited", limits=(Limit(1, "day"),))


def fact(benefit: int, venue: int, *, accepted: bool = True, partner: int = 7,
         n: int = 0) -> RedemptionFact:
    """A synced redemption of ``benefit`` at ``venue`` (of ``partner``) in November 2026."""
    return RedemptionFact(
        uuid=f"00000000-0000-4000-8000-{n:012d}", certificate_id="00" * 8, benefit=benefit,
        venue_id=venue, partner_id=partner, device_id=1,
        at=dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC), accepted=accepted,
        reason="ok" if accepted else "limit_reached")
