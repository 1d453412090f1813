"""The ten built-in benefits: codes as in docs/plugins.md, policies as the offline verifier
evaluates them, configuration overrides, settlement lines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import huicui_benefits.bus as bus
import huicui_benefits.ferry as ferry
import huicui_benefits.hotel as hotel
import huicui_benefits.housing as housing
import huicui_benefits.medical as medical
import huicui_benefits.scenic as scenic
import huicui_benefits.school as school
import huicui_benefits.training as training
import huicui_benefits.vip_lane as vip_lane
import huicui_benefits.workstation as workstation
import pytest
from fakes import fact
from hooktests import covers
from huicui.plugins.api import evaluate
from huicui.plugins.manager import PluginStartupError
from huicui.testing import build_plugins, holder

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=TZ)  # a Thursday
ALL = [scenic, ferry, bus, vip_lane, hotel, workstation, school, medical, housing, training]


def ts(d: dt.datetime) -> int:
    return int(d.timestamp())


def policy(module, **config):
    plugins = build_plugins(module, benefits={module.SLUG: config} if config else None)
    return plugins.by_slug(module.SLUG).policy


@covers("huicui_benefits")
def test_codes_and_slugs_are_those_of_the_design():
    plugins = build_plugins(*ALL)
    assert [(b.code, b.slug) for b in plugins.benefits()] == [
        (1, "scenic"), (2, "ferry"), (3, "bus"), (4, "vip_lane"), (5, "hotel"),
        (6, "workstation"), (7, "school"), (8, "medical"), (9, "housing"), (10, "training")]
    for b in plugins.benefits():
        assert b.name_zh and b.name_en and b.venue_kinds and b.policy.problems() == []


def test_scenic_once_per_venue_per_day():
    p = policy(scenic)
    assert p.effect == "free"
    assert evaluate(p, now=NOW, history=[], venue_id=1).allowed
    earlier = [(ts(NOW - dt.timedelta(hours=1)), 1)]
    assert evaluate(p, now=NOW, history=earlier, venue_id=1).reason == "limit_reached"
    assert evaluate(p, now=NOW, history=earlier, venue_id=2).allowed  # another spot
    yesterday = [(ts(NOW - dt.timedelta(days=1)), 1)]
    assert evaluate(p, now=NOW, history=yesterday, venue_id=1).allowed


def test_ferry_two_rides_a_day_anywhere():
    p = policy(ferry)
    one = [(ts(NOW - dt.timedelta(hours=3)), 5)]
    assert evaluate(p, now=NOW, history=one, venue_id=6).allowed
    two = [*one, (ts(NOW - dt.timedelta(hours=1)), 6)]
    out = evaluate(p, now=NOW, history=two, venue_id=7)
    assert not out.allowed and "每日限 2 次" in out.detail_zh
    assert evaluate(policy(ferry, rides_per_day=3), now=NOW, history=two, venue_id=7).allowed


def test_bus_is_free_without_limit_unless_configured():
    p = policy(bus)
    many = [(ts(NOW - dt.timedelta(minutes=m)), 1) for m in range(1, 30)]
    assert p.effect == "free" and evaluate(p, now=NOW, history=many, venue_id=1).allowed
    assert not evaluate(policy(bus, rides_per_day=4), now=NOW, history=many, venue_id=1).allowed


def test_vip_lane_is_priority_with_a_companion():
    p = policy(vip_lane)
    out = evaluate(p, now=NOW, history=[], venue_id=1)
    assert p.effect == "priority" and out.allowed and out.companions == 1
    assert policy(vip_lane, companions=0).companions == 0


def test_hotel_discount_and_configured_rate():
    p = policy(hotel)
    assert (p.effect, p.percent_off) == ("discount", 20)
    assert evaluate(p, now=NOW, history=[], venue_id=1).effect_en == "20% off"
    assert policy(hotel, percent_off=30).percent_off == 30
    limited = policy(hotel, nights_per_month=2)
    nights = [(ts(NOW - dt.timedelta(days=d)), 1) for d in (1, 2)]
    assert not evaluate(limited, now=NOW, history=nights, venue_id=1).allowed


@covers("huicui_settlement_lines")
def test_hotel_settlement_uses_the_partner_rate():
    config = {"partners": [{"partner_id": 7, "rack_rate_fen": 48000,
                            "agreement_rate_fen": 38000}]}
    plugins = build_plugins(hotel, benefits={"hotel": config})
    facts = [fact(5, 70), fact(5, 70), fact(5, 71), fact(5, 70, accepted=False), fact(1, 70)]
    lines = plugins.settlement_lines(7, "2026-11", facts)
    assert [(x.venue_id, x.count, x.amount_fen) for x in lines] == [(70, 2, 20000), (71, 1, 10000)]
    assert "协议价 ¥380.00" in lines[0].note_zh
    unknown = plugins.settlement_lines(8, "2026-11", [fact(5, 80, partner=8)])
    assert unknown[0].amount_fen == 0 and "benefits.hotel.partners" in unknown[0].note_en


@pytest.mark.parametrize(("config", "named"), [
    ({"partners": [{"partner_id": 7, "rack_rate_fen": 100, "agreement_rate_fen": 200}]},
     "benefits.hotel.partners[0]: agreement_rate_fen must not exceed rack_rate_fen"),
    ({"partners": [{"partner_id": 7, "rack_rate_fen": 100, "agreement_rate_fen": 50}] * 2},
     "benefits.hotel.partners: a partner_id appears twice"),
    ({"percent_off": 0}, "benefits.hotel.percent_off"),
])
def test_bad_hotel_settings_are_named(config, named):
    with pytest.raises(PluginStartupError) as err:
        build_plugins(hotel, benefits={"hotel": config})
    assert named in str(err.value)


def test_workstation_booking_within_opening_hours():
    p = policy(workstation)
    assert p.effect == "booking"
    assert evaluate(p, now=NOW, history=[], venue_id=1).allowed
    late = NOW.replace(hour=22)
    assert evaluate(p, now=late, history=[], venue_id=1).reason == "outside_hours"
    with pytest.raises(PluginStartupError, match=r"benefits\.workstation: opens must be HH:MM"):
        build_plugins(workstation, benefits={"workstation": {"opens": "8am"}})


def test_school_priority_only_with_descendants():
    plugins = build_plugins(school)
    assert plugins.by_slug("school").policy.effect == "priority"
    assert plugins.eligible_codes(holder(descendant_count=0), [7]) == []
    assert plugins.eligible_codes(holder(descendant_count=1), [7]) == [7]


def test_medical_limited_per_month():
    p = policy(medical)
    assert p.effect == "priority"
    used = [(ts(NOW.replace(day=2)), 1), (ts(NOW.replace(day=9)), 2)]
    assert not evaluate(p, now=NOW, history=used, venue_id=3).allowed
    last_month = [(ts(NOW.replace(month=10)), 1)] * 2
    assert evaluate(p, now=NOW, history=last_month, venue_id=3).allowed
    assert evaluate(policy(medical, appointments_per_month=3), now=NOW, history=used,
                    venue_id=3).allowed


def test_housing_is_priority_by_application():
    p = policy(housing)
    assert p.effect == "priority" and "审批" in p.message_zh


def test_training_places_per_year():
    p = policy(training)
    used = [(ts(NOW.replace(month=m)), 1) for m in (1, 3, 5, 7)]
    assert p.effect == "free" and not evaluate(p, now=NOW, history=used, venue_id=1).allowed
    assert evaluate(p, now=NOW.replace(year=2027), history=used, venue_id=1).allowed


def test_per_use_settlement_of_free_benefits():
    plugins = build_plugins(scenic, training, medical, bus,
                            benefits={"scenic": {"ticket_fen": 6000}})
    lines = plugins.settlement_lines(7, "2026-11", [fact(1, 9), fact(1, 9), fact(10, 9)])
    assert [(x.benefit, x.count, x.amount_fen) for x in lines] == [(1, 2, 12000), (10, 1, 0)]
