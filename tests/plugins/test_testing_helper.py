"""huicui.testing, as a plugin author uses it (the museum's own tests, which docs/plugins.md
shows, are tests/example_plugin/test_museum.py)."""

from __future__ import annotations

import huicui_benefits.school
import huicui_museum
from hooktests import covers
from huicui.testing import build_plugins, holder, plugin_client


@covers("huicui_benefits")
async def test_listed_by_the_api_on_the_suite_database(db):
    async with plugin_client(huicui_museum) as h:
        r = await h.client.get("/api/v1/benefits", headers=h.headers("auditor"))
        assert [b["slug"] for b in r.json()] == ["museum"]
        assert (await h.client.get("/api/v1/benefits")).status_code == 401


@covers("huicui_route_handlers")
async def test_harness_makes_members_and_serves_the_plugin_routes(db):
    async with plugin_client(huicui_benefits.school) as h:
        mid = await h.active_member(descendants=1)
        r = await h.client.post("/api/v1/school/applications", headers=h.headers("registrar"),
                                json={"membership_id": mid, "target": "实验小学"})
        assert r.status_code == 201, r.text
        r = await h.client.get("/api/v1/workstation/bookings", headers=h.headers("admin"))
        assert r.status_code == 404  # only the chosen plugin is loaded


def test_holder_facts_for_eligibility_tests():
    plugins = build_plugins(huicui_benefits.school)
    assert plugins.eligible_codes(holder(descendant_count=1), [7]) == [7]
    assert plugins.eligible_codes(holder(), [7]) == []
