"""Every registered route refuses an anonymous call (401) and a wrong-role call (403).

Written against ``app.routes`` so routes that features and plugins add later are
covered without editing this file. A route's access is read from the ``.roles``
attribute that ``huicui.auth.roles()`` puts on its guard.
"""

from __future__ import annotations

import re

from huicui.auth import STAFF_ROLES
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

ROLE_TOKENS = {"admin": "admin", "registrar": "registrar", "reviewer": "reviewer",
               "auditor": "auditor"}


def _is_auto_options(handler: HTTPRouteHandler) -> bool:
    # Litestar adds an OPTIONS handler to every path for CORS pre-flight.
    return handler.http_methods == {"OPTIONS"} and handler.handler_name == "options_handler"


def _handlers(app):
    """(path template, method, handler) for every HTTP handler a client can reach.

    ``/schema`` is Litestar's OpenAPI (public by design, no guard of ours).
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/schema"):
            continue
        for handler in route.route_handlers:
            if _is_auto_options(handler):
                continue
            for method in sorted(handler.http_methods):
                yield route.path, method, handler


def _concrete(path: str) -> str:
    def fill(match: re.Match) -> str:
        kind = match.group(2)
        return {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}.get(kind, "x")

    return re.sub(r"\{(\w+):(\w+)\}", fill, path)


def _access_guards(handler: HTTPRouteHandler) -> list:
    return [g for g in handler.resolve_guards() if hasattr(g, "roles")]


def _assert_problem(r, status: int) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["code"] and body["title_zh"]


async def test_every_handler_has_exactly_one_access_guard(app):
    missing = []
    for path, method, handler in _handlers(app):
        guards = handler.resolve_guards()
        access = _access_guards(handler)
        if len(access) != 1 or len(guards) != 1:
            missing.append(f"{method} {path}: {len(access)} access guards of {len(guards)}")
    assert not missing, "\n".join(missing)


async def test_only_schema_and_meta_routes_are_public(app, client):
    public_paths = sorted(
        {path for path, _, handler in _handlers(app)
         if [g.roles for g in _access_guards(handler)] == [None]}
    )
    # /bundle/: the published bundle files, public by design (no personal data; any CDN
    # may carry them, docs/bundle.md); exactly that one path, the API copy needs a token.
    unexpected = [p for p in public_paths
                  if not (p in ("/health", "/bundle/{name:path}")
                          or p == "/api/v1/devices/enrollment"
                          or p.startswith(("/.well-known/", "/cards/", "/verify")))]
    assert not unexpected, f"public routes outside the expected set: {unexpected}"
    assert "/health" in public_paths
    assert not any(p.startswith("/api/v1/bundle") for p in public_paths)
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200 and "/api/v1/identities/import" in r.json()["paths"]


async def test_anonymous_calls_get_401(client, app, settings):
    import msgspec
    from huicui.auth.failures import FailedAuthLimiter

    # One foreign token per route is more than auth.max_failures: this test is about each
    # route's answer, the limit has its own (tests/api/test_auth_failures.py).
    app.state.auth_failures = FailedAuthLimiter(
        msgspec.structs.replace(settings.auth, max_failures=100_000))
    checked = 0
    for path, method, handler in _handlers(app):
        (guard,) = _access_guards(handler)
        if guard.roles is None:
            continue
        r = await client.request(method, _concrete(path))
        _assert_problem(r, 401)
        # A token that is not ours is no better than none.
        r = await client.request(method, _concrete(path),
                                 headers={"Authorization": "Bearer hcs_not-a-real-token-000"})
        _assert_problem(r, 401)
        checked += 1
    assert checked >= 15


async def test_wrong_staff_role_gets_403(client, app, tokens):
    checked = 0
    for path, method, handler in _handlers(app):
        (guard,) = _access_guards(handler)
        if guard.roles is None:
            continue
        outsiders = [role for role in STAFF_ROLES if role not in guard.roles]
        for role in outsiders:
            r = await client.request(method, _concrete(path), headers=tokens.h(ROLE_TOKENS[role]))
            _assert_problem(r, 403)
            checked += 1
    assert checked >= 20


async def test_staff_only_routes_refuse_a_device(client, app, device_headers):
    """Routes open to every staff role must still refuse a venue device's token."""
    checked = 0
    for path, method, handler in _handlers(app):
        (guard,) = _access_guards(handler)
        if guard.roles is None or "device" in guard.roles:
            continue
        r = await client.request(method, _concrete(path), headers=device_headers)
        _assert_problem(r, 403)
        checked += 1
    assert checked >= 15


async def test_device_routes_refuse_staff(client, app, tokens):
    device_routes = [(p, m, h) for p, m, h in _handlers(app)
                     if (g := _access_guards(h)[0]).roles is not None and "device" in g.roles]
    # The bundle and the sync upload at least: a wiring regression must fail, not skip.
    assert {("/api/v1/bundle", "GET"), ("/api/v1/redemptions/sync", "POST")} <= {
        (p, m) for p, m, _ in device_routes}
    for path, method, _ in device_routes:
        for role in STAFF_ROLES:
            r = await client.request(method, _concrete(path), headers=tokens.h(ROLE_TOKENS[role]))
            _assert_problem(r, 403)
