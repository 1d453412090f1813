"""Redemption policy as data, and the one evaluator that reads it.

The server (and benefit plugins) declare a :class:`Policy` per benefit; the bundle
carries it to devices; :func:`evaluate` decides offline. Because the policy is data, a new
benefit needs no verifier upgrade. ``Policy`` forbids unknown fields on purpose: a rule
this verifier does not understand must stop the bundle from loading, not be ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

import msgspec

from .clock import PROGRAM_TZ, require_aware, zone

__all__ = [
    "BenefitInfo",
    "Effect",
    "Hours",
    "Limit",
    "Period",
    "Policy",
    "PolicyError",
    "PolicyOutcome",
    "describe_effect",
    "evaluate",
    "hours_text",
    "period_bounds",
    "policy_problems",
]

Period = Literal["day", "week", "month", "year"]
Effect = Literal["free", "discount", "priority", "booking"]


class Limit(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """At most ``count`` accepted uses per calendar ``per`` (program time zone).

    ``scope="benefit"`` counts uses of the benefit anywhere this device saw them;
    ``scope="venue"`` counts only uses at this venue.
    """

    count: int
    per: Period
    scope: Literal["benefit", "venue"] = "benefit"


class Hours(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An opening window ``opens <= time < closes`` on ISO weekdays.

    Times are "HH:MM"; ``closes`` may be "24:00".

    A window cannot cross midnight; write two windows instead.
    """

    opens: str
    closes: str
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)


class Policy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a benefit gives and how often; see ``docs/verifier.md`` for each field."""

    effect: Effect
    percent_off: int | None = None
    fixed_price_fen: int | None = None
    limits: tuple[Limit, ...] = ()
    companions: int = 0
    hours: tuple[Hours, ...] = ()
    message_zh: str = ""
    message_en: str = ""

    def problems(self) -> list[str]:
        """Every rule this policy breaks, in English; empty when it is valid."""
        return policy_problems(self)

    def validate(self) -> None:
        """Raise :class:`PolicyError` listing every problem, or return None."""
        found = self.problems()
        if found:
            raise PolicyError(found)


class BenefitInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One benefit as the bundle carries it: stable code, names, where it applies, its policy."""

    code: int
    slug: str
    name_zh: str
    name_en: str
    category: str
    venue_kinds: tuple[str, ...]
    policy: Policy


class PolicyError(ValueError):
    """A policy that breaks a rule; ``problems`` lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class PolicyOutcome(msgspec.Struct, frozen=True):
    """The evaluator's answer: allowed or not (and why), and what the holder gets."""

    allowed: bool
    reason: Literal["ok", "outside_hours", "limit_reached"]
    detail_zh: str
    detail_en: str
    effect_zh: str
    effect_en: str
    companions: int
    message_zh: str
    message_en: str


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def policy_problems(policy: Policy) -> list[str]:
    """Every rule ``policy`` breaks (English, for the server's error messages)."""
    found: list[str] = []
    if policy.effect == "discount":
        given = [f for f in ("percent_off", "fixed_price_fen") if getattr(policy, f) is not None]
        if len(given) != 1:
            found.append("a discount needs exactly one of percent_off and fixed_price_fen")
    elif policy.percent_off is not None or policy.fixed_price_fen is not None:
        found.append("percent_off and fixed_price_fen belong to effect 'discount' only")
    if policy.percent_off is not None and not 1 <= policy.percent_off <= 100:
        found.append("percent_off must be 1..100")
    if policy.fixed_price_fen is not None and policy.fixed_price_fen < 0:
        found.append("fixed_price_fen must not be negative")
    if policy.companions < 0:
        found.append("companions must not be negative")
    for limit in policy.limits:
        if limit.count <= 0:
            found.append(f"limit count must be positive, got {limit.count}")
    for h in policy.hours:
        if not (_HHMM.match(h.opens) and _HHMM.match(h.closes)) or h.opens == "24:00":
            found.append(f"hours must be HH:MM, got {h.opens!r}-{h.closes!r}")
        elif _minutes(h.opens) >= _minutes(h.closes):
            found.append(
                f"hours {h.opens}-{h.closes} must open before they close (split overnight windows)"
            )
        if not h.weekdays or any(d not in range(1, 8) for d in h.weekdays):
            found.append(f"weekdays must be ISO days 1..7, got {list(h.weekdays)}")
    return found


def describe_effect(policy: Policy) -> tuple[str, str]:
    """What the holder gets, as (zh, en) text, without companions."""
    if policy.effect == "free":
        return "免费", "Free"
    if policy.effect == "priority":
        return "优先办理", "Priority service"
    if policy.effect == "booking":
        return "凭预约使用", "By booking"
    if policy.fixed_price_fen is not None:
        yuan = f"¥{policy.fixed_price_fen / 100:.2f}"
        return f"协议价 {yuan}", f"Agreement price {yuan}"
    pct = policy.percent_off or 0
    if pct >= 100:
        return "全额减免", "100% off"
    zhe = f"{(100 - pct) / 10:g}"
    return f"{zhe}折（减 {pct}%）", f"{pct}% off"


def _companions_text(n: int) -> tuple[str, str]:
    if n <= 0:
        return "", ""
    return f"，可携同行 {n} 人", f", up to {n} companion{'s' if n > 1 else ''}"


