"""The core registers misuse detection through the plugins' own hook (no database here)."""

from __future__ import annotations

import pytest
from huicui.plugins.api import RedemptionFact, hookimpl
from huicui.plugins.manager import BenefitPlugins, PluginStartupError


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def huicui_redemptions_synced(self, records):
        self.calls += len(records)


class Misspelled:
    @hookimpl
    def huicui_redemption_synced(self, records):  # one letter short
        return None


def _fact() -> RedemptionFact:
    import datetime as dt

    return RedemptionFact(uuid="u", certificate_id="a" * 16, benefit=2, venue_id=1,
                          partner_id=1, device_id=1, at=dt.datetime.now(dt.UTC), accepted=True,
                          reason="ok")


async def test_internal_implementations_are_told_once_and_replace_each_other(settings):
    plugins = BenefitPlugins.load(settings, entry_points=False)
    first, second = Counter(), Counter()
    plugins.register_internal(first, "huicui.misuse")
    plugins.register_internal(second, "huicui.misuse")  # a second app on the same manager
    await plugins.redemptions_synced([_fact()])
    assert (first.calls, second.calls) == (0, 1)
    assert plugins.report().loaded == []  # internal: not a benefit plugin


def test_an_internal_implementation_of_an_unknown_hook_is_refused(settings):
    plugins = BenefitPlugins.load(settings, entry_points=False)
    with pytest.raises(PluginStartupError, match="huicui_redemption_synced"):
        plugins.register_internal(Misspelled(), "huicui.broken")


def test_the_app_registers_the_detector(settings):
    from huicui.app import create_app

    plugins = BenefitPlugins.load(settings, entry_points=False)
    app = create_app(settings, plugins=plugins)
    assert app.state.ctx.plugins is plugins
    names = [impl.plugin_name for impl in
             plugins._pm.hook.huicui_redemptions_synced.get_hookimpls()]
    assert names == ["huicui.misuse"]
