"""School-priority and housing-support applications: eligibility, four eyes, states, audit."""

from __future__ import annotations

import pytest
from hooktests import covers
from huicui_test_support.members import active_member, audit_actions

SCHOOL = "/api/v1/school/applications"
HOUSING = "/api/v1/housing/applications"


@covers("huicui_eligible", "huicui_route_handlers")
async def test_school_needs_a_registered_descendant(client, tokens):
    without = (await active_member(client, tokens, descendants=0))["id"]
    r = await client.post(SCHOOL, headers=tokens.h("registrar"),
                          json={"membership_id": without, "target": "北海市第一实验小学"})
    assert r.status_code == 409 and r.json()["benefit"] == 7
    with_child = (await active_member(client, tokens, descendants=1))["id"]
    r = await client.post(SCHOOL, headers=tokens.h("registrar"), json={
        "membership_id": with_child, "target": "北海市第一实验小学", "note": "长子，一年级"})
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "submitted" and r.json()["note"] == "长子，一年级"


@pytest.mark.parametrize("url", [SCHOOL, HOUSING])
async def test_application_is_decided_by_someone_else(client, tokens, url):
    mid = (await active_member(client, tokens, descendants=1))["id"]
    r = await client.post(url, headers=tokens.h("admin"),
                          json={"membership_id": mid, "target": "项目甲", "note": "私密说明"})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    r = await client.post(url, headers=tokens.h("registrar"),
                          json={"membership_id": mid, "target": "项目乙"})
    assert r.status_code == 409  # one waiting application per member
    r = await client.post(f"{url}/{app_id}/approve", headers=tokens.h("admin"))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = await client.post(f"{url}/{app_id}/reject", headers=tokens.h("reviewer"), json={})
    assert r.status_code == 409  # a rejection needs a reason
    r = await client.post(f"{url}/{app_id}/approve", headers=tokens.h("reviewer"),
                          json={"reason": "符合条件"})
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "approved" and r.json()["state_zh"] == "已批准"
    assert "test-reviewer" in r.json()["decided_by"]
    r = await client.post(f"{url}/{app_id}/withdraw", headers=tokens.h("registrar"))
    assert r.status_code == 409 and r.json()["state"] == "approved"
    slug = url.split("/")[3]
    actions = await audit_actions(client, tokens, f"{slug}_application", app_id)
    assert actions == [f"{slug}.application.approve", f"{slug}.application.submit"]
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": f"{slug}_application"})
    assert "私密说明" not in r.text


async def test_reject_withdraw_list_and_guards(client, tokens):
    a = (await active_member(client, tokens))["id"]
    b = (await active_member(client, tokens))["id"]
    first = (await client.post(HOUSING, headers=tokens.h("registrar"),
                               json={"membership_id": a, "target": "滨海小区"})).json()
    second = (await client.post(HOUSING, headers=tokens.h("registrar"),
                                json={"membership_id": b, "target": "滨海小区"})).json()
    r = await client.post(f"{HOUSING}/{first['id']}/reject", headers=tokens.h("reviewer"),
                          json={"reason": "材料不全"})
    assert r.json()["state"] == "rejected" and r.json()["decision_reason"] == "材料不全"
    r = await client.post(f"{HOUSING}/{second['id']}/withdraw", headers=tokens.h("registrar"))
    assert r.json()["state"] == "withdrawn"
    r = await client.get(HOUSING, headers=tokens.h("auditor"), params={"state": "rejected"})
    assert [x["id"] for x in r.json()["items"]] == [first["id"]]
    r = await client.get(HOUSING, headers=tokens.h("auditor"), params={"membership_id": b})
    assert [x["id"] for x in r.json()["items"]] == [second["id"]]
    assert (await client.get(f"{HOUSING}/999", headers=tokens.h("auditor"))).status_code == 404
    # Guards: anonymous 401; reviewers do not file, registrars do not decide.
    assert (await client.get(HOUSING)).status_code == 401
    r = await client.post(HOUSING, headers=tokens.h("reviewer"),
                          json={"membership_id": a, "target": "x"})
    assert r.status_code == 403
    third = (await client.post(HOUSING, headers=tokens.h("registrar"),
                               json={"membership_id": a, "target": "y"})).json()
    r = await client.post(f"{HOUSING}/{third['id']}/approve", headers=tokens.h("registrar2"))
    assert r.status_code == 403


async def test_inactive_members_cannot_apply(client, tokens):
    r = await client.post("/api/v1/identities", headers=tokens.h("registrar"),
                          json={"display_name": "未审"})
    mid = (await client.post("/api/v1/memberships", headers=tokens.h("registrar"), json={
        "identity_id": r.json()["id"], "source_org": "社区"})).json()["id"]
    r = await client.post(HOUSING, headers=tokens.h("registrar"),
                          json={"membership_id": mid, "target": "x"})
    assert r.status_code == 409 and r.json()["state"] == "nominated"
