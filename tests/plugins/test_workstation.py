"""Workstation bookings: guards, conflicts, limits, cancellation, audit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hooktests import covers
from huicui_test_support.members import active_member, audit_actions

TZ = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/workstation/bookings"


def at(days: int, hour: int, minute: int = 0) -> str:
    day = dt.datetime.now(TZ).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).isoformat()


def booking(mid: int, start: str, end: str, room: str = "银海区工作站 A 室", **extra) -> dict:
    return {"membership_id": mid, "workstation": room, "starts_at": start, "ends_at": end,
            "purpose": "专家讲座", "attendees": 20, **extra}


@covers("huicui_route_handlers", "huicui_piccolo_apps")
async def test_book_list_and_cancel(client, tokens):
    mid = (await active_member(client, tokens))["id"]
    r = await client.post(URL, headers=tokens.h("registrar"),
                          json=booking(mid, at(2, 9), at(2, 11)))
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["state"] == "booked" and made["starts_at"].endswith("+08:00")
    assert made["starts_at"] == at(2, 9)
    day = (dt.datetime.now(TZ).date() + dt.timedelta(days=2)).isoformat()
    r = await client.get(URL, headers=tokens.h("auditor"), params={"day": day})
    assert r.status_code == 200 and [b["id"] for b in r.json()["items"]] == [made["id"]]
    r = await client.get(URL, headers=tokens.h("auditor"), params={"state": "cancelled"})
    assert r.json()["total"] == 0

    r = await client.post(f"{URL}/{made['id']}/cancel", headers=tokens.h("registrar"),
                          json={"reason": "讲座改期"})
    assert r.status_code == 201 and r.json()["state"] == "cancelled"
    assert r.json()["cancel_reason"] == "讲座改期"
    r = await client.post(f"{URL}/{made['id']}/cancel", headers=tokens.h("registrar"),
                          json={"reason": "again"})
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    actions = await audit_actions(client, tokens, "workstation_booking", made["id"])
    assert actions == ["workstation.booking.cancel", "workstation.booking.create"]


async def test_overlapping_booking_of_one_room_is_a_conflict(client, tokens):
    a = (await active_member(client, tokens))["id"]
    b = (await active_member(client, tokens))["id"]
    first = (await client.post(URL, headers=tokens.h("registrar"),
                               json=booking(a, at(3, 9), at(3, 11)))).json()
    r = await client.post(URL, headers=tokens.h("registrar"), json=booking(b, at(3, 10), at(3, 12)))
    assert r.status_code == 409 and r.json()["conflicting_id"] == first["id"]
    assert "已被预约" in r.json()["title_zh"]
    # Back-to-back is fine, and another room at the same time too.
    r = await client.post(URL, headers=tokens.h("registrar"), json=booking(b, at(3, 11), at(3, 12)))
    assert r.status_code == 201, r.text
    r = await client.post(URL, headers=tokens.h("registrar"),
                          json=booking(b, at(3, 9), at(3, 10), room="海城区工作站"))
    assert r.status_code == 201
    # Once cancelled, the slot is free again.
    await client.post(f"{URL}/{first['id']}/cancel", headers=tokens.h("admin"),
                      json={"reason": "取消"})
    r = await client.post(URL, headers=tokens.h("registrar"), json=booking(b, at(3, 9), at(3, 10)))
    assert r.status_code == 201


async def test_times_are_checked(client, tokens):
    mid = (await active_member(client, tokens))["id"]
    cases = [
        (at(2, 11), at(2, 9), "ends_at must be after starts_at"),
        (at(2, 8), at(2, 14), "at most 4 hours"),
        (at(-1, 9), at(-1, 10), "in the past"),
        (at(2, 6), at(2, 7), "open 08:00–21:00"),
        (at(2, 20), at(2, 22), "open 08:00–21:00"),
        (at(90, 9), at(90, 10), "60 days ahead"),
        ("2030-01-01T09:00:00", "2030-01-01T10:00:00", "offset"),
    ]
    for start, end, words in cases:
        r = await client.post(URL, headers=tokens.h("registrar"), json=booking(mid, start, end))
        assert r.status_code == 422, (start, r.text)
        assert words in r.json()["detail"], r.json()
    r = await client.post(URL, headers=tokens.h("registrar"),
                          json=booking(mid, at(2, 9), at(2, 10), attendees=51))
    assert r.status_code == 422 and "50 attendees" in r.json()["detail"]


async def test_monthly_limit_per_member(client, tokens):
    mid = (await active_member(client, tokens))["id"]
    start = dt.datetime.now(TZ).date() + dt.timedelta(days=1)
    month_days = [start + dt.timedelta(days=i) for i in range(40)
                  if (start + dt.timedelta(days=i)).month == start.month][:5]
    if len(month_days) < 5:  # late in the month: use next month's first days
        nxt = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        month_days = [nxt + dt.timedelta(days=i) for i in range(5)]
    codes = []
    for i, day in enumerate(month_days):
        s = dt.datetime(day.year, day.month, day.day, 9, tzinfo=TZ)
        r = await client.post(URL, headers=tokens.h("registrar"), json=booking(
            mid, s.isoformat(), (s + dt.timedelta(hours=1)).isoformat(), room=f"R{i}"))
        codes.append(r.status_code)
    assert codes == [201, 201, 201, 201, 409]


async def test_only_members_holding_the_benefit_may_book(client, tokens):
    r = await client.post("/api/v1/directories", headers=tokens.h("admin"), json={
        "slug": "ferry-only", "name_zh": "船", "name_en": "Ferry only", "benefits": [2]})
    other = (await active_member(client, tokens, directory_id=r.json()["id"]))["id"]
    r = await client.post(URL, headers=tokens.h("registrar"),
                          json=booking(other, at(2, 9), at(2, 10)))
    assert r.status_code == 409 and r.json()["benefit"] == 6
    r = await client.post(URL, headers=tokens.h("registrar"),
                          json=booking(9999, at(2, 9), at(2, 10)))
    assert r.status_code == 404


async def test_booking_guards(client, tokens):
    mid = (await active_member(client, tokens))["id"]
    body = booking(mid, at(2, 9), at(2, 10))
    assert (await client.post(URL, json=body)).status_code == 401
    for who in ("reviewer", "auditor"):
        assert (await client.post(URL, headers=tokens.h(who), json=body)).status_code == 403
    assert (await client.get(URL)).status_code == 401
    r = await client.post(URL, headers=tokens.h("admin"), json={**body, "extra": 1})
    assert r.status_code == 400
