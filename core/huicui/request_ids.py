"""A request id for every HTTP request: in the ``X-Request-Id`` answer header, in the
problem document of an unexpected error and in the log line about it, so staff can go
from what a caller saw to the one line that explains it.

The id is made here, never taken from the caller: a client-chosen id could point staff
at another person's request.
"""

from __future__ import annotations

import secrets

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"


def new_request_id() -> str:
    """A fresh request id: 16 random hex digits."""
    return secrets.token_hex(8)


def request_id(scope: Scope) -> str:
    """The id of the request ``scope`` belongs to (``"-"`` outside a request)."""
    return scope.get("state", {}).get("request_id", "-")


class RequestIdMiddleware(ASGIMiddleware):
    """Gives each request 16 random hex digits and answers them in ``X-Request-Id``."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        rid = new_request_id()
        scope.setdefault("state", {})["request_id"] = rid  # type: ignore[typeddict-item]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != HEADER.encode()]
                message["headers"] = [*headers, (HEADER.encode(), rid.encode())]
            await send(message)

        await next_app(scope, receive, send_with_id)
