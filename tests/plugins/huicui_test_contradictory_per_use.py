"""A per-use plugin whose declaration contradicts itself (a discount with no percentage)."""

from huicui.plugins.api import PerUseBenefit, Uses

library = PerUseBenefit(
    code=12, slug="library", name_zh="图书馆借阅", name_en="Library loans", category="culture",
    venue_kinds=("library",), uses=Uses(per="week", default=5, most=20, noun_en="loans",
                                        noun_zh="借阅"),
    effect="discount", message_zh="免押金借阅", message_en="Borrow without a deposit")
huicui_benefits = library.huicui_benefits
