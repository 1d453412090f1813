"""Database engine and migrations: one code path for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import io
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import TransactionType

from huicui.settings import DatabaseSettings

# Core Piccolo apps in migration order; plugins add theirs through the
# ``huicui_piccolo_apps`` hook (see huicui.plugins).
CORE_APPS = [
    "huicui.roster.piccolo_app",
    "huicui.issuance.piccolo_app",
    "huicui.venues.piccolo_app",
    "huicui.misuse.piccolo_app",
    "huicui.sync.piccolo_app",
]


def sqlite_path(url: str) -> Path:
    """``sqlite:///var/x.db`` → ``var/x.db``; ``sqlite:////abs/x.db`` → ``/abs/x.db``."""
    return Path(url[len("sqlite:///") :])


def build_engine(settings: DatabaseSettings) -> Engine:
    """The Piccolo engine for ``database.url``."""
    if settings.url.startswith("sqlite:///"):
        path = sqlite_path(settings.url)
        path.parent.mkdir(parents=True, exist_ok=True)
        from huicui.db.sqlite import PooledSQLiteEngine

        # Another process may hold the write lock while the outbox tells slow plugins:
        # wait up to 30 s for it (sqlite3's default is 5) before "database is locked".
        return PooledSQLiteEngine(path=str(path), timeout=30)
    dsn = settings.url.replace("postgres://", "postgresql://", 1)
    return PostgresEngine(config={"dsn": dsn})


def is_postgres(engine: Engine) -> bool:
    return isinstance(engine, PostgresEngine)


async def migrate(quiet: bool = True) -> None:
    """Run every pending migration of the core and of the installed plugins."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    out = io.StringIO()
    with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
        result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{out.getvalue()}")
    engine = _engine()
    if not is_postgres(engine):
        # WAL lets readers go on while a writer commits; set once, it persists in the file.
        await engine.run_ddl("PRAGMA journal_mode=WAL;")


def _engine() -> Engine:
    from piccolo.engine.finder import engine_finder

    engine = engine_finder()
    if engine is None:
        raise RuntimeError("no Piccolo engine configured")
    return engine


@contextlib.asynccontextmanager
async def connection_pool(engine: Engine, size: int):
    """Keep up to ``size`` connections open for the app's lifetime, on the running loop.

    PostgreSQL: asyncpg's pool. SQLite: open connections lent per query or transaction
    (:mod:`huicui.db.sqlite`) instead of one opened per query. ``size`` 0 means a
    connection per query (the test client runs the app on a second event loop, where a
    pool made on the first would break).
    """
    from huicui.db.sqlite import PooledSQLiteEngine

    if is_postgres(engine) and size > 0 and getattr(engine, "pool", None) is None:
        await engine.start_connection_pool(min_size=1, max_size=size)
        try:
            yield
        finally:
            await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine) and size > 0 and not engine.pooled:
        await engine.start_connection_pool(size)
        try:
            yield
        finally:
            await engine.close_connection_pool()
    else:
        yield


@contextlib.asynccontextmanager
async def one_connection(*, write: bool) -> AsyncIterator[Any]:
    """A transaction, so a handful of queries share one connection; yields it.

    On SQLite every query outside a transaction opens, and closes, a connection of its
    own (a thread, and on the last close a WAL checkpoint): a few queries in one
    transaction cost one of those. ``write`` takes SQLite's write lock at the start
    (``BEGIN IMMEDIATE``), so a transaction that reads and then writes waits for
    another writer instead of failing when it tries to write; writers of one process
    first queue on an asyncio lock, in order, rather than in SQLite's busy wait (which
    sleeps in growing steps and made concurrent uploads' p99 several times their p50).
    Inside a transaction this joins it.
    """
    engine = _engine()
    if is_postgres(engine):
        async with engine.transaction() as transaction:
            yield transaction
        return
    if not write or engine.current_transaction.get() is not None:
        kind = TransactionType.immediate if write else TransactionType.deferred
        async with engine.transaction(transaction_type=kind) as transaction:
            yield transaction
        return
    async with _write_lock():
        async with engine.transaction(transaction_type=TransactionType.immediate) as transaction:
            yield transaction


_WRITE_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _write_lock() -> asyncio.Lock:
    # One per event loop: the test client runs the app on a loop of its own.
    loop = asyncio.get_running_loop()
    lock = _WRITE_LOCKS.get(loop)
    if lock is None:
        lock = _WRITE_LOCKS[loop] = asyncio.Lock()
    return lock
