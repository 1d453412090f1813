"""``GET /api/v1/benefits``: the installed benefits and their policies; the plugin report."""

from __future__ import annotations

from typing import Annotated

from huicui_verifier.policy import describe_effect, hours_text
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from huicui.auth import ADMIN, ANY_STAFF
from huicui.benefits.schemas import InstalledBenefitOut
from huicui.context import Context
from huicui.errors import NotFound
from huicui.plugins._names import MAX_CODE, MIN_CODE
from huicui.plugins.api import BenefitInfo
from huicui.plugins.schemas import PluginReport

# Out of range is a 400 like a malformed id; a code in range that no plugin has is a 404.
Code = Annotated[
    int, Parameter(ge=MIN_CODE, le=MAX_CODE, description=f"benefit code ({MIN_CODE}-{MAX_CODE})")
]


def benefit_out(ctx: Context, info: BenefitInfo) -> InstalledBenefitOut:
    effect_zh, effect_en = describe_effect(info.policy)
    hours_zh, hours_en = hours_text(info.policy.hours)
    owner = ctx.plugins.plugin_of(info.code)
    return InstalledBenefitOut(
        code=info.code,
        slug=info.slug,
        name_zh=info.name_zh,
        name_en=info.name_en,
        category=info.category,
        venue_kinds=list(info.venue_kinds),
        policy=info.policy,
        effect_zh=effect_zh,
        effect_en=effect_en,
        hours_zh=hours_zh,
        hours_en=hours_en,
        plugin=owner.name if owner else "",
        distribution=owner.distribution if owner else "",
        version=owner.version if owner else "",
    )


class BenefitController(Controller):
    path = "/api/v1/benefits"
    tags = ["benefits"]

    @get("/", guards=[ANY_STAFF], summary="Installed benefits with their policies")
    async def list(self, ctx: NamedDependency[Context]) -> list[InstalledBenefitOut]:
        return [benefit_out(ctx, info) for info in ctx.plugins.benefits()]

    @get("/{code:int}", guards=[ANY_STAFF], summary="One installed benefit")
    async def read(self, ctx: NamedDependency[Context], code: Code) -> InstalledBenefitOut:
        info = ctx.plugins.benefit(code)
        if info is None:
            raise NotFound("未安装该权益", f"No installed benefit has code {code}")
        return benefit_out(ctx, info)

    @get("/plugins", guards=[ADMIN], summary="Plugins loaded and left out at start-up")
    async def plugins(self, ctx: NamedDependency[Context]) -> PluginReport:
        return ctx.plugins.report()
