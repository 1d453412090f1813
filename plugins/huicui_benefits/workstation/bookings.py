"""Booking logic without HTTP: conflict checks, limits, cancellation, audit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from huicui.plugins.api import (
    Conflict,
    Context,
    IdField,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PageOut,
    Principal,
    member_benefits,
    record_event,
    to_local_iso,
)
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from huicui_benefits.workstation.tables import WorkstationBooking

CODE = 6


class WorkstationConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[benefits.workstation]``: when and how long rooms may be booked (program time)."""

    opens: str = "08:00"
    closes: str = "21:00"
    max_hours: Annotated[int, msgspec.Meta(ge=1, le=24)] = 4
    max_attendees: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 50
    days_ahead: Annotated[int, msgspec.Meta(ge=1, le=366)] = 60
    bookings_per_month: Annotated[int, msgspec.Meta(ge=0, le=100)] = 4  # 0 = no limit

    def __post_init__(self) -> None:
        for name in ("opens", "closes"):
            value = getattr(self, name)
            try:
                dt.time.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{name} must be HH:MM, got {value!r}") from None
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")


class BookingIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    membership_id: IdField
    workstation: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    starts_at: dt.datetime  # ISO 8601 with an offset, e.g. 2026-12-01T09:00:00+08:00
    ends_at: dt.datetime
    purpose: Annotated[str, msgspec.Meta(max_length=200)] = ""
    attendees: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1


class CancelIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class BookingOut(msgspec.Struct):
    id: int
    membership_id: int
    workstation: str
    starts_at: str
    ends_at: str
    purpose: str
    attendees: int
    state: str
    created_by: str
    created_at: str
    cancel_reason: str


def to_out(ctx: Context, row: dict[str, Any]) -> BookingOut:
    return BookingOut(
        id=row["id"],
        membership_id=row["membership_id"],
        workstation=row["workstation"],
        starts_at=to_local_iso(row["starts_at"], ctx.tz) or "",
        ends_at=to_local_iso(row["ends_at"], ctx.tz) or "",
        purpose=row["purpose"],
        attendees=row["attendees"],
        state=row["state"],
        created_by=row["created_by_name"],
        created_at=to_local_iso(row["created_at"], ctx.tz) or "",
        cancel_reason=row["cancel_reason"],
    )


def check_times(
    config: WorkstationConfig, starts: dt.datetime, ends: dt.datetime, now: dt.datetime, tz: Any
) -> None:
    """Refuse naive times, empty or over-long slots, the past, and hours the rooms are shut."""
    if starts.tzinfo is None or ends.tzinfo is None:
        raise InvalidInput("时间须带时区，如 +08:00", "Times need an offset, e.g. +08:00")
    if ends <= starts:
        raise InvalidInput("结束时间须晚于开始时间", "ends_at must be after starts_at")
    if ends - starts > dt.timedelta(hours=config.max_hours):
        raise InvalidInput(
            f"单次预约不超过 {config.max_hours} 小时",
            f"A booking may last at most {config.max_hours} hours",
        )
    if starts < now:
        raise InvalidInput("不能预约过去的时间", "starts_at is in the past")
    if starts > now + dt.timedelta(days=config.days_ahead):
        raise InvalidInput(
            f"最多提前 {config.days_ahead} 天预约",
            f"Bookings open {config.days_ahead} days ahead",
        )
    local_start, local_end = starts.astimezone(tz), ends.astimezone(tz)
    opens, closes = dt.time.fromisoformat(config.opens), dt.time.fromisoformat(config.closes)
    if (
        local_start.date() != local_end.date()
        or local_start.time() < opens
        or local_end.time() > closes
    ):
        raise InvalidInput(
            f"工作站开放时间为 {config.opens}–{config.closes}",
            f"Workstations are open {config.opens}–{config.closes}",
        )


async def get_row(booking_id: int) -> dict[str, Any]:
    row = await WorkstationBooking.select().where(WorkstationBooking.id == booking_id).first()
    if row is None:
        raise NotFound("未找到该预约", f"Booking {booking_id} not found")
    return row


