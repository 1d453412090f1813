"""Partners and venues: create, read, list, change. Every change is an audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from huicui.audit import service as audit
from huicui.auth import Principal
from huicui.benefits.eligibility import stored_codes
from huicui.context import Context
from huicui.errors import InvalidInput, NotFound
from huicui.timefmt import to_local_iso
from huicui.vault import last4, mask
from huicui.venues.kinds import check_kind
from huicui.venues.schemas import (
    DEFAULT_STATIC_CARDS,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    VenueIn,
    VenueOut,
    VenuePatch,
)
from huicui.venues.tables import Partner, Venue

PHONE_COLUMN = "partner.contact_phone"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- partners ------------------------------------------------------------------------


def _partner_out(ctx: Context, row: dict, venue_count: int) -> PartnerOut:
    return PartnerOut(
        id=row["id"],
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        contact_name=row["contact_name"],
        contact_phone_masked=mask(row["contact_phone_last4"]),
        settlement_ref=row["settlement_ref"],
        venue_count=venue_count,
        created_at=to_local_iso(row["created_at"], ctx.tz) or "",
        updated_at=to_local_iso(row["updated_at"], ctx.tz) or "",
    )


async def _partner_row(partner_id: int) -> dict:
    row = await Partner.select().where(Partner.id == partner_id).first()
    if row is None:
        raise NotFound(
            f"没有编号为 {partner_id} 的合作方", f"no partner {partner_id}", partner_id=partner_id
        )
    return row


async def get_partner(ctx: Context, partner_id: int) -> PartnerOut:
    """One partner, its phone masked."""
    row = await _partner_row(partner_id)
    count = await Venue.count().where(Venue.partner == partner_id)
    return _partner_out(ctx, row, count)


async def list_partners(ctx: Context, *, limit: int, offset: int) -> tuple[list[PartnerOut], int]:
    """Partners by id."""
    rows = await Partner.select().order_by(Partner.id).limit(limit).offset(offset)
    total = await Partner.count()
    counts: dict[int, int] = {}
    if rows:
        ids = [r["id"] for r in rows]
        for v in await Venue.select(Venue.partner).where(Venue.partner.is_in(ids)):
            counts[v["partner"]] = counts.get(v["partner"], 0) + 1
    return [_partner_out(ctx, r, counts.get(r["id"], 0)) for r in rows], total


async def create_partner(ctx: Context, actor: Principal, data: PartnerIn) -> PartnerOut:
    """Record a partner; the contact phone is encrypted at rest."""
    phone = data.contact_phone.strip()
    rows = await Partner.insert(
        Partner(
            name_zh=data.name_zh.strip(),
            name_en=data.name_en.strip(),
            contact_name=data.contact_name.strip(),
            contact_phone_enc=ctx.vault.encrypt(phone, PHONE_COLUMN) or "",
            contact_phone_last4=last4(phone),
            settlement_ref=data.settlement_ref.strip(),
        )
    ).returning(Partner.id)
    partner_id = rows[0]["id"]
    await audit.record(
        actor,
        "partner.create",
        "partner",
        partner_id,
        data={"name_zh": data.name_zh, "has_phone": bool(phone)},
    )
    return await get_partner(ctx, partner_id)


async def update_partner(
    ctx: Context, actor: Principal, partner_id: int, data: PartnerPatch
) -> PartnerOut:
    """Change the given fields only."""
    await _partner_row(partner_id)
    values: dict[Any, Any] = {}
    changed: list[str] = []
    for name in ("name_zh", "name_en", "contact_name", "settlement_ref"):
        value = getattr(data, name)
        if value is not msgspec.UNSET:
            values[getattr(Partner, name)] = value.strip()
            changed.append(name)
    if data.contact_phone is not msgspec.UNSET:
        phone = data.contact_phone.strip()
        values[Partner.contact_phone_enc] = ctx.vault.encrypt(phone, PHONE_COLUMN) or ""
        values[Partner.contact_phone_last4] = last4(phone)
        changed.append("contact_phone")
    if values:
        values[Partner.updated_at] = _now()
        await Partner.update(values).where(Partner.id == partner_id)
        await audit.record(actor, "partner.update", "partner", partner_id, data={"fields": changed})
    return await get_partner(ctx, partner_id)


# --- venues --------------------------------------------------------------------------


def _venue_out(ctx: Context, row: dict) -> VenueOut:
    return VenueOut(
        id=row["id"],
        partner_id=row["partner"],
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        kind=row["kind"],
        address=row["address"],
        lat=row["lat"],
        lon=row["lon"],
        benefits=stored_codes(row["benefits"]) or [],
        fail_mode=row["fail_mode"],
        static_cards=row["static_cards"],
        created_at=to_local_iso(row["created_at"], ctx.tz) or "",
        updated_at=to_local_iso(row["updated_at"], ctx.tz) or "",
    )


async def venue_row(venue_id: int) -> dict:
    """The venue's row, or a 404 naming it."""
    row = await Venue.select().where(Venue.id == venue_id).first()
    if row is None:
        raise NotFound(f"没有编号为 {venue_id} 的场所", f"no venue {venue_id}", venue_id=venue_id)
    return row


