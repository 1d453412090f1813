"""HTTP routes for memberships: nominate, the decisions, the review list."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from huicui.auth import ANY_STAFF, principal_of, roles
from huicui.context import Context
from huicui.http import Id, Offset, OptionalId, PageOut, PageSize, parse_days
from huicui.memberships import service
from huicui.memberships.schemas import DecisionIn, MembershipOut, NominationIn, ReasonRequiredIn
from huicui.memberships.states import STATE_PATTERN

REGISTRARS = roles("registrar", "admin")
REVIEWERS = roles("reviewer", "admin")


class MembershipController(Controller):
    path = "/api/v1/memberships"
    tags = ["memberships"]

    @get("/", guards=[ANY_STAFF], summary="List memberships; due_within=30d for the review")
    async def list(
        self,
        ctx: NamedDependency[Context],
        state_filter: Annotated[str | None, Parameter(query="state", pattern=STATE_PATTERN)] = None,
        directory_id: OptionalId = None,
        identity_id: OptionalId = None,
        due_within: Annotated[
            str | None, Parameter(max_length=8, description="terms ending within e.g. 30d, 4w, 3m")
        ] = None,
        limit: PageSize = 50,
        offset: Offset = 0,
    ) -> PageOut:
        days = parse_days(due_within, "due_within") if due_within else None
        items, total = await service.list_memberships(
            ctx,
            state=state_filter,
            directory_id=directory_id,
            identity_id=identity_id,
            due_within_days=days,
            limit=limit,
            offset=offset,
        )
        return PageOut(items=items, total=total, limit=limit, offset=offset)

    @post("/", guards=[REGISTRARS], summary="Nominate an identity for a directory")
    async def nominate(
        self, ctx: NamedDependency[Context], request: Request, data: JSONBody[NominationIn]
    ) -> MembershipOut:
        return await service.nominate(ctx, principal_of(request), data)

    @get("/{membership_id:int}", guards=[ANY_STAFF], summary="One membership")
    async def read(self, ctx: NamedDependency[Context], membership_id: Id) -> MembershipOut:
        return await service.get_membership(ctx, membership_id)

    @post(
        "/{membership_id:int}/approve",
        guards=[REVIEWERS],
        status_code=200,
        summary="Approve (not by whoever nominated); issues the certificate",
    )
    async def approve(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        membership_id: Id,
        data: JSONBody[DecisionIn | None] = None,
    ) -> MembershipOut:
        return await service.transition(
            ctx, principal_of(request), membership_id, "approve", data.reason if data else ""
        )

    @post(
        "/{membership_id:int}/reject",
        guards=[REVIEWERS],
        status_code=200,
        summary="Reject a nomination (reason required)",
    )
    async def reject(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        membership_id: Id,
        data: JSONBody[ReasonRequiredIn],
    ) -> MembershipOut:
        return await service.transition(
            ctx, principal_of(request), membership_id, "reject", data.reason
        )

    @post(
        "/{membership_id:int}/suspend",
        guards=[REVIEWERS],
        status_code=200,
        summary="Suspend (reason required); the certificate is revoked",
    )
    async def suspend(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        membership_id: Id,
        data: JSONBody[ReasonRequiredIn],
    ) -> MembershipOut:
        return await service.transition(
            ctx, principal_of(request), membership_id, "suspend", data.reason
        )

    @post(
        "/{membership_id:int}/reinstate",
        guards=[REVIEWERS],
        status_code=200,
        summary="Reinstate a suspended membership; a new certificate is issued",
    )
    async def reinstate(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        membership_id: Id,
        data: JSONBody[ReasonRequiredIn],
    ) -> MembershipOut:
        return await service.transition(
            ctx, principal_of(request), membership_id, "reinstate", data.reason
        )

    @post(
        "/{membership_id:int}/revoke",
        guards=[REVIEWERS],
        status_code=200,
        summary="Revoke (reason required); the next bundle lists the certificate",
    )
    async def revoke(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        membership_id: Id,
        data: JSONBody[ReasonRequiredIn],
    ) -> MembershipOut:
        return await service.transition(
            ctx, principal_of(request), membership_id, "revoke", data.reason
        )

    @post(
        "/{membership_id:int}/renew",
        guards=[REVIEWERS],
        status_code=200,
        summary="Start a new term; a new certificate is issued",
    )
    async def renew(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        membership_id: Id,
        data: JSONBody[DecisionIn | None] = None,
    ) -> MembershipOut:
        return await service.transition(
            ctx, principal_of(request), membership_id, "renew", data.reason if data else ""
        )
