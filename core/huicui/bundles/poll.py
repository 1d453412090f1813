"""The no-change poll, answered in front of Litestar: ``304`` from memory, or the full path.

A device polls the heartbeat every minute or so, and almost always nothing changed. The
full request path (routing, the request-id and input-guard middleware, the role guard
with the copy of the handler Litestar makes for each guard, dependency injection, a
``Response``) cost about three times a bare Litestar route for that ``304`` of a few
headers. :class:`NoChangePoll` wraps the app's ASGI handler and answers exactly one
case itself: ``GET`` of a poll path (:data:`POLL_PATHS`) without a query string, whose
``If-None-Match`` holds the ETag of the heartbeat held in memory, from a device whose
token this process knows and still trusts (device paths; ``/bundle/heartbeat.cbor`` is
public). It asks the memories that the full path asks too, without awaiting anything:

- the device: :meth:`huicui.venues.device_tokens.DeviceTokens.remembered` — known here,
  enabled, and the device change counter read less than ``sync.device_check_seconds``
  ago (so a device disabled here is refused at once, elsewhere within that bound, as on
  the full path);
- the heartbeat: :meth:`huicui.bundles.builder.BundleService.current` — held, same
  freshness slot, change stamp read less than ``bundle.check_seconds`` ago.

Anything else — no or another token, an unknown or disabled device, a check that is
due, another ETag, a query string, a repeated header — goes down the full path
unchanged, which reads the database when it must and refuses with the usual problem
documents. The answer is the one the full path gives (``ETag``, ``Cache-Control``,
``X-Request-Id``), pinned by ``tests/venues/test_bundle_poll.py``. The routes stay
declared, with their guards, in :mod:`huicui.bundles.controller`.
"""

from __future__ import annotations

import logging

from litestar.types import ASGIApp, Receive, Scope, Send

from huicui.auth import DEVICE_PREFIX, bearer_token
from huicui.bundles.builder import BundleService, bundle_service, etag_matches
from huicui.bundles.controller import POLL_CACHE
from huicui.context import Context
from huicui.request_ids import HEADER as REQUEST_ID
from huicui.request_ids import new_request_id
from huicui.vault import hash_token

log = logging.getLogger("huicui.bundles")

# Path → whether a device token is required (False: the public copy of the heartbeat).
POLL_PATHS = {
    "/api/v1/bundle": True,
    "/api/v1/bundle/heartbeat.cbor": True,
    "/bundle/heartbeat.cbor": False,
}
_CACHE = POLL_CACHE.encode()
_DEVICE = DEVICE_PREFIX + "_"
_BODY = {"type": "http.response.body", "body": b"", "more_body": False}


def _device_token(value: bytes) -> str | None:
    """The token of an ``Authorization: Bearer hcd_…`` value, as ``authenticate`` reads it."""
    token = bearer_token(value.decode("latin-1"))
    return token if token is not None and token.startswith(_DEVICE) else None


class NoChangePoll:
    """ASGI wrapper: answers the no-change poll from memory, passes everything else on."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx
        self._service: BundleService | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("query_string"):
            device = POLL_PATHS.get(scope["path"])
            if device is not None:
                try:
                    etag = self._unchanged(scope, device)
                except Exception as exc:  # the full path does it again and answers properly
                    log.warning("no-change poll fell back: %s", type(exc).__name__)
                    etag = None
                if etag is not None:
                    rid = new_request_id()
                    scope.setdefault("state", {})["request_id"] = rid  # type: ignore[typeddict-item]
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 304,
                            "headers": [
                                (b"etag", etag),
                                (b"cache-control", _CACHE),
                                (REQUEST_ID.encode(), rid.encode()),
                            ],
                        }
                    )
                    await send(_BODY)
                    return
        await self.app(scope, receive, send)

    def _unchanged(self, scope: Scope, device: bool) -> bytes | None:
        """The ETag to answer ``304`` with, or ``None`` for the full path."""
        authorization = match = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if authorization is not None:
                    return None
                authorization = value
            elif name == b"if-none-match":
                if match is not None:
                    return None
                match = value
        if match is None:
            return None
        if device:
            token = _device_token(authorization) if authorization is not None else None
            tokens = self.ctx.device_tokens
            if token is None or tokens is None or tokens.remembered(hash_token(token)) is None:
                return None
        if self._service is None:
            self._service = bundle_service(self.ctx)
        beat = self._service.current()
        if beat is None or not etag_matches(match.decode("latin-1"), beat.etag):
            return None
        return beat.etag.encode()
