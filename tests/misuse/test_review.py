"""Staff review of misuse flags: list, look at the records, suspend or dismiss; guards."""

from __future__ import annotations

import pytest
from huicui_test_support.members import active_member
from huicui_test_support.redemptions import (
    BEIHAI_PORT,
    FERRY,
    GUILIN_REED_FLUTE,
    SCENIC,
    WEIZHOU_PIER,
    device,
    local,
    partner,
    record,
    sync,
    venue,
)

FLAGS = "/api/v1/misuse/flags"


async def _actions(client, tokens, target_type: str, target_id) -> list[str]:
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": target_type, "target_id": str(target_id),
                                 "limit": 100})
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()["items"]]


@pytest.fixture
async def flagged(client, tokens) -> dict:
    """One member over the ferry limit on three gates, another seen in Beihai and Guilin."""
    a = await partner(client, tokens, "北部湾旅游公司")
    port = await venue(client, tokens, a["id"], "北海国际客运港", "ferry", [FERRY], BEIHAI_PORT,
                       "Beihai International Port")
    pier = await venue(client, tokens, a["id"], "涠洲岛西角码头", "ferry", [FERRY], WEIZHOU_PIER)
    guilin = await venue(client, tokens, a["id"], "芦笛岩", "scenic", [SCENIC], GUILIN_REED_FLUTE)
    gates = [await device(client, tokens, port["id"], "1号闸机"),
             await device(client, tokens, port["id"], "2号闸机"),
             await device(client, tokens, pier["id"], "码头闸机"),
             await device(client, tokens, guilin["id"], "检票口")]
    rider = await active_member(client, tokens, "陈海生")
    traveller = await active_member(client, tokens, "周远航")
    day = (2025, 10, 15)
    rides = [record(rider["cti"], port["id"], local(*day, 8), FERRY),
             record(rider["cti"], port["id"], local(*day, 9), FERRY),
             record(rider["cti"], pier["id"], local(*day, 16), FERRY)]
    await sync(client, gates[0], rides[:1])
    await sync(client, gates[1], rides[1:2])
    await sync(client, gates[2], rides[2:])
    await sync(client, gates[0], [record(traveller["cti"], port["id"], local(*day, 10), FERRY)])
    await sync(client, gates[3], [record(traveller["cti"], guilin["id"], local(*day, 11), SCENIC)])
    r = await client.get(FLAGS, headers=tokens.h("reviewer"))
    by_kind = {f["kind"]: f for f in r.json()["items"]}
    return {"rider": rider, "traveller": traveller, "rides": rides, "port": port, "pier": pier,
            "over": by_kind["over_limit"], "travel": by_kind["impossible_travel"]}


async def test_staff_list_and_filter_flags(client, tokens, flagged):
    r = await client.get(FLAGS, headers=tokens.h("reviewer"))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 2 and [f["status"] for f in page["items"]] == ["open", "open"]
    assert page["items"][0]["id"] > page["items"][1]["id"]  # newest first
    over = flagged["over"]
    assert over["membership_id"] == flagged["rider"]["membership_id"]
    assert over["benefit_name_zh"] == "北涠线客轮免费乘坐" and over["kind_zh"]
    assert "限 2 次" in over["summary_zh"] and "3" in over["summary_en"]
    assert over["created_at"].endswith("+08:00")
    travel = flagged["travel"]
    assert "公里" in travel["summary_zh"] and "km/h" in travel["summary_en"]
    for params, ids in [({"kind": "over_limit"}, [over["id"]]),
                        ({"kind": "impossible_travel"}, [travel["id"]]),
                        ({"status": "dismissed"}, []),
                        ({"membership_id": flagged["traveller"]["membership_id"]},
                         [travel["id"]])]:
        r = await client.get(FLAGS, headers=tokens.h("auditor"), params=params)
        assert [f["id"] for f in r.json()["items"]] == ids, params
    r = await client.get(FLAGS, headers=tokens.h("admin"), params={"limit": 1, "offset": 1})
    assert r.json()["total"] == 2 and [f["id"] for f in r.json()["items"]] == [
        min(over["id"], travel["id"])]
    for params in ({"status": "closed"}, {"kind": "speeding"}, {"limit": 0}):
        r = await client.get(FLAGS, headers=tokens.h("admin"), params=params)
        assert r.status_code == 400 and r.json()["title_zh"], params


