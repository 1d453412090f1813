"""``GET /api/v1/bundle``: the signed bundle for the calling device's venue (ETag, 304)."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.di import NamedDependency

from huicui.auth import DEVICE_ROLE, principal_of, roles
from huicui.bundles.builder import bundle_service, etag_matches
from huicui.context import Context
from huicui.venues.devices import note_bundle_delivered

MEDIA_TYPE = "application/cbor"
CACHE_CONTROL = "private, max-age=60"


@get(
    "/api/v1/bundle",
    guards=[roles(DEVICE_ROLE)],
    tags=["bundle"],
    summary="The verifier bundle for this device's venue (device token only)",
    description="COSE_Sign1 CBOR bytes (docs/bundle.md). Send If-None-Match with the "
    "ETag you hold: 304 and no body when nothing changed.",
    media_type=MEDIA_TYPE,
)
async def get_bundle(request: Request, ctx: NamedDependency[Context]) -> Response[bytes]:
    principal = principal_of(request)
    service = bundle_service(ctx)
    assert principal.venue_id is not None  # device principals always carry their venue
    built = await service.for_venue(principal.venue_id)
    headers = {"ETag": built.etag, "Cache-Control": CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), built.etag):
        return Response(content=b"", status_code=304, headers=headers)
    await note_bundle_delivered(principal.id, built.version, service.delivered)
    return Response(content=built.data, media_type=MEDIA_TYPE, headers=headers)
