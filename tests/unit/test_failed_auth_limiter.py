"""The failed-authentication limiter on its own, with a clock the test moves."""

from __future__ import annotations

import logging

import pytest
from huicui.auth.failures import FailedAuthLimiter, token_kind
from huicui.settings import AuthSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def limiter(clock, **fields) -> FailedAuthLimiter:
    fields = {"max_failures": 3, "window_seconds": 60, **fields}
    return FailedAuthLimiter(AuthSettings(**fields), clock=clock)


def test_limited_after_max_failures_until_the_window_ends(clock):
    lim = limiter(clock)
    assert [lim.failed("10.0.0.1", "staff token").limited for _ in range(3)] == [False] * 3
    clock.now += 15
    verdict = lim.failed("10.0.0.1", "staff token")
    assert verdict.limited and verdict.retry_after == 45
    assert lim.retry_after("10.0.0.2") == 0  # per address
    assert not lim.failed("10.0.0.2", "staff token").limited
    clock.now += 44.5
    assert lim.retry_after("10.0.0.1") == 1
    clock.now += 0.5
    assert lim.retry_after("10.0.0.1") == 0
    assert not lim.failed("10.0.0.1", "staff token").limited  # a new window


def test_the_table_is_bounded_and_forgets_the_oldest(clock):
    lim = limiter(clock, tracked_clients=100)
    for _ in range(4):
        lim.failed("attacker", "other token")
    assert lim.retry_after("attacker") > 0
    for n in range(100):
        lim.failed(f"10.1.{n // 256}.{n % 256}", "other token")
    assert len(lim) == 100
    assert lim.retry_after("attacker") == 0  # forgotten, not grown without bound


def test_log_lines_are_few_and_carry_no_token(clock, caplog):
    lim = limiter(clock, max_failures=20)
    token = "hcs_" + "S3cretS3cretS3cretS3cretS3cretS3cret"
    with caplog.at_level(logging.WARNING, logger="huicui.auth"):
        for _ in range(2000):
            lim.failed("203.0.113.7", token_kind(token))
        clock.now += 61
        lim.failed("203.0.113.7", token_kind(token))
    lines = [r.getMessage() for r in caplog.records if r.name == "huicui.auth"]
    assert len(lines) == 4, lines
    assert "203.0.113.7 (staff token)" in lines[0]
    assert "21 in 0 s, answering 429 for 60 s" in lines[1]
    assert "1979 more in the previous 60 s" in lines[2]
    assert "S3cret" not in caplog.text


@pytest.mark.parametrize(("token", "kind"), [
    ("hcs_abc", "staff token"), ("hcd_abc", "device token"),
    ("11010519491231002X", "other token"), ("", "other token"),
])
def test_only_known_prefixes_are_named(token, kind):
    assert token_kind(token) == kind


@pytest.mark.parametrize(("field", "value"), [
    ("max_failures", 0), ("window_seconds", 0), ("tracked_clients", 0),
])
def test_bad_numbers_stop_start_up(field, value):
    with pytest.raises(ValueError, match=f"auth.{field}"):
        AuthSettings(**{field: value})