def _month_bounds(moment: dt.datetime, tz: Any) -> tuple[dt.datetime, dt.datetime]:
    local = moment.astimezone(tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def create_booking(
    ctx: Context, config: WorkstationConfig, actor: Principal, data: BookingIn
) -> BookingOut:
    """Book a room for an active member holding the benefit; overlapping bookings are 409."""
    check_times(config, data.starts_at, data.ends_at, dt.datetime.now(dt.UTC), ctx.tz)
    if data.attendees > config.max_attendees:
        raise InvalidInput(
            f"人数不超过 {config.max_attendees} 人",
            f"At most {config.max_attendees} attendees",
        )
    if CODE not in await member_benefits(ctx, data.membership_id):
        raise Conflict(
            "该成员不享有工作站使用权益",
            f"Membership {data.membership_id} does not hold the workstation benefit",
            benefit=CODE,
        )
    # UTC everywhere in storage, so comparisons hold on SQLite (text) and PostgreSQL alike.
    starts, ends = data.starts_at.astimezone(dt.UTC), data.ends_at.astimezone(dt.UTC)
    room = data.workstation.strip()
    b = WorkstationBooking
    engine = b._meta.db
    if isinstance(engine, SQLiteEngine):
        transaction = engine.transaction(transaction_type=TransactionType.immediate)
    else:
        transaction = engine.transaction()
    async with transaction:
        if isinstance(engine, PostgresEngine):
            # Serialises bookings of one room: the overlap check below cannot race.
            await b.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"workstation:{room}")
        clash = (
            await b.select(b.id, b.starts_at, b.ends_at)
            .where(
                (b.workstation == room)
                & (b.state == "booked")
                & (b.starts_at < ends)
                & (b.ends_at > starts)
            )
            .first()
        )
        if clash is not None:
            raise Conflict(
                f"该时段已被预约（{to_local_iso(clash['starts_at'], ctx.tz)} 起）",
                f"{room} is already booked from {to_local_iso(clash['starts_at'], ctx.tz)} "
                f"to {to_local_iso(clash['ends_at'], ctx.tz)}",
                conflicting_id=clash["id"],
            )
        if config.bookings_per_month:
            month_start, month_end = _month_bounds(starts, ctx.tz)
            used = await b.count().where(
                (b.membership_id == data.membership_id)
                & (b.state == "booked")
                & (b.starts_at >= month_start)
                & (b.starts_at < month_end)
            )
            if used >= config.bookings_per_month:
                raise Conflict(
                    f"每月最多预约 {config.bookings_per_month} 次",
                    f"At most {config.bookings_per_month} bookings a month per member",
                    limit=config.bookings_per_month,
                )
        rows = await b.insert(
            b(
                membership_id=data.membership_id,
                workstation=room,
                starts_at=starts,
                ends_at=ends,
                purpose=data.purpose.strip(),
                attendees=data.attendees,
                created_by_name=actor.label,
            )
        ).returning(b.id)
    booking_id = rows[0]["id"]
    await record_event(
        actor,
        "workstation.booking.create",
        "workstation_booking",
        booking_id,
        data={"membership_id": data.membership_id, "workstation": room},
    )
    return to_out(ctx, await get_row(booking_id))


async def cancel_booking(
    ctx: Context, actor: Principal, booking_id: int, reason: str
) -> BookingOut:
    """Cancel a booking, freeing its slot."""
    b = WorkstationBooking
    current = await get_row(booking_id)
    done = (
        await b.update({b.state: "cancelled", b.cancel_reason: reason.strip()})
        .where((b.id == booking_id) & (b.state == "booked"))
        .returning(b.id)
    )
    if not done:
        raise IllegalTransition(
            "该预约已取消", f"Booking {booking_id} is {current['state']}", state=current["state"]
        )
    await record_event(
        actor, "workstation.booking.cancel", "workstation_booking", booking_id, reason=reason
    )
    return to_out(ctx, await get_row(booking_id))


async def list_bookings(
    ctx: Context,
    *,
    workstation: str | None,
    day: dt.date | None,
    state: str | None,
    membership_id: int | None,
    limit: int,
    offset: int,
) -> PageOut:
    """Bookings by start time, filtered by room, local day, state or member."""
    b = WorkstationBooking
    conditions = []
    if workstation:
        conditions.append(b.workstation == workstation)
    if state:
        conditions.append(b.state == state)
    if membership_id:
        conditions.append(b.membership_id == membership_id)
    if day:
        start = dt.datetime.combine(day, dt.time(), tzinfo=ctx.tz).astimezone(dt.UTC)
        conditions += [b.starts_at >= start, b.starts_at < start + dt.timedelta(days=1)]
    query, count = b.select(), b.count()
    for condition in conditions:
        query, count = query.where(condition), count.where(condition)
    rows = await query.order_by(b.starts_at).limit(limit).offset(offset)
    return PageOut(
        items=[to_out(ctx, r) for r in rows], total=await count, limit=limit, offset=offset
    )
