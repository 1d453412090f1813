"""A bare Litestar route: the denominator of every HTTP rate in the bench.

Served by uvicorn exactly as the service is (one process, same flags), so a ratio
against it says what the service's own work costs on top of the framework and server.
"""

from __future__ import annotations

from litestar import Litestar, get


@get("/ping", media_type="text/plain")
async def ping() -> bytes:
    """Two bytes, nothing else: no database, no middleware, no guard."""
    return b"ok"


app = Litestar([ping])