def venue_benefits(row: dict) -> list[int]:
    """The benefit codes a venue row honors."""
    return stored_codes(row["benefits"]) or []


def check_benefits(ctx: Context, kind: str, codes: list[int]) -> list[int]:
    """``codes`` sorted without repeats, if each is installed and honored by venues of ``kind``.

    Raises a 422 naming every code that fails and why.
    """
    installed = {b.code: b for b in (ctx.plugins.benefits() if ctx.plugins is not None else [])}
    problems = []
    for code in sorted(set(codes)):
        info = installed.get(code)
        if info is None:
            problems.append({"code": code, "problem": "not_installed"})
        elif kind not in info.venue_kinds:
            problems.append(
                {
                    "code": code,
                    "problem": "kind_mismatch",
                    "slug": info.slug,
                    "venue_kinds": list(info.venue_kinds),
                }
            )
    if problems:
        listed = ", ".join(str(p["code"]) for p in problems)
        raise InvalidInput(
            f"权益 {listed} 未安装或不适用于“{kind}”类场所",
            f"benefits {listed} are not installed or not honored by venues of kind {kind!r}",
            benefits=problems,
            installed={str(c): list(b.venue_kinds) for c, b in sorted(installed.items())},
        )
    return sorted(set(codes))


def _check_location(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise InvalidInput(
            "纬度和经度须同时给出或同时省略",
            "give both lat and lon, or neither",
            fields=["lat", "lon"],
        )


async def get_venue(ctx: Context, venue_id: int) -> VenueOut:
    """One venue."""
    return _venue_out(ctx, await venue_row(venue_id))


async def list_venues(
    ctx: Context, *, partner_id: int | None, kind: str | None, limit: int, offset: int
) -> tuple[list[VenueOut], int]:
    """Venues by id, optionally of one partner or one kind."""
    query = Venue.select()
    count = Venue.count()
    if partner_id is not None:
        query, count = (
            query.where(Venue.partner == partner_id),
            count.where(Venue.partner == partner_id),
        )
    if kind is not None:
        query, count = query.where(Venue.kind == kind), count.where(Venue.kind == kind)
    rows = await query.order_by(Venue.id).limit(limit).offset(offset)
    return [_venue_out(ctx, r) for r in rows], await count


async def create_venue(ctx: Context, actor: Principal, data: VenueIn) -> VenueOut:
    """Record a venue of an existing partner; its benefits must fit its kind."""
    check_kind(ctx, data.kind)
    await _partner_row(data.partner_id)
    _check_location(data.lat, data.lon)
    codes = check_benefits(ctx, data.kind, data.benefits)
    static_cards = data.static_cards or DEFAULT_STATIC_CARDS
    rows = await Venue.insert(
        Venue(
            partner=data.partner_id,
            name_zh=data.name_zh.strip(),
            name_en=data.name_en.strip(),
            kind=data.kind,
            address=data.address.strip(),
            lat=data.lat,
            lon=data.lon,
            benefits=msgspec.json.encode(codes).decode(),
            fail_mode=data.fail_mode,
            static_cards=static_cards,
        )
    ).returning(Venue.id)
    venue_id = rows[0]["id"]
    await audit.record(
        actor,
        "venue.create",
        "venue",
        venue_id,
        data={
            "partner_id": data.partner_id,
            "kind": data.kind,
            "benefits": codes,
            "fail_mode": data.fail_mode,
            "static_cards": static_cards,
        },
    )
    return await get_venue(ctx, venue_id)


async def update_venue(ctx: Context, actor: Principal, venue_id: int, data: VenuePatch) -> VenueOut:
    """Change the given fields; kind and benefits are checked together."""
    if data.kind is not msgspec.UNSET:
        check_kind(ctx, data.kind)
    row = await venue_row(venue_id)
    kind = row["kind"] if data.kind is msgspec.UNSET else data.kind
    codes = venue_benefits(row) if data.benefits is msgspec.UNSET else data.benefits
    values: dict[Any, Any] = {}
    changed: dict[str, Any] = {}
    if data.kind is not msgspec.UNSET or data.benefits is not msgspec.UNSET:
        codes = check_benefits(ctx, kind, codes)
        values[Venue.kind] = kind
        values[Venue.benefits] = msgspec.json.encode(codes).decode()
        changed.update(kind=kind, benefits=codes)
    lat = row["lat"] if data.lat is msgspec.UNSET else data.lat
    lon = row["lon"] if data.lon is msgspec.UNSET else data.lon
    _check_location(lat, lon)
    if data.lat is not msgspec.UNSET or data.lon is not msgspec.UNSET:
        values[Venue.lat], values[Venue.lon] = lat, lon
        changed["location"] = True
    for name in ("name_zh", "name_en", "address", "fail_mode", "static_cards"):
        value = getattr(data, name)
        if value is not msgspec.UNSET:
            values[getattr(Venue, name)] = value.strip()
            changed[name] = value.strip()
    if values:
        values[Venue.updated_at] = _now()
        await Venue.update(values).where(Venue.id == venue_id)
        await audit.record(actor, "venue.update", "venue", venue_id, data=changed)
    return await get_venue(ctx, venue_id)
