from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import msgspec
import pytest
from huicui_verifier.policy import (
    BenefitInfo,
    Hours,
    Limit,
    Policy,
    PolicyError,
    describe_effect,
    evaluate,
    period_bounds,
)

SH = ZoneInfo("Asia/Shanghai")
VENUE = 501


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def ts(dt: datetime) -> int:
    return int(dt.timestamp())


def run(policy, now, history=(), venue=VENUE):
    return evaluate(policy, now=now, history=list(history), venue_id=venue)


def test_free_without_rules_is_allowed():
    out = run(Policy(effect="free"), sh(2026, 3, 2, 10, 0))
    assert out.allowed and out.reason == "ok"
    assert (out.effect_zh, out.effect_en) == ("免费", "Free")


def test_day_boundary_is_shanghai_midnight_not_utc():
    policy = Policy(effect="free", limits=(Limit(1, "day"),))
    used = sh(2026, 3, 2, 23, 59)  # 15:59 UTC on 2 March
    # 00:01 Shanghai on 3 March is still 2 March in UTC (16:01): a new Shanghai day all the same.
    next_morning = sh(2026, 3, 3, 0, 1)
    assert next_morning.astimezone(UTC).day == 2
    assert run(policy, next_morning, [(ts(used), VENUE)]).allowed
    # 07:00 Shanghai on 2 March is 23:00 UTC on 1 March; a use then and one at 23:59 share a day.
    early = sh(2026, 3, 2, 7, 0)
    assert early.astimezone(UTC).day == 1
    out = run(policy, used, [(ts(early), VENUE)])
    assert not out.allowed and out.reason == "limit_reached"
    assert "每日限 1 次" in out.detail_zh and "per day" in out.detail_en


def test_week_is_iso_monday_first():
    policy = Policy(effect="free", limits=(Limit(2, "week"),))
    sunday = sh(2026, 3, 8, 20, 0)
    monday = sh(2026, 3, 9, 0, 0)
    history = [(ts(sh(2026, 3, 2, 9, 0)), VENUE), (ts(sh(2026, 3, 8, 9, 0)), VENUE)]
    assert not run(policy, sunday, history).allowed
    assert run(policy, monday, history).allowed
    start, end = period_bounds("week", sunday)
    assert start == ts(sh(2026, 3, 2)) and end == ts(monday)


def test_month_and_year_boundaries():
    month = Policy(effect="free", limits=(Limit(1, "month"),))
    year = Policy(effect="free", limits=(Limit(1, "year"),))
    last_of_feb = [(ts(sh(2026, 2, 28, 23, 30)), VENUE)]
    assert run(month, sh(2026, 3, 1, 0, 10), last_of_feb).allowed
    assert not run(month, sh(2026, 2, 1, 0, 0), last_of_feb).allowed
    new_years_eve = [(ts(sh(2025, 12, 31, 23, 59)), VENUE)]
    assert run(year, sh(2026, 1, 1, 0, 1), new_years_eve).allowed
    assert not run(year, sh(2025, 6, 1), new_years_eve).allowed
    assert period_bounds("month", sh(2026, 12, 15)) == (ts(sh(2026, 12, 1)), ts(sh(2027, 1, 1)))


def test_venue_scope_counts_only_this_venue():
    policy = Policy(effect="free", limits=(Limit(2, "month", "venue"),))
    now = sh(2026, 3, 20, 10)
    elsewhere = [(ts(sh(2026, 3, 1, 10)), 900), (ts(sh(2026, 3, 2, 10)), 900)]
    assert run(policy, now, elsewhere).allowed
    here = [*elsewhere, (ts(sh(2026, 3, 3, 10)), VENUE), (ts(sh(2026, 3, 4, 10)), VENUE)]
    out = run(policy, now, here)
    assert not out.allowed and "本场所" in out.detail_zh and "at this venue" in out.detail_en
    benefit_scope = Policy(effect="free", limits=(Limit(2, "month"),))
    assert not run(benefit_scope, now, elsewhere).allowed


def test_several_limits_all_apply():
    policy = Policy(effect="free", limits=(Limit(1, "day"), Limit(3, "week")))
    history = [(ts(sh(2026, 3, d, 10)), VENUE) for d in (2, 3, 4)]
    out = run(policy, sh(2026, 3, 5, 10), history)
    assert not out.allowed and "每周" in out.detail_zh


