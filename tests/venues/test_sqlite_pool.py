"""SQLite connections kept open per event loop while the app runs (huicui.db.sqlite)."""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest
from huicui_test_support.members import active_member
from huicui_test_support.venues import bearer, device, record, venue


@pytest.fixture
def sqlite_engine(backend):
    if backend != "sqlite":
        pytest.skip("the pool of open connections is SQLite's; PostgreSQL uses asyncpg's")
    from piccolo.engine.finder import engine_finder

    return engine_finder()


async def test_pooled_connections_keep_wal_and_synchronous_and_roll_back_errors(
    db, sqlite_engine
):
    from huicui.db import connection_pool, one_connection
    from huicui.db.bulk import Params, fetch
    from huicui.directories.tables import Directory

    fresh = await fetch("PRAGMA synchronous", Params())  # a connection of its own
    assert not sqlite_engine.pooled
    async with connection_pool(sqlite_engine, 2):
        assert sqlite_engine.pooled
        assert (await fetch("PRAGMA journal_mode", Params()))[0]["journal_mode"] == "wal"
        assert await fetch("PRAGMA synchronous", Params()) == fresh
        assert (await fetch("PRAGMA foreign_keys", Params()))[0]["foreign_keys"] == 1
        before = await Directory.count()
        with pytest.raises(RuntimeError):
            async with one_connection(write=True):
                await Directory.update({Directory.name_en: "changed"}, force=True)
                raise RuntimeError("undo")
        # The failed transaction was rolled back on its connection, which was lent again.
        assert await Directory.count().where(Directory.name_en == "changed") == 0
        # More queries at once than connections: they wait their turn, none fails.
        counts = await asyncio.gather(*(Directory.count() for _ in range(12)))
        assert counts == [before] * 12
    assert not sqlite_engine.pooled  # closed with the pool; a connection per query again
    assert await Directory.count() == before


async def test_an_app_with_open_connections_serves_and_commits(settings, tokens, sqlite_engine):
    from huicui.app import create_app
    from huicui.sync.outbox import drain
    from huicui.sync.tables import Redemption
    from litestar.testing import AsyncTestClient

    pooled = msgspec.structs.replace(
        settings, database=msgspec.structs.replace(settings.database, pool_size=2))
    app = create_app(pooled)
    async with AsyncTestClient(app=app) as client:  # the pool lives on the client's loop
        m = await active_member(client, tokens)
        v = await venue(client, tokens)
        e = await device(client, tokens, v["id"])
        now = int(time.time())
        batches = [[record(m["cti"], v["id"], now - 100 + i * 3 + j) for j in range(3)]
                   for i in range(6)]
        answers = await asyncio.gather(*(
            client.post("/api/v1/redemptions/sync", headers=bearer(e["token"]),
                        json={"records": b}) for b in batches))
        assert [a.json()["new"] for a in answers] == [3] * 6
        # Read on the test's own loop, through a connection of its own: committed.
        assert await Redemption.count() == 18
        await drain(app.state.ctx)
    assert not sqlite_engine.pooled
