"""Making active members through the HTTP API (as staff would)."""

from __future__ import annotations

import secrets


async def active_member(client, tokens, descendants: int = 0, directory_id: int | None = None):
    body = {"display_name": f"测试{secrets.token_hex(2)}", "residency": "seasonal",
            "descendants": [{"name": f"子{i}"} for i in range(descendants)]}
    r = await client.post("/api/v1/identities", json=body, headers=tokens.h("registrar"))
    assert r.status_code == 201, r.text
    nomination = {"identity_id": r.json()["id"], "source_org": "社区"}
    if directory_id:
        nomination["directory_id"] = directory_id
    r = await client.post("/api/v1/memberships", json=nomination, headers=tokens.h("registrar"))
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    r = await client.post(f"/api/v1/memberships/{mid}/approve", headers=tokens.h("reviewer"))
    assert r.status_code == 200 and r.json()["state"] == "active", r.text
    return mid


async def audit_actions(client, tokens, target_type: str, target_id) -> list[str]:
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": target_type, "target_id": str(target_id)})
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()["items"]]
