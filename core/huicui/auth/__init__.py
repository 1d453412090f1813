"""Bearer tokens and role guards.

Every route names its access with exactly one guard from this module: ``public``
or ``roles(...)``. ``tests/api/test_guards.py`` walks every registered route and
proves the guard refuses an anonymous and a wrong-role call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import NoReturn

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from huicui.auth.failures import FailedAuthLimiter, token_kind
from huicui.auth.tables import StaffToken
from huicui.errors import TooManyRequests
from huicui.vault import hash_token, new_token

STAFF_ROLES = ("admin", "registrar", "reviewer", "auditor")
DEVICE_ROLE = "device"
STAFF_PREFIX = "hcs"
DEVICE_PREFIX = "hcd"


class Principal(msgspec.Struct, frozen=True):
    """Who is calling: a staff member or an enrolled device."""

    kind: str  # "staff" | "device"
    id: int
    name: str
    role: str
    venue_id: int | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}#{self.id}"


Resolver = Callable[[str], Awaitable[Principal | None]]


async def resolve_staff(token: str) -> Principal | None:
    row = (
        await StaffToken.select(
            StaffToken.id,
            StaffToken.name,
            StaffToken.role,
            StaffToken.revoked,
            StaffToken.last_used_at,
        )
        .where(StaffToken.token_hash == hash_token(token))
        .first()
    )
    if row is None or row["revoked"]:
        return None
    now = dt.datetime.now(dt.UTC)
    last = row["last_used_at"]
    # One write per token per few minutes is enough to show staff which tokens live.
    if last is None or now - last > dt.timedelta(minutes=5):
        await StaffToken.update({StaffToken.last_used_at: now}).where(StaffToken.id == row["id"])
    return Principal(kind="staff", id=row["id"], name=row["name"], role=row["role"])


# Token prefix → resolver. ``huicui.app.create_app`` receives them (staff and device
# tokens by default) and keeps them in the app's state, where ``authenticate`` finds them.
Resolvers = dict[str, Resolver]


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer …`` value, or ``None`` when it is not one.

    The one reading of the header: the no-change poll in front of Litestar
    (:mod:`huicui.bundles.poll`) must accept exactly the tokens this path accepts.
    """
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and 8 < len(token) < 200 else None


async def authenticate(connection: ASGIConnection) -> Principal | None:
    """The caller's principal, cached on the connection; ``None`` when anonymous."""
    cached = connection.scope.get("state", {}).get("principal", "unset")
    if cached != "unset":
        return cached
    principal = None
    token = bearer_token(connection.headers.get("authorization", ""))
    if token is not None:
        resolvers: Resolvers = connection.app.state.resolvers
        resolver = resolvers.get(token.split("_", 1)[0])
        if resolver is not None:
            principal = await resolver(token)
    connection.scope.setdefault("state", {})["principal"] = principal
    return principal


def principal_of(connection: ASGIConnection) -> Principal:
    """The principal a guard already accepted (handlers call this)."""
    principal = connection.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):
        raise NotAuthorizedException("authentication required")
    return principal


def roles(*allowed: str) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A guard admitting callers whose role is in ``allowed``."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = await authenticate(connection)
        if principal is None:
            refuse_failed(connection)
        if principal.role not in allowed:
            raise PermissionDeniedException(
                f"role {principal.role!r} may not do this; allowed: {', '.join(allowed)}"
            )

    guard.roles = frozenset(allowed)  # type: ignore[attr-defined]
    guard.__name__ = "roles_" + "_".join(allowed)
    return guard


def refuse_failed(connection: ASGIConnection) -> NoReturn:
    """Refuse a caller without a valid token: 401, or 429 when its address failed too often.

    Only a token that was presented and named nobody counts as a failure (see
    ``huicui.auth.failures``); a call without one is simply anonymous.
    """
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme:
        count_failure(connection, token_kind(token.strip()))
    raise NotAuthorizedException("A valid bearer token is required / 需要有效的令牌")


def count_failure(connection: ASGIConnection, kind: str) -> None:
    """Count one failed credential (a token, an enrollment code) against the caller's
    address; raises 429 once the address failed too often (``huicui.auth.failures``)."""
    limiter: FailedAuthLimiter | None = connection.app.state.get("auth_failures")
    if limiter is None:
        return
    address = connection.client.host if connection.client else "unknown"
    verdict = limiter.failed(address, kind)
    if verdict.limited:
        raise TooManyRequests(
            f"认证失败次数过多，请 {verdict.retry_after} 秒后再试",
            f"Too many failed authentications; try again in {verdict.retry_after} s",
            retry_after=verdict.retry_after,
        )


async def public(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Explicitly open route (health, schema, JWKS, holder card pages)."""
    return None


public.roles = None  # type: ignore[attr-defined]

ANY_STAFF = roles(*STAFF_ROLES)
ADMIN = roles("admin")


async def create_staff_token(name: str, role: str) -> tuple[str, int]:
    """Create a staff token; returns (plain token shown once, id)."""
    if role not in STAFF_ROLES:
        raise ValueError(f"role must be one of {', '.join(STAFF_ROLES)}")
    if not name.strip():
        raise ValueError("a token needs a name (who holds it)")
    token = new_token(STAFF_PREFIX)
    rows = await StaffToken.insert(
        StaffToken(name=name.strip(), role=role, token_hash=hash_token(token), prefix=token[:8])
    ).returning(StaffToken.id)
    return token, rows[0]["id"]
