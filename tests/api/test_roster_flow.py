"""The roster's main path through HTTP: record, nominate, approve, audit."""

from __future__ import annotations

VALID_ID = "11010519491231002X"


async def _identity(client, tokens, **extra):
    body = {"display_name": "李晓明", "id_doc": VALID_ID, "phone": "13800138000",
            "field": "海洋生物学", "residency": "seasonal", "source": "银海区派出所", **extra}
    r = await client.post("/api/v1/identities", json=body, headers=tokens.h("registrar"))
    assert r.status_code == 201, r.text
    return r.json()


async def test_nominate_approve_and_audit(client, tokens, backend):
    ident = await _identity(client, tokens)
    assert ident["id_doc_masked"].endswith("002X") and "1101" not in ident["id_doc_masked"]
    assert ident["phone_masked"].endswith("8000")
    r = await client.post("/api/v1/memberships", headers=tokens.h("registrar"), json={
        "identity_id": ident["id"], "source_org": "银海区派出所", "reason": "候鸟专家"})
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["state"] == "nominated"

    r = await client.post(f"/api/v1/memberships/{m['id']}/approve",
                          headers=tokens.h("reviewer"), json={"reason": "材料齐全"})
    assert r.status_code == 200, r.text
    approved = r.json()
    assert approved["state"] == "active"
    assert approved["term_start"] and approved["term_end"] > approved["term_start"]

    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": "membership", "target_id": str(m["id"])})
    assert r.status_code == 200
    actions = [(e["action"], e["actor"]) for e in r.json()["items"]]
    assert ("membership.approve", actions[0][1]) == actions[0]
    assert "test-reviewer" in actions[0][1]
    assert any(a == "membership.nominate" and "test-registrar" in who for a, who in actions)


async def test_four_eyes_refuses_the_nominator(client, tokens):
    ident = await _identity(client, tokens)
    r = await client.post("/api/v1/memberships", headers=tokens.h("admin"), json={
        "identity_id": ident["id"], "source_org": "市人社局"})
    mid = r.json()["id"]
    r = await client.post(f"/api/v1/memberships/{mid}/approve", headers=tokens.h("admin"))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "four_eyes"
    r = await client.get(f"/api/v1/memberships/{mid}", headers=tokens.h("reviewer"))
    assert r.json()["state"] == "nominated"


async def test_illegal_transition_is_a_clear_conflict(client, tokens):
    ident = await _identity(client, tokens)
    mid = (await client.post("/api/v1/memberships", headers=tokens.h("registrar"), json={
        "identity_id": ident["id"], "source_org": "社区"})).json()["id"]
    r = await client.post(f"/api/v1/memberships/{mid}/suspend", headers=tokens.h("reviewer"),
                          json={"reason": "test"})
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "illegal_transition" and body["state"] == "nominated"
    assert "title_zh" in body


async def test_duplicate_document_is_refused(client, tokens):
    first = await _identity(client, tokens)
    r = await client.post("/api/v1/identities", headers=tokens.h("registrar"), json={
        "display_name": "王五", "id_doc": VALID_ID.lower()})
    assert r.status_code == 409
    assert r.json()["existing_id"] == first["id"]
