"""HTTP routes for partners, venues and devices: staff read, admins change."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from huicui.auth import ADMIN, ANY_STAFF, count_failure, principal_of, public
from huicui.context import Context
from huicui.http import Id, Offset, OptionalId, PageOut, PageSize
from huicui.plugins._names import VENUE_KIND_PATTERN
from huicui.venues import devices, service
from huicui.venues.schemas import (
    DeviceIn,
    DeviceOut,
    DevicePatch,
    EnrolledOut,
    EnrollmentCodeOut,
    EnrollmentExchangeIn,
    EnrollmentOut,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    ReasonIn,
    VenueIn,
    VenueOut,
    VenuePatch,
)


class PartnerController(Controller):
    path = "/api/v1/partners"
    tags = ["partners"]

    @get("/", guards=[ANY_STAFF], summary="List partners (operators of venues)")
    async def list(
        self, ctx: NamedDependency[Context], limit: PageSize = 50, offset: Offset = 0
    ) -> PageOut:
        items, total = await service.list_partners(ctx, limit=limit, offset=offset)
        return PageOut(items=items, total=total, limit=limit, offset=offset)

    @post("/", guards=[ADMIN], summary="Record a partner")
    async def create(
        self, ctx: NamedDependency[Context], request: Request, data: JSONBody[PartnerIn]
    ) -> PartnerOut:
        return await service.create_partner(ctx, principal_of(request), data)

    @get("/{partner_id:int}", guards=[ANY_STAFF], summary="One partner")
    async def read(self, ctx: NamedDependency[Context], partner_id: Id) -> PartnerOut:
        return await service.get_partner(ctx, partner_id)

    @patch("/{partner_id:int}", guards=[ADMIN], summary="Change a partner")
    async def update(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        partner_id: Id,
        data: JSONBody[PartnerPatch],
    ) -> PartnerOut:
        return await service.update_partner(ctx, principal_of(request), partner_id, data)


class VenueController(Controller):
    path = "/api/v1/venues"
    tags = ["venues"]

    @get("/", guards=[ANY_STAFF], summary="List venues, by partner or kind")
    async def list(
        self,
        ctx: NamedDependency[Context],
        partner_id: OptionalId = None,
        kind: Annotated[str | None, Parameter(pattern=VENUE_KIND_PATTERN)] = None,
        limit: PageSize = 50,
        offset: Offset = 0,
    ) -> PageOut:
        items, total = await service.list_venues(
            ctx, partner_id=partner_id, kind=kind, limit=limit, offset=offset
        )
        return PageOut(items=items, total=total, limit=limit, offset=offset)

    @post("/", guards=[ADMIN], summary="Record a venue; its benefits must suit its kind")
    async def create(
        self, ctx: NamedDependency[Context], request: Request, data: JSONBody[VenueIn]
    ) -> VenueOut:
        return await service.create_venue(ctx, principal_of(request), data)

    @get("/{venue_id:int}", guards=[ANY_STAFF], summary="One venue")
    async def read(self, ctx: NamedDependency[Context], venue_id: Id) -> VenueOut:
        return await service.get_venue(ctx, venue_id)

    @patch("/{venue_id:int}", guards=[ADMIN], summary="Change a venue (the next bundle carries it)")
    async def update(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        venue_id: Id,
        data: JSONBody[VenuePatch],
    ) -> VenueOut:
        return await service.update_venue(ctx, principal_of(request), venue_id, data)


class DeviceController(Controller):
    path = "/api/v1/devices"
    tags = ["devices"]

    @get("/", guards=[ANY_STAFF], summary="List devices, by venue or state")
    async def list(
        self,
        ctx: NamedDependency[Context],
        venue_id: OptionalId = None,
        enabled: bool | None = None,
        limit: PageSize = 50,
        offset: Offset = 0,
    ) -> PageOut:
        items, total = await devices.list_devices(
            ctx, venue_id=venue_id, enabled=enabled, limit=limit, offset=offset
        )
        return PageOut(items=items, total=total, limit=limit, offset=offset)

    @post(
        "/",
        guards=[ADMIN],
        summary="Enroll a device: returns its token once, the fingerprint and the command",
    )
    async def enroll(
        self, ctx: NamedDependency[Context], request: Request, data: JSONBody[DeviceIn]
    ) -> EnrollmentOut:
        return await devices.enroll_device(ctx, principal_of(request), data)

    @post(
        "/{device_id:int}/enrollment-code",
        guards=[ADMIN],
        summary="A new one-time enrollment QR for a device (its phone gets a new token)",
    )
    async def enrollment_code(
        self, ctx: NamedDependency[Context], request: Request, device_id: Id
    ) -> EnrollmentCodeOut:
        return await devices.new_enrollment_code(ctx, principal_of(request), device_id)

    @post(
        "/enrollment",
        guards=[public],
        status_code=200,
        summary="Exchange a one-time enrollment code (the QR) for the device token",
    )
    async def exchange(
        self, ctx: NamedDependency[Context], request: Request, data: JSONBody[EnrollmentExchangeIn]
    ) -> EnrolledOut:
        try:
            return await devices.exchange_enrollment_code(ctx, data.secret)
        except devices.EnrollmentCodeUnknown:
            # A guessed code counts like a wrong token: logged, and 429 after a burst.
            count_failure(request, "enrollment code")
            raise

    @get("/{device_id:int}", guards=[ANY_STAFF], summary="One device (never its token)")
    async def read(self, ctx: NamedDependency[Context], device_id: Id) -> DeviceOut:
        return await devices.get_device(ctx, device_id)

    @patch("/{device_id:int}", guards=[ADMIN], summary="Rename a device")
    async def update(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        device_id: Id,
        data: JSONBody[DevicePatch],
    ) -> DeviceOut:
        return await devices.update_device(ctx, principal_of(request), device_id, data)

    @post(
        "/{device_id:int}/disable",
        guards=[ADMIN],
        status_code=200,
        summary="Disable a device: its token is refused from now on",
    )
    async def disable(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        device_id: Id,
        data: JSONBody[ReasonIn | None] = None,
    ) -> DeviceOut:
        reason = data.reason if data else ""
        return await devices.set_enabled(ctx, principal_of(request), device_id, False, reason)

    @post(
        "/{device_id:int}/enable", guards=[ADMIN], status_code=200, summary="Enable a device again"
    )
    async def enable(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        device_id: Id,
        data: JSONBody[ReasonIn | None] = None,
    ) -> DeviceOut:
        reason = data.reason if data else ""
        return await devices.set_enabled(ctx, principal_of(request), device_id, True, reason)
