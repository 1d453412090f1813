"""The settlement statement as CSV for Excel: UTF-8 with BOM, headers in Chinese and English.

One row per venue and benefit, then a 合计/Total row. Every row repeats the month and
the partner, so rows stay meaningful when statements are pasted together or filtered.
"""

from __future__ import annotations

import csv
import io

from huicui.reports.schemas import Statement

HEADERS = (
    "月份 month",
    "合作方 partner",
    "场所编号 venue_id",
    "场所 venue",
    "权益代码 benefit_code",
    "权益 benefit",
    "通过次数 accepted",
    "拒绝次数 refused",
    "应付金额（元）amount_cny",
    "说明 note",
)
TOTAL_LABEL = "合计 Total"
# A cell starting with one of these is a formula to Excel: prefix it so it stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _both(zh: str, en: str) -> str:
    return f"{zh} {en}".strip() if en and en != zh else zh


def statement_csv(statement: Statement) -> bytes:
    """The statement as CSV bytes (BOM first, CRLF line ends, as Excel expects)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    partner = _text(_both(statement.partner.name_zh, statement.partner.name_en))
    for row in statement.rows:
        writer.writerow(
            (
                statement.month,
                partner,
                row.venue_id,
                _text(_both(row.venue_name_zh, row.venue_name_en)),
                row.benefit,
                _text(_both(row.benefit_name_zh, row.benefit_name_en)),
                row.accepted,
                row.refused,
                row.amount_yuan,
                _text(_both(row.note_zh, row.note_en)),
            )
        )
    totals = statement.totals
    writer.writerow(
        (
            statement.month,
            partner,
            "",
            TOTAL_LABEL,
            "",
            "",
            totals.accepted,
            totals.refused,
            totals.amount_yuan,
            f"{statement.period_start} – {statement.period_end} ({statement.timezone})",
        )
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
