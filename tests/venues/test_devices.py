"""Device enrollment: the token once, the fingerprint to pin, disable and enable at once."""

from __future__ import annotations

from huicui_test_support.venues import bearer, device, venue


async def test_enrollment_returns_token_once_and_the_pinned_fingerprint(client, tokens, app):
    from huicui.issuance.keys import bundle_signer
    from huicui_verifier.bundle import fingerprint

    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    token = e["token"]
    assert token.startswith("hcd_") and len(token) > 40
    _, public = await bundle_signer(app.state.ctx)
    assert e["fingerprint"] == fingerprint(public)
    assert e["command"] == (f"huicui-verify enroll --server http://127.0.0.1:8000 "
                            f"--token {token} --fingerprint {e['fingerprint']}")
    assert e["device"]["venue_id"] == v["id"] and e["device"]["enabled"] is True

    r = await client.get(f"/api/v1/devices/{e['device']['id']}", headers=tokens.h("auditor"))
    assert r.status_code == 200 and token not in r.text
    assert r.json()["token_prefix"] == token[:8]
    r = await client.get("/api/v1/devices", headers=tokens.h("reviewer"),
                         params={"venue_id": v["id"]})
    assert r.json()["total"] == 1 and token not in r.text
    from huicui.venues.tables import Device

    stored = await Device.select(Device.token_hash).first()
    assert token not in str(stored)
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": "device"})
    assert r.json()["items"][0]["action"] == "device.enroll" and token not in r.text


async def test_only_admins_enroll_and_unknown_venue_is_404(client, tokens):
    v = await venue(client, tokens)
    r = await client.post("/api/v1/devices", headers=tokens.h("registrar"),
                          json={"venue_id": v["id"], "name": "x"})
    assert r.status_code == 403
    r = await client.post("/api/v1/devices", headers=tokens.h("admin"),
                          json={"venue_id": 999, "name": "x"})
    assert r.status_code == 404
    r = await client.post("/api/v1/devices", headers=tokens.h("admin"),
                          json={"venue_id": v["id"], "name": ""})
    assert r.status_code == 400


async def test_disabled_device_is_refused_at_once_and_enable_restores(client, tokens):
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    dev_id, h = e["device"]["id"], bearer(e["token"])
    assert (await client.get("/api/v1/bundle", headers=h)).status_code == 200
    r = await client.post(f"/api/v1/devices/{dev_id}/disable", headers=tokens.h("admin"),
                          json={"reason": "设备丢失"})
    assert r.status_code == 200 and r.json()["enabled"] is False
    r = await client.get("/api/v1/bundle", headers=h)
    assert r.status_code == 401
    r = await client.post("/api/v1/redemptions/sync", headers=h, json={"records": []})
    assert r.status_code == 401
    r = await client.post(f"/api/v1/devices/{dev_id}/enable", headers=tokens.h("admin"))
    assert r.status_code == 200 and r.json()["enabled"] is True
    assert (await client.get("/api/v1/bundle", headers=h)).status_code == 200
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": "device", "target_id": str(dev_id)})
    actions = [(x["action"], x["reason"]) for x in r.json()["items"]]
    assert actions[:2] == [("device.enable", ""), ("device.disable", "设备丢失")]
    r = await client.post(f"/api/v1/devices/{dev_id}/disable", headers=tokens.h("reviewer"))
    assert r.status_code == 403


async def test_device_tokens_reach_only_device_routes(client, tokens):
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    h = bearer(e["token"])
    for path in ("/api/v1/venues", "/api/v1/devices", "/api/v1/partners", "/api/v1/audit",
                 "/api/v1/memberships"):
        r = await client.get(path, headers=h)
        assert r.status_code == 403, path
    r = await client.post("/api/v1/devices", headers=h, json={"venue_id": v["id"], "name": "x"})
    assert r.status_code == 403
    for who in ("admin", "reviewer"):
        assert (await client.get("/api/v1/bundle", headers=tokens.h(who))).status_code == 403
        r = await client.post("/api/v1/redemptions/sync", headers=tokens.h(who),
                              json={"records": []})
        assert r.status_code == 403
    r = await client.get("/api/v1/bundle", headers=bearer("hcd_" + "x" * 43))
    assert r.status_code == 401


async def test_rename_device(client, tokens):
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    r = await client.patch(f"/api/v1/devices/{e['device']['id']}", headers=tokens.h("admin"),
                           json={"name": "2号闸机"})
    assert r.status_code == 200 and r.json()["name"] == "2号闸机"
    r = await client.patch(f"/api/v1/devices/{e['device']['id']}", headers=tokens.h("admin"),
                           json={"venue_id": 5})
    assert r.status_code == 400
