"""Steps the venue, bundle and sync tests share: a member with a certificate, a venue, a device."""

from __future__ import annotations

import itertools
import uuid

FERRY, SCENIC = 2, 1
_ids = itertools.count(1)


async def member(client, tokens, name: str = "李晓明", id_doc: str | None = None) -> dict:
    """Identity → nominate → approve; returns the membership with its certificate (cti, text)."""
    n = next(_ids)
    body = {"display_name": name, "field": "海洋生物学", "residency": "seasonal",
            "source": "银海区派出所"}
    if id_doc:
        body["id_doc"] = id_doc
    r = await client.post("/api/v1/identities", json=body, headers=tokens.h("registrar"))
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/memberships", headers=tokens.h("registrar"), json={
        "identity_id": r.json()["id"], "source_org": f"社区{n}"})
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/v1/memberships/{r.json()['id']}/approve",
                          headers=tokens.h("reviewer"), json={"reason": "ok"})
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["certificate_id"], m
    r = await client.get(f"/api/v1/certificates/{m['certificate_id']}",
                         headers=tokens.h("reviewer"))
    assert r.status_code == 200, r.text
    return {"membership_id": m["id"], "cti": m["certificate_id"], "text": r.json()["text"]}


async def partner(client, tokens, **extra) -> dict:
    body = {"name_zh": "北部湾旅游公司", "name_en": "Beibu Gulf Tourism",
            "contact_name": "周经理", "contact_phone": "07792028888", **extra}
    r = await client.post("/api/v1/partners", json=body, headers=tokens.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()


async def venue(client, tokens, partner_id: int | None = None, **extra) -> dict:
    if partner_id is None:
        partner_id = (await partner(client, tokens))["id"]
    body = {"partner_id": partner_id, "name_zh": "北海国际客运港", "name_en": "Beihai Port",
            "kind": "ferry", "benefits": [FERRY], "fail_mode": "open",
            "lat": 21.47, "lon": 109.10, **extra}
    r = await client.post("/api/v1/venues", json=body, headers=tokens.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()


async def device(client, tokens, venue_id: int, name: str = "1号闸机") -> dict:
    """Enroll a device; the answer holds the token (shown once) and the fingerprint."""
    r = await client.post("/api/v1/devices", json={"venue_id": venue_id, "name": name},
                          headers=tokens.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def record(cti: str, venue_id: int, at: int, **extra) -> dict:
    """One redemption record as a device uploads it (the verifier's RedemptionRecord)."""
    return {"uuid": str(uuid.uuid4()), "cti": cti, "benefit": FERRY, "venue": venue_id,
            "at": at, "decision": "accept", "reason": "ok", "companions": 0,
            "bundle_version": 1, **extra}