async def test_a_flag_shows_the_records_behind_it(client, tokens, flagged):
    r = await client.get(f"{FLAGS}/{flagged['over']['id']}", headers=tokens.h("auditor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["flag"]["details"]["count"] == 3
    records = body["records"]
    assert [x["uuid"] for x in records] == [x["uuid"] for x in flagged["rides"]]
    first = records[0]
    assert first["at"] == "2025-10-15T08:00:00+08:00"
    assert first["venue_name_zh"] == "北海国际客运港"
    assert first["venue_name_en"] == "Beihai International Port"
    assert first["device_name"] == "1号闸机" and first["decision"] == "accept"
    assert [x["device_name"] for x in records] == ["1号闸机", "2号闸机", "码头闸机"]
    assert records[2]["venue_name_zh"] == "涠洲岛西角码头"

    r = await client.get(f"{FLAGS}/999999", headers=tokens.h("reviewer"))
    assert r.status_code == 404 and r.json()["code"] == "not_found" and r.json()["title_zh"]


async def test_suspend_from_a_flag(client, tokens, flagged):
    flag_id = flagged["over"]["id"]
    membership_id = flagged["rider"]["membership_id"]
    cti = flagged["rider"]["cti"]
    url = f"{FLAGS}/{flag_id}/suspend"
    for body, status in (({"reason": "   "}, 422), ({}, 422), ({"reason": "x", "why": 1}, 400)):
        r = await client.post(url, headers=tokens.h("reviewer"), json=body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    for role in ("auditor", "registrar"):
        r = await client.post(url, headers=tokens.h(role), json={"reason": "x"})
        assert r.status_code == 403, role

    reason = "跨设备超次使用，经核实为证件借用"
    r = await client.post(url, headers=tokens.h("reviewer"), json={"reason": reason})
    assert r.status_code == 200, r.text
    flag = r.json()["flag"]
    assert flag["status"] == "actioned" and flag["note"] == reason
    assert "test-reviewer" in flag["handled_by"] and flag["handled_at"].endswith("+08:00")

    r = await client.get(f"/api/v1/memberships/{membership_id}", headers=tokens.h("reviewer"))
    assert r.json()["state"] == "suspended" and reason in r.json()["state_reason"]
    r = await client.get(f"/api/v1/certificates/{cti}", headers=tokens.h("reviewer"))
    assert r.json()["status"] == "revoked"
    assert {"misuse.flag", "misuse.suspend"} <= set(
        await _actions(client, tokens, "misuse_flag", flag_id))
    assert "membership.suspend" in await _actions(client, tokens, "membership", membership_id)
    assert "certificate.revoke" in await _actions(client, tokens, "certificate", cti)

    r = await client.post(url, headers=tokens.h("admin"), json={"reason": "again"})
    assert r.status_code == 409 and r.json()["current_status"] == "actioned"
    r = await client.post(f"{FLAGS}/{flag_id}/dismiss", headers=tokens.h("admin"),
                          json={"reason": "late"})
    assert r.status_code == 409
    r = await client.get(FLAGS, headers=tokens.h("reviewer"), params={"status": "open"})
    assert [f["id"] for f in r.json()["items"]] == [flagged["travel"]["id"]]


async def test_dismiss_a_flag(client, tokens, flagged):
    flag_id = flagged["travel"]["id"]
    url = f"{FLAGS}/{flag_id}/dismiss"
    r = await client.post(url, headers=tokens.h("reviewer"), json={"reason": ""})
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"
    r = await client.post(url, headers=tokens.h("auditor"), json={"reason": "x"})
    assert r.status_code == 403
    reason = "桂林景区设备时钟错误，已联系厂商校准"
    r = await client.post(url, headers=tokens.h("admin"), json={"reason": reason})
    assert r.status_code == 200, r.text
    assert r.json()["flag"]["status"] == "dismissed" and r.json()["flag"]["note"] == reason
    r = await client.get(f"/api/v1/memberships/{flagged['traveller']['membership_id']}",
                         headers=tokens.h("reviewer"))
    assert r.json()["state"] == "active"  # dismissing changes nothing about the person
    assert "misuse.dismiss" in await _actions(client, tokens, "misuse_flag", flag_id)
    r = await client.post(url, headers=tokens.h("admin"), json={"reason": reason})
    assert r.status_code == 409


async def test_guards(client, tokens, flagged, device_headers):
    flag_id = flagged["over"]["id"]
    reads = [FLAGS, f"{FLAGS}/{flag_id}"]
    for url in reads:
        assert (await client.get(url, headers=tokens.h("registrar"))).status_code == 403
        assert (await client.get(url, headers=device_headers)).status_code == 403
        assert (await client.get(url)).status_code == 401
    for action in ("suspend", "dismiss"):
        url = f"{FLAGS}/{flag_id}/{action}"
        r = await client.post(url, headers=device_headers, json={"reason": "x"})
        assert r.status_code == 403 and r.json()["title_zh"]
    r = await client.get(FLAGS, headers=tokens.h("reviewer"), params={"status": "open"})
    assert r.json()["total"] == 2  # nothing changed


async def test_suspending_an_unknown_card_is_refused(client, tokens):
    """A forged or foreign card over the limit: there is nobody to suspend."""
    a = await partner(client, tokens, "北部湾旅游公司")
    port = await venue(client, tokens, a["id"], "北海国际客运港", "ferry", [FERRY], BEIHAI_PORT)
    gates = [await device(client, tokens, port["id"], n) for n in ("1号闸机", "2号闸机")]
    stranger = "00112233445566ff"
    await sync(client, gates[0], [record(stranger, port["id"], local(2025, 10, 15, h), FERRY)
                                  for h in (8, 9)])
    await sync(client, gates[1], [record(stranger, port["id"], local(2025, 10, 15, 10), FERRY)])
    (flag,) = (await client.get(FLAGS, headers=tokens.h("reviewer"))).json()["items"]
    assert flag["membership_id"] is None
    r = await client.post(f"{FLAGS}/{flag['id']}/suspend", headers=tokens.h("reviewer"),
                          json={"reason": "伪造证件"})
    assert r.status_code == 409 and r.json()["title_zh"]
    r = await client.post(f"{FLAGS}/{flag['id']}/dismiss", headers=tokens.h("reviewer"),
                          json={"reason": "伪造证件，已报警"})
    assert r.status_code == 200
