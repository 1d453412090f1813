"""An example third-party Huicui benefit: half-price museum tickets, twice a week.

Published as its own distribution with one entry point in group ``huicui.benefits``
(see ``pyproject.toml``); it imports nothing from Huicui but ``huicui.plugins.api``.
``docs/plugins.md`` shows this file as it is (a test compares them).
"""

from huicui.plugins.api import PerUseBenefit, Uses

museum = PerUseBenefit(
    code=11,  # stable forever: certificates carry it (bit 11 of the benefit field)
    slug="museum",  # names the settings table [benefits.museum]
    name_zh="博物馆门票优惠",
    name_en="Museum ticket discount",
    category="culture",
    venue_kinds=("museum",),  # a new kind: venues of kind "museum" may now be recorded
    uses=Uses(per="week", default=2, most=50, noun_en="visits", noun_zh="博物馆门票"),
    effect="discount",  # leave out effect and percent_off for free entry
    percent_off=50,
    price_setting="subsidy_fen",  # what the program pays the museum per visit, in fen
    message_zh="按优惠价售票",
    message_en="Sell the ticket at the discount",
)
huicui_benefits = museum.huicui_benefits
huicui_settlement_lines = museum.huicui_settlement_lines
