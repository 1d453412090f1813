"""Venue kinds come from the installed plugins (plus the generic counter), not a core list:
a third party's kind is accepted, an unknown one refused naming the allowed kinds."""

from __future__ import annotations

import concurrent.futures
import json

import huicui_benefits.ferry
import huicui_museum
import msgspec
import pytest
from fakes import Declares, info
from huicui.cli import main
from huicui.testing import build_plugins, plugin_client
from huicui.venues.kinds import allowed_kinds

BUILTIN_KINDS = ["bus", "counter", "ferry", "hospital", "hotel", "school", "scenic",
                 "training", "workstation"]


class Ctx:
    def __init__(self, plugins):
        self.plugins = plugins


def test_the_kinds_are_those_the_installed_benefits_name_and_counter():
    from huicui.plugins.manager import BenefitPlugins
    from huicui.settings import Settings

    everything = BenefitPlugins.load(Settings())
    assert allowed_kinds(Ctx(everything)) == sorted([*BUILTIN_KINDS, "museum"])
    assert allowed_kinds(Ctx(build_plugins(huicui_museum))) == ["counter", "museum"]
    assert allowed_kinds(Ctx(build_plugins(huicui_benefits.ferry))) == ["counter", "ferry"]
    assert allowed_kinds(Ctx(build_plugins())) == ["counter"]
    assert allowed_kinds(Ctx(None)) == ["counter"]


@pytest.mark.parametrize("kind", ["Museum", "museum hall", "m", "a" * 17, "博物馆"])
def test_a_benefit_naming_a_malformed_kind_is_left_out_and_named(kind):
    plugins = build_plugins(Declares(info(code=30, slug="oddly"), name="odd_kinds"))
    assert plugins.report().failed == []  # the fake's own "counter" is fine
    bad = msgspec.structs.replace(info(code=31, slug="oddly"), venue_kinds=("counter", kind))
    plugins = build_plugins(Declares(bad, name="odd_kinds"))
    [failure] = plugins.report().failed
    assert failure.name == "odd_kinds" and f"venue kind {kind!r}" in failure.reason
    assert plugins.venue_kinds() == []


def assert_refused_naming(r, kind: str, allowed: list[str]) -> None:
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "validation_failed" and body["allowed"] == allowed
    assert body["title"] == f"venue kind {kind!r} is not one of {', '.join(allowed)}"
    assert body["title_zh"] == f"场所类型“{kind}”不可用，可用类型：{'、'.join(allowed)}"
    assert [e["key"] for e in body["errors"]] == ["kind"]


async def test_a_third_party_kind_is_accepted_and_an_unknown_one_refused(db):
    async with plugin_client(huicui_museum) as h:
        admin = h.headers("admin")
        partner = (await h.client.post("/api/v1/partners", headers=admin,
                                       json={"name_zh": "北海市博物馆"})).json()
        body = {"partner_id": partner["id"], "name_zh": "北海市博物馆", "kind": "museum",
                "benefits": [11]}
        r = await h.client.post("/api/v1/venues", headers=admin, json=body)
        assert r.status_code == 201, r.text
        venue = r.json()
        assert (venue["kind"], venue["benefits"]) == ("museum", [11])
        # ferry is a kind only while the ferry plugin is installed; here it is not.
        for kind in ("ferry", "casino"):
            r = await h.client.post("/api/v1/venues", headers=admin, json={**body, "kind": kind})
            assert_refused_naming(r, kind, ["counter", "museum"])
        r = await h.client.patch(f"/api/v1/venues/{venue['id']}", headers=admin,
                                 json={"kind": "casino"})
        assert_refused_naming(r, "casino", ["counter", "museum"])
        r = await h.client.get(f"/api/v1/venues/{venue['id']}", headers=admin)
        assert r.json()["kind"] == "museum"
        r = await h.client.post("/api/v1/venues", headers=admin,
                                json={**body, "kind": "counter", "benefits": []})
        assert r.status_code == 201, r.text
        r = await h.client.get("/api/v1/venues", headers=admin, params={"kind": "museum"})
        assert [v["id"] for v in r.json()["items"]] == [venue["id"]]


async def test_the_full_service_accepts_every_installed_kind(client, tokens):
    admin = tokens.h("admin")
    partner = (await client.post("/api/v1/partners", headers=admin,
                                 json={"name_zh": "合作方"})).json()
    for kind in [*BUILTIN_KINDS, "museum"]:
        r = await client.post("/api/v1/venues", headers=admin, json={
            "partner_id": partner["id"], "name_zh": f"场所 {kind}", "kind": kind})
        assert r.status_code == 201, (kind, r.text)
    r = await client.post("/api/v1/venues", headers=admin, json={
        "partner_id": partner["id"], "name_zh": "某地", "kind": "casino"})
    assert_refused_naming(r, "casino", sorted([*BUILTIN_KINDS, "museum"]))


def run_cli(argv: list[str]) -> int:
    """The command in a fresh thread: it runs its own event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(main, argv).result()


async def test_the_cli_lists_the_kinds_and_refuses_an_unknown_one(db, capsys):
    assert run_cli(["venue", "kinds"]) == 0
    out = capsys.readouterr().out
    assert "museum           11 museum" in out
    assert "counter          4 vip_lane, 9 housing" in out
    assert run_cli(["venue", "kinds", "--json"]) == 0
    listed = {row["kind"]: row["benefits"] for row in json.loads(capsys.readouterr().out)}
    assert listed["museum"] == [{"code": 11, "slug": "museum"}]
    assert {"code": 4, "slug": "vip_lane"} in listed["counter"]
    assert run_cli(["partner", "create", "--name-zh", "北海市博物馆"]) == 0
    capsys.readouterr()
    code = run_cli(["venue", "create", "--partner", "1", "--kind", "casino", "--name-zh", "某地"])
    err = capsys.readouterr().err
    assert code == 1
    assert "场所类型“casino”不可用，可用类型：bus、counter" in err
    assert "venue kind 'casino' is not one of bus, counter" in err
    assert run_cli(["venue", "create", "--partner", "1", "--kind", "museum", "--name-zh",
                 "北海市博物馆", "--benefit", "11"]) == 0
    assert '"kind":"museum"' in capsys.readouterr().out
