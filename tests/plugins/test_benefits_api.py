"""GET /api/v1/benefits, the admin plugin report, /health, directories and `huicui plugins`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import huicui_museum
import pytest
from hooktests import covers
from huicui.app import create_app
from huicui.cli import main
from huicui.plugins.manager import BenefitPlugins
from litestar.testing import AsyncTestClient

HERE = Path(__file__).parent


@covers("huicui_benefits")
async def test_benefits_lists_installed_benefits_with_policies(client, tokens):
    r = await client.get("/api/v1/benefits", headers=tokens.h("auditor"))
    assert r.status_code == 200, r.text
    items = r.json()
    assert [b["code"] for b in items] == list(range(1, 12))
    ferry = items[1]
    assert ferry["slug"] == "ferry" and ferry["distribution"] == "huicui-benefits"
    assert ferry["policy"]["effect"] == "free"
    assert ferry["policy"]["limits"] == [{"count": 2, "per": "day", "scope": "benefit"}]
    museum = items[10]
    assert (museum["slug"], museum["plugin"], museum["distribution"]) == (
        "museum", "museum", "huicui-example-museum")
    assert museum["policy"]["percent_off"] == 50 and museum["effect_en"] == "50% off"
    r = await client.get("/api/v1/benefits/11", headers=tokens.h("registrar"))
    assert r.json()["name_zh"] == "博物馆门票优惠"
    r = await client.get("/api/v1/benefits/40", headers=tokens.h("registrar"))
    assert r.status_code == 404 and r.json()["code"] == "not_found"


async def test_benefits_need_a_staff_token(client, tokens):
    assert (await client.get("/api/v1/benefits")).status_code == 401
    r = await client.get("/api/v1/benefits/plugins", headers=tokens.h("reviewer"))
    assert r.status_code == 403


async def test_admin_sees_the_plugin_report(client, tokens):
    r = await client.get("/api/v1/benefits/plugins", headers=tokens.h("admin"))
    assert r.status_code == 200
    report = r.json()
    names = {p["name"]: p for p in report["loaded"]}
    assert names["museum"]["hooks"] == ["huicui_benefits", "huicui_settlement_lines"]
    assert names["workstation"]["benefits"] == [6]
    assert report["failed"] == []


async def test_a_broken_plugin_does_not_take_the_service_down(db, settings, tokens, monkeypatch):
    import importlib.metadata as md

    monkeypatch.syspath_prepend(str(HERE))
    sys.modules.pop("huicui_test_broken_plugin", None)
    broken = md.EntryPoint(name="broken", value="huicui_test_broken_plugin",
                           group="huicui.benefits")
    plugins = BenefitPlugins.load(settings, extra_entry_points=[broken])
    async with AsyncTestClient(app=create_app(settings, plugins=plugins)) as client:
        health = (await client.get("/health")).json()
        assert health["status"] == "ok"
        assert health["plugins"] == {"loaded": 11, "failed": 1}
        r = await client.get("/api/v1/benefits", headers=tokens.h("registrar"))
        assert len(r.json()) == 11
        report = (await client.get("/api/v1/benefits/plugins", headers=tokens.h("admin"))).json()
        [failure] = report["failed"]
        assert failure["name"] == "broken" and "frobnicate" in failure["reason"]


async def test_core_without_the_builtin_benefits_starts_with_none(db, settings, tokens):
    plugins = BenefitPlugins.load(settings, exclude_distributions=["huicui-benefits",
                                                                    "huicui-example-museum"])
    async with AsyncTestClient(app=create_app(settings, plugins=plugins)) as client:
        assert (await client.get("/health")).json()["plugins"] == {"loaded": 0, "failed": 0}
        r = await client.get("/api/v1/benefits", headers=tokens.h("admin"))
        assert r.status_code == 200 and r.json() == []
        [default] = (await client.get("/api/v1/directories", headers=tokens.h("admin"))).json()
        assert default["benefits"] is None and default["offered"] == []
        r = await client.post("/api/v1/directories", headers=tokens.h("admin"), json={
            "slug": "islands", "name_zh": "海岛名录", "name_en": "Islands", "benefits": [2]})
        assert r.status_code == 422 and r.json()["unknown"] == [2]
        r = await client.get("/api/v1/workstation/bookings", headers=tokens.h("admin"))
        assert r.status_code == 404


async def test_installing_the_example_adds_one_benefit_a_directory_can_offer(
        db, settings, tokens):
    plugins = BenefitPlugins.load(settings, exclude_distributions=["huicui-benefits"])
    async with AsyncTestClient(app=create_app(settings, plugins=plugins)) as client:
        r = await client.get("/api/v1/benefits", headers=tokens.h("admin"))
        assert [b["slug"] for b in r.json()] == ["museum"]
        r = await client.post("/api/v1/directories", headers=tokens.h("admin"), json={
            "slug": "museums", "name_zh": "文博名录", "name_en": "Museums", "benefits": [11]})
        assert r.status_code == 201, r.text
        assert r.json()["benefits"] == [11] and r.json()["offered"] == [11]


async def test_directory_with_the_example_benefit_in_the_full_app(client, tokens):
    r = await client.post("/api/v1/directories", headers=tokens.h("admin"), json={
        "slug": "culture", "name_zh": "文化名录", "name_en": "Culture", "benefits": [11, 2]})
    assert r.status_code == 201, r.text
    assert r.json()["offered"] == [2, 11]
    [default] = [d for d in (await client.get(
        "/api/v1/directories", headers=tokens.h("admin"))).json() if d["number"] == 1]
    assert default["offered"] == list(range(1, 12))


def test_cli_lists_plugins_versions_hooks_and_benefits(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "museum  huicui-example-museum 0.1.0  (huicui_museum)" in out
    assert "benefit 11 museum" in out and "博物馆门票优惠" in out
    assert "hooks: huicui_benefits, huicui_eligible, huicui_piccolo_apps" in out
    assert "benefit  2 ferry" in out and "2/day" in out


def test_cli_json_report_and_failures(capsys, monkeypatch):
    monkeypatch.setenv("HUICUI_PLUGINS_BLOCKED", "ferry,museum")
    assert main(["plugins", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [b["code"] for b in data["benefits"]] == [1, *range(3, 11)]
    assert data["failed"] == []


def test_cli_names_a_bad_setting_and_refuses(capsys, tmp_path, monkeypatch):
    config = tmp_path / "huicui.toml"
    config.write_text('[benefits.ferry]\nrides_per_day = "two"\n', encoding="utf-8")
    monkeypatch.setenv("HUICUI_CONFIG", str(config))
    assert main(["plugins"]) == 2
    assert "benefits.ferry.rides_per_day" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["plugins", "--help"]])
def test_cli_help_teaches(args, capsys):
    with pytest.raises(SystemExit):
        main(args)
    assert "huicui plugins --json" in capsys.readouterr().out


def test_harness_gives_an_app_with_only_the_chosen_plugin():
    from huicui.testing import build_plugins

    assert build_plugins(huicui_museum).benefit_codes() == [11]
