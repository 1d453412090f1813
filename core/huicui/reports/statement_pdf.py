"""The settlement statement as an A4 PDF: header, table, totals, notes, daily-use chart.

Drawn with fpdf2 primitives only (cells, lines, rectangles), in the Noto Sans CJK face
the printed certificate already embeds (``huicui.issuance.cards`` loads it), so names
print on any machine. Pure: a :class:`Statement` in, bytes out.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from huicui.issuance.cards import NOTO_SC_FACE, fit_text, font_path
from huicui.reports.schemas import Statement
from huicui.reports.statement import NO_BENEFIT

FONT = "NotoSC"
MARGIN = 15.0
A4_WIDTH = 210.0
CONTENT = A4_WIDTH - 2 * MARGIN
# Column widths (mm) of the table: venue, benefit, accepted, refused, amount.
COLUMNS = (62.0, 48.0, 20.0, 20.0, 30.0)
ROW_H = 7.0
CHART_H = 55.0
GREY = (110, 110, 110)
BAR = (178, 34, 34)  # the certificate's red


def money(amount_yuan: str) -> str:
    """``1234.50`` → ``¥1,234.50`` (thousands grouped, exact)."""
    sign = "-" if amount_yuan.startswith("-") else ""
    whole, _, cents = amount_yuan.lstrip("-").partition(".")
    return f"{sign}¥{int(whole):,}.{cents or '00'}"


class _StatementPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{self.footer_text}    第 {self.page_no()} 页 / page {self.page_no()}",
                  align="C")
        self.set_text_color(0, 0, 0)


def _table_header(pdf: FPDF) -> None:
    pdf.set_font(FONT, size=8.5)
    pdf.set_fill_color(240, 240, 240)
    labels = ("场所 Venue", "权益 Benefit", "通过 Accepted", "拒绝 Refused", "应付 Amount")
    for width, label, align in zip(COLUMNS, labels, "LLRRR", strict=True):
        pdf.cell(width, ROW_H, label, border="B", align=align, fill=True)
    pdf.ln(ROW_H)


def _room(pdf: FPDF, height: float) -> bool:
    return pdf.get_y() + height <= pdf.h - 18


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10ⁿ)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def _chart(pdf: FPDF, statement: Statement) -> None:
    """Bars of accepted uses per day of the month, with a labelled y axis."""
    daily = statement.daily
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 7, "每日通过次数 Daily accepted uses", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y() + 2
    axis_w = 10.0
    left = MARGIN + axis_w
    width = CONTENT - axis_w
    bottom = top + CHART_H
    peak = _nice_max(max((d.accepted for d in daily), default=0))
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    pdf.set_font(FONT, size=6.5)
    for tick in (0, peak // 2 if peak >= 2 else None, peak):
        if tick is None:
            continue
        y = bottom - CHART_H * tick / peak
        pdf.set_draw_color(225, 225, 225)
        pdf.line(left, y, left + width, y)
        pdf.set_xy(MARGIN, y - 2)
        pdf.cell(axis_w - 1.5, 4, str(tick), align="R")
    pdf.set_draw_color(*GREY)
    pdf.line(left, top, left, bottom)
    pdf.line(left, bottom, left + width, bottom)
    slot = width / max(1, len(daily))
    pdf.set_fill_color(*BAR)
    for i, day in enumerate(daily):
        x = left + i * slot
        if day.accepted:
            h = CHART_H * day.accepted / peak
            pdf.rect(x + slot * 0.15, bottom - h, slot * 0.7, h, style="F")
            if slot >= 4:
                pdf.set_font(FONT, size=5)
                pdf.set_xy(x, bottom - h - 3.2)
                pdf.cell(slot, 3, str(day.accepted), align="C")
        pdf.set_font(FONT, size=6)
        pdf.set_xy(x, bottom + 0.8)
        pdf.cell(slot, 3.5, str(int(day.date[-2:])), align="C")
    pdf.set_xy(MARGIN, bottom + 5)
    pdf.set_font(FONT, size=7)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 4, f"日期（{statement.timezone}）/ day of {statement.month}", align="C",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def statement_pdf(statement: Statement) -> bytes:
    """The A4 portrait statement (table, totals, notes, daily chart) as PDF bytes."""
    pdf = _StatementPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT, fname=font_path(), collection_font_number=NOTO_SC_FACE)
    partner = statement.partner
    pdf.footer_text = f"{partner.name_zh} · {statement.month} · 生成于 {statement.generated_at}"
    pdf.set_title(f"结算单 Settlement {partner.name_zh} {statement.month}")
    pdf.set_creator("Huicui")
    pdf.add_page()

    pdf.set_font(FONT, size=18)
    pdf.cell(0, 10, "权益结算单", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, f"Settlement statement · {statement.program_zh} {statement.program_en}",
             align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    start, end = statement.period_start[:10], statement.period_end[:10]
    facts = [
        ("合作方 Partner", f"{partner.name_zh}  {partner.name_en}".strip()),
        ("合作方编号 Partner id", str(partner.id)),
        ("结算账户 Account", partner.settlement_ref or "—"),
        ("结算月份 Month", statement.month),
        ("期间 Period", f"{start} 00:00 至 {end} 00:00（{statement.timezone}，不含结束时刻）"),
        ("币种 Currency", "人民币 CNY"),
    ]
    for label, value in facts:
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*GREY)
        pdf.cell(42, 6, label)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, size=10)
        pdf.cell(0, 6, fit_text(pdf, value, CONTENT - 42), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    _table_header(pdf)
    pdf.set_font(FONT, size=9)
    for row in statement.rows:
        if not _room(pdf, ROW_H):
            pdf.add_page()
            _table_header(pdf)
            pdf.set_font(FONT, size=9)
        venue = f"{row.venue_name_zh}（{row.venue_id}）"
        benefit = row.benefit_name_zh + (f"（{row.benefit}）" if row.benefit != NO_BENEFIT else "")
        cells = (venue, benefit, str(row.accepted), str(row.refused), money(row.amount_yuan))
        for width, text, align in zip(COLUMNS, cells, "LLRRR", strict=True):
            pdf.cell(width, ROW_H, fit_text(pdf, text, width - 1.5), border="B", align=align)
        pdf.ln(ROW_H)
    if not statement.rows:
        pdf.set_text_color(*GREY)
        pdf.cell(CONTENT, ROW_H, "本月无核验记录 / no redemptions this month", border="B",
                 align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
    totals = statement.totals
    pdf.set_font(FONT, size=10)
    cells = ("合计 Total", "", str(totals.accepted), str(totals.refused),
             money(totals.amount_yuan))
    for width, text, align in zip(COLUMNS, cells, "LLRRR", strict=True):
        pdf.cell(width, ROW_H + 1, text, border="T", align=align)
    pdf.ln(ROW_H + 3)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(
        CONTENT, 4.5,
        "只有核验通过的使用计费；被拒绝的核验（超出次数、已撤销等）不计费。"
        "Only accepted uses are paid; refused checks are listed but not paid.",
        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )
    pdf.set_text_color(0, 0, 0)

    notes = [r for r in statement.rows if r.note_zh or r.note_en]
    if notes:
        pdf.ln(2)
        pdf.set_font(FONT, size=10)
        pdf.cell(0, 6, "计费说明 Notes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=8)
        for row in notes:
            pdf.multi_cell(
                CONTENT, 4.5,
                f"{row.venue_name_zh} · {row.benefit_name_zh}：{row.note_zh}  {row.note_en}",
                new_x=XPos.LMARGIN, new_y=YPos.NEXT,
            )
    pdf.ln(4)
    if not _room(pdf, CHART_H + 22):
        pdf.add_page()
    _chart(pdf, statement)
    return bytes(pdf.output())