def test_hours_and_weekdays():
    policy = Policy(
        effect="free",
        hours=(Hours("08:00", "18:00", (1, 2, 3, 4, 5)), Hours("10:00", "16:00", (6,))),
    )
    assert run(policy, sh(2026, 3, 2, 8, 0)).allowed  # Monday, opening minute
    assert not run(policy, sh(2026, 3, 2, 18, 0)).allowed  # closing minute is closed
    assert not run(policy, sh(2026, 3, 2, 7, 59)).allowed
    assert run(policy, sh(2026, 3, 7, 11, 0)).allowed  # Saturday window
    out = run(policy, sh(2026, 3, 8, 11, 0))  # Sunday
    assert not out.allowed and out.reason == "outside_hours"
    assert "周一至周五 08:00–18:00" in out.detail_zh and "Mon–Fri 08:00–18:00" in out.detail_en


def test_hours_are_checked_before_limits():
    policy = Policy(effect="free", hours=(Hours("08:00", "09:00"),), limits=(Limit(1, "day"),))
    now = sh(2026, 3, 2, 20, 0)
    assert run(policy, now, [(ts(sh(2026, 3, 2, 8, 30)), VENUE)]).reason == "outside_hours"


def test_closing_at_midnight():
    policy = Policy(effect="free", hours=(Hours("18:00", "24:00"),))
    assert run(policy, sh(2026, 3, 2, 23, 59)).allowed
    assert not run(policy, sh(2026, 3, 2, 0, 30)).allowed


def test_companions_and_messages():
    out = run(
        Policy(effect="free", companions=2, message_zh="走绿色通道", message_en="Green lane"),
        sh(2026, 3, 2, 10),
    )
    assert out.companions == 2
    assert out.effect_zh == "免费，可携同行 2 人"
    assert out.effect_en == "Free, up to 2 companions"
    assert (out.message_zh, out.message_en) == ("走绿色通道", "Green lane")


@pytest.mark.parametrize(
    ("policy", "zh", "en"),
    [
        (Policy(effect="discount", percent_off=20), "8折（减 20%）", "20% off"),
        (Policy(effect="discount", percent_off=25), "7.5折（减 25%）", "25% off"),
        (Policy(effect="discount", percent_off=100), "全额减免", "100% off"),
        (
            Policy(effect="discount", fixed_price_fen=38800),
            "协议价 ¥388.00",
            "Agreement price ¥388.00",
        ),
        (Policy(effect="priority"), "优先办理", "Priority service"),
        (Policy(effect="booking"), "凭预约使用", "By booking"),
    ],
)
def test_effect_descriptions(policy, zh, en):
    policy.validate()
    assert describe_effect(policy) == (zh, en)


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        (Policy(effect="discount"), "exactly one"),
        (Policy(effect="discount", percent_off=10, fixed_price_fen=100), "exactly one"),
        (Policy(effect="discount", percent_off=0), "1..100"),
        (Policy(effect="discount", percent_off=101), "1..100"),
        (Policy(effect="free", percent_off=10), "discount"),
        (Policy(effect="free", limits=(Limit(0, "day"),)), "positive"),
        (Policy(effect="free", companions=-1), "companions"),
        (Policy(effect="free", hours=(Hours("8:00", "18:00"),)), "HH:MM"),
        (Policy(effect="free", hours=(Hours("18:00", "08:00"),)), "open before"),
        (Policy(effect="free", hours=(Hours("08:00", "25:00"),)), "HH:MM"),
        (Policy(effect="free", hours=(Hours("08:00", "18:00", (0,)),)), "weekdays"),
        (Policy(effect="free", hours=(Hours("08:00", "18:00", ()),)), "weekdays"),
    ],
)
def test_validation_errors(policy, fragment):
    with pytest.raises(PolicyError) as err:
        policy.validate()
    assert fragment in str(err.value)


def test_unknown_policy_field_is_refused():
    raw = {"effect": "free", "surprise": 1}
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(raw, Policy)


def test_benefit_info_round_trips_through_json():
    info = BenefitInfo(
        code=1,
        slug="scenic",
        name_zh="景区",
        name_en="Scenic",
        category="leisure",
        venue_kinds=("scenic",),
        policy=Policy(effect="free", limits=(Limit(1, "day"),)),
    )
    assert msgspec.json.decode(msgspec.json.encode(info), type=BenefitInfo) == info


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        evaluate(Policy(effect="free"), now=datetime(2026, 3, 2, 10), history=[], venue_id=1)
