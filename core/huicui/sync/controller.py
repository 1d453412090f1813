"""``POST /api/v1/redemptions/sync``: a device uploads decisions it made offline."""

from __future__ import annotations

from huicui_verifier.records import SYNC_PATH, SyncRequest, SyncResponse
from litestar import Request, post
from litestar.datastructures import State
from litestar.params import JSONBody

from huicui.auth import DEVICE_ROLE, principal_of, roles
from huicui.sync.ingest import ingest


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
    request: Request, state: State, data: JSONBody[SyncRequest]
) -> SyncResponse:
    return await ingest(state.ctx, principal_of(request), data)
