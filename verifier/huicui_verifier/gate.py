"""Decide and record in one step, the way every front end (CLI, scan loop, kiosk) must."""

from __future__ import annotations

from datetime import datetime

from .bundle import Bundle
from .decide import Decision, decide
from .log import DecisionLog


def check_and_record(
    text: str, *, bundle: Bundle | None, log: DecisionLog, benefit: int | None, now: datetime
) -> Decision:
    """Decide ``text`` against the device's own history and commit the decision.

    Returns only after the decision is durable, so whatever the caller shows next is
    already on disk: the design's "record, then show". An HB2 proof that passed is
    remembered in the same write, so showing it here again is refused as ``replayed``.
    """
    decision = decide(
        text,
        bundle=bundle,
        benefit=benefit,
        now=now,
        history_lookup=log.history,
        proof_seen=log.proof_seen,
    )
    log.record(decision)
    return decision


def resolve_benefit(bundle: Bundle | None, value: str | int | None) -> int | None:
    """A benefit given as code or slug, as its code; raises ValueError for an unknown one."""
    if value is None or value == "":
        return None
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    if bundle is not None:
        for info in bundle.benefits.values():
            if info.slug == value:
                return info.code
    raise ValueError(f"unknown benefit {value!r}")
