"""HTTP routes for workstation bookings (thin: the logic is in ``bookings``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from huicui.plugins.api import (
    ANY_STAFF,
    Context,
    Id,
    Offset,
    OptionalId,
    PageOut,
    PageSize,
    principal_of,
    roles,
)
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from huicui_benefits.workstation import bookings
from huicui_benefits.workstation.bookings import BookingIn, BookingOut, CancelIn, WorkstationConfig

BOOKERS = roles("admin", "registrar")


def booking_controller(config: WorkstationConfig) -> type[Controller]:
    """The bookings controller, bound to the program's workstation settings."""

    class WorkstationBookingController(Controller):
        path = "/api/v1/workstation/bookings"
        tags = ["workstation"]

        @post("/", guards=[BOOKERS], summary="Book a workstation room for a member")
        async def create(
            self, ctx: NamedDependency[Context], request: Request, data: JSONBody[BookingIn]
        ) -> BookingOut:
            return await bookings.create_booking(ctx, config, principal_of(request), data)

        @get("/", guards=[ANY_STAFF], summary="Bookings by start time")
        async def list_bookings(
            self,
            ctx: NamedDependency[Context],
            workstation: str | None = None,
            day: Annotated[dt.date | None, Parameter(description="local date")] = None,
            in_state: Annotated[
                Literal["booked", "cancelled"] | None, Parameter(query="state")
            ] = None,
            membership_id: OptionalId = None,
            limit: PageSize = 50,
            offset: Offset = 0,
        ) -> PageOut:
            return await bookings.list_bookings(
                ctx,
                workstation=workstation,
                day=day,
                state=in_state,
                membership_id=membership_id,
                limit=limit,
                offset=offset,
            )

        @get("/{booking_id:int}", guards=[ANY_STAFF], summary="One booking")
        async def read(self, ctx: NamedDependency[Context], booking_id: Id) -> BookingOut:
            return bookings.to_out(ctx, await bookings.get_row(booking_id))

        @post("/{booking_id:int}/cancel", guards=[BOOKERS], summary="Cancel, with a reason")
        async def cancel(
            self,
            ctx: NamedDependency[Context],
            request: Request,
            booking_id: Id,
            data: JSONBody[CancelIn],
        ) -> BookingOut:
            actor = principal_of(request)
            return await bookings.cancel_booking(ctx, actor, booking_id, data.reason)

    return WorkstationBookingController
