"""``huicui.db.bulk.insert_rows`` stores what it is given, exactly, on both databases: on
PostgreSQL the rows travel as one JSON array (or as column arrays through ``unnest``
when a value would not survive JSON), and every path reads back the same."""

from __future__ import annotations

import datetime as dt
import uuid

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _rows(device: int, venue: int, partner: int, at: list[dt.datetime]) -> list[dict]:
    texts = ['引号 "quoted" \\ back\\slash', "tab\tnew\nline", "😀 emoji", "'single'", "[1, 2]"]
    out = []
    for n, when in enumerate(at):
        out.append({
            "uuid": str(uuid.UUID(int=n + 1)),
            "device": device,
            "venue": venue,
            "partner": partner,
            "certificate_id": f"{n:016x}",
            "membership_id": None if n % 2 else 2**31 - 1,
            "benefit": n,
            "at": when,
            "decision": "accept",
            "reason": texts[n % len(texts)],
            "received_at": when,
        })
    return out


async def _place() -> tuple[int, int, int]:
    from huicui.venues.tables import Device, Partner, Venue

    partner = (await Partner.insert(Partner(name_zh="合作方")).returning(Partner.id))[0]["id"]
    venue = (
        await Venue.insert(Venue(partner=partner, name_zh="场馆", kind="counter")).returning(
            Venue.id
        )
    )[0]["id"]
    device = (
        await Device.insert(
            Device(venue=venue, name="d", token_hash="h" * 64, prefix="hcd_xxxx")
        ).returning(Device.id)
    )[0]["id"]
    return device, venue, partner


async def test_rows_read_back_exactly_and_conflicts_are_skipped(db):
    from huicui.db.bulk import insert_rows
    from huicui.sync.tables import Redemption

    device, venue, partner = await _place()
    at = [
        dt.datetime(2026, 11, 30, 8, 15, 1, 123456, tzinfo=SHANGHAI),
        dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2025, 6, 30, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ] * 4
    rows = _rows(device, venue, partner, at)
    got = await insert_rows(Redemption, rows, on_conflict_do_nothing="uuid", returning="id")
    assert len(got) == len(rows)
    again = await insert_rows(Redemption, rows[:3], on_conflict_do_nothing="uuid", returning="id")
    assert again == []
    stored = await Redemption.select().order_by(Redemption.uuid)
    assert len(stored) == len(rows)
    for row, back in zip(rows, stored, strict=True):
        for key, value in row.items():
            assert back[key] == value, key
        assert back["companions"] == 0 and back["bundle_version"] == 0  # the defaults


async def test_a_naive_time_is_stored_as_piccolo_would(db):
    from huicui.db.bulk import insert_rows
    from huicui.sync.tables import Redemption

    device, venue, partner = await _place()
    naive = dt.datetime(2026, 11, 30, 8, 0, 0)
    rows = _rows(device, venue, partner, [naive])
    await insert_rows(Redemption, rows)
    by_piccolo = {**rows[0], "uuid": str(uuid.UUID(int=99))}
    await Redemption.insert(Redemption(**by_piccolo))
    stored = await Redemption.select(Redemption.at).order_by(Redemption.id)
    assert stored[0]["at"] == stored[1]["at"]


async def test_one_of_finds_the_listed_values_among_other_parameters(db):
    from huicui.db.bulk import Params, fetch, insert_rows
    from huicui.sync.tables import Redemption

    device, venue, partner = await _place()
    at = [dt.datetime(2026, 11, 30, 8, n, tzinfo=SHANGHAI) for n in range(6)]
    await insert_rows(Redemption, _rows(device, venue, partner, at))
    p = Params()
    wanted = [f"{n:016x}" for n in (1, 3, 4, 99)]
    sql = (
        f'SELECT "certificate_id" FROM "redemption" WHERE "venue" = {p(venue)} '
        f'AND "certificate_id" {p.one_of(wanted)} AND "benefit" < {p(4)} '
        'ORDER BY "certificate_id"'
    )
    assert [row["certificate_id"] for row in await fetch(sql, p)] == wanted[:2]
