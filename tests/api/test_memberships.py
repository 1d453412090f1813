"""Memberships: the state machine through HTTP, four eyes, renewal and the review cycle."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from huicui.memberships.states import STATES, TRANSITIONS
from huicui.memberships.tables import Membership

SHANGHAI = ZoneInfo("Asia/Shanghai")
DOCS = iter(f"G{n:08d}" for n in range(10_000_000, 99_999_999))
ACTION_BODY = {"approve": {"reason": "ok"}, "renew": {"reason": "next term"}}


async def _nominated(client, tokens, who="registrar") -> dict:
    r = await client.post("/api/v1/identities", headers=tokens.h(who),
                          json={"display_name": "周明", "id_doc": next(DOCS)})
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/memberships", headers=tokens.h(who),
                          json={"identity_id": r.json()["id"], "source_org": "海城区社区"})
    assert r.status_code == 201, r.text
    return r.json()


async def _act(client, tokens, mid, action, who="reviewer"):
    return await client.post(f"/api/v1/memberships/{mid}/{action}", headers=tokens.h(who),
                             json=ACTION_BODY.get(action, {"reason": f"{action} for test"}))


# How to bring a fresh membership into each state through the API.
PATHS = {
    "nominated": [],
    "active": ["approve"],
    "rejected": ["reject"],
    "suspended": ["approve", "suspend"],
    "revoked": ["approve", "revoke"],
    "expired": ["approve", "expire"],
}


async def _in_state(client, tokens, state) -> int:
    m = await _nominated(client, tokens)
    for action in PATHS[state]:
        if action == "expire":
            # Expiry is the review job's, not an HTTP action: end the term in the past.
            await Membership.update({Membership.term_end: dt.date(2020, 1, 1)}).where(
                Membership.id == m["id"])
            from huicui.app import build_context
            from huicui.memberships.service import expire_lapsed
            from huicui.settings import load_settings

            assert await expire_lapsed(build_context(load_settings())) == [m["id"]]
            continue
        r = await _act(client, tokens, m["id"], action)
        assert r.status_code == 200, r.text
    r = await client.get(f"/api/v1/memberships/{m['id']}", headers=tokens.h("reviewer"))
    assert r.json()["state"] == state
    return m["id"]


HTTP_ACTIONS = ["approve", "reject", "suspend", "reinstate", "revoke", "renew"]
CASES = [(state, action) for state in PATHS for action in HTTP_ACTIONS]


@pytest.mark.parametrize(("state", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
async def test_every_transition_from_every_state(client, tokens, state, action):
    mid = await _in_state(client, tokens, state)
    allowed, target = TRANSITIONS[action]
    r = await _act(client, tokens, mid, action)
    if (state, action) == ("active", "renew"):
        # The state machine allows it, but only in the review window: a term that began
        # today is years from it.
        body = r.json()
        assert r.status_code == 409 and body["code"] == "renewal_not_due", r.text
        assert body["state"] == "active" and body["title_zh"]
    elif state in allowed:
        assert r.status_code == 200, r.text
        assert r.json()["state"] == target
    else:
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["code"] == "illegal_transition" and body["state"] == state
        assert body["title_zh"]
        after = await client.get(f"/api/v1/memberships/{mid}", headers=tokens.h("reviewer"))
        assert after.json()["state"] == state


def test_every_state_is_reachable_in_the_tests():
    # "approved" is reserved for an approval that waits for its certificate.
    assert set(PATHS) | {"approved"} == set(STATES)


async def test_transitions_are_audited_with_reason(client, tokens):
    mid = await _in_state(client, tokens, "suspended")
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": "membership", "target_id": str(mid)})
    events = r.json()["items"]
    assert [e["action"] for e in events] == [
        "membership.suspend", "membership.approve", "membership.nominate"]
    assert events[0]["reason"] == "suspend for test"
    assert events[0]["data"] == {"from": "active", "to": "suspended"}


async def test_reason_is_required_for_reject_suspend_revoke(client, tokens):
    m = await _nominated(client, tokens)
    r = await client.post(f"/api/v1/memberships/{m['id']}/reject", headers=tokens.h("reviewer"),
                          json={"reason": ""})
    assert r.status_code == 400
    r = await client.post(f"/api/v1/memberships/{m['id']}/reject", headers=tokens.h("reviewer"))
    assert r.status_code == 400


async def test_four_eyes(client, tokens):
    # The admin nominates; the same token may not approve, even though admins may approve.
    m = await _nominated(client, tokens, who="admin")
    r = await _act(client, tokens, m["id"], "approve", who="admin")
    assert r.status_code == 403 and r.json()["code"] == "four_eyes"
    # A second registrar nominating changes nothing about who may approve: a reviewer can.
    m2 = await _nominated(client, tokens, who="registrar2")
    assert m2["nominated_by"].startswith("staff:test-registrar2")
    r = await _act(client, tokens, m2["id"], "approve", who="reviewer")
    assert r.status_code == 200 and r.json()["state"] == "active"
    # The first admin's nomination can still be approved by someone else.
    r = await _act(client, tokens, m["id"], "approve", who="reviewer2")
    assert r.status_code == 200


async def test_registrars_cannot_decide(client, tokens):
    m = await _nominated(client, tokens, who="registrar")
    r = await _act(client, tokens, m["id"], "approve", who="registrar2")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


async def test_renew_starts_a_new_term(client, tokens):
    mid = await _in_state(client, tokens, "active")
    first = (await client.get(f"/api/v1/memberships/{mid}", headers=tokens.h("reviewer"))).json()
    assert first["term_no"] == 1
    await Membership.update({Membership.term_start: dt.date(2023, 1, 1),
                             Membership.term_end: dt.date(2025, 12, 31)}).where(
        Membership.id == mid)
    r = await _act(client, tokens, mid, "renew")
    renewed = r.json()
    assert renewed["term_no"] == 2
    today = dt.datetime.now(SHANGHAI).date()
    assert renewed["term_start"] == today.isoformat()
    assert renewed["term_end"] == (today + dt.timedelta(days=1094)).isoformat()


async def _renew_with_term_ending_in(client, tokens, days: int):
    mid = await _in_state(client, tokens, "active")
    end = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=days)
    await Membership.update({Membership.term_end: end}).where(Membership.id == mid)
    return mid, end, await _act(client, tokens, mid, "renew")


async def test_renewal_opens_in_the_review_window(client, tokens, settings):
    window = settings.roster.renewal_window_days
    mid, end, r = await _renew_with_term_ending_in(client, tokens, window + 1)
    body = r.json()
    assert r.status_code == 409 and body["code"] == "renewal_not_due", r.text
    opens = end - dt.timedelta(days=window)
    assert body["term_end"] == end.isoformat() and body["renewable_from"] == opens.isoformat()
    assert opens.isoformat() in body["title_zh"] and opens.isoformat() in body["title"]
    after = (await client.get(f"/api/v1/memberships/{mid}", headers=tokens.h("reviewer"))).json()
    assert after["term_no"] == 1 and after["term_end"] == end.isoformat()
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"action": "membership.renew"})
    assert r.json()["total"] == 0
    for days in (window, 0, -10):  # the window's first day, the last day of the term, lapsed
        _, _, r = await _renew_with_term_ending_in(client, tokens, days)
        assert r.status_code == 200 and r.json()["term_no"] == 2, (days, r.text)


async def test_renewing_again_right_after_a_renewal_is_refused(client, tokens):
    mid, _, r = await _renew_with_term_ending_in(client, tokens, 10)
    assert r.status_code == 200
    cert = r.json()["certificate_id"]
    again = await _act(client, tokens, mid, "renew")
    assert again.status_code == 409 and again.json()["code"] == "renewal_not_due"
    now = (await client.get(f"/api/v1/memberships/{mid}", headers=tokens.h("reviewer"))).json()
    assert now["term_no"] == 2 and now["certificate_id"] == cert


async def test_an_expired_membership_may_be_renewed_whenever(client, tokens):
    mid = await _in_state(client, tokens, "expired")
    r = await _act(client, tokens, mid, "renew")
    assert r.status_code == 200 and r.json()["state"] == "active" and r.json()["term_no"] == 2


async def test_renominating_after_rejection_reuses_the_row(client, tokens):
    mid = await _in_state(client, tokens, "rejected")
    row = await Membership.select(Membership.identity).where(Membership.id == mid).first()
    r = await client.post("/api/v1/memberships", headers=tokens.h("registrar2"),
                          json={"identity_id": row["identity"], "source_org": "另一单位"})
    assert r.status_code == 201 and r.json()["id"] == mid and r.json()["state"] == "nominated"
    r = await client.post("/api/v1/memberships", headers=tokens.h("registrar2"),
                          json={"identity_id": row["identity"], "source_org": "第三单位"})
    assert r.status_code == 409


async def test_due_within_lists_terms_ending_soon_in_order(client, tokens):
    today = dt.datetime.now(SHANGHAI).date()
    ends = {}
    for days in (40, 5, 20, -3, 29):
        mid = await _in_state(client, tokens, "active")
        end = today + dt.timedelta(days=days)
        await Membership.update({Membership.term_end: end}).where(Membership.id == mid)
        ends[mid] = end
    suspended = await _in_state(client, tokens, "suspended")
    await Membership.update({Membership.term_end: today}).where(Membership.id == suspended)

    r = await client.get("/api/v1/memberships", headers=tokens.h("reviewer"),
                         params={"due_within": "30d"})
    body = r.json()
    listed = [(m["id"], m["term_end"]) for m in body["items"]]
    expected = sorted(((mid, end.isoformat()) for mid, end in ends.items()
                       if (end - today).days <= 30), key=lambda x: x[1])
    assert listed == expected and body["total"] == 4
    r = await client.get("/api/v1/memberships", headers=tokens.h("auditor"),
                         params={"due_within": "1w"})
    assert [m["term_end"] for m in r.json()["items"]] == [
        (today - dt.timedelta(days=3)).isoformat(), (today + dt.timedelta(days=5)).isoformat()]


async def test_list_filters(client, tokens):
    a = await _in_state(client, tokens, "active")
    n = await _in_state(client, tokens, "nominated")
    h = tokens.h("auditor")
    r = await client.get("/api/v1/memberships", headers=h, params={"state": "nominated"})
    assert [m["id"] for m in r.json()["items"]] == [n]
    row = await Membership.select(Membership.identity).where(Membership.id == a).first()
    r = await client.get("/api/v1/memberships", headers=h,
                         params={"identity_id": row["identity"]})
    assert [m["id"] for m in r.json()["items"]] == [a]
    r = await client.get("/api/v1/memberships", headers=h, params={"limit": 1, "offset": 1})
    assert r.json()["total"] == 2 and [m["id"] for m in r.json()["items"]] == [a]


async def test_concurrent_double_approval_yields_one_success(client, tokens):
    m = await _nominated(client, tokens)
    results = await asyncio.gather(
        _act(client, tokens, m["id"], "approve", who="reviewer"),
        _act(client, tokens, m["id"], "approve", who="reviewer2"),
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409], [r.text for r in results]
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"action": "membership.approve"})
    assert r.json()["total"] == 1
    got = (await client.get(f"/api/v1/memberships/{m['id']}", headers=tokens.h("admin"))).json()
    assert got["term_no"] == 1


async def test_concurrent_double_approval_in_the_service(db, tokens):
    """The same race without HTTP, many times, straight against the database."""
    from huicui.app import build_context
    from huicui.auth import Principal
    from huicui.errors import Conflict, IllegalTransition
    from huicui.identities.schemas import IdentityIn
    from huicui.identities.service import create_identity
    from huicui.memberships.schemas import NominationIn
    from huicui.memberships.service import nominate, transition
    from huicui.settings import load_settings

    ctx = build_context(load_settings())
    registrar = Principal(kind="staff", id=2, name="r", role="registrar")
    reviewers = [Principal(kind="staff", id=i, name=f"v{i}", role="reviewer") for i in (4, 5)]
    for round_no in range(5):
        ident = await create_identity(ctx, registrar, IdentityIn(
            display_name=f"并发{round_no}", id_doc=next(DOCS)))
        m = await nominate(ctx, registrar, NominationIn(identity_id=ident.id, source_org="x"))
        outcomes = await asyncio.gather(
            *(transition(ctx, who, m.id, "approve") for who in reviewers),
            return_exceptions=True)
        wins = [o for o in outcomes if not isinstance(o, BaseException)]
        losses = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(wins) == 1, outcomes
        assert all(isinstance(o, Conflict | IllegalTransition) for o in losses), outcomes


async def test_a_failing_listener_rolls_the_approval_back(app, client, tokens):
    """Approval and certificate issuance commit together or not at all."""
    m = await _nominated(client, tokens)

    async def broken_issuer(ctx, actor, row, action):
        raise RuntimeError("signing service unavailable")

    app.state.ctx.membership_listeners.append(broken_issuer)
    r = await _act(client, tokens, m["id"], "approve")
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    app.state.ctx.membership_listeners.remove(broken_issuer)

    r = await client.get(f"/api/v1/memberships/{m['id']}", headers=tokens.h("reviewer"))
    assert r.json()["state"] == "nominated"
    assert r.json()["certificate_id"] is None
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"action": "membership.approve"})
    assert r.json()["total"] == 0
    # Once the fault is gone the same approval goes through.
    r = await _act(client, tokens, m["id"], "approve")
    assert r.status_code == 200 and r.json()["certificate_id"]
