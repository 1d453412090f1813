"""Every route with an id in its path answers a bad id alike: 400, naming the id, zh + en.

Walks ``app.routes`` (core and installed plugins), so a route added later is covered
without editing this file. ``/identities/abc`` used to be a 404 while ``/identities/0``
was a 400.
"""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

BAD_IDS = ["abc", "0", "-1", "99999999999999999999999", "1e3", "%E5%8F%B7"]
# Not ids: the holder's card token (a public page), the OpenAPI's own files, the
# bundle files, named by their hash or venue as docs/bundle.md lays them out (a name not
# published is a 404 problem, as a web server serving the folder would answer), and the
# verifier page's files (by name, likewise).
NOT_IDS = ("/cards/", "/schema", "/api/v1/bundle/", "/bundle/", "/verify/")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _id_routes(app):
    """(path template, parameter name, method, roles) for every route with a path id."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path_parameters:
            continue
        if route.path.startswith(NOT_IDS):
            continue
        (name,) = route.path_parameters
        for handler in route.route_handlers:
            if handler.http_methods == {"OPTIONS"}:
                continue
            (guard,) = [g for g in handler.resolve_guards() if hasattr(g, "roles")]
            for method in sorted(handler.http_methods):
                yield route.path, name, method, guard.roles


def _who(roles) -> str:
    return "admin" if "admin" in roles else sorted(roles)[0]


async def test_every_path_id_refuses_bad_values_alike(app, client, tokens):
    routes = list(_id_routes(app))
    # Core's and the plugins' id routes at least: a wiring change must not empty the walk.
    assert {"identity_id", "membership_id", "flag_id", "code", "cert_id"} <= {
        name for _, name, _, _ in routes}
    assert len(routes) >= 30
    failures = []
    for template, name, method, roles in routes:
        for bad in BAD_IDS:
            path = re.sub(r"\{\w+:\w+\}", bad, template)
            body = {"reason": "测试理由"} if method in ("POST", "PATCH") else None
            r = await client.request(method, path, json=body, headers=tokens.h(_who(roles)))
            where = f"{method} {template} with {bad!r}"
            if r.status_code != 400 or not r.headers["content-type"].startswith(
                    "application/problem+json"):
                failures.append(f"{where}: {r.status_code} {r.text[:160]}")
                continue
            problem = r.json()
            if not (CJK.search(problem["title_zh"]) and problem["title"] and problem["detail"]):
                failures.append(f"{where}: not in both languages: {problem}")
            if problem["code"] == "bad_certificate_id":  # the one string id: its own check
                continue
            named = [e for e in problem.get("errors", []) if e["key"] == name]
            if problem["code"] != "validation_failed" or not named:
                failures.append(f"{where}: does not name {name}: {problem}")
            elif not (named[0]["source"] == "path" and CJK.search(named[0]["message_zh"])
                      and name in problem["title_zh"] and name in problem["title"]):
                failures.append(f"{where}: {named[0]}")
    assert not failures, "\n".join(failures)


async def test_a_good_id_that_does_not_exist_is_still_404(client, tokens):
    for path in ("/api/v1/identities/2147483647", "/api/v1/benefits/62",
                 "/api/v1/memberships/77"):
        r = await client.get(path, headers=tokens.h("admin"))
        assert r.status_code == 404 and r.json()["title_zh"], (path, r.text)


@pytest.mark.parametrize(("path", "zh"), [
    ("/api/v1/identities/abc", "路径参数 identity_id：应为整数，实际是文本"),
    ("/api/v1/identities/0", "路径参数 identity_id：应为不小于 1 的整数"),
    ("/api/v1/benefits/63", "路径参数 code：应为不大于 62 的整数"),
])
async def test_the_path_id_message(client, tokens, path, zh):
    r = await client.get(path, headers=tokens.h("auditor"))
    assert r.status_code == 400 and zh in r.json()["title_zh"], r.text

