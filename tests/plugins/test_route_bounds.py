"""Every plugin route refuses out-of-range ids, offsets and limits with a 400 problem,
in the path, the query and the JSON body, on SQLite and PostgreSQL alike: the values
never reach the database, where they would overflow a column and answer 500.

The walk finds the routes, their integer parameters and their body fields itself, so a
new plugin route is covered the day it is added (a new body shape needs a valid sample
below, or the walk fails and says so)."""

from __future__ import annotations

import datetime as dt
import re
import types
import typing

import msgspec
from huicui.http import MAX_ID

HUGE = 36893488147419103231  # 2**65 - 1: beyond every integer column and 64-bit reader
PATH_VALUES = [0, MAX_ID + 1, 2**63, HUGE]
QUERY_AND_BODY_VALUES = [-1, MAX_ID + 1, 2**63, HUGE]
SKIPPED_PARAMETERS = {"self", "ctx", "request", "data", "state", "headers", "cookies"}
PATH_INT = re.compile(r"\{(\w+):int\}")


def tomorrow_at(hour: int) -> str:
    day = dt.date.today() + dt.timedelta(days=1)
    tz = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz).isoformat()


# A valid body of each shape a plugin route takes (what a registrar would send).
SAMPLES: dict[str, dict[str, typing.Any]] = {
    "ApplicationIn": {"membership_id": 1, "target": "实验小学", "note": "二年级"},
    "BookingIn": {"membership_id": 1, "workstation": "一楼会议室", "starts_at": tomorrow_at(9),
                  "ends_at": tomorrow_at(10), "purpose": "座谈", "attendees": 3},
    "DecisionIn": {"reason": "材料齐全"},
    "CancelIn": {"reason": "改期"},
}


def unwrap(annotation: typing.Any) -> typing.Any:
    """``Annotated[int | None, ...]`` → ``int``; other types as they are."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return unwrap(args[0])
    return annotation


def body_struct(handler) -> type[msgspec.Struct] | None:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    found = unwrap(data.annotation)
    assert isinstance(found, type) and issubclass(found, msgspec.Struct), found
    return found


def plugin_handlers(app, plugins) -> list[tuple[str, str, typing.Any]]:
    """(path, method, handler) of every route a loaded plugin added."""
    roots = {p.module.split(".")[0] for p in plugins.report().loaded}
    out = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.fn.__module__.split(".")[0] not in roots:
                continue
            for method in sorted(handler.http_methods):
                out.append((route.path, method, handler))
    return out


def cases(app, plugins) -> list[tuple[str, str, str, str, dict, dict, int]]:
    """(label, method, location, name, path ids, query, body) per integer and bad value."""
    found = []
    for path, method, handler in plugin_handlers(app, plugins):
        in_path = PATH_INT.findall(path)
        ok_path = {name: 1 for name in in_path}
        struct = body_struct(handler)
        sample = None
        if struct is not None:
            assert struct.__name__ in SAMPLES, f"add a valid sample body for {struct.__name__}"
            sample = SAMPLES[struct.__name__]
        for name in in_path:
            for value in PATH_VALUES:
                found.append((method, path, "path", name, {**ok_path, name: value}, {}, sample))
        for name, parameter in handler.parsed_fn_signature.parameters.items():
            if name in SKIPPED_PARAMETERS or name in in_path:
                continue
            if unwrap(parameter.annotation) is not int:
                continue
            query = getattr(parameter.kwarg_definition, "query", None) or name
            for value in QUERY_AND_BODY_VALUES:
                found.append((method, path, "query", query, ok_path, {query: value}, sample))
        if struct is not None:
            for field in msgspec.structs.fields(struct):
                if unwrap(field.type) is not int:
                    continue
                for value in QUERY_AND_BODY_VALUES:
                    found.append((method, path, "body", field.name, ok_path, {},
                                  {**sample, field.name: value}))
    return found


def url(path: str, ids: dict[str, int]) -> str:
    return PATH_INT.sub(lambda m: str(ids[m.group(1)]), path)


async def test_every_plugin_route_refuses_out_of_range_integers(app, client, tokens):
    plugins = app.state.ctx.plugins
    walked = cases(app, plugins)
    routes = {(method, path) for method, path, *_ in walked}
    # The built-ins' routes are all walked (a route with no integer would not show here).
    for prefix in ("/api/v1/housing/applications", "/api/v1/school/applications"):
        assert {("GET", prefix), ("POST", prefix), ("GET", prefix + "/{application_id:int}"),
                ("POST", prefix + "/{application_id:int}/approve"),
                ("POST", prefix + "/{application_id:int}/reject"),
                ("POST", prefix + "/{application_id:int}/withdraw")} <= routes
    bookings = "/api/v1/workstation/bookings"
    assert {("GET", bookings), ("POST", bookings), ("GET", bookings + "/{booking_id:int}"),
            ("POST", bookings + "/{booking_id:int}/cancel")} <= routes
    where = {(location, name) for _, _, location, name, *_ in walked}
    assert {("query", "offset"), ("query", "limit"), ("query", "membership_id"),
            ("body", "membership_id"), ("body", "attendees"), ("path", "application_id"),
            ("path", "booking_id")} <= where

    admin = tokens.h("admin")
    wrong = []
    for method, path, location, name, ids, query, body in walked:
        r = await client.request(method, url(path, ids), params=query, json=body, headers=admin)
        value = {**ids, **query, **(body or {})}[name]
        label = f"{method} {url(path, ids)} {location} {name}={value}"
        if r.status_code != 400 or not r.headers["content-type"].startswith(
                "application/problem+json"):
            wrong.append(f"{label}: {r.status_code} {r.text[:120]}")
            continue
        problem = r.json()
        if problem["code"] != "validation_failed" or not problem["title_zh"]:
            wrong.append(f"{label}: {problem}")
        elif name not in str(problem["errors"]) and name not in problem["detail"]:
            wrong.append(f"{label}: the problem does not name {name}: {problem}")
    assert wrong == []


async def test_the_sample_bodies_are_valid_so_only_the_integer_is_refused(app, client, tokens):
    """With in-range values the same requests pass validation (404: no such member/record)."""
    admin = tokens.h("admin")
    for path, method, handler in plugin_handlers(app, app.state.ctx.plugins):
        struct = body_struct(handler)
        body = SAMPLES[struct.__name__] if struct else None
        target = url(path, {name: 1 for name in PATH_INT.findall(path)})
        params = {"offset": 0, "limit": 500, "membership_id": MAX_ID} if method == "GET" else {}
        r = await client.request(method, target, params=params, json=body, headers=admin)
        assert r.status_code in (200, 404), (method, target, r.status_code, r.text[:200])
