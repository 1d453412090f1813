"""The bulk lookups behind bundles and sync: revoked ids as sorted bytes, one query per batch."""

from __future__ import annotations

import datetime as dt
import time

from huicui_test_support.members import active_member
from huicui_test_support.venues import bearer, device, record, venue


async def test_revoked_ids_are_sorted_8_byte_values_of_exactly_the_revoked(client, tokens):
    from huicui.issuance.certificates import revoked_certificate_ids

    assert await revoked_certificate_ids(dt.datetime.now(dt.UTC)) == []
    names = ("甲一", "乙二", "丙三", "丁四")
    members = [await active_member(client, tokens, name) for name in names]
    for m in members[:3]:
        r = await client.post(f"/api/v1/certificates/{m['cti']}/revoke",
                              headers=tokens.h("reviewer"), json={"reason": "证书遗失"})
        assert r.status_code == 200, r.text
    got = await revoked_certificate_ids(dt.datetime.now(dt.UTC))
    assert got == sorted(bytes.fromhex(m["cti"]) for m in members[:3])
    assert all(isinstance(c, bytes) and len(c) == 8 for c in got)
    # past their validity they are left out: verifiers refuse them as expired anyway
    assert await revoked_certificate_ids(dt.datetime.now(dt.UTC) + dt.timedelta(days=3650)) == []


async def test_a_batch_of_many_certificates_maps_each_to_its_membership(client, tokens):
    from huicui.sync.tables import Redemption

    members = [await active_member(client, tokens, name) for name in ("甲一", "乙二", "丙三")]
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    now = int(time.time())
    unknown = "00112233445566ff"
    batch = [record(m["cti"], v["id"], now - i) for i, m in enumerate(members * 2)]
    batch.append(record(unknown, v["id"], now, decision="refuse", reason="unknown_key"))
    r = await client.post("/api/v1/redemptions/sync", headers=bearer(e["token"]),
                          json={"records": batch})
    assert r.json() == {"received": 7, "new": 7, "known": 0}
    rows = await Redemption.select(Redemption.certificate_id, Redemption.membership_id)
    expected = {m["cti"]: m["membership_id"] for m in members} | {unknown: None}
    assert len(rows) == 7
    assert all(row["membership_id"] == expected[row["certificate_id"]] for row in rows)


async def test_a_batch_of_only_unknown_cards_still_names_the_venues_partner(client, tokens):
    from huicui.sync.tables import Redemption

    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    now = int(time.time())
    batch = [record(f"00112233445566{n:02x}", v["id"], now - n, decision="refuse",
                    reason="unknown_key") for n in range(3)]
    r = await client.post("/api/v1/redemptions/sync", headers=bearer(e["token"]),
                          json={"records": batch})
    assert r.json() == {"received": 3, "new": 3, "known": 0}
    rows = await Redemption.select(Redemption.partner, Redemption.membership_id)
    assert rows == [{"partner": v["partner_id"], "membership_id": None}] * 3
