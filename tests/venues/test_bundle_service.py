"""GET /api/v1/bundle: a bundle the verifier loads, its ETag, a version that only grows."""

from __future__ import annotations

import datetime as dt
import re

from huicui_test_support.members import active_member
from huicui_test_support.venues import FERRY, bearer, device, venue
from huicui_verifier.bundle import BundleError, load


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _pinned(app) -> bytes:
    from huicui.issuance.keys import bundle_signer

    return (await bundle_signer(app.state.ctx))[1]


async def test_device_gets_a_bundle_the_verifier_loads(client, tokens, app, settings):
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    r = await client.get("/api/v1/bundle", headers=bearer(e["token"]))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/cbor"
    assert r.headers["cache-control"] == "private, max-age=60"
    assert re.fullmatch(rf'"v\d+-{v["id"]}-[0-9a-f]{{16}}"', r.headers["etag"])
    bundle = load(r.content, pinned_key=await _pinned(app), held_version=None, now=_now())
    assert not bundle.expired and bundle.fingerprint == e["fingerprint"]
    p = bundle.payload
    assert p.program == settings.program.code and p.skew == settings.bundle.skew_seconds
    assert p.exp - p.iat == settings.bundle.lifetime_hours * 3600
    assert p.iat <= _now().timestamp() < p.exp
    assert bundle.venue.id == v["id"] and bundle.venue.kind == "ferry"
    assert bundle.venue.name_zh == "北海国际客运港" and bundle.venue.partner_id == v["partner_id"]
    assert bundle.venue.benefits == (FERRY,) and bundle.venue.fail_mode == "open"
    assert FERRY in bundle.benefits and bundle.benefits[FERRY].slug == "ferry"
    assert any(k.state == "active" for k in bundle.keys.values())
    assert 1 in p.directories
    d = await client.get(f"/api/v1/devices/{e['device']['id']}", headers=tokens.h("admin"))
    assert d.json()["bundle_version"] == bundle.version
    # A key other than the pinned one is refused by the device.
    try:
        load(r.content, pinned_key=b"\x01" * 32, held_version=None, now=_now())
    except BundleError as exc:
        assert exc.code == "wrong_key"
    else:
        raise AssertionError("a bundle loaded under a foreign pinned key")


async def test_etag_gives_304_and_the_version_stays_when_nothing_changed(client, tokens):
    v = await venue(client, tokens)
    h = bearer((await device(client, tokens, v["id"]))["token"])
    first = await client.get("/api/v1/bundle", headers=h)
    etag = first.headers["etag"]
    r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": etag})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag
    r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": f'"x", {etag}'})
    assert r.status_code == 304
    r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": '"v0-0-0"'})
    assert r.status_code == 200 and r.content == first.content
    # An unrelated change (a new partner, audited) leaves the content and version alone.
    r = await client.post("/api/v1/partners", headers=tokens.h("admin"),
                          json={"name_zh": "另一家"})
    assert r.status_code == 201
    r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": etag})
    assert r.status_code == 304


async def test_revocation_reaches_the_next_bundle_with_a_higher_version(client, tokens, app):
    pinned = await _pinned(app)
    kept = await active_member(client, tokens, "王海")
    gone = await active_member(client, tokens, "陈岛")
    v = await venue(client, tokens)
    h = bearer((await device(client, tokens, v["id"]))["token"])
    r = await client.get("/api/v1/bundle", headers=h)
    before = load(r.content, pinned_key=pinned, held_version=None, now=_now())
    assert bytes.fromhex(gone["cti"]) not in before.revoked

    r = await client.post(f"/api/v1/certificates/{gone['cti']}/revoke",
                          headers=tokens.h("reviewer"), json={"reason": "证书遗失"})
    assert r.status_code == 200, r.text
    r = await client.get("/api/v1/bundle", headers=h)
    assert r.status_code == 200
    after = load(r.content, pinned_key=pinned, held_version=before.version, now=_now())
    assert after.version > before.version
    assert bytes.fromhex(gone["cti"]) in after.revoked
    assert bytes.fromhex(kept["cti"]) not in after.revoked
    # Asking again changes nothing.
    again = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    # The device refuses to go back to the older bundle.
    try:
        load(before.raw, pinned_key=pinned, held_version=after.version, now=_now())
    except BundleError as exc:
        assert exc.code == "older_version"
    else:
        raise AssertionError("an older bundle loaded")


async def test_venue_change_gives_new_bytes_under_the_same_version(client, tokens, app):
    pinned = await _pinned(app)
    v = await venue(client, tokens)
    h = bearer((await device(client, tokens, v["id"]))["token"])
    r = await client.get("/api/v1/bundle", headers=h)
    first = load(r.content, pinned_key=pinned, held_version=None, now=_now())
    r2 = await client.patch(f"/api/v1/venues/{v['id']}", headers=tokens.h("admin"),
                            json={"fail_mode": "closed"})
    assert r2.status_code == 200
    r2 = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": r.headers["etag"]})
    assert r2.status_code == 200 and r2.headers["etag"] != r.headers["etag"]
    second = load(r2.content, pinned_key=pinned, held_version=first.version, now=_now())
    assert second.version == first.version and second.venue.fail_mode == "closed"


async def test_two_venues_get_their_own_profiles(client, tokens, app):
    pinned = await _pinned(app)
    a = await venue(client, tokens)
    b = await venue(client, tokens, a["partner_id"], name_zh="涠洲岛码头", fail_mode="closed")
    ha = bearer((await device(client, tokens, a["id"]))["token"])
    hb = bearer((await device(client, tokens, b["id"]))["token"])
    ba = load((await client.get("/api/v1/bundle", headers=ha)).content, pinned_key=pinned,
              held_version=None, now=_now())
    bb = load((await client.get("/api/v1/bundle", headers=hb)).content, pinned_key=pinned,
              held_version=None, now=_now())
    assert (ba.venue.id, bb.venue.id) == (a["id"], b["id"])
    assert bb.venue.name_zh == "涠洲岛码头" and bb.venue.fail_mode == "closed"
    assert ba.version == bb.version
