"""The audit log: auditors read and filter it; nobody changes it."""

from __future__ import annotations

import datetime as dt

import pytest
from huicui.audit.tables import AuditEvent


async def _make_events(client, tokens) -> list[int]:
    ids = []
    for name, doc in (("甲", "11010519491231002X"), ("乙", "G12345678")):
        r = await client.post("/api/v1/identities", headers=tokens.h("registrar"),
                              json={"display_name": name, "id_doc": doc})
        ids.append(r.json()["id"])
    await client.patch(f"/api/v1/identities/{ids[0]}", headers=tokens.h("admin"),
                       json={"field": "海洋"})
    return ids


async def test_auditor_lists_and_filters(client, tokens):
    ids = await _make_events(client, tokens)
    h = tokens.h("auditor")
    r = await client.get("/api/v1/audit", headers=h, params={"target_type": "identity"})
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == 3
    assert [e["action"] for e in page["items"]] == [
        "identity.update", "identity.create", "identity.create"]  # newest first
    assert page["items"][0]["at"].endswith("+08:00")

    r = await client.get("/api/v1/audit", headers=h,
                         params={"actor": "test-admin", "target_type": "identity"})
    assert [e["action"] for e in r.json()["items"]] == ["identity.update"]
    r = await client.get("/api/v1/audit", headers=h, params={"action": "identity.create"})
    assert r.json()["total"] == 2
    r = await client.get("/api/v1/audit", headers=h,
                         params={"target_type": "identity", "target_id": str(ids[1])})
    assert [e["target_id"] for e in r.json()["items"]] == [str(ids[1])]
    r = await client.get("/api/v1/audit", headers=h, params={"action": "no.such"})
    assert r.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_paging(client, tokens):
    await _make_events(client, tokens)
    h = tokens.h("auditor")
    base = {"target_type": "identity"}
    first = (await client.get("/api/v1/audit", headers=h, params={**base, "limit": 2})).json()
    second = (await client.get("/api/v1/audit", headers=h,
                               params={**base, "limit": 2, "offset": 2})).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert first["total"] == second["total"] == 3
    assert {e["id"] for e in first["items"]}.isdisjoint({e["id"] for e in second["items"]})


async def test_time_range(client, tokens):
    await _make_events(client, tokens)
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    await AuditEvent.update({AuditEvent.at: old}).where(AuditEvent.action == "identity.update")
    h = tokens.h("auditor")
    r = await client.get("/api/v1/audit", headers=h,
                         params={"until": "2021-01-01T00:00:00+08:00"})
    assert [e["action"] for e in r.json()["items"]] == ["identity.update"]
    assert r.json()["items"][0]["at"] == "2020-01-01T08:00:00+08:00"
    r = await client.get("/api/v1/audit", headers=h,
                         params={"since": "2021-01-01T00:00:00Z", "target_type": "identity"})
    assert r.json()["total"] == 2


@pytest.mark.parametrize("who", ["registrar", "reviewer"])
async def test_registrars_and_reviewers_are_refused(client, tokens, who):
    r = await client.get("/api/v1/audit", headers=tokens.h(who))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/audit/1"])
async def test_no_route_changes_the_log(client, tokens, method, path):
    await _make_events(client, tokens)
    before = await AuditEvent.select().order_by(AuditEvent.id)
    r = await client.request(method, path, headers=tokens.h("admin"))
    assert r.status_code in (404, 405)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await AuditEvent.select().order_by(AuditEvent.id) == before


async def test_no_route_of_the_app_writes_audit_rows_except_by_appending(app):
    """Only GET is routed under /api/v1/audit, and no code path updates or deletes rows."""
    import pathlib

    import huicui

    methods = {m for r in app.routes if r.path.startswith("/api/v1/audit")
               for m in r.methods} - {"OPTIONS", "HEAD"}
    assert methods == {"GET"}
    root = pathlib.Path(huicui.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if "piccolo_migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("AuditEvent.update(", "AuditEvent.delete(", "audit_event SET",
                       "DELETE FROM audit_event", 'DELETE FROM "audit_event"'):
            if needle in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert not offenders


async def test_audit_data_carries_no_personal_data(client, tokens):
    await _make_events(client, tokens)
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"), params={"limit": 500})
    assert "11010519491231002X" not in r.text and "G12345678" not in r.text
