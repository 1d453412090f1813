"""Partners and venues over HTTP: admins change, staff read, bad input is a clear refusal."""

from __future__ import annotations

from huicui_test_support.venues import FERRY, SCENIC, partner, venue


async def test_partner_create_read_update_masks_and_encrypts_phone(client, tokens):
    p = await partner(client, tokens, settlement_ref="ICBC 6222-xxxx-0001")
    assert p["contact_phone_masked"] == "****8888"
    assert "0779" not in str(p)
    from huicui.venues.tables import Partner

    row = await Partner.select().where(Partner.id == p["id"]).first()
    assert "07792028888" not in row["contact_phone_enc"] and row["contact_phone_enc"]

    r = await client.patch(f"/api/v1/partners/{p['id']}", headers=tokens.h("admin"),
                           json={"contact_phone": "13900001234", "name_en": "BGT"})
    assert r.status_code == 200, r.text
    assert r.json()["contact_phone_masked"] == "****1234" and r.json()["name_en"] == "BGT"
    for who in ("registrar", "reviewer", "auditor"):
        r = await client.get(f"/api/v1/partners/{p['id']}", headers=tokens.h(who))
        assert r.status_code == 200 and r.json()["name_zh"] == "北部湾旅游公司"
    r = await client.get("/api/v1/partners", headers=tokens.h("auditor"))
    assert r.json()["total"] == 1

    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": "partner", "target_id": str(p["id"])})
    events = r.json()["items"]
    assert [e["action"] for e in events] == ["partner.update", "partner.create"]
    assert "13900001234" not in r.text and "07792028888" not in r.text


async def test_only_admins_change_partners_and_venues(client, tokens):
    for who in ("registrar", "reviewer", "auditor"):
        r = await client.post("/api/v1/partners", headers=tokens.h(who), json={"name_zh": "某"})
        assert r.status_code == 403, who
    p = await partner(client, tokens)
    r = await client.post("/api/v1/venues", headers=tokens.h("registrar"), json={
        "partner_id": p["id"], "name_zh": "港", "kind": "ferry"})
    assert r.status_code == 403
    r = await client.get("/api/v1/partners")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_venue_crud_and_the_next_read_shows_changes(client, tokens):
    v = await venue(client, tokens)
    assert v["kind"] == "ferry" and v["benefits"] == [FERRY] and v["fail_mode"] == "open"
    assert (v["lat"], v["lon"]) == (21.47, 109.10)
    r = await client.patch(f"/api/v1/venues/{v['id']}", headers=tokens.h("admin"),
                           json={"fail_mode": "closed", "name_en": "Beihai Intl. Port"})
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/v1/venues/{v['id']}", headers=tokens.h("reviewer"))
    assert r.json()["fail_mode"] == "closed" and r.json()["name_en"] == "Beihai Intl. Port"
    r = await client.get("/api/v1/venues", headers=tokens.h("auditor"),
                         params={"partner_id": v["partner_id"], "kind": "ferry"})
    assert [x["id"] for x in r.json()["items"]] == [v["id"]]
    r = await client.get("/api/v1/venues", headers=tokens.h("auditor"), params={"kind": "bus"})
    assert r.json()["total"] == 0
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": "venue", "target_id": str(v["id"])})
    assert [e["action"] for e in r.json()["items"]] == ["venue.update", "venue.create"]


async def test_venue_benefits_must_be_installed_and_suit_the_kind(client, tokens):
    p = await partner(client, tokens)
    base = {"partner_id": p["id"], "name_zh": "北海国际客运港", "kind": "ferry"}
    # Scenic-spot entry is not a ferry benefit.
    r = await client.post("/api/v1/venues", headers=tokens.h("admin"),
                          json={**base, "benefits": [FERRY, SCENIC]})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "invalid_input" and "title_zh" in body
    assert body["benefits"] == [{"code": SCENIC, "problem": "kind_mismatch", "slug": "scenic",
                                 "venue_kinds": body["benefits"][0]["venue_kinds"]}]
    r = await client.post("/api/v1/venues", headers=tokens.h("admin"),
                          json={**base, "benefits": [999]})
    assert r.status_code == 422 and r.json()["benefits"][0]["problem"] == "not_installed"
    # Changing only the kind re-checks the benefits already honored.
    v = await venue(client, tokens, p["id"])
    r = await client.patch(f"/api/v1/venues/{v['id']}", headers=tokens.h("admin"),
                           json={"kind": "hotel"})
    assert r.status_code == 422
    r = await client.get(f"/api/v1/venues/{v['id']}", headers=tokens.h("admin"))
    assert r.json()["kind"] == "ferry"


async def test_venue_input_is_validated(client, tokens):
    p = await partner(client, tokens)
    base = {"partner_id": p["id"], "name_zh": "某地"}
    r = await client.post("/api/v1/venues", headers=tokens.h("admin"),
                          json={**base, "kind": "casino"})
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
    r = await client.post("/api/v1/venues", headers=tokens.h("admin"),
                          json={**base, "kind": "bus", "fail_mode": "maybe"})
    assert r.status_code == 400
    r = await client.post("/api/v1/venues", headers=tokens.h("admin"),
                          json={**base, "kind": "bus", "lat": 21.4})
    assert r.status_code == 422 and r.json()["fields"] == ["lat", "lon"]
    r = await client.post("/api/v1/venues", headers=tokens.h("admin"),
                          json={**base, "kind": "bus", "lat": 91, "lon": 0})
    assert r.status_code == 400
    r = await client.post("/api/v1/venues", headers=tokens.h("admin"),
                          json={**base, "partner_id": 9999, "kind": "bus"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = await client.post("/api/v1/venues", headers=tokens.h("admin"),
                          json={**base, "kind": "bus", "surprise": 1})
    assert r.status_code == 400
    r = await client.get("/api/v1/venues/424242", headers=tokens.h("admin"))
    assert r.status_code == 404
