"""``POST /api/v1/redemptions/sync``: a device uploads decisions it made offline;
``GET /api/v1/redemptions``: staff list what devices uploaded."""

from __future__ import annotations

from typing import Annotated

from huicui_verifier.records import SYNC_PATH, SyncRequest, SyncResponse
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from huicui.auth import DEVICE_ROLE, principal_of, roles
from huicui.context import Context
from huicui.http import Offset, OptionalId, PageOut, PageSize
from huicui.sync.ingest import ingest
from huicui.sync.listing import list_redemptions, make_filter

Text = Annotated[str | None, Parameter(max_length=64)]


@post(
    SYNC_PATH,
    guards=[roles(DEVICE_ROLE)],
    tags=["sync"],
    status_code=200,
    summary="Upload redemption records (device token only; idempotent by uuid)",
    description="At most 500 records per batch (more: 413). One invalid record refuses "
    "the whole batch with 422 naming each bad record's index; nothing is stored then. "
    "Records already stored are counted as `known`.",
)
async def sync_redemptions(
    request: Request, ctx: NamedDependency[Context], data: JSONBody[SyncRequest]
) -> SyncResponse:
    return await ingest(ctx, principal_of(request), data)


@get(
    "/api/v1/redemptions",
    guards=[roles("admin", "auditor", "reviewer")],
    tags=["sync"],
    summary="Synced redemptions, newest first, filtered",
    description="Every filter given must match. `certificate_id` is 16 hex digits; "
    "`benefit` a benefit slug or code; `decision` accept or refuse; `since` "
    "(inclusive) and `until` (exclusive) a date (`2026-11-26`, a whole day for `until`) "
    "or an ISO 8601 time, read in Asia/Shanghai when no offset is given. Times in the "
    "answer are in the program's timezone. A wrong filter is a problem document naming it.",
)
async def list_synced_redemptions(
    ctx: NamedDependency[Context],
    certificate_id: Text = None,
    membership_id: OptionalId = None,
    venue_id: OptionalId = None,
    partner_id: OptionalId = None,
    device_id: OptionalId = None,
    benefit: Text = None,
    decision: Text = None,
    since: Text = None,
    until: Text = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> PageOut:
    found = make_filter(
        ctx,
        certificate_id=certificate_id,
        membership_id=membership_id,
        venue_id=venue_id,
        partner_id=partner_id,
        device_id=device_id,
        benefit=benefit,
        decision=decision,
        since=since,
        until=until,
    )
    items, total = await list_redemptions(ctx, found, limit=limit, offset=offset)
    return PageOut(items=items, total=total, limit=limit, offset=offset)
