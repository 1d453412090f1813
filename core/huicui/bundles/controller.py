"""The published bundle files over HTTP: for device tokens under ``/api/v1/bundle``, and
for anyone under ``/bundle/`` (they hold no personal data; any CDN may carry them).

``GET /api/v1/bundle`` and ``…/heartbeat.cbor`` are the poll: with ``If-None-Match``
they answer ``304`` from memory. Snapshots and deltas are immutable (named by hash).
"""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.di import NamedDependency

from huicui.auth import DEVICE_ROLE, principal_of, public, roles
from huicui.bundles.builder import HEARTBEAT, bundle_service, etag_matches, make_etag
from huicui.context import Context
from huicui.errors import NotFound
from huicui.venues.devices import note_bundle_delivered

MEDIA_TYPE = "application/cbor"
# The heartbeat changes every freshness slot; a minute of caching costs nothing.
POLL_CACHE = "public, max-age=60"
IMMUTABLE = "public, max-age=31536000, immutable"
PROFILE_CACHE = "public, max-age=300"


def _answer(request: Request, data: bytes, cache: str) -> Response[bytes]:
    etag = make_etag(data)
    headers = {"ETag": etag, "Cache-Control": cache}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=data, media_type=MEDIA_TYPE, headers=headers)


def _cache_for(name: str) -> str:
    if name == HEARTBEAT:
        return POLL_CACHE
    return PROFILE_CACHE if name.startswith("profile/") else IMMUTABLE


def _missing(name: str) -> NotFound:
    return NotFound(f"没有核验数据文件 {name}", f"no published bundle file {name}", name=name)


async def _poll(request: Request, ctx: Context) -> Response[bytes]:
    service = bundle_service(ctx)
    beat = await service.heartbeat()
    headers = {"ETag": beat.etag, "Cache-Control": POLL_CACHE}
    if etag_matches(request.headers.get("if-none-match"), beat.etag):
        return Response(content=b"", status_code=304, headers=headers)
    principal = principal_of(request)
    await note_bundle_delivered(principal.id, beat.version, service.delivered)
    return Response(content=beat.data, media_type=MEDIA_TYPE, headers=headers)


@get(
    "/api/v1/bundle",
    guards=[roles(DEVICE_ROLE)],
    tags=["bundle"],
    summary="The heartbeat: latest bundle version, its hash, valid until (device token only)",
    description="COSE_Sign1 CBOR bytes (docs/bundle.md). Send If-None-Match with the ETag "
    "you hold: 304 and no body when nothing changed.",
    media_type=MEDIA_TYPE,
)
async def get_bundle(request: Request, ctx: NamedDependency[Context]) -> Response[bytes]:
    return await _poll(request, ctx)


@get(
    "/api/v1/bundle/heartbeat.cbor",
    guards=[roles(DEVICE_ROLE)],
    tags=["bundle"],
    summary="The heartbeat (same as GET /api/v1/bundle)",
    media_type=MEDIA_TYPE,
)
async def get_heartbeat(request: Request, ctx: NamedDependency[Context]) -> Response[bytes]:
    return await _poll(request, ctx)


@get(
    "/api/v1/bundle/profile.cbor",
    guards=[roles(DEVICE_ROLE)],
    tags=["bundle"],
    summary="The profile of the calling device's venue",
    media_type=MEDIA_TYPE,
)
async def get_own_profile(request: Request, ctx: NamedDependency[Context]) -> Response[bytes]:
    principal = principal_of(request)
    name = f"profile/{principal.venue_id}.cbor"
    data = await bundle_service(ctx).file(name)
    if data is None:
        raise _missing(name)
    return _answer(request, data, PROFILE_CACHE)


@get(
    "/api/v1/bundle/{kind:str}/{name:str}",
    guards=[roles(DEVICE_ROLE)],
    tags=["bundle"],
    summary="A snapshot or delta by hash, or this device's venue profile",
    media_type=MEDIA_TYPE,
)
async def get_device_file(
    request: Request, ctx: NamedDependency[Context], kind: str, name: str
) -> Response[bytes]:
    path = f"{kind}/{name}"
    if kind == "profile" and name != f"{principal_of(request).venue_id}.cbor":
        raise _missing(path)  # a device reads its own venue's profile only
    data = await bundle_service(ctx).file(path)
    if data is None:
        raise _missing(path)
    return _answer(request, data, _cache_for(path))


@get(
    "/bundle/{name:path}",
    guards=[public],
    tags=["bundle"],
    summary="The published bundle files, for anyone (no personal data)",
    description="heartbeat.cbor, snapshot/<hash>.cbor, delta/<hash>.cbor, "
    "profile/<venue>.cbor, as `huicui bundle publish DIR` writes them (docs/bundle.md).",
    media_type=MEDIA_TYPE,
)
async def get_public_file(
    request: Request, ctx: NamedDependency[Context], name: str
) -> Response[bytes]:
    name = name.lstrip("/")
    data = await bundle_service(ctx).file(name)
    if data is None:
        raise _missing(name)
    return _answer(request, data, _cache_for(name))


BUNDLE_ROUTES = [get_bundle, get_heartbeat, get_own_profile, get_device_file, get_public_file]
