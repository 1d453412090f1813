"""Detection on the service after devices sync: what is flagged, once, and what is not."""

from __future__ import annotations

import datetime as dt
import logging

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

OLD_STREET = (21.4857, 109.1124)  # 北海老街, about 2 km from the port


async def _flags(**where) -> list[dict]:
    import msgspec
    from huicui.misuse.tables import MisuseFlag

    query = MisuseFlag.select().order_by(MisuseFlag.id)
    for name, value in where.items():
        query = query.where(getattr(MisuseFlag, name) == value)
    rows = await query
    for row in rows:
        for key in ("details", "redemption_uuids"):
            if isinstance(row[key], str):
                row[key] = msgspec.json.decode(row[key])
    return rows


@pytest.fixture
async def place(client, tokens) -> dict:
    """A ferry company's two piers, scenic spots near and far, a counter without coordinates."""
    a = await partner(client, tokens, "北部湾旅游公司")
    port = await venue(client, tokens, a["id"], "北海国际客运港", "ferry", [FERRY], BEIHAI_PORT)
    pier = await venue(client, tokens, a["id"], "涠洲岛西角码头", "ferry", [FERRY], WEIZHOU_PIER)
    street = await venue(client, tokens, a["id"], "北海老街", "scenic", [SCENIC], OLD_STREET)
    guilin = await venue(client, tokens, a["id"], "芦笛岩", "scenic", [SCENIC], GUILIN_REED_FLUTE)
    nowhere = await venue(client, tokens, a["id"], "流动展馆", "scenic", [SCENIC], None)
    return {
        "port": port, "pier": pier, "street": street, "guilin": guilin, "nowhere": nowhere,
        "port1": await device(client, tokens, port["id"], "1号闸机"),
        "port2": await device(client, tokens, port["id"], "2号闸机"),
        "pier_gate": await device(client, tokens, pier["id"], "码头闸机"),
        "street_gate": await device(client, tokens, street["id"], "老街入口"),
        "guilin_gate": await device(client, tokens, guilin["id"], "检票口"),
        "nowhere_gate": await device(client, tokens, nowhere["id"], "展馆入口"),
    }


async def test_over_limit_across_devices_is_flagged_once(client, tokens, place):
    m = await active_member(client, tokens)
    cti, day = m["cti"], (2025, 10, 15)
    r1 = record(cti, place["port"]["id"], local(*day, 8), FERRY)
    r2 = record(cti, place["port"]["id"], local(*day, 9), FERRY)
    r3 = record(cti, place["pier"]["id"], local(*day, 15), FERRY)
    refused = record(cti, place["pier"]["id"], local(*day, 16), FERRY, accepted=False)
    # Each gate allowed what its own log permitted: two rides a day, counted per device.
    await sync(client, place["port1"], [r1])
    await sync(client, place["port2"], [r2])
    assert await _flags() == []  # two rides: within the limit
    await sync(client, place["pier_gate"], [r3, refused])
    (flag,) = await _flags()
    assert flag["kind"] == "over_limit" and flag["status"] == "open"
    assert flag["certificate_id"] == cti and flag["membership_id"] == m["membership_id"]
    assert flag["benefit"] == FERRY
    assert flag["redemption_uuids"] == [r1["uuid"], r2["uuid"], r3["uuid"]]  # not the refusal
    assert flag["details"]["count"] == 3 and flag["details"]["limit"] == 2
    assert flag["details"]["per"] == "day"
    assert flag["details"]["period_start"] == "2025-10-15T00:00:00+08:00"
    assert flag["details"]["venues"] == sorted([place["port"]["id"], place["pier"]["id"]])

    # The same batch again (the device missed the answer): stored once, flagged once.
    assert (await sync(client, place["pier_gate"], [r3, refused]))["known"] == 2
    assert len(await _flags()) == 1
    # A fourth ride the same day, in another batch: the open flag gains it.
    r4 = record(cti, place["port"]["id"], local(*day, 20), FERRY)
    await sync(client, place["port1"], [r4])
    (flag,) = await _flags()
    assert flag["details"]["count"] == 4 and flag["redemption_uuids"][-1] == r4["uuid"]
    # One ride the next day is within the limit.
    await sync(client, place["port1"], [record(cti, place["port"]["id"], local(2025, 10, 16, 8),
                                               FERRY)])
    assert len(await _flags()) == 1


