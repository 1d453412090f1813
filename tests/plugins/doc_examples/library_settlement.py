"""Settlement by hand: ¥5 a loan, at most ¥500 a month for each library."""

from huicui.plugins.api import SettlementLine, accepted_by_venue, hookimpl

CODE = 12
PER_LOAN_FEN = 500  # 1 yuan = 100 fen
CAP_FEN = 50_000  # per library and month


@hookimpl
def huicui_settlement_lines(partner_id, month, redemptions, config):
    # One line per venue: a partner running two libraries gets a line for each.
    lines = []
    for venue_id, loans in sorted(accepted_by_venue(redemptions, CODE).items()):
        lines.append(
            SettlementLine(
                venue_id=venue_id,
                benefit=CODE,
                count=loans,
                amount_fen=min(loans * PER_LOAN_FEN, CAP_FEN),
                note_zh=f"借阅 {loans} 次 × ¥5.00，每馆每月至多 ¥500.00",
                note_en=f"{loans} × ¥5.00 a loan, at most ¥500.00 a library a month",
            )
        )
    return lines
