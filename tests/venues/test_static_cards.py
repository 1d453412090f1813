"""Each venue's static-card policy: set by staff, carried in its bundle, decided at its gate."""

from __future__ import annotations

import datetime as dt

from huicui_test_support.commands import huicui
from huicui_test_support.members import active_member
from huicui_test_support.venues import BUS, device, device_bundle, partner, venue
from huicui_verifier.decide import decide


async def test_default_is_check_id_and_staff_can_set_refuse(client, tokens):
    p = await partner(client, tokens)
    bus = await venue(client, tokens, p["id"], kind="bus", name_zh="3路公交", benefits=[BUS])
    assert bus["static_cards"] == "check_id"
    refusing = await venue(
        client,
        tokens,
        p["id"],
        kind="bus",
        name_zh="旋转闸机",
        benefits=[BUS],
        static_cards="refuse",
    )
    assert refusing["static_cards"] == "refuse"
    r = await client.post(
        "/api/v1/venues",
        headers=tokens.h("admin"),
        json={"partner_id": p["id"], "name_zh": "x", "kind": "bus", "static_cards": "maybe"},
    )
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem")

    r = await client.patch(
        f"/api/v1/venues/{bus['id']}", headers=tokens.h("admin"), json={"static_cards": "accept"}
    )
    assert r.status_code == 200 and r.json()["static_cards"] == "accept"
    r = await client.get(
        "/api/v1/audit", headers=tokens.h("auditor"), params={"action": "venue.update"}
    )
    assert any(e["data"].get("static_cards") == "accept" for e in r.json()["items"])


async def test_the_bundle_carries_the_policy_to_the_gate(client, tokens):
    m = await active_member(client, tokens)
    p = await partner(client, tokens)
    policies = {}
    for policy in ("accept", "check_id", "refuse"):
        v = await venue(
            client,
            tokens,
            p["id"],
            kind="bus",
            name_zh=f"公交 {policy}",
            benefits=[BUS],
            static_cards=policy,
        )
        e = await device(client, tokens, v["id"])
        bundle = await device_bundle(client, e["token"])
        assert bundle.venue.static_card == policy
        policies[policy] = decide(
            m["text"],
            bundle=bundle,
            benefit=None,
            now=dt.datetime.now(dt.UTC),
            history_lookup=lambda c, b: [],
        )
    assert policies["accept"].accepted and not policies["accept"].id_check
    assert policies["check_id"].accepted and policies["check_id"].id_check
    assert policies["check_id"].staff_check_zh.startswith("静态证件")
    assert (policies["refuse"].accepted, policies["refuse"].reason) == (False, "static_refused")


async def test_venue_update_command_sets_the_policy(client, tokens):
    v = await venue(client, tokens)
    code, out, err = await huicui("venue", "update", str(v["id"]), "--static-cards", "refuse")
    assert code == 0, err
    assert '"static_cards":"refuse"' in out
    r = await client.get(f"/api/v1/venues/{v['id']}", headers=tokens.h("auditor"))
    assert r.json()["static_cards"] == "refuse"
    code, _, err = await huicui("venue", "update", str(v["id"]), "--static-cards", "never")
    assert code == 2 and "check_id" in err  # argparse names the allowed values
