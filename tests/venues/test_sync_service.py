"""POST /api/v1/redemptions/sync: stored once per uuid, all or nothing, plugins told of new only."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import msgspec
from huicui_test_support.members import active_member
from huicui_test_support.venues import FERRY, bearer, device, record, venue

SYNC = "/api/v1/redemptions/sync"


async def _count(**where) -> int:
    from huicui.sync.tables import Redemption

    query = Redemption.count()
    for name, value in where.items():
        query = query.where(getattr(Redemption, name) == value)
    return await query


async def _setup(client, tokens):
    m = await active_member(client, tokens)
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    return m, v, e


async def test_same_batch_twice_is_stored_once(client, tokens):
    m, v, e = await _setup(client, tokens)
    h = bearer(e["token"])
    now = int(time.time())
    unknown_cti = "00112233445566ff"  # a forged or foreign card: still evidence
    batch = [record(m["cti"], v["id"], now - 60), record(m["cti"], v["id"], now - 30),
             record(unknown_cti, v["id"], now - 10, decision="refuse", reason="unknown_key")]
    r = await client.post(SYNC, headers=h, json={"records": batch})
    assert r.status_code == 200, r.text
    assert r.json() == {"received": 3, "new": 3, "known": 0}
    r = await client.post(SYNC, headers=h, json={"records": batch})
    assert r.json() == {"received": 3, "new": 0, "known": 3}
    assert await _count() == 3

    from huicui.sync.tables import Redemption

    rows = {r["uuid"]: r for r in await Redemption.select()}
    first = rows[batch[0]["uuid"]]
    assert first["certificate_id"] == m["cti"] and first["membership_id"] == m["membership_id"]
    assert first["device"] == e["device"]["id"] and first["venue"] == v["id"]
    assert first["partner"] == v["partner_id"] and first["benefit"] == FERRY
    assert first["at"] == dt.datetime.fromtimestamp(now - 60, dt.UTC)
    forged = rows[batch[2]["uuid"]]
    assert forged["membership_id"] is None and forged["decision"] == "refuse"
    assert forged["reason"] == "unknown_key"
    r = await client.get(f"/api/v1/devices/{e['device']['id']}", headers=tokens.h("admin"))
    assert r.json()["last_sync_at"] is not None


async def test_a_batch_and_its_retry_racing_it_store_each_record_once(client, tokens):
    """A device retries while its first upload is still being written: each record is
    stored once and counted new by exactly one of the two answers."""
    m, v, e = await _setup(client, tokens)
    h = bearer(e["token"])
    now = int(time.time())
    first = [record(m["cti"], v["id"], now - 60 + i) for i in range(20)]
    retry = [*first[5:], record(m["cti"], v["id"], now)]
    answers = await asyncio.gather(
        client.post(SYNC, headers=h, json={"records": first}),
        client.post(SYNC, headers=h, json={"records": retry}),
    )
    assert [r.status_code for r in answers] == [200, 200]
    assert sum(r.json()["new"] for r in answers) == 21
    assert await _count() == 21


async def test_a_bad_record_refuses_the_whole_batch_naming_it(client, tokens):
    m, v, e = await _setup(client, tokens)
    h = bearer(e["token"])
    now = int(time.time())
    good = record(m["cti"], v["id"], now)
    batch = [good, record(m["cti"], v["id"] + 1, now), record(m["cti"].upper(), v["id"], now),
             record(m["cti"], v["id"], now + 3 * 86400), record(m["cti"], v["id"], now,
                                                               reason="DROP TABLE")]
    r = await client.post(SYNC, headers=h, json={"records": batch})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "invalid_input" and "title_zh" in body
    assert [b["index"] for b in body["records"]] == [1, 2, 3, 4]
    assert "venue" in body["records"][0]["problems"][0]
    assert body["records"][0]["uuid"] == batch[1]["uuid"]
    assert await _count() == 0  # not even the good one: nothing half-written
    r = await client.post(SYNC, headers=h, json={"records": [good]})
    assert r.json() == {"received": 1, "new": 1, "known": 0}


async def test_batch_limits_and_shapes(client, tokens):
    m, v, e = await _setup(client, tokens)
    h = bearer(e["token"])
    now = int(time.time())
    big = [record(m["cti"], v["id"], now) for _ in range(501)]
    r = await client.post(SYNC, headers=h, json={"records": big})
    assert r.status_code == 413 and r.json()["max_batch"] == 500
    r = await client.post(SYNC, headers=h, json={"records": big[:500]})
    assert r.status_code == 200 and r.json()["new"] == 500
    bad_type = {**big[0], "decision": "maybe"}
    r = await client.post(SYNC, headers=h, json={"records": [big[0], bad_type]})
    assert r.status_code == 400 and "records[1].decision" in r.text, r.text
    r = await client.post(SYNC, headers=h, json={"records": [{"uuid": "x"}]})
    assert r.status_code == 400
    r = await client.post(SYNC, headers=h, json={"records": []})
    assert r.json() == {"received": 0, "new": 0, "known": 0}


async def test_plugins_are_told_only_about_new_records(db, settings, tokens):
    from huicui.app import create_app
    from huicui.plugins.api import hookimpl
    from huicui.plugins.manager import BenefitPlugins
    from litestar.testing import AsyncTestClient

    told: list[list[str]] = []

    class Recorder:
        @hookimpl
        def huicui_redemptions_synced(self, records):
            told.append(sorted(r.uuid for r in records))
            assert all(r.venue_id and r.partner_id and r.device_id for r in records)

    plugins = BenefitPlugins.load(settings, extra=[Recorder()])
    async with AsyncTestClient(app=create_app(settings, plugins=plugins)) as client:
        m, v, e = await _setup(client, tokens)
        h = bearer(e["token"])
        now = int(time.time())
        a, b, c = (record(m["cti"], v["id"], now - i) for i in range(3))
        assert (await client.post(SYNC, headers=h, json={"records": [a, b]})).json()["new"] == 2
        assert (await client.post(SYNC, headers=h, json={"records": [a, b, c]})).json() == {
            "received": 3, "new": 1, "known": 2}
        assert (await client.post(SYNC, headers=h, json={"records": [a, c]})).json()["new"] == 0
    assert told == [sorted([a["uuid"], b["uuid"]]), [c["uuid"]]]


async def test_cut_connection_then_retry_stores_each_record_once(client, tokens, settings,
                                                                 tmp_path):
    """The device sends a batch and the line drops before the answer; it retries later."""
    from huicui.app import create_app
    from huicui_test_support.live_server import post_and_hang_up, serving
    from huicui_verifier.device import DeviceHome
    from huicui_verifier.gate import check_and_record
    from huicui_verifier.records import SyncRequest
    from huicui_verifier.sync import enroll, upload

    m, _, e = await _setup(client, tokens)
    with serving(create_app(settings)) as base:
        now = dt.datetime.now(dt.UTC)
        home = DeviceHome(tmp_path / "device")
        bundle = await asyncio.to_thread(enroll, home, base, e["token"],
                                         expected_fingerprint=e["fingerprint"], now=now)
        with home.open_log() as log:
            for _ in range(3):  # two rides a day, the third is refused: three records
                check_and_record(m["text"], bundle=bundle, log=log, benefit=FERRY, now=now)
            pending = log.pending(500)
        assert sorted(p.decision for p in pending) == ["accept", "accept", "refuse"]
        body = msgspec.json.encode(SyncRequest(records=pending))
        await asyncio.to_thread(post_and_hang_up, base, SYNC, e["token"], body)
        for _ in range(100):  # the server finishes the request although nobody listens
            if await _count() == 3:
                break
            await asyncio.sleep(0.05)
        assert await _count() == 3

        def retry():
            with home.open_log() as log:
                waiting = log.pending_count()
                return waiting, upload(log, base, e["token"]), log.pending_count()

        waiting, result, left = await asyncio.to_thread(retry)
        assert (waiting, left) == (3, 0)  # the device never heard the first answer
    assert (result.sent, result.new, result.known) == (3, 0, 3)
    assert await _count() == 3
    for p in pending:
        assert await _count(uuid=p.uuid) == 1
