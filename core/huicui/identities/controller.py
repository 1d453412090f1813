"""HTTP routes for identities (thin: parse, guard, call the service)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from litestar.response import Stream

from huicui.audit import service as audit
from huicui.auth import ANY_STAFF, principal_of, roles
from huicui.context import Context
from huicui.http import MAX_ID, Id, Offset, PageOut, PageSize
from huicui.identities import exporting, importing, service, uploads
from huicui.identities.schemas import (
    IdentityIn,
    IdentityOut,
    IdentityPatch,
    LookupIn,
    LookupOut,
    Residency,
    RevealIn,
    RevealOut,
)
from huicui.memberships.states import STATE_PATTERN

REGISTRARS = roles("registrar", "admin")


IMPORT_HELP = (
    "Upload a roster as multipart/form-data (field `file`) or as the raw body with "
    "Content-Type text/csv or the XLSX media type. Headers in Chinese or English "
    "(姓名/display_name and 证件号码/id_doc are required). Policy: all-or-nothing — if any "
    "row has a problem nothing is written and the answer is a 422 problem document whose "
    "`report` lists every problem; with skip_invalid=true the valid rows are written in one "
    "transaction and the report lists the skipped rows. dry_run=true writes nothing and "
    "returns the same report. nominate=true (with source_org) also nominates each new "
    "identity into directory_id or the default directory."
)


class IdentityController(Controller):
    path = "/api/v1/identities"
    tags = ["identities"]

    @get("/", guards=[ANY_STAFF], summary="Search identities (masked)")
    async def search(
        self,
        ctx: NamedDependency[Context],
        q: Annotated[str | None, Parameter(max_length=64, description="name or pinyin")] = None,
        field: Annotated[str | None, Parameter(max_length=64)] = None,
        source: Annotated[str | None, Parameter(max_length=64)] = None,
        residency: Residency | None = None,
        status: Annotated[str | None, Parameter(pattern=STATE_PATTERN)] = None,
        limit: PageSize = 50,
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

    @post(
        "/lookup",
        guards=[REGISTRARS],
        status_code=200,
        summary="Is this document number registered? (hash lookup; POST keeps it out of URLs)",
    )
    async def lookup(self, ctx: NamedDependency[Context], data: JSONBody[LookupIn]) -> LookupOut:
        found = await service.find_by_id_doc(ctx, data.id_doc)
        if found is None:
            return LookupOut(registered=False)
        return LookupOut(registered=True, identity=await service.get_identity(ctx, found))

    @post(
        "/import",
        guards=[REGISTRARS],
        status_code=200,
        request_max_body_size=None,  # the roster.import_max_bytes cap is applied while reading
        summary="Import a roster file (CSV or XLSX) with a row-by-row report",
        description=IMPORT_HELP,
    )
    async def import_file(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        dry_run: bool = False,
        skip_invalid: bool = False,
        nominate: bool = False,
        source_org: Annotated[str | None, Parameter(max_length=200)] = None,
        directory_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        file_name: Annotated[str | None, Parameter(max_length=200)] = None,
    ) -> Response:
        upload = await uploads.read_upload(request, ctx.settings.roster.import_max_bytes)
        report = await importing.import_roster(
            ctx,
            principal_of(request),
            upload.data,
            file_name=file_name or upload.file_name,
            content_type=upload.content_type,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            nominate=nominate,
            source_org=source_org,
            directory_id=directory_id,
        )
        if report.status == "rejected":
            raise importing.ImportRejected(
                report.message_zh, report.message_en, report=msgspec.to_builtins(report)
            )
        status = 201 if report.status == "written" else 200
        return Response(content=report, status_code=status)

    @get(
        "/export",
        guards=[ANY_STAFF],
        summary="Export the roster as CSV or XLSX (masked; admins may reveal with a reason)",
    )
    async def export(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        export_format: Annotated[
            Literal["csv", "xlsx"], Parameter(query="format", description="csv or xlsx")
        ] = "csv",
        q: Annotated[str | None, Parameter(max_length=64, description="name or pinyin")] = None,
        field: Annotated[str | None, Parameter(max_length=64)] = None,
        source: Annotated[str | None, Parameter(max_length=64)] = None,
        residency: Residency | None = None,
        status: Annotated[str | None, Parameter(pattern=STATE_PATTERN)] = None,
        reveal: bool = False,
        reason: Annotated[str | None, Parameter(max_length=500)] = None,
    ) -> Response | Stream:
        filters = {
            "q": q,
            "field": field,
            "source": source,
            "residency": residency,
            "status": status,
        }
        filters = {k: v for k, v in filters.items() if v}
        actor = principal_of(request)
        plan = await exporting.prepare(ctx, actor, filters, export_format, reveal, reason)
        headers = {
            "Content-Disposition": f'attachment; filename="{plan.file_name}"',
            "X-Huicui-Rows": str(plan.rows),
            "Cache-Control": "no-store",
        }
        if isinstance(plan.body, bytes):
            return Response(content=plan.body, media_type=plan.media_type, headers=headers)
        return Stream(plan.body, media_type=plan.media_type, headers=headers)
