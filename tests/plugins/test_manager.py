"""BenefitPlugins: discovery, per-plugin failures, clashes, strict mode, configuration."""

from __future__ import annotations

import importlib.metadata as md
import sys
from pathlib import Path

import huicui_benefits.ferry
import huicui_benefits.school
import huicui_museum
import pytest
from fakes import Declares, fact, info
from hooktests import covers
from huicui.plugins.api import Hours, SettlementLine, hookimpl
from huicui.plugins.manager import BenefitPlugins, PluginStartupError
from huicui.settings import PluginSettings, Settings
from huicui.testing import build_plugins, holder

HERE = Path(__file__).parent
BUILTIN = list(range(1, 11))


def broken_entry_point(name: str = "broken") -> md.EntryPoint:
    return md.EntryPoint(name=name, value="huicui_test_broken_plugin", group="huicui.benefits")


@pytest.fixture
def tests_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    sys.modules.pop("huicui_test_broken_plugin", None)


def settings(**plugin_settings) -> Settings:
    return Settings(plugins=PluginSettings(**plugin_settings))


@covers("huicui_benefits")
def test_installed_plugins_are_found_through_entry_points():
    plugins = BenefitPlugins.load(settings())
    assert plugins.benefit_codes() == [*BUILTIN, 11]
    report = plugins.report()
    by_name = {p.name: p for p in report.loaded}
    assert by_name["ferry"].distribution == "huicui-benefits"
    assert by_name["ferry"].version == md.version("huicui-benefits")
    assert by_name["museum"].distribution == "huicui-example-museum"
    assert by_name["school"].hooks == [
        "huicui_benefits", "huicui_eligible", "huicui_piccolo_apps", "huicui_route_handlers"]
    assert report.failed == [] and report.warnings == []
    assert plugins.by_slug("ferry").code == 2
    assert plugins.benefit(2).slug == "ferry"
    assert plugins.benefit(40) is None and plugins.by_slug("nope") is None


def test_blocked_entry_points_are_not_loaded():
    plugins = BenefitPlugins.load(settings(blocked=["ferry", "museum"]))
    assert plugins.benefit_codes() == [1, *range(3, 11)]
    assert "ferry" not in {p.name for p in plugins.report().loaded}


def test_excluding_a_distribution_is_like_uninstalling_it():
    plugins = BenefitPlugins.load(settings(), exclude_distributions=["huicui-benefits"])
    assert plugins.benefit_codes() == [11]
    assert plugins.piccolo_apps() == []


def test_chosen_plugins_only():
    plugins = BenefitPlugins.load(settings(), entry_points=False, extra=[huicui_museum])
    assert plugins.benefit_codes() == [11]
    [loaded] = plugins.report().loaded
    assert (loaded.name, loaded.distribution) == ("huicui_museum", "huicui-example-museum")


def test_a_plugin_that_fails_to_import_is_named_and_left_out(tests_on_path, caplog):
    plugins = BenefitPlugins.load(
        settings(), entry_points=False, extra=[huicui_museum],
        extra_entry_points=[broken_entry_point()])
    assert plugins.benefit_codes() == [11]
    [failure] = plugins.report().failed
    assert failure.name == "broken" and failure.stage == "import"
    assert "RuntimeError" in failure.reason and "frobnicate" in failure.reason
    assert "entry point 'broken'" in caplog.text


def test_strict_mode_refuses_to_start_with_a_broken_plugin(tests_on_path):
    with pytest.raises(PluginStartupError, match=r"plugins\.strict.*'broken'.*frobnicate"):
        BenefitPlugins.load(settings(strict=True), entry_points=False,
                            extra_entry_points=[broken_entry_point()])


def test_blocking_the_broken_entry_point_lets_strict_mode_start(tests_on_path):
    plugins = BenefitPlugins.load(settings(strict=True, blocked=["broken"]), entry_points=False,
                                  extra_entry_points=[broken_entry_point()])
    assert plugins.report().failed == []