_WEEKDAY_ZH = "一二三四五六日"
_WEEKDAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _days_text(days: tuple[int, ...]) -> tuple[str, str]:
    days = tuple(sorted(set(days)))
    if days == (1, 2, 3, 4, 5, 6, 7):
        return "每天", "daily"
    if len(days) >= 3 and days == tuple(range(days[0], days[-1] + 1)):
        return (
            f"周{_WEEKDAY_ZH[days[0] - 1]}至周{_WEEKDAY_ZH[days[-1] - 1]}",
            f"{_WEEKDAY_EN[days[0] - 1]}–{_WEEKDAY_EN[days[-1] - 1]}",
        )
    return "、".join(f"周{_WEEKDAY_ZH[d - 1]}" for d in days), ", ".join(
        _WEEKDAY_EN[d - 1] for d in days
    )


def hours_text(hours: Sequence[Hours]) -> tuple[str, str]:
    """Opening hours as (zh, en) text, e.g. ``周一至周五 08:00–18:00``."""
    zh, en = [], []
    for h in hours:
        dz, de = _days_text(h.weekdays)
        zh.append(f"{dz} {h.opens}–{h.closes}")
        en.append(f"{de} {h.opens}–{h.closes}")
    return "；".join(zh), "; ".join(en)


_PERIOD_TEXT = {
    "day": ("每日", "per day", "今日", "today"),
    "week": ("每周", "per week", "本周", "this week"),
    "month": ("每月", "per month", "本月", "this month"),
    "year": ("每年", "per year", "今年", "this year"),
}


@lru_cache(maxsize=256)
def _effect_text(policy: Policy) -> tuple[str, str]:
    """What the holder gets, companions included; policies are frozen, so cached."""
    effect_zh, effect_en = describe_effect(policy)
    comp_zh, comp_en = _companions_text(policy.companions)
    return effect_zh + comp_zh, effect_en + comp_en


def period_bounds(per: Period, now: datetime, tz: str = PROGRAM_TZ) -> tuple[int, int]:
    """The calendar period around ``now`` in ``tz`` as [start, end) epoch seconds.

    Weeks are ISO weeks (Monday first); days, months and years are calendar ones.
    """
    return _bounds(per, now.astimezone(zone(tz)).date(), tz)


# Periods repeat for every scan of a day: caching them keeps the decision close to
# the cost of the signature check (bench/decide_rate.py).
@lru_cache(maxsize=512)
def _bounds(per: Period, today: date, tz: str) -> tuple[int, int]:
    if per == "day":
        start, end = today, today + timedelta(days=1)
    elif per == "week":
        start = today - timedelta(days=today.isoweekday() - 1)
        end = start + timedelta(days=7)
    elif per == "month":
        start = today.replace(day=1)
        end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    elif per == "year":
        start, end = date(today.year, 1, 1), date(today.year + 1, 1, 1)
    else:
        raise ValueError(f"unknown period {per!r}")

    def ts(d: date) -> int:
        return int(datetime(d.year, d.month, d.day, tzinfo=zone(tz)).timestamp())

    return ts(start), ts(end)


def evaluate(
    policy: Policy,
    *,
    now: datetime,
    history: Sequence[tuple[int, int]],
    venue_id: int,
    tz: str = PROGRAM_TZ,
) -> PolicyOutcome:
    """Decide opening hours, then limits, for one use of a benefit at ``now``.

    ``history`` holds (epoch seconds, venue id) of earlier *accepted* uses of this
    certificate and benefit on this device. Pure: no clock, no I/O.
    """
    require_aware(now)
    effect_zh, effect_en = _effect_text(policy)

    def outcome(
        allowed: bool, reason: str, detail_zh: str = "", detail_en: str = ""
    ) -> PolicyOutcome:
        return PolicyOutcome(
            allowed=allowed,
            reason=reason,  # type: ignore[arg-type]
            detail_zh=detail_zh,
            detail_en=detail_en,
            effect_zh=effect_zh,
            effect_en=effect_en,
            companions=policy.companions,
            message_zh=policy.message_zh,
            message_en=policy.message_en,
        )

    if policy.hours:
        local = now.astimezone(zone(tz))
        minute = local.hour * 60 + local.minute
        open_now = any(
            local.isoweekday() in h.weekdays and _minutes(h.opens) <= minute < _minutes(h.closes)
            for h in policy.hours
        )
        if not open_now:
            zh, en = hours_text(policy.hours)
            return outcome(False, "outside_hours", f"开放时间：{zh}", f"Open {en}")

    for limit in policy.limits:
        start, end = period_bounds(limit.per, now, tz)
        used = sum(
            1
            for at, venue in history
            if start <= at < end and (limit.scope == "benefit" or venue == venue_id)
        )
        if used >= limit.count:
            every_zh, every_en, this_zh, this_en = _PERIOD_TEXT[limit.per]
            where_zh, where_en = (
                ("（本场所）", " at this venue") if limit.scope == "venue" else ("", "")
            )
            return outcome(
                False,
                "limit_reached",
                f"{every_zh}限 {limit.count} 次{where_zh}，{this_zh}已用 {used} 次",
                f"Limit {limit.count} {every_en}{where_en}; used {used} {this_en}",
            )
    return outcome(True, "ok")
