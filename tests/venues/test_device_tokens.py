"""Device tokens from memory: no database read for a known device, a disabled device
refused at once where it was disabled and within the stated bound in other processes."""

from __future__ import annotations

import pytest
from huicui_test_support.venues import Clock, bearer, device, venue

SYNC = "/api/v1/redemptions/sync"


async def _status(client, headers) -> int:
    r = await client.post(SYNC, headers=headers, json={"records": []})
    assert r.status_code in (200, 401), r.text
    return r.status_code


async def test_two_processes_refuse_a_disabled_device_here_at_once_there_within_the_bound(
    settings, tokens
):
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    here, there = create_app(settings), create_app(settings)  # as two processes: own memory
    clock = Clock()
    there.state.ctx.device_tokens.clock = clock
    bound = settings.sync.device_check_seconds
    assert bound > 0
    async with AsyncTestClient(app=here) as a, AsyncTestClient(app=there) as b:
        v = await venue(a, tokens)
        e = await device(a, tokens, v["id"])
        h = bearer(e["token"])
        assert (await _status(a, h), await _status(b, h)) == (200, 200)
        r = await a.post(f"/api/v1/devices/{e['device']['id']}/disable",
                         headers=tokens.h("admin"), json={"reason": "丢失 / lost"})
        assert r.status_code == 200 and r.json()["enabled"] is False
        assert await _status(a, h) == 401  # the process that disabled it: at once
        # The other process answers from memory until its next counter read ...
        assert await _status(b, h) == 200
        clock.now += bound  # ... which comes at most `bound` seconds later
        assert await _status(b, h) == 401
        assert await _status(b, h) == 401
        r = await a.post(f"/api/v1/devices/{e['device']['id']}/enable",
                         headers=tokens.h("admin"), json={})
        assert r.status_code == 200
        assert await _status(a, h) == 200
        clock.now += bound
        assert await _status(b, h) == 200


async def test_a_known_device_is_answered_without_the_database(db, settings, tokens, client):
    from huicui.venues.device_tokens import DeviceTokens
    from piccolo.engine.finder import engine_finder

    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    clock = Clock()
    cache = DeviceTokens(check_seconds=1.0, clock=clock)
    first = await cache.resolve(e["token"])
    assert first is not None and first.id == e["device"]["id"] and first.venue_id == v["id"]
    assert first.role == "device"
    engine = engine_finder()
    # With the tables gone, only memory can answer.
    await engine.run_ddl('ALTER TABLE "device" RENAME TO "device_away"')
    await engine.run_ddl('ALTER TABLE "device_generation" RENAME TO "device_generation_away"')
    try:
        assert await cache.resolve(e["token"]) == first
        assert await cache.resolve(e["token"]) == first
        clock.now += 1.0
        with pytest.raises(Exception, match="device_generation"):
            await cache.resolve(e["token"])  # the counter read is due: the database is asked
    finally:
        await engine.run_ddl('ALTER TABLE "device_away" RENAME TO "device"')
        await engine.run_ddl('ALTER TABLE "device_generation_away" RENAME TO "device_generation"')
    assert await cache.resolve(e["token"]) == first


async def test_unknown_and_disabled_tokens_are_refused(db, settings, tokens, client):
    from huicui.venues.device_tokens import DeviceTokens

    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    cache = DeviceTokens(check_seconds=0.0)  # 0: read the counter on every request
    assert await cache.resolve("hcd_unknown_token_never_enrolled") is None
    last = "B" if e["token"].endswith("A") else "A"  # one character changed, always
    assert await cache.resolve(e["token"][:-1] + last) is None
    assert await cache.resolve(e["token"]) is not None
    r = await client.post(f"/api/v1/devices/{e['device']['id']}/disable",
                          headers=tokens.h("admin"), json={"reason": "test"})
    assert r.status_code == 200
    assert await cache.resolve(e["token"]) is None  # another process, bound 0: at once


async def test_a_rename_reaches_other_processes_with_the_counter(db, settings, tokens, client):
    from huicui.venues.device_tokens import DeviceTokens

    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    clock = Clock()
    cache = DeviceTokens(check_seconds=1.0, clock=clock)
    assert (await cache.resolve(e["token"])).name == "1号闸机"
    r = await client.patch(f"/api/v1/devices/{e['device']['id']}", headers=tokens.h("admin"),
                           json={"name": "南门闸机"})
    assert r.status_code == 200
    clock.now += 1.0
    assert (await cache.resolve(e["token"])).name == "南门闸机"


async def test_last_seen_is_written_in_batches(db, settings, tokens, client):
    from huicui.venues.device_tokens import DeviceTokens
    from huicui.venues.tables import Device

    v = await venue(client, tokens)
    devices = [await device(client, tokens, v["id"], f"{n}号闸机") for n in range(1, 4)]
    cache = DeviceTokens(check_seconds=1.0)
    for d in devices[:2]:
        assert await cache.resolve(d["token"]) is not None
        assert await cache.resolve(d["token"]) is not None
    rows = await Device.select(Device.id, Device.last_seen_at).order_by(Device.id)
    assert [r["last_seen_at"] for r in rows] == [None, None, None]  # nothing written per request
    assert cache.pending_seen() == 2
    assert await cache.flush_seen() == 2
    rows = await Device.select(Device.id, Device.last_seen_at).order_by(Device.id)
    assert [r["last_seen_at"] is not None for r in rows] == [True, True, False]
    assert await cache.resolve(devices[0]["token"]) is not None
    assert cache.pending_seen() == 0  # written a moment ago: not again for a few minutes
    assert await cache.flush_seen() == 0
