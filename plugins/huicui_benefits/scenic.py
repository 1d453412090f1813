"""Benefit 1, scenic: free entry to the city's major scenic spots, once per venue per day."""

from huicui.plugins.api import PerUseBenefit, Uses

CODE = 1
SLUG = "scenic"
scenic = PerUseBenefit(
    code=CODE,
    slug=SLUG,
    name_zh="景区免费游览",
    name_en="Free entry to scenic spots",
    category="leisure",
    venue_kinds=("scenic",),
    uses=Uses(per="day", default=1, most=50, scope="venue", noun_en="entries", noun_zh="景区门票"),
    companions=0,
    price_setting="ticket_fen",
    message_zh="核验通过后放行，无需购票",
    message_en="Let the holder in; no ticket needed",
)
huicui_benefits = scenic.huicui_benefits
huicui_settlement_lines = scenic.huicui_settlement_lines
