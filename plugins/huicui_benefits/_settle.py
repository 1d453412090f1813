"""Settlement helpers shared by the built-in benefits (not a plugin: no entry point)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from huicui.plugins.api import RedemptionFact, SettlementLine


def accepted_by_venue(redemptions: Sequence[RedemptionFact], code: int) -> Counter[int]:
    """Accepted uses of benefit ``code`` per venue (refusals cost the program nothing)."""
    return Counter(r.venue_id for r in redemptions if r.benefit == code and r.accepted)


def per_use_lines(
    redemptions: Sequence[RedemptionFact],
    code: int,
    unit_fen: int,
    what_zh: str,
    what_en: str,
) -> list[SettlementLine]:
    """One line per venue: accepted uses × ``unit_fen``, the price the program pays per use."""
    yuan = f"¥{unit_fen / 100:.2f}"
    return [
        SettlementLine(
            venue_id=venue,
            benefit=code,
            count=count,
            amount_fen=count * unit_fen,
            note_zh=f"{what_zh} {count} 次 × {yuan}",
            note_en=f"{count} {what_en} × {yuan}",
        )
        for venue, count in sorted(accepted_by_venue(redemptions, code).items())
    ]
