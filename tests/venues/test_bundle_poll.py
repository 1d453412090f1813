"""The no-change poll (huicui.bundles.poll): a 304 from memory that touches no database,
answers as the full path does, and leaves every refusal to the full path."""

from __future__ import annotations

import contextlib

import msgspec
import pytest
from huicui_test_support.venues import Clock, bearer, device, venue

POLLS = ("/api/v1/bundle", "/api/v1/bundle/heartbeat.cbor")


class DatabaseUse:
    """Counts every query and every connection of the database engine, Piccolo's and
    ``huicui.db.bulk``'s, while active."""

    def __init__(self) -> None:
        self.queries = 0
        self.connections = 0


@contextlib.contextmanager
def database_use(monkeypatch):
    import huicui.db.bulk as bulk
    from piccolo.engine.finder import engine_finder

    engine = engine_finder()
    used = DatabaseUse()

    def counting(name: str, kind: str):
        # On the class: the engines have slots, their instances take no attributes.
        original = getattr(type(engine), name, None)
        if original is None:  # the other engine's method
            return

        def wrapper(self, *args, **kwargs):
            setattr(used, kind, getattr(used, kind) + 1)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(type(engine), name, wrapper)

    for name in ("run_querystring", "run_ddl"):
        counting(name, "queries")
    for name in ("get_connection", "_run_in_new_connection", "_run_in_pool", "transaction"):
        counting(name, "connections")
    original_execute = bulk._execute

    async def execute(*args, **kwargs):
        used.queries += 1
        return await original_execute(*args, **kwargs)

    monkeypatch.setattr(bulk, "_execute", execute)
    # The suite runs without a connection pool (HUICUI_DATABASE_POOL_SIZE=0), so every
    # query outside a transaction opens a connection: the counts above see them all.
    assert getattr(engine, "pool", None) is None
    yield used


@pytest.fixture
def poll_settings(settings):
    # The suite asks the database at every poll (HUICUI_BUNDLE_CHECK_SECONDS=0); the poll
    # path under test is the one the service runs with, where checks have an interval.
    return msgspec.structs.replace(
        settings, bundle=msgspec.structs.replace(settings.bundle, check_seconds=2.0)
    )


class FullPath:
    """Counts the requests that reach Litestar behind the no-change poll."""

    def __init__(self, app) -> None:
        from huicui.bundles.poll import NoChangePoll

        assert isinstance(app.asgi_handler, NoChangePoll)
        self.calls = 0
        self._inner = app.asgi_handler.app
        app.asgi_handler.app = self

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        await self._inner(scope, receive, send)


def _hold_clocks(app) -> tuple[Clock, Clock]:
    from huicui.bundles.builder import bundle_service

    ctx = app.state.ctx
    tokens, bundles = Clock(), Clock()
    ctx.device_tokens.clock = tokens
    bundle_service(ctx).clock = bundles
    return tokens, bundles


async def _enrolled(client, tokens) -> tuple[dict, dict[str, str], str]:
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    h = bearer(e["token"])
    first = await client.get("/api/v1/bundle", headers=h)
    assert first.status_code == 200, first.text
    return e, h, first.headers["etag"]


async def test_a_no_change_poll_opens_no_database_connection(db, poll_settings, tokens,
                                                             monkeypatch):
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    app = create_app(poll_settings)
    held_tokens, held_bundles = _hold_clocks(app)
    async with AsyncTestClient(app=app) as client:
        _, h, etag = await _enrolled(client, tokens)
        # Both memories filled and fresh (the counter and the change stamp just read).
        assert (await client.get("/api/v1/bundle", headers={**h, "If-None-Match": etag})
                ).status_code == 304
        litestar = FullPath(app)
        with database_use(monkeypatch) as used:
            for n in range(60):
                path = POLLS[n % 2] if n % 3 else "/bundle/heartbeat.cbor"
                r = await client.get(path, headers={**h, "If-None-Match": etag})
                assert r.status_code == 304 and r.content == b""
                assert r.headers["etag"] == etag
        assert (used.queries, used.connections, litestar.calls) == (0, 0, 0)
        # When the checks fall due, the next poll asks the database (once each), then
        # answers from memory again.
        held_tokens.now += poll_settings.sync.device_check_seconds
        held_bundles.now += poll_settings.bundle.check_seconds
        with database_use(monkeypatch) as used:
            r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": etag})
            assert r.status_code == 304
            asked = used.queries
            assert asked >= 2  # the device counter and the change stamp
            for _ in range(10):
                r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": etag})
                assert r.status_code == 304
            assert used.queries == asked


