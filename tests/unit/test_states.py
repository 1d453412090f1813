"""The membership state machine as data."""

from __future__ import annotations

import datetime as dt

import pytest
from huicui.errors import IllegalTransition
from huicui.memberships.states import (
    STATE_NAMES_ZH,
    STATES,
    TRANSITIONS,
    RenewalNotDue,
    check_renewal,
    next_state,
)

EXPECTED = {
    ("nominated", "approve"): "active",
    ("nominated", "reject"): "rejected",
    ("active", "suspend"): "suspended",
    ("approved", "suspend"): "suspended",
    ("suspended", "reinstate"): "active",
    ("approved", "revoke"): "revoked",
    ("active", "revoke"): "revoked",
    ("suspended", "revoke"): "revoked",
    ("expired", "revoke"): "revoked",
    ("active", "renew"): "active",
    ("expired", "renew"): "active",
    ("active", "expire"): "expired",
}
ALL = [(s, a) for s in STATES for a in TRANSITIONS]


@pytest.mark.parametrize(("state", "action"), ALL, ids=[f"{s}-{a}" for s, a in ALL])
def test_every_pair(state, action):
    if (state, action) in EXPECTED:
        assert next_state(state, action) == EXPECTED[(state, action)]
    else:
        with pytest.raises(IllegalTransition) as info:
            next_state(state, action)
        assert info.value.status == 409
        assert info.value.extra == {"state": state, "action": action}
        assert STATE_NAMES_ZH[state] in info.value.message_zh


def test_terminal_states():
    for terminal in ("rejected", "revoked"):
        assert all(terminal not in allowed for allowed, _ in TRANSITIONS.values())


def test_every_state_has_a_chinese_name():
    assert set(STATE_NAMES_ZH) == set(STATES)


TODAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(("state", "ends_in", "allowed"), [
    ("active", 91, False), ("active", 1095, False),
    ("active", 90, True), ("active", 0, True), ("active", -5, True),
    ("expired", -400, True), ("expired", 1000, True),
])
def test_renewal_only_in_the_review_window(state, ends_in, allowed):
    end = TODAY + dt.timedelta(days=ends_in)
    if allowed:
        check_renewal(state, end, TODAY, 90)
        return
    with pytest.raises(RenewalNotDue) as info:
        check_renewal(state, end, TODAY, 90)
    assert info.value.status == 409 and info.value.code == "renewal_not_due"
    assert info.value.extra["renewable_from"] == (end - dt.timedelta(days=90)).isoformat()
    assert end.isoformat() in info.value.message_zh
