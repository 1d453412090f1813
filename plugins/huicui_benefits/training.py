"""Benefit 10, training: free places in training courses, a few a year."""

from huicui.plugins.api import PerUseBenefit, Uses

CODE = 10
SLUG = "training"
training = PerUseBenefit(
    code=CODE,
    slug=SLUG,
    name_zh="培训课程免费名额",
    name_en="Free places in training courses",
    category="education",
    venue_kinds=("training",),
    uses=Uses(per="year", default=4, most=100, noun_en="places", noun_zh="培训名额"),
    price_setting="course_fee_fen",
    message_zh="免费报名（每门课程核验一次）",
    message_en="Enrol free of charge (verify once per course)",
)
huicui_benefits = training.huicui_benefits
huicui_settlement_lines = training.huicui_settlement_lines