@pytest.mark.parametrize(("bad", "words"), [
    (info(code=0), "outside 1..62: certificates carry benefits as one integer bit field"),
    (info(code=63), "outside 1..62"),
    (info(code=True), "outside 1..62"),
    (info(slug="Bad Slug"), "benefit slug 'Bad Slug'"),
    (info(slug="x"), "benefit slug 'x'"),
    (info(effect="discount"), "exactly one of percent_off and fixed_price_fen"),
    (info(effect="discount", percent_off=120), "percent_off must be 1..100"),
    (info(hours=(Hours("22:00", "06:00"),)), "must open before they close"),
])
def test_a_bad_declaration_is_reported_and_the_rest_run(bad, words):
    plugins = build_plugins(Declares(bad, name="bad_one"), huicui_museum)
    assert plugins.benefit_codes() == [11]
    [failure] = plugins.report().failed
    assert failure.name == "bad_one" and failure.stage == "declare"
    assert words in failure.reason


def test_a_misspelled_hook_is_reported_not_ignored():
    class Misspelled:
        __name__ = "misspelled"

        def huicui_benefit(self, config):  # the hook is huicui_benefits
            return [info()]

    plugins = build_plugins(Misspelled(), huicui_museum)
    [failure] = plugins.report().failed
    assert "unknown hook(s) huicui_benefit" in failure.reason
    assert plugins.benefit_codes() == [11]


def test_a_hookimpl_with_an_argument_the_spec_lacks_is_reported():
    class WrongArgs:
        __name__ = "wrong_args"

        @hookimpl
        def huicui_benefits(self, settings):
            return []

    [failure] = build_plugins(WrongArgs()).report().failed
    assert failure.stage == "register" and "settings" in failure.reason


def test_two_plugins_claiming_one_code_stop_start_up_naming_both():
    clash = Declares(info(code=11, slug="gallery"), name="gallery_plugin")
    with pytest.raises(PluginStartupError) as err:
        build_plugins(huicui_museum, clash)
    message = str(err.value)
    assert "benefit code 11" in message
    assert "'huicui_museum' (huicui-example-museum 0.1.0)" in message
    assert "'gallery_plugin'" in message


def test_two_plugins_claiming_one_slug_stop_start_up_even_when_not_strict():
    with pytest.raises(PluginStartupError, match=r"benefit slug 'ferry'.*'huicui_benefits\.ferry'"):
        build_plugins(huicui_benefits.ferry, Declares(info(code=40, slug="ferry")))


def test_installed_plugins_clash_with_an_extra_one_at_start_up():
    with pytest.raises(PluginStartupError, match="entry point 'ferry' \\(huicui-benefits"):
        BenefitPlugins.load(settings(), extra=[Declares(info(code=2, slug="boat"))])


def test_benefit_settings_change_the_declared_policy():
    plugins = build_plugins(huicui_benefits.ferry, benefits={"ferry": {"rides_per_day": 4}})
    assert plugins.by_slug("ferry").policy.limits[0].count == 4


@pytest.mark.parametrize(("override", "named"), [
    ({"rides_per_day": "two"}, "benefits.ferry.rides_per_day: Expected `int`, got `str`"),
    ({"rides_per_day": 0}, "benefits.ferry.rides_per_day"),
    ({"ridez_per_day": 3}, "benefits.ferry: Object contains unknown field `ridez_per_day`"),
])
def test_a_bad_benefit_setting_stops_start_up_naming_the_setting(override, named):
    with pytest.raises(PluginStartupError) as err:
        build_plugins(huicui_benefits.ferry, benefits={"ferry": override})
    assert named in str(err.value)
    assert "huicui_benefits.ferry" in str(err.value)


def test_settings_for_an_unknown_slug_are_a_warning_or_strict_error():
    plugins = build_plugins(huicui_museum, benefits={"museeum": {"percent_off": 10}})
    assert plugins.report().warnings == [
        "benefits.museeum: no installed benefit has this slug (setting ignored)"]
    strict = Settings(plugins=PluginSettings(strict=True), benefits={"museeum": {}})
    with pytest.raises(PluginStartupError, match=r"benefits\.museeum"):
        build_plugins(huicui_museum, settings=strict)


