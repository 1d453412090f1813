"""The membership state machine as data; pure functions only."""

from __future__ import annotations

import datetime as dt

from huicui.errors import IllegalTransition

STATES = ("nominated", "approved", "active", "expired", "suspended", "revoked", "rejected")
# A query parameter naming one state (used by the memberships and identities filters).
STATE_PATTERN = "^(" + "|".join(STATES) + ")$"

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({"nominated"}), "active"),
    "reject": (frozenset({"nominated"}), "rejected"),
    "suspend": (frozenset({"active", "approved"}), "suspended"),
    "reinstate": (frozenset({"suspended"}), "active"),
    "revoke": (frozenset({"approved", "active", "suspended", "expired"}), "revoked"),
    "renew": (frozenset({"active", "expired"}), "active"),
    "expire": (frozenset({"active"}), "expired"),
}

STATE_NAMES_ZH = {
    "nominated": "已推荐",
    "approved": "已批准",
    "active": "有效",
    "expired": "已到期",
    "suspended": "已暂停",
    "revoked": "已撤销",
    "rejected": "未通过",
}


class RenewalNotDue(IllegalTransition):
    code = "renewal_not_due"


def check_renewal(state: str, term_end: dt.date | None, today: dt.date, window_days: int) -> None:
    """Renewal belongs to the review cycle: an expired term, or an active one that ends
    within ``window_days`` (or has ended and awaits the expiry job). Earlier, a renewal
    would only hand out another certificate and a term the review never looked at."""
    if state != "active" or term_end is None:
        return
    opens = term_end - dt.timedelta(days=window_days)
    if today < opens:
        raise RenewalNotDue(
            f"任期至 {term_end.isoformat()} 结束；续期从结束前 {window_days} 天"
            f"（{opens.isoformat()}）起才可办理",
            f"The term ends on {term_end.isoformat()}; renewal opens {window_days} days "
            f"before, on {opens.isoformat()}",
            state=state,
            action="renew",
            term_end=term_end.isoformat(),
            renewable_from=opens.isoformat(),
        )


def next_state(current: str, action: str) -> str:
    """The state ``action`` leads to from ``current``, or :class:`IllegalTransition`."""
    allowed, target = TRANSITIONS[action]
    if current not in allowed:
        raise IllegalTransition(
            f"当前状态“{STATE_NAMES_ZH.get(current, current)}”不能执行该操作",
            f"Cannot {action} a membership that is {current}; "
            f"allowed from: {', '.join(sorted(allowed))}",
            state=current,
            action=action,
        )
    return target
