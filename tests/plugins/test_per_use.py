"""PerUseBenefit: one declaration gives the benefit, its settings and its settlement; a
declaration that contradicts itself is refused by name."""

from __future__ import annotations

import importlib.metadata as md
import sys
from pathlib import Path

import huicui_museum
import msgspec
import pytest
from fakes import fact
from huicui.plugins.api import Limit, PerUseBenefit, Uses
from huicui.plugins.manager import BenefitPlugins, PluginStartupError
from huicui.settings import Settings
from huicui.testing import build_plugins

HERE = Path(__file__).parent


def library(**changes) -> PerUseBenefit:
    declaration = dict(
        code=12, slug="library", name_zh="图书馆借阅", name_en="Library loans",
        category="culture", venue_kinds=("library",),
        uses=Uses(per="week", default=5, most=20, noun_en="loans", noun_zh="借阅"),
        message_zh="免押金借阅", message_en="Borrow without a deposit")
    return PerUseBenefit(**{**declaration, **changes})


def test_the_settings_it_makes_with_their_defaults():
    settings = library(companions=1, price_setting="loan_fen").settings({})
    assert msgspec.structs.asdict(settings) == {"loans_per_week": 5, "companions": 1,
                                                "loan_fen": 0}
    museum = huicui_museum.museum.settings({"museum": {"subsidy_fen": 800}})
    assert msgspec.structs.asdict(museum) == {"visits_per_week": 2, "percent_off": 50,
                                              "subsidy_fen": 800}


def test_the_declared_benefit_follows_the_settings():
    plugins = build_plugins(huicui_museum, benefits={"museum": {"visits_per_week": 3,
                                                                "percent_off": 40}})
    [info] = plugins.benefits()
    assert (info.code, info.slug, info.venue_kinds) == (11, "museum", ("museum",))
    policy = info.policy
    assert (policy.effect, policy.percent_off, policy.limits, policy.companions) == (
        "discount", 40, (Limit(3, "week", "benefit"),), 0)
    assert policy.problems() == []


def test_a_default_of_zero_means_no_limit_and_allows_zero():
    unlimited = library(uses=Uses(per="day", default=0, most=9, noun_en="loans",
                                  noun_zh="借阅"))
    assert unlimited.declare(unlimited.settings({})).policy.limits == ()
    assert unlimited.declare(unlimited.settings({"library": {"loans_per_day": 0}})).policy \
        .limits == ()
    limited = unlimited.declare(unlimited.settings({"library": {"loans_per_day": 2}}))
    assert limited.policy.limits == (Limit(2, "day"),)


@pytest.mark.parametrize(("settings", "named"), [
    ({"loans_per_week": 0}, "benefits.library.loans_per_week: Expected `int` >= 1"),
    ({"loans_per_week": 21}, "benefits.library.loans_per_week: Expected `int` <= 20"),
    ({"price_fen": -1}, "benefits.library.price_fen: Expected `int` >= 0"),
    ({"companions": 1}, "benefits.library: Object contains unknown field `companions`"),
    ({"percent_off": 10}, "benefits.library: Object contains unknown field `percent_off`"),
])
def test_bad_settings_stop_start_up_naming_the_setting(settings, named):
    with pytest.raises(PluginStartupError) as err:
        build_plugins(library(), benefits={"library": settings})
    assert named in str(err.value)


@pytest.mark.parametrize(("changes", "words"), [
    ({"effect": "discount"}, "percent_off is given exactly when effect is 'discount'"),
    ({"percent_off": 20}, "percent_off is given exactly when effect is 'discount'"),
    ({"effect": "discount", "percent_off": 0}, "percent_off 0 is outside 1..100"),
    ({"effect": "booking"}, "effect must be free, discount or priority, not 'booking'"),
    ({"companions": 11}, "companions 11 is outside 0..10"),
    ({"uses": Uses(per="day", default=3, most=2, noun_en="loans", noun_zh="借阅")},
     "uses: need 0 <= default (3) <= most (2)"),
    ({"price_setting": "Loan Fee"}, "setting name 'Loan Fee' must be lower-case"),
    ({"companions": 1, "price_setting": "companions"}, "two settings share a name"),
])
def test_a_contradictory_declaration_is_refused_by_name(changes, words):
    with pytest.raises(ValueError, match="PerUseBenefit 'library'") as err:
        library(**changes)
    assert words in str(err.value)


def test_a_contradictory_plugin_is_left_out_at_start_up_and_named(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    sys.modules.pop("huicui_test_contradictory_per_use", None)
    ep = md.EntryPoint(name="library", value="huicui_test_contradictory_per_use",
                       group="huicui.benefits")
    plugins = BenefitPlugins.load(Settings(), entry_points=False, extra=[huicui_museum],
                                  extra_entry_points=[ep])
    assert plugins.benefit_codes() == [11]
    [failure] = plugins.report().failed
    assert (failure.name, failure.stage) == ("library", "import")
    assert "percent_off is given exactly when effect is 'discount'" in failure.reason


def test_settlement_is_one_line_per_venue_at_the_configured_price():
    plugins = build_plugins(library(price_setting="loan_fen"),
                            benefits={"library": {"loan_fen": 150}})
    uses = [fact(12, 81), fact(12, 80), fact(12, 81), fact(12, 81, accepted=False),
            fact(11, 80)]
    lines = plugins.settlement_lines(7, "2026-11", uses)
    assert [(x.venue_id, x.benefit, x.count, x.amount_fen, x.note_zh, x.note_en)
            for x in lines] == [
        (80, 12, 1, 150, "借阅 1 次 × ¥1.50", "1 loan × ¥1.50"),
        (81, 12, 2, 300, "借阅 2 次 × ¥1.50", "2 loans × ¥1.50")]
    assert plugins.report().loaded[0].hooks == ["huicui_benefits", "huicui_settlement_lines"]
