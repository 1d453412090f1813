"""GET /api/v1/redemptions: staff see what devices uploaded, filtered, in Shanghai time."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from huicui_test_support.members import active_member
from huicui_test_support.venues import FERRY, SCENIC, bearer, device, record, venue

LIST, SYNC = "/api/v1/redemptions", "/api/v1/redemptions/sync"
SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR, DAY = 3600, 86400


def _local(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, SHANGHAI).isoformat(timespec="seconds")


async def _world(client, tokens) -> dict:
    """Two venues of two partners, a device at each, four uploaded decisions."""
    m1 = await active_member(client, tokens, "李晓明")
    m2 = await active_member(client, tokens, "王海")
    port = await venue(client, tokens)
    beach = await venue(client, tokens, kind="scenic", benefits=[SCENIC],
                        name_zh="银滩景区", name_en="Silver Beach")
    gate, turnstile = (await device(client, tokens, port["id"]),
                       await device(client, tokens, beach["id"], "东门闸机"))
    # Whole hours in the past, so day boundaries in the tests are easy to place.
    now = int(time.time()) // HOUR * HOUR
    r1 = record(m1["cti"], port["id"], now - 3 * DAY)
    r2 = record(m1["cti"], port["id"], now - 2 * DAY, decision="refuse", reason="limit_reached")
    r3 = record("00112233445566ff", port["id"], now - HOUR, decision="refuse",
                reason="unknown_key")
    r4 = record(m2["cti"], beach["id"], now - DAY, benefit=SCENIC, companions=1)
    for dev, batch in ((gate, [r1, r2, r3]), (turnstile, [r4])):
        r = await client.post(SYNC, headers=bearer(dev["token"]), json={"records": batch})
        assert r.status_code == 200, r.text
    return {"m1": m1, "m2": m2, "port": port, "beach": beach, "gate": gate,
            "turnstile": turnstile, "r": [r1, r2, r3, r4], "now": now}


async def _uuids(client, tokens, **params) -> list[str]:
    r = await client.get(LIST, headers=tokens.h("auditor"), params=params)
    assert r.status_code == 200, (params, r.text)
    body = r.json()
    assert body["total"] == len(body["items"]) or "limit" in params
    return [item["uuid"] for item in body["items"]]


async def test_staff_see_uploads_newest_first_with_venue_names_and_local_times(client, tokens):
    w = await _world(client, tokens)
    r1, r2, r3, r4 = w["r"]
    r = await client.get(LIST, headers=tokens.h("admin"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 4 and (body["limit"], body["offset"]) == (50, 0)
    assert [i["uuid"] for i in body["items"]] == [r3["uuid"], r4["uuid"], r2["uuid"], r1["uuid"]]
    scenic = body["items"][1]
    assert scenic["venue_name_zh"] == "银滩景区" and scenic["venue_name_en"] == "Silver Beach"
    assert scenic["venue_id"] == w["beach"]["id"] and scenic["partner_id"] == w["beach"][
        "partner_id"]
    assert scenic["device_id"] == w["turnstile"]["device"]["id"]
    assert scenic["membership_id"] == w["m2"]["membership_id"]
    assert scenic["certificate_id"] == w["m2"]["cti"]
    assert (scenic["benefit"], scenic["benefit_slug"]) == (SCENIC, "scenic")
    assert scenic["companions"] == 1
    assert scenic["benefit_name_zh"] and scenic["benefit_name_en"]
    assert scenic["at"] == _local(r4["at"]) and scenic["at"].endswith("+08:00")
    assert scenic["received_at"].endswith("+08:00")
    forged = body["items"][0]
    assert forged["membership_id"] is None and forged["reason"] == "unknown_key"
    assert forged["venue_name_zh"] == "北海国际客运港" and forged["decision"] == "refuse"


async def test_every_filter_narrows_the_list(client, tokens):
    w = await _world(client, tokens)
    r1, r2, r3, r4 = (x["uuid"] for x in w["r"])

    async def ids(**params):
        return set(await _uuids(client, tokens, **params))

    assert await ids(certificate_id=w["m1"]["cti"].upper()) == {r1, r2}
    assert await ids(membership_id=w["m2"]["membership_id"]) == {r4}
    assert await ids(venue_id=w["port"]["id"]) == {r1, r2, r3}
    assert await ids(partner_id=w["beach"]["partner_id"]) == {r4}
    assert await ids(device_id=w["gate"]["device"]["id"]) == {r1, r2, r3}
    assert await ids(benefit="ferry") == await ids(benefit=str(FERRY)) == {r1, r2, r3}
    assert await ids(benefit="9999") == set()  # a code no plugin declares: empty, not an error
    assert await ids(decision="refuse") == {r2, r3}
    assert await ids(decision="accept", venue_id=w["port"]["id"]) == {r1}
    now = w["now"]
    # since is inclusive, until exclusive; a time without offset is Shanghai time
    at_r2 = dt.datetime.fromtimestamp(now - 2 * DAY, SHANGHAI).replace(tzinfo=None)
    assert await ids(since=at_r2.isoformat()) == {r2, r3, r4}
    assert await ids(until=at_r2.isoformat()) == {r1}
    assert await ids(since=_local(now - 2 * DAY), until=_local(now - DAY)) == {r2}
    # a bare date is a whole Shanghai day, for until too
    day_r1 = dt.datetime.fromtimestamp(now - 3 * DAY, SHANGHAI).date().isoformat()
    on_day = await ids(since=day_r1, until=day_r1)
    assert r1 in on_day and r3 not in on_day
    assert await ids(certificate_id="ffffffffffffffff") == set()


async def test_paging_keeps_the_total(client, tokens):
    w = await _world(client, tokens)
    _, r2, _, r4 = (x["uuid"] for x in w["r"])
    r = await client.get(LIST, headers=tokens.h("reviewer"), params={"limit": 2, "offset": 1})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 4 and [i["uuid"] for i in body["items"]] == [r4, r2]
    r = await client.get(LIST, headers=tokens.h("reviewer"), params={"offset": 4})
    assert r.json()["items"] == [] and r.json()["total"] == 4


async def test_only_admins_auditors_and_reviewers_may_list(client, tokens):
    w = await _world(client, tokens)
    for who in ("admin", "auditor", "reviewer"):
        assert (await client.get(LIST, headers=tokens.h(who))).status_code == 200, who
    r = await client.get(LIST, headers=tokens.h("registrar"))
    assert r.status_code == 403 and r.json()["title_zh"]
    r = await client.get(LIST, headers=bearer(w["gate"]["token"]))
    assert r.status_code == 403  # a device uploads; it does not read others' uses
    assert (await client.get(LIST)).status_code == 401


@pytest.mark.parametrize(
    ("params", "status", "parameter"),
    [
        ({"certificate_id": "xyz"}, 422, "certificate_id"),
        ({"certificate_id": "00112233445566"}, 422, "certificate_id"),
        ({"benefit": "teleport"}, 422, "benefit"),
        ({"benefit": "10001"}, 422, "benefit"),
        ({"decision": "maybe"}, 422, "decision"),
        ({"since": "yesterday"}, 422, "since"),
        ({"until": "2026-13-01"}, 422, "until"),
        ({"since": "2026-11-27", "until": "2026-11-26"}, 422, "until"),
        ({"since": "2026-11-26T10:00:00+08:00", "until": "2026-11-26T10:00:00+08:00"}, 422,
         "until"),
        ({"venue_id": "0"}, 400, None),
        ({"device_id": "abc"}, 400, None),
        ({"limit": "501"}, 400, None),
        ({"certificate_id": "0" * 65}, 400, None),
    ],
)
async def test_a_wrong_filter_is_a_problem_document_naming_it(client, tokens, params, status,
                                                              parameter):
    r = await client.get(LIST, headers=tokens.h("auditor"), params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["title_zh"] and body["code"] and body["status"] == status
    if parameter:
        assert body["parameter"] == parameter


async def test_redemption_keeps_only_the_indexes_its_queries_read(db):
    """Every synced record updates each index: none is there that no query reads."""
    from huicui.db import is_postgres
    from piccolo.engine.finder import engine_finder

    engine = engine_finder()
    if is_postgres(engine):
        sql = "SELECT indexdef AS d FROM pg_indexes WHERE tablename = 'redemption'"
        rows = await engine._run_in_new_connection(sql)
        found = {row["d"].split(" USING btree ")[1] for row in rows}
        assert found == {"(id)", "(uuid)", "(certificate_id)", "(membership_id)", "(at)",
                         "(partner)"}
    else:
        sql = ("SELECT sql AS d FROM sqlite_master WHERE type = 'index' "
               "AND tbl_name = 'redemption' AND sql IS NOT NULL")
        found = {row["d"].split(" ON ")[1] for row in await engine._run_in_new_connection(sql)}
        assert found == {'"redemption" ("certificate_id")', '"redemption" ("membership_id")',
                         '"redemption" ("at")', '"redemption" ("partner")'}
