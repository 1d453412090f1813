"""Database engine and migrations: one code path for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from huicui.settings import DatabaseSettings

# Core Piccolo apps in migration order; plugins add theirs through the
# ``huicui_piccolo_apps`` hook (see huicui.plugins).
CORE_APPS = [
    "huicui.roster.piccolo_app",
    "huicui.issuance.piccolo_app",
    "huicui.venues.piccolo_app",
    "huicui.misuse.piccolo_app",
]


def sqlite_path(url: str) -> Path:
    """``sqlite:///var/x.db`` → ``var/x.db``; ``sqlite:////abs/x.db`` → ``/abs/x.db``."""
    return Path(url[len("sqlite:///") :])


def build_engine(settings: DatabaseSettings) -> Engine:
    """The Piccolo engine for ``database.url``."""
    if settings.url.startswith("sqlite:///"):
        path = sqlite_path(settings.url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path))
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
    """Open a pool on PostgreSQL for the app's lifetime; nothing to do on SQLite.

    ``size`` 0 means a connection per query (the test client runs the app on a
    second event loop, where a pool made on the first would break).
    """
    if is_postgres(engine) and size > 0 and getattr(engine, "pool", None) is None:
        await engine.start_connection_pool(min_size=1, max_size=size)
        try:
            yield
        finally:
            await engine.close_connection_pool()
    else:
        yield


def one_connection(*, write: bool) -> Any:
    """A transaction, so a handful of queries share one connection.

    On SQLite every query outside a transaction opens, and closes, a connection of its
    own (a thread, and on the last close a WAL checkpoint): a few queries in one
    transaction cost one of those. ``write`` takes SQLite's write lock at the start
    (``BEGIN IMMEDIATE``), so a transaction that reads and then writes waits for
    another writer instead of failing when it tries to write.
    """
    engine = _engine()
    if is_postgres(engine):
        return engine.transaction()
    kind = TransactionType.immediate if write else TransactionType.deferred
    return engine.transaction(transaction_type=kind)
