"""The verifier against the real service: a record the service refuses is quarantined on the
device, and the others reach the service exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt

from huicui_test_support.members import active_member
from huicui_test_support.venues import FERRY, device, venue


async def _stored(uuid: str | None = None) -> int:
    from huicui.sync.tables import Redemption

    query = Redemption.count()
    if uuid is not None:
        query = query.where(Redemption.uuid == uuid)
    return await query


async def test_a_record_for_another_venue_is_quarantined_the_rest_stored_once(
    client, tokens, settings, tmp_path
):
    from huicui.app import create_app
    from huicui_test_support.live_server import serving
    from huicui_verifier.bundle import assemble, open_file
    from huicui_verifier.catchup import catch_up
    from huicui_verifier.device import DeviceHome
    from huicui_verifier.gate import check_and_record
    from huicui_verifier.sync import API_FILES, API_PROFILE, HttpSource, enroll, upload

    m = await active_member(client, tokens)
    port = await venue(client, tokens)
    pier = await venue(client, tokens, partner_id=port["partner_id"], name_zh="涠洲岛码头",
                       name_en="Weizhou Pier")
    here = await device(client, tokens, port["id"])
    there = await device(client, tokens, pier["id"], "码头闸机")
    with serving(create_app(settings)) as base:
        now = dt.datetime.now(dt.UTC)
        home = DeviceHome(tmp_path / "device")
        bundle = await asyncio.to_thread(enroll, home, base, here["token"],
                                         expected_fingerprint=here["fingerprint"], now=now)
        # The pier's bundle, as if carried over on a stick: same program key, other venue.
        carried = await asyncio.to_thread(
            catch_up, HttpSource(base + API_FILES, there["token"]), held=None,
            pinned_key=home.pinned_key, program=None, venue=None, profile_file=API_PROFILE,
            now=now)
        key = home.pinned_key
        pier_bundle = assemble(carried.held.snapshot, carried.held.hash,
                               open_file(carried.profile, "profile", pinned_key=key).payload,
                               open_file(carried.heartbeat, "heartbeat", pinned_key=key).payload)
        assert (bundle.venue.id, pier_bundle.venue.id) == (port["id"], pier["id"])

        with home.open_log() as log:
            for b in (bundle, pier_bundle, bundle):
                check_and_record(m["text"], bundle=b, log=log, benefit=FERRY, now=now)
            made = {r.uuid: r.venue for r in log.pending(10)}
        foreign = [u for u, v in made.items() if v == pier["id"]]
        good = [u for u, v in made.items() if v == port["id"]]
        assert len(foreign) == 1 and len(good) == 2

        def sync_twice():
            with home.open_log() as log:
                first = upload(log, base, here["token"], backoff=0)
                second = upload(log, base, here["token"], backoff=0)
                kept = log.recent(10, quarantined_only=True)
                return first, second, kept, log.pending_count(), log.count()

        first, second, kept, pending, total = await asyncio.to_thread(sync_twice)
    assert (first.sent, first.new, first.known, first.quarantined) == (2, 2, 0, 1)
    assert first.error is None and first.remaining == 0 and first.batches == 1
    assert (second.sent, second.quarantined) == (0, 0)  # nothing is sent twice
    assert (pending, total) == (0, 3)  # the refused record is kept on the device
    assert [k["uuid"] for k in kept] == foreign
    assert f"venue: {pier['id']} is not this device's venue {port['id']}" in (
        kept[0]["quarantine_reason"])
    assert await _stored() == 2 and await _stored(foreign[0]) == 0
    for u in good:
        assert await _stored(u) == 1
