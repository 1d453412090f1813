"""Many renewals of one membership at once, on two service processes sharing the database.

Renewal leaves the state at ``active``, so only the term number tells a second renewal
from the first: exactly one may win, issue one certificate and add one term; every other
request is a 409. Runs on SQLite, and on PostgreSQL with HUICUI_TEST_DB=postgres (where
any number of service processes share one database, the case that matters).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections import Counter

import httpx
from huicui_test_support.live_server import Service, free_port

RENEWALS = 50


async def test_fifty_concurrent_renewals_on_two_processes_renew_once(db, tokens, tmp_path):
    from huicui.audit.tables import AuditEvent
    from huicui.issuance.tables import Certificate
    from huicui.memberships.tables import Membership

    env = {**os.environ, "HUICUI_DATABASE_POOL_SIZE": "4"}
    services = [Service(env, free_port(), tmp_path / f"service-{i}.log") for i in range(2)]
    try:
        for service in services:  # one after the other: the first start creates the keys
            service.start()
        async with httpx.AsyncClient(timeout=60) as http:
            one = services[0].url
            r = await http.post(f"{one}/api/v1/identities", headers=tokens.h("registrar"),
                                json={"display_name": "黄海生", "id_doc": "G20261130"})
            assert r.status_code == 201, r.text
            r = await http.post(f"{one}/api/v1/memberships", headers=tokens.h("registrar"),
                                json={"identity_id": r.json()["id"], "source_org": "银海区"})
            mid = r.json()["id"]
            r = await http.post(f"{one}/api/v1/memberships/{mid}/approve",
                                headers=tokens.h("reviewer"), json={"reason": "材料齐全"})
            assert r.status_code == 200 and r.json()["term_no"] == 1, r.text
            # The term ends in ten days: inside the review window, so renewal is due.
            soon = dt.date.today() + dt.timedelta(days=10)
            await Membership.update({Membership.term_end: soon}).where(Membership.id == mid)

            results = await asyncio.gather(*(
                http.post(f"{services[i % 2].url}/api/v1/memberships/{mid}/renew",
                          headers=tokens.h("reviewer" if i % 3 else "reviewer2"),
                          json={"reason": f"复核 {i}"})
                for i in range(RENEWALS)))
    finally:
        for service in services:
            service.stop()

    statuses = Counter(r.status_code for r in results)
    assert statuses == {200: 1, 409: RENEWALS - 1}, (statuses, [r.text[:200] for r in results])
    for r in results:
        if r.status_code == 409:
            body = r.json()
            assert body["code"] in ("conflict", "renewal_not_due"), body
            assert body["title_zh"] and r.headers["content-type"].startswith(
                "application/problem+json")
    (won,) = [r.json() for r in results if r.status_code == 200]
    row = await Membership.select().where(Membership.id == mid).first()
    assert row["term_no"] == won["term_no"] == 2 and row["state"] == "active"
    certificates = await Certificate.select(Certificate.status).where(
        Certificate.membership == mid)
    assert sorted(c["status"] for c in certificates) == ["active", "superseded"]
    assert await AuditEvent.count().where(AuditEvent.action == "membership.renew") == 1
    for service in services:
        log = service.log.read_text(errors="replace")
        assert "Traceback" not in log and "unexpected" not in log, log[-2000:]