async def test_the_quick_304_answers_as_the_full_path_does(db, poll_settings, tokens):
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    app = create_app(poll_settings)
    _hold_clocks(app)
    async with AsyncTestClient(app=app) as client:
        _, h, etag = await _enrolled(client, tokens)
        litestar = FullPath(app)
        for n, path in enumerate((*POLLS, "/bundle/heartbeat.cbor")):
            quick = await client.get(path, headers={**h, "If-None-Match": etag})
            assert litestar.calls == n
            # A query string sends the same poll down the full path (routing, guard,
            # handler).
            full = await client.get(f"{path}?via=full", headers={**h, "If-None-Match": etag})
            assert litestar.calls == n + 1
            assert quick.status_code == full.status_code == 304
            assert quick.content == full.content == b""
            same = {k: v for k, v in quick.headers.items() if k != "x-request-id"}
            assert same == {k: v for k, v in full.headers.items() if k != "x-request-id"}
            assert quick.headers["x-request-id"] != full.headers["x-request-id"]
            assert len(quick.headers["x-request-id"]) == 16
        # The scheme's case does not matter, as on the full path.
        lower = {"Authorization": "bearer " + h["Authorization"].split(" ", 1)[1]}
        r = await client.get("/api/v1/bundle", headers={**lower, "If-None-Match": etag})
        assert r.status_code == 304 and litestar.calls == 3
        # Another ETag, or none: the whole heartbeat, from the full path.
        r = await client.get("/api/v1/bundle", headers={**h, "If-None-Match": '"other"'})
        assert r.status_code == 200 and r.headers["etag"] == etag and r.content
        r = await client.get("/api/v1/bundle/heartbeat.cbor", headers=h)
        assert r.status_code == 200 and r.content
        assert litestar.calls == 5


async def test_refusals_take_the_full_path_with_problem_documents(db, poll_settings, tokens):
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    app = create_app(poll_settings)
    _hold_clocks(app)
    async with AsyncTestClient(app=app) as client:
        _, h, etag = await _enrolled(client, tokens)
        match = {"If-None-Match": etag}
        for path in POLLS:
            for headers, status in (
                (match, 401),  # no token
                ({**match, **bearer("hcd_" + "x" * 40)}, 401),  # a token nobody holds
                ({**match, "Authorization": h["Authorization"][:-1]}, 401),  # cut short
                ({**match, **tokens.h("admin")}, 403),  # staff: the wrong role
            ):
                r = await client.get(path, headers=headers)
                assert r.status_code == status, (path, headers, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["status"] == status
        # The public copy needs no token.
        r = await client.get("/bundle/heartbeat.cbor", headers=match)
        assert r.status_code == 304 and r.headers["etag"] == etag


async def test_a_disabled_device_is_refused_at_once_here_and_within_the_bound_elsewhere(
    db, poll_settings, tokens
):
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    here, there = create_app(poll_settings), create_app(poll_settings)  # two processes
    _hold_clocks(here)
    there_tokens, there_bundles = _hold_clocks(there)
    bound = poll_settings.sync.device_check_seconds
    async with AsyncTestClient(app=here) as a, AsyncTestClient(app=there) as b:
        e, h, etag = await _enrolled(a, tokens)
        poll = {**h, "If-None-Match": etag}
        assert (await b.get("/api/v1/bundle", headers=poll)).status_code == 304
        for client in (a, b):  # both answer from memory now
            assert (await client.get("/api/v1/bundle", headers=poll)).status_code == 304
        r = await a.post(f"/api/v1/devices/{e['device']['id']}/disable",
                         headers=tokens.h("admin"), json={"reason": "丢失 / lost"})
        assert r.status_code == 200
        r = await a.get("/api/v1/bundle", headers=poll)
        assert r.status_code == 401 and r.json()["status"] == 401  # here: at once
        assert (await b.get("/api/v1/bundle", headers=poll)).status_code == 304
        there_tokens.now += bound
        there_bundles.now += poll_settings.bundle.check_seconds
        for path in POLLS:  # there: within the bound, on both poll paths
            r = await b.get(path, headers=poll)
            assert r.status_code == 401 and r.json()["status"] == 401
        r = await a.post(f"/api/v1/devices/{e['device']['id']}/enable",
                         headers=tokens.h("admin"), json={})
        assert r.status_code == 200
        assert (await a.get("/api/v1/bundle", headers=poll)).status_code == 304
