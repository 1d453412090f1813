"""Benefit 8, medical: priority appointments with associate-senior experts, a few a month."""

from huicui.plugins.api import PerUseBenefit, Uses

CODE = 8
SLUG = "medical"
medical = PerUseBenefit(
    code=CODE,
    slug=SLUG,
    name_zh="副高以上专家优先预约",
    name_en="Priority appointment with senior medical experts",
    category="health",
    venue_kinds=("hospital",),
    uses=Uses(per="month", default=2, most=31, noun_en="appointments", noun_zh="专家预约"),
    effect="priority",
    price_setting="fee_fen",
    message_zh="请为持证人优先安排副主任医师及以上专家号",
    message_en="Book the holder with an associate-senior expert first",
)
huicui_benefits = medical.huicui_benefits
huicui_settlement_lines = medical.huicui_settlement_lines
