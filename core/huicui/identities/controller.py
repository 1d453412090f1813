"""HTTP routes for identities (thin: parse, guard, call the service)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter

from huicui import audit
from huicui.auth import ANY_STAFF, principal_of, roles
from huicui.context import Context
from huicui.http import Id, Limit, Offset, PageOut, provide_ctx
from huicui.identities import service
from huicui.identities.schemas import IdentityIn, IdentityOut, IdentityPatch, Residency

REGISTRARS = roles("registrar", "admin")


class RevealIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=5, max_length=500)]


class RevealOut(msgspec.Struct):
    id: int
    id_doc: str
    phone: str


class IdentityController(Controller):
    path = "/api/v1/identities"
    tags = ["identities"]
    dependencies = {"ctx": Provide(provide_ctx, sync_to_thread=False)}

    @get("/", guards=[ANY_STAFF], summary="Search identities (masked)")
    async def search(
        self,
        ctx: NamedDependency[Context],
        q: Annotated[str | None, Parameter(max_length=64, description="name or pinyin")] = None,
        field: Annotated[str | None, Parameter(max_length=64)] = None,
        source: Annotated[str | None, Parameter(max_length=64)] = None,
        residency: Residency | None = None,
        status: Annotated[
            str | None,
            Parameter(pattern="^(nominated|approved|active|expired|suspended|revoked|rejected)$"),
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PageOut:
        items, total = await service.search_identities(
            ctx,
            q=q,
            field=field,
            source=source,
            residency=residency,
            status=status,
            limit=limit,
            offset=offset,
        )
        return PageOut(items=items, total=total, limit=limit, offset=offset)

    @post("/", guards=[REGISTRARS], summary="Record a person")
    async def create(
        self, ctx: NamedDependency[Context], request: Request, data: JSONBody[IdentityIn]
    ) -> IdentityOut:
        return await service.create_identity(ctx, principal_of(request), data)

    @get("/{identity_id:int}", guards=[ANY_STAFF], summary="One identity (masked)")
    async def read(self, ctx: NamedDependency[Context], identity_id: Id) -> IdentityOut:
        return await service.get_identity(ctx, identity_id)

    @patch("/{identity_id:int}", guards=[REGISTRARS], summary="Change an identity")
    async def update(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        identity_id: Id,
        data: JSONBody[IdentityPatch],
    ) -> IdentityOut:
        return await service.update_identity(ctx, principal_of(request), identity_id, data)

    @post(
        "/{identity_id:int}/reveal",
        guards=[roles("admin")],
        status_code=200,
        summary="Admin only: the unmasked document number and phone (audited)",
    )
    async def reveal(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        identity_id: Id,
        data: JSONBody[RevealIn],
    ) -> RevealOut:
        plain = await service.reveal_personal(ctx, identity_id)
        await audit.record(
            principal_of(request), "identity.reveal", "identity", identity_id, reason=data.reason
        )
        return RevealOut(id=identity_id, **plain)