async def test_rerunning_detection_creates_nothing_new(client, tokens, place, app):
    from huicui.misuse.scan import rescan

    m = await active_member(client, tokens)
    rides = [record(m["cti"], place["port"]["id"], local(2025, 10, 15, h), FERRY)
             for h in (8, 9, 10)]
    await sync(client, place["port1"], rides[:2])
    await sync(client, place["port2"], rides[2:])
    assert len(await _flags()) == 1
    result = await rescan(app.state.ctx, dt.datetime(2025, 10, 1, tzinfo=dt.UTC))
    assert result.checked == 3 and result.created == 0
    assert len(await _flags()) == 1


async def test_impossible_travel_is_flagged_and_a_plausible_trip_is_not(client, tokens, place):
    names = ("周远航", "吴海燕", "郑小川")
    far, trip, near = [await active_member(client, tokens, n) for n in names]
    day = (2025, 10, 15)
    port_use = record(far["cti"], place["port"]["id"], local(*day, 10), FERRY)
    guilin_use = record(far["cti"], place["guilin"]["id"], local(*day, 11), SCENIC)
    await sync(client, place["port1"], [
        port_use,
        record(trip["cti"], place["port"]["id"], local(*day, 8), FERRY),
        record(near["cti"], place["port"]["id"], local(*day, 8), FERRY),
    ])
    await sync(client, place["guilin_gate"], [guilin_use])
    # The island ferry: 49 km in two hours. A venue without coordinates a minute later.
    await sync(client, place["pier_gate"], [
        record(trip["cti"], place["pier"]["id"], local(*day, 10), FERRY)])
    await sync(client, place["nowhere_gate"], [
        record(trip["cti"], place["nowhere"]["id"], local(*day, 10, 1), SCENIC)])
    # The old street is 2 km from the port: 20 seconds is fast, but too close to judge.
    await sync(client, place["street_gate"], [
        record(near["cti"], place["street"]["id"], local(*day, 8) + 20, SCENIC)])

    (flag,) = await _flags()
    assert flag["kind"] == "impossible_travel" and flag["certificate_id"] == far["cti"]
    assert flag["membership_id"] == far["membership_id"] and flag["benefit"] == SCENIC
    assert flag["redemption_uuids"] == [port_use["uuid"], guilin_use["uuid"]]
    details = flag["details"]
    assert 420 < details["distance_km"] < 460 and details["minutes"] == 60
    assert details["speed_kmh"] > 400 and details["max_speed_kmh"] == 120
    assert details["from_venue_id"] == place["port"]["id"]
    # Uploaded again, or found again from the other side: still one flag.
    await sync(client, place["guilin_gate"], [guilin_use])
    await sync(client, place["port1"], [port_use])
    assert len(await _flags()) == 1


async def test_detection_failure_never_fails_the_sync(client, tokens, place, app, caplog):
    """With the flag table gone the upload still succeeds; the outbox retries it later."""
    from huicui.sync.outbox import work_one
    from huicui.sync.tables import Redemption
    from piccolo.engine.finder import engine_finder

    m = await active_member(client, tokens)
    rides = [record(m["cti"], place["port"]["id"], local(2025, 10, 15, h), FERRY)
             for h in (8, 9, 10)]
    engine = engine_finder()
    await engine.run_ddl('ALTER TABLE "misuse_flag" RENAME TO "misuse_flag_away"')
    caplog.clear()  # from here on, everything logged is the sync's and detection's
    try:
        with caplog.at_level(logging.ERROR, logger="huicui.misuse"):
            result = await sync(client, place["port1"], rides)
    finally:
        await engine.run_ddl('ALTER TABLE "misuse_flag_away" RENAME TO "misuse_flag"')
    assert result["new"] == 3
    assert await Redemption.count() == 3
    failures = [r for r in caplog.records if r.name == "huicui.misuse"]
    assert failures and "misuse detection failed on 3 synced records" in failures[0].getMessage()
    assert m["cti"] not in caplog.text  # the error is named by type, no card data
    assert await _flags() == []
    assert await work_one(app.state.ctx) is False  # waits for its retry
    retry = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=6)
    assert await work_one(app.state.ctx, now=retry)
    assert len(await _flags(kind="over_limit")) == 1


async def test_detection_can_be_switched_off(db, settings, tokens):
    import msgspec
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    off = msgspec.structs.replace(
        settings, misuse=msgspec.structs.replace(settings.misuse, enabled=False))
    async with AsyncTestClient(app=create_app(off)) as client:
        a = await partner(client, tokens, "北部湾旅游公司")
        port = await venue(client, tokens, a["id"], "北海国际客运港", "ferry", [FERRY],
                           BEIHAI_PORT)
        gate = await device(client, tokens, port["id"], "1号闸机")
        m = await active_member(client, tokens)
        await sync(client, gate, [record(m["cti"], port["id"], local(2025, 10, 15, h), FERRY)
                                  for h in (8, 9, 10)])
    assert await _flags() == []
