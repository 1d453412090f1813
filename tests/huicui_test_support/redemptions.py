"""Seeding redemptions the way venues do it: members, partners, venues, enrolled devices, and
batches uploaded to the real sync endpoint with each device's own token."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from zoneinfo import ZoneInfo

from huicui_test_support import venues

SHANGHAI = ZoneInfo("Asia/Shanghai")
SYNC = "/api/v1/redemptions/sync"
SCENIC, FERRY, VIP_LANE, HOTEL = 1, 2, 4, 5
_n = itertools.count(1)

# Real places, so distances are what a reviewer would see on a map.
BEIHAI_PORT = (21.4733, 109.0986)     # 北海国际客运港
WEIZHOU_PIER = (21.0291, 109.1083)    # 涠洲岛西角码头, ~49 km by sea (70 min ferry)
SILVER_BEACH = (21.4089, 109.1429)    # 银滩, ~8.5 km from the port
GUILIN_REED_FLUTE = (25.3004, 110.2766)  # 桂林芦笛岩, ~440 km away


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> int:
    """Epoch seconds of a wall-clock time in Asia/Shanghai."""
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).timestamp())


async def partner(client, tokens, name_zh: str, name_en: str = "") -> dict:
    """A partner with a settlement account reference, as the office records one."""
    return await venues.partner(client, tokens, name_zh=name_zh, name_en=name_en,
                                settlement_ref=f"BOC-{next(_n):06d}")


async def venue(client, tokens, partner_id: int, name_zh: str, kind: str, benefits: list[int],
                where: tuple[float, float] | None, name_en: str = "") -> dict:
    return await venues.venue(client, tokens, partner_id, where=where, name_zh=name_zh,
                              name_en=name_en, kind=kind, benefits=benefits)


async def device(client, tokens, venue_id: int, name: str) -> dict:
    """An enrolled device: ``{"id", "venue_id", "headers"}`` (its own bearer token)."""
    body = await venues.device(client, tokens, venue_id, name)
    return {"id": body["device"]["id"], "venue_id": venue_id,
            "headers": venues.bearer(body["token"])}


def record(cti: str, venue_id: int, at: int, benefit: int, accepted: bool = True,
           reason: str = "") -> dict:
    """One decision as a device logs and uploads it."""
    return {"uuid": str(uuid.uuid4()), "cti": cti, "benefit": benefit, "venue": venue_id,
            "at": at, "decision": "accept" if accepted else "refuse",
            "reason": reason or ("ok" if accepted else "limit_reached"), "companions": 0,
            "bundle_version": 1}


async def sync(client, dev: dict, records: list[dict]) -> dict:
    """Upload ``records`` from ``dev`` in batches of at most 500; returns summed counts."""
    total = {"received": 0, "new": 0, "known": 0}
    for i in range(0, len(records), 500):
        r = await client.post(SYNC, headers=dev["headers"], json={"records": records[i:i + 500]})
        assert r.status_code == 200, r.text
        for key, value in r.json().items():
            total[key] += value
    await outbox_done(client)
    return total


async def outbox_done(client) -> None:
    """Wait until the app's outbox has told the plugins and misuse detection (docs/sync.md)."""
    from huicui.sync.outbox import drain

    await drain(client.app.state.ctx)
