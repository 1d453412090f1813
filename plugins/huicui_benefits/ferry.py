"""Benefit 2, ferry: free ride on the Beihai–Weizhou island ferry, two rides a day."""

from huicui.plugins.api import PerUseBenefit, Uses

CODE = 2
SLUG = "ferry"
ferry = PerUseBenefit(
    code=CODE,
    slug=SLUG,
    name_zh="北涠线客轮免费乘坐",
    name_en="Free Beihai–Weizhou ferry",
    category="transport",
    venue_kinds=("ferry",),
    uses=Uses(per="day", default=2, most=20, noun_en="rides", noun_zh="客轮船票"),
    companions=0,
    price_setting="fare_fen",
    message_zh="请引导持证人登船，船票免费",
    message_en="Board the holder; the ticket is free",
)
huicui_benefits = ferry.huicui_benefits
huicui_settlement_lines = ferry.huicui_settlement_lines
