"""Piccolo's SQLite engine with connections kept open while the app runs.

Piccolo's ``SQLiteEngine`` opens a connection for every query outside a transaction,
and for every transaction: with aiosqlite that is a new thread, the file opened, a
``PRAGMA foreign_keys`` and, on the last close, a WAL checkpoint. Measured here
(aiosqlite 0.22, a one-row primary-key read): 626 µs with a new connection against 68 µs
on an open one. A device poll or an upload does a handful of queries, so that was most
of its database time.

:class:`PooledSQLiteEngine` keeps up to ``database.pool_size`` connections open **per
event loop** for as long as the app's lifespan runs (``huicui.db.connection_pool``), and
lends one to each query or transaction. Per loop, because an aiosqlite connection
answers on the loop that opened it: the test client runs the app on a second loop,
and queries made on the test's own loop (or anywhere no pool was started) keep
Piccolo's connection per query. Nothing about durability changes: the file stays in WAL
mode and each connection keeps SQLite's default ``synchronous`` (FULL), the setting
the service always ran with; a commit is on disk before the answer, as before.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory


class _Lent:
    """A pooled connection as Piccolo's code sees it: ``close`` gives it back."""

    __slots__ = ("_connection", "_pool")

    def __init__(self, connection: aiosqlite.Connection, pool: _Pool) -> None:
        self._connection = connection
        self._pool = pool

    def execute(self, sql: str, parameters: Any = None) -> Any:
        return self._connection.execute(sql, parameters)

    @property
    def row_factory(self) -> Any:
        return self._connection.row_factory

    @row_factory.setter
    def row_factory(self, value: Any) -> None:
        self._connection.row_factory = value

    async def commit(self) -> None:
        await self._connection.commit()

    async def close(self) -> None:
        await self._pool.release(self._connection)


class _Pool:
    def __init__(self, engine: SQLiteEngine, size: int) -> None:
        self._engine = engine
        self._size = size
        self._idle: list[aiosqlite.Connection] = []
        self._open = 0
        self._freed = asyncio.Condition()
        self._closed = False

    async def _new(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self._engine.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def acquire(self) -> _Lent:
        async with self._freed:
            while not self._idle and self._open >= self._size:
                await self._freed.wait()
            if self._idle:
                return _Lent(self._idle.pop(), self)
            self._open += 1
        try:
            return _Lent(await self._new(), self)
        except BaseException:
            async with self._freed:
                self._open -= 1
                self._freed.notify()
            raise

    async def release(self, connection: aiosqlite.Connection) -> None:
        healthy = not self._closed
        if healthy and connection.in_transaction:
            try:  # a transaction left open by an error must not reach the next borrower
                await connection.execute("ROLLBACK")
            except sqlite3.Error:
                healthy = False
        if not healthy:
            await connection.close()
        async with self._freed:
            if healthy:
                self._idle.append(connection)
            else:
                self._open -= 1
            self._freed.notify()

    async def close(self) -> None:
        self._closed = True
        async with self._freed:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for connection in idle:
            await connection.close()


class _Transaction(SQLiteTransaction):
    async def __aenter__(self) -> SQLiteTransaction:
        try:
            return await super().__aenter__()
        except BaseException:
            # BEGIN failed (the database stayed locked): Piccolo would leave the
            # connection open; give it back, or the pool would shrink by one.
            connection = getattr(self, "connection", None)
            if connection is not None:
                await connection.close()
            raise


class PooledSQLiteEngine(SQLiteEngine):
    """``SQLiteEngine`` that lends open connections while a pool runs on this loop."""

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._pools: dict[asyncio.AbstractEventLoop, _Pool] = {}

    def _pool(self) -> _Pool | None:
        if not self._pools:
            return None
        return self._pools.get(asyncio.get_running_loop())

    @property
    def pooled(self) -> bool:
        """Whether queries on the running loop borrow open connections."""
        return self._pool() is not None

    async def start_connection_pool(self, size: int) -> None:
        """Keep up to ``size`` connections open for queries on the running loop."""
        loop = asyncio.get_running_loop()
        if loop not in self._pools:
            self._pools[loop] = _Pool(self, size)

    async def close_connection_pool(self) -> None:
        """Close the running loop's connections (each lent one as it comes back)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()

    async def get_connection(self) -> Any:
        pool = self._pool()
        if pool is None:
            return await super().get_connection()
        return await pool.acquire()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        pool = self._pool()
        if pool is None or (query_type == "insert" and self.get_version_sync() < 3.35):
            return await super()._run_in_new_connection(query, args, query_type, table)
        lent = await pool.acquire()
        try:
            # isolation_level None: the statement commits by itself, as Piccolo's does.
            async with lent.execute(query, args or []) as cursor:
                return await cursor.fetchall()
        finally:
            await lent.close()

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if not isinstance(connection, _Lent) or (
            query_type == "insert" and self.get_version_sync() < 3.35
        ):
            return await super()._run_in_existing_connection(
                connection, query, args, query_type, table
            )
        # A pooled connection had foreign keys switched on when it was opened; Piccolo
        # repeats that PRAGMA before every query in a transaction.
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _Transaction(self, transaction_type=transaction_type, allow_nested=allow_nested)
