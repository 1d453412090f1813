"""Small plugin objects the loader tests register directly."""

from __future__ import annotations

from huicui.plugins.api import BenefitInfo, Limit, Policy, hookimpl


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