@covers("huicui_eligible")
def test_eligibility_any_false_excludes_none_is_no_opinion():
    plugins = build_plugins(huicui_benefits.school, huicui_benefits.ferry, huicui_museum)
    offered = [2, 7, 11, 55]  # 55 is not installed: never granted
    assert plugins.eligible_codes(holder(descendant_count=0), offered) == [2, 11]
    assert plugins.eligible_codes(holder(descendant_count=2), offered) == [2, 7, 11]

    class NoSeasonalFerry:
        __name__ = "no_seasonal_ferry"

        @hookimpl
        def huicui_eligible(self, benefit, holder):
            if benefit.slug == "ferry" and holder.residency == "seasonal":
                return False
            return None

    plugins = build_plugins(huicui_benefits.ferry, huicui_museum, NoSeasonalFerry())
    assert plugins.eligible_codes(holder(residency="seasonal"), [2, 11]) == [11]
    assert plugins.eligible_codes(holder(residency="resident"), [11, 2, 2]) == [2, 11]


@covers("huicui_settlement_lines")
def test_settlement_lines_come_from_every_plugin():
    plugins = build_plugins(huicui_benefits.ferry, huicui_museum,
                            benefits={"ferry": {"fare_fen": 6500}, "museum": {"subsidy_fen": 2000}})
    facts = [fact(2, 100, n=1), fact(2, 100, n=2), fact(2, 101, n=3),
             fact(2, 100, accepted=False, n=4), fact(11, 100, n=5)]
    lines = plugins.settlement_lines(7, "2026-11", facts)
    assert lines == [
        SettlementLine(venue_id=100, benefit=2, count=2, amount_fen=13000,
                       note_zh="客轮船票 2 次 × ¥65.00", note_en="2 rides × ¥65.00"),
        SettlementLine(venue_id=101, benefit=2, count=1, amount_fen=6500,
                       note_zh="客轮船票 1 次 × ¥65.00", note_en="1 ride × ¥65.00"),
        SettlementLine(venue_id=100, benefit=11, count=1, amount_fen=2000,
                       note_zh="博物馆门票 1 次 × ¥20.00", note_en="1 visit × ¥20.00"),
    ]


@covers("huicui_redemptions_synced")
async def test_redemptions_synced_awaits_async_plugins_and_survives_a_failing_one(caplog):
    told: list[tuple[str, int]] = []

    class SyncListener:
        __name__ = "sync_listener"

        @hookimpl
        def huicui_redemptions_synced(self, records):
            told.append(("sync", len(records)))

    class AsyncListener:
        __name__ = "async_listener"

        @hookimpl
        async def huicui_redemptions_synced(self, records):
            told.append(("async", len(records)))

    class Failing:
        __name__ = "failing_listener"

        @hookimpl
        def huicui_redemptions_synced(self, records):
            raise ValueError("boom")

    plugins = build_plugins(SyncListener(), Failing(), AsyncListener())
    await plugins.redemptions_synced([fact(2, 1, n=1), fact(2, 1, n=2)])
    assert sorted(told) == [("async", 2), ("sync", 2)]
    assert "failing_listener" in caplog.text
    told.clear()
    await plugins.redemptions_synced([])
    assert told == []


@covers("huicui_piccolo_apps")
def test_piccolo_apps_of_plugins_are_migrated_with_the_core():
    from huicui.piccolo_conf import APP_REGISTRY
    from huicui.plugins.discovery import plugin_piccolo_apps

    plugins = BenefitPlugins.load(settings())
    apps = plugins.piccolo_apps()
    assert set(apps) == {"huicui_benefits.workstation.piccolo_app",
                         "huicui_benefits.school.piccolo_app",
                         "huicui_benefits.housing.piccolo_app"}
    assert set(plugin_piccolo_apps()) == set(apps)
    assert {"workstation", "school", "housing"} <= set(APP_REGISTRY.app_configs)


@covers("huicui_route_handlers")
def test_route_handlers_are_collected_from_plugins():
    from huicui.app import create_app
    from huicui.settings import load_settings

    app = create_app(load_settings(), plugins=build_plugins(huicui_benefits.school))
    paths = {route.path for route in app.routes}
    assert "/api/v1/school/applications" in paths
    app = create_app(load_settings(), plugins=build_plugins(huicui_museum))
    assert not any(p.startswith("/api/v1/school") for p in {r.path for r in app.routes})
