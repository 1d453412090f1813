"""The membership state machine as data; pure functions only."""

from __future__ import annotations

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
