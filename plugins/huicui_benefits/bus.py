"""Benefit 3, bus: free city bus rides (no limit unless the program sets one)."""

from huicui.plugins.api import PerUseBenefit, Uses

CODE = 3
SLUG = "bus"
bus = PerUseBenefit(
    code=CODE,
    slug=SLUG,
    name_zh="免费乘坐市内公交",
    name_en="Free city bus",
    category="transport",
    venue_kinds=("bus",),
    uses=Uses(per="day", default=0, most=100, noun_en="rides", noun_zh="公交乘车"),
    price_setting="fare_fen",
    message_zh="免费乘车",
    message_en="Free ride",
)
huicui_benefits = bus.huicui_benefits
huicui_settlement_lines = bus.huicui_settlement_lines
