"""HTTP routes of the misuse review: ``/api/v1/misuse/flags``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from huicui.auth import principal_of, roles
from huicui.context import Context
from huicui.http import MAX_ID, Id, Offset, PageOut, PageSize
from huicui.misuse import service
from huicui.misuse.schemas import FlagDetailOut, ReasonIn

READERS = roles("reviewer", "auditor", "admin")
DECIDERS = roles("reviewer", "admin")


class MisuseController(Controller):
    path = "/api/v1/misuse/flags"
    tags = ["misuse"]

    @get("/", guards=[READERS], summary="Misuse flags, newest first (filter by status, kind)")
    async def list(
        self,
        ctx: NamedDependency[Context],
        status: Annotated[
            str | None, Parameter(pattern="^(open|dismissed|actioned)$")
        ] = None,
        kind: Annotated[
            str | None, Parameter(pattern="^(over_limit|impossible_travel)$")
        ] = None,
        membership_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        limit: PageSize = 50,
        offset: Offset = 0,
    ) -> PageOut:
        items, total = await service.list_flags(
            ctx, status=status, kind=kind, membership_id=membership_id, limit=limit, offset=offset
        )
        return PageOut(items=items, total=total, limit=limit, offset=offset)

    @get(
        "/{flag_id:int}",
        guards=[READERS],
        summary="One flag and the redemptions behind it (times in Asia/Shanghai)",
    )
    async def read(self, ctx: NamedDependency[Context], flag_id: Id) -> FlagDetailOut:
        return await service.get_flag(ctx, flag_id)

    @post(
        "/{flag_id:int}/suspend",
        guards=[DECIDERS],
        status_code=200,
        summary="Suspend the member (certificate revoked); the flag becomes actioned",
        description="`reason` is required. Suspension goes through the membership's state "
        "machine, so its certificate is revoked and the next bundle lists it.",
    )
    async def suspend(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        flag_id: Id,
        data: JSONBody[ReasonIn],
    ) -> FlagDetailOut:
        return await service.suspend(ctx, principal_of(request), flag_id, data.reason)

    @post(
        "/{flag_id:int}/dismiss",
        guards=[DECIDERS],
        status_code=200,
        summary="Dismiss a flag without action (reason required)",
    )
    async def dismiss(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        flag_id: Id,
        data: JSONBody[ReasonIn],
    ) -> FlagDetailOut:
        return await service.dismiss(ctx, principal_of(request), flag_id, data.reason)
