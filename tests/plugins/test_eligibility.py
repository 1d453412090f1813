"""One eligibility service: what a plugin route asks (member_benefits) is exactly what
issuance puts on the certificate, and inactive or unknown members hold nothing."""

from __future__ import annotations

import pytest
from huicui.benefits.eligibility import holder_facts, member_benefits, stored_codes
from huicui.errors import IllegalTransition, NotFound
from huicui_test_support.members import active_member
from huicui_verifier import hb1


@pytest.mark.parametrize(("stored", "codes"), [
    (None, None), ("", None), ("null", None), ("[]", []), ("[2, 11]", [2, 11]),
    ([2, 11], [2, 11]), ([], [])])
def test_stored_codes_read_sqlite_text_and_postgres_lists_alike(stored, codes):
    assert stored_codes(stored) == codes


async def test_plugin_routes_and_issuance_see_the_same_benefits(app, client, tokens):
    ctx = app.state.ctx
    # 7 (school) needs a registered descendant; 1 (scenic) is not offered here.
    r = await client.post("/api/v1/directories", headers=tokens.h("admin"), json={
        "slug": "islands", "name_zh": "海岛名录", "name_en": "Islands", "benefits": [2, 7, 11]})
    assert r.status_code == 201, r.text
    directory = r.json()
    member = await active_member(client, tokens, directory_id=directory["id"])
    with_child = await active_member(client, tokens, "林海", descendants=1,
                                     directory_id=directory["id"])
    assert await member_benefits(ctx, member["id"]) == [2, 11]
    assert await member_benefits(ctx, with_child["id"]) == [2, 7, 11]
    # The certificates issued on approval carry exactly these codes.
    assert hb1.decode(member["text"]).claims.benefits == (2, 11)
    assert hb1.decode(with_child["text"]).claims.benefits == (2, 7, 11)
    facts = await holder_facts(with_child["id"])
    assert (facts.membership_id, facts.descendant_count, facts.directory_number) == (
        with_child["id"], 1, directory["number"])
    assert facts.residency == "seasonal"


async def test_only_active_members_hold_benefits(app, client, tokens):
    ctx = app.state.ctx
    r = await client.post("/api/v1/identities", headers=tokens.h("registrar"),
                          json={"display_name": "林海"})
    r = await client.post("/api/v1/memberships", headers=tokens.h("registrar"),
                          json={"identity_id": r.json()["id"], "source_org": "社区"})
    nominated = r.json()["id"]
    with pytest.raises(IllegalTransition) as err:
        await member_benefits(ctx, nominated)
    assert err.value.extra == {"state": "nominated"}
    with pytest.raises(NotFound):
        await holder_facts(424242)
