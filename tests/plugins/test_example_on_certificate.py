"""The third-party example benefit travels all the way onto a signed certificate."""

from __future__ import annotations

from huicui_verifier import hb1


async def test_museum_benefit_is_carried_on_a_certificate(client, tokens):
    r = await client.post("/api/v1/directories", headers=tokens.h("admin"), json={
        "slug": "museums", "name_zh": "文博名录", "name_en": "Museums", "benefits": [11]})
    assert r.status_code == 201, r.text
    directory = r.json()
    assert directory["offered"] == [11]

    r = await client.post("/api/v1/identities", headers=tokens.h("registrar"), json={
        "display_name": "欧阳修", "id_doc": "E12345678"})
    identity = r.json()
    r = await client.post("/api/v1/memberships", headers=tokens.h("registrar"), json={
        "identity_id": identity["id"], "directory_id": directory["id"], "source_org": "市文旅局"})
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/v1/memberships/{r.json()['id']}/approve",
                          headers=tokens.h("reviewer"))
    assert r.status_code == 200, r.text
    cti = r.json()["certificate_id"]

    r = await client.get(f"/api/v1/certificates/{cti}", headers=tokens.h("reviewer"))
    cert = r.json()
    assert [(b["code"], b["slug"]) for b in cert["benefits"]] == [(11, "museum")]
    claims = hb1.decode(cert["text"]).claims
    # Exactly the example's bit, and the non-default directory's number in the claim.
    assert claims.benefits == (11,)
    assert claims.directory == directory["number"] == 2
    assert claims.id_last4 == "5678"
