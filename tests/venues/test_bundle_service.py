"""The bundle files through the API: a device catches up (snapshot, then a delta, then the
heartbeat only), its own profile, ETags and 304, a version that only grows."""

from __future__ import annotations

import datetime as dt

from huicui_test_support.members import active_member
from huicui_test_support.venues import FERRY, bearer, device, venue
from huicui_verifier import bundle as B
from huicui_verifier.catchup import Fetched, Held, catch_up


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _pinned(app) -> bytes:
    from huicui.issuance.keys import bundle_signer

    return (await bundle_signer(app.state.ctx))[1]


class ApiFiles:
    """The files a device asked for, fetched through the test client beforehand (the
    verifier's walk is synchronous; the client is not)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def fill(self, client, headers, held_hash: bytes | None = None) -> None:
        from huicui_verifier.cose import parse

        beat = await client.get("/api/v1/bundle/heartbeat.cbor", headers=headers)
        assert beat.status_code == 200, beat.text
        self.files["heartbeat.cbor"] = beat.content
        named = B.decode_map(parse(beat.content).payload)["hash"].hex()
        for name in (f"snapshot/{named}.cbor", "profile.cbor") + (
            (f"delta/{held_hash.hex()}.cbor",) if held_hash else ()
        ):
            r = await client.get(f"/api/v1/bundle/{name}", headers=headers)
            if r.status_code == 200:
                self.files[name] = r.content

    def get(self, name, etag=None):
        data = self.files.get(name)
        return None if data is None else Fetched(data, None, len(data))


async def _catch_up(client, h, pinned, held=None):
    files = ApiFiles()
    await files.fill(client, h, held.hash if held else None)
    caught = catch_up(
        files,
        held=held,
        pinned_key=pinned,
        program=None,
        venue=None,
        profile_file="profile.cbor",
        now=_now(),
    )
    return caught, files


async def test_device_catches_up_snapshot_then_delta_then_heartbeat_only(client, tokens, app):
    pinned = await _pinned(app)
    kept = await active_member(client, tokens, "王海")
    gone = await active_member(client, tokens, "陈岛")
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    h = bearer(e["token"])
    first, files = await _catch_up(client, h, pinned)
    assert first.snapshot_taken and first.held is not None
    held: Held = first.held
    profile = B.open_file(first.profile, "profile", pinned_key=pinned).payload
    assert profile.id == v["id"] and profile.kind == "ferry" and profile.benefits == (FERRY,)
    assert profile.static_card == "check_id" and profile.fail_mode == "open"
    assert B.fingerprint(held.snapshot.bundle_key) == e["fingerprint"]
    assert bytes.fromhex(gone["cti"]) not in held.revoked
    snap = held.snapshot
    assert FERRY in {b.code for b in snap.benefits} and 1 in snap.directories

    r = await client.post(
        f"/api/v1/certificates/{gone['cti']}/revoke",
        headers=tokens.h("reviewer"),
        json={"reason": "证书遗失"},
    )
    assert r.status_code == 200, r.text
    second, files = await _catch_up(client, h, pinned, held)
    assert second.deltas == 1 and not second.snapshot_taken
    assert second.held.snapshot.version > held.snapshot.version
    assert bytes.fromhex(gone["cti"]) in second.held.revoked
    assert bytes.fromhex(kept["cti"]) not in second.held.revoked
    assert len(files.files[f"delta/{held.hash.hex()}.cbor"]) < 1024
    third, _ = await _catch_up(client, h, pinned, second.held)
    assert third.held is None and third.deltas == 0 and third.heartbeat is not None
    d = await client.get(f"/api/v1/devices/{e['device']['id']}", headers=tokens.h("admin"))
    assert d.json()["bundle_version"] == second.held.snapshot.version


async def test_heartbeat_etag_gives_304_and_nothing_changes_for_unrelated_edits(client, tokens):
    v = await venue(client, tokens)
    h = bearer((await device(client, tokens, v["id"]))["token"])
    first = await client.get("/api/v1/bundle", headers=h)
    assert first.status_code == 200 and first.headers["content-type"] == "application/cbor"
    etag = first.headers["etag"]
    same = await client.get("/api/v1/bundle/heartbeat.cbor", headers=h)
    assert same.content == first.content and same.headers["etag"] == etag
    r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": etag})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag
    r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": f'"x", {etag}'})
    assert r.status_code == 304
    r = await client.post("/api/v1/partners", headers=tokens.h("admin"), json={"name_zh": "另一家"})
    assert r.status_code == 201
    r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": etag})
    assert r.status_code == 304


async def test_a_known_device_polls_the_heartbeat_without_the_device_tables(client, tokens, app):
    # The poll path authenticates with huicui.venues.devices.device_principal: a device
    # whose token this process knows is answered from memory, so thousands of devices
    # polling every minute do not each cost a database read.
    from piccolo.engine.finder import engine_finder

    v = await venue(client, tokens)
    h = bearer((await device(client, tokens, v["id"]))["token"])
    first = await client.get("/api/v1/bundle/heartbeat.cbor", headers=h)
    assert first.status_code == 200
    etag = first.headers["etag"]
    app.state.ctx.device_tokens.clock = lambda: 0.0  # no counter read falls due meanwhile
    engine = engine_finder()
    await engine.run_ddl('ALTER TABLE "device" RENAME TO "device_away"')
    await engine.run_ddl('ALTER TABLE "device_generation" RENAME TO "device_generation_away"')
    try:
        again = await client.get("/api/v1/bundle/heartbeat.cbor", headers=h)
        assert again.status_code == 200 and again.content == first.content
        r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": etag})
        assert r.status_code == 304
    finally:
        await engine.run_ddl('ALTER TABLE "device_away" RENAME TO "device"')
        await engine.run_ddl('ALTER TABLE "device_generation_away" RENAME TO "device_generation"')


async def test_venue_change_gives_a_new_profile_under_the_same_version(client, tokens, app):
    pinned = await _pinned(app)
    v = await venue(client, tokens)
    h = bearer((await device(client, tokens, v["id"]))["token"])
    beat = await client.get("/api/v1/bundle", headers=h)
    p1 = await client.get("/api/v1/bundle/profile.cbor", headers=h)
    r = await client.patch(
        f"/api/v1/venues/{v['id']}", headers=tokens.h("admin"), json={"fail_mode": "closed"}
    )
    assert r.status_code == 200
    p2 = await client.get(
        "/api/v1/bundle/profile.cbor", headers={**h, "If-None-Match": p1.headers["etag"]}
    )
    assert p2.status_code == 200
    second = B.open_file(p2.content, "profile", pinned_key=pinned).payload
    first = B.open_file(p1.content, "profile", pinned_key=pinned).payload
    assert second.fail_mode == "closed" and second.rev >= first.rev
    again = await client.get("/api/v1/bundle", headers=h)
    assert (
        B.decode_map(B.cose.parse(again.content).payload)["version"]
        == B.decode_map(B.cose.parse(beat.content).payload)["version"]
    )


async def test_a_device_reads_only_its_own_profile(client, tokens):
    a = await venue(client, tokens)
    b = await venue(client, tokens, a["partner_id"], name_zh="涠洲岛码头")
    ha = bearer((await device(client, tokens, a["id"]))["token"])
    assert (
        await client.get(f"/api/v1/bundle/profile/{a['id']}.cbor", headers=ha)
    ).status_code == 200
    r = await client.get(f"/api/v1/bundle/profile/{b['id']}.cbor", headers=ha)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = await client.get("/api/v1/bundle/snapshot/..%2F..%2Fsecrets.cbor", headers=ha)
    assert r.status_code == 404
    # Without a device token the API path is closed; the public copy is open.
    assert (await client.get("/api/v1/bundle")).status_code == 401
    r = await client.get(f"/bundle/profile/{b['id']}.cbor")
    assert r.status_code == 200 and r.headers["cache-control"].startswith("public")
    assert (await client.get("/bundle/../huicui.toml")).status_code == 404
