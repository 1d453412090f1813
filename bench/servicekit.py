"""Inside a child process: a fresh, migrated service database and the rows a bench needs.

Everything goes through the service's own functions (migrations, seed, keys, partner,
venue and device enrolment), so the data is what the real service would hold.
"""

from __future__ import annotations

import contextlib
import os
import secrets

PG_ADMIN_DSN = os.environ.get("HUICUI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def bench_principal():
    """The staff member the bench acts as (audit events name it)."""
    from huicui.auth import Principal

    return Principal(kind="cli", id=0, name="bench", role="admin")


async def fresh_service():
    """Migrate and seed the database named by ``HUICUI_DATABASE_URL``; returns the context
    as the app builds it (plugins loaded, keys made)."""
    from huicui.app import build_context
    from huicui.db import migrate
    from huicui.issuance.keys import ensure_keys
    from huicui.seed import seed_defaults
    from huicui.settings import load_settings

    await migrate()
    await seed_defaults()
    ctx = build_context(load_settings())
    await ensure_keys(ctx)
    return ctx


@contextlib.asynccontextmanager
async def service_pool(ctx):
    """The connection pool the app's lifespan opens (PostgreSQL only)."""
    from huicui.db import connection_pool
    from piccolo.engine.finder import engine_finder

    async with connection_pool(engine_finder(), ctx.settings.database.pool_size):
        yield


async def make_device(ctx, kind: str = "scenic", benefits: tuple[int, ...] = (1,)):
    """A partner, a venue of ``kind`` and an enrolled device; returns (principal, token)."""
    from huicui.auth import DEVICE_ROLE, Principal
    from huicui.venues.devices import enroll_device
    from huicui.venues.schemas import DeviceIn, PartnerIn, VenueIn
    from huicui.venues.service import create_partner, create_venue

    actor = bench_principal()
    partner = await create_partner(ctx, actor, PartnerIn(name_zh="银滩旅游公司"))
    venue = await create_venue(
        ctx,
        actor,
        VenueIn(
            partner_id=partner.id,
            name_zh="银滩景区南门",
            name_en="Silver Beach, south gate",
            kind=kind,
            benefits=list(benefits),
        ),
    )
    enrolled = await enroll_device(ctx, actor, DeviceIn(venue_id=venue.id, name="gate-1"))
    principal = Principal(
        kind="device",
        id=enrolled.device.id,
        name=enrolled.device.name,
        role=DEVICE_ROLE,
        venue_id=venue.id,
    )
    return principal, enrolled.token


async def pg_create() -> tuple[str, str]:
    """A throw-away PostgreSQL database; returns (name, url). Raises when no server answers."""
    import asyncpg

    name = f"huicui_bench_{os.getpid()}_{secrets.token_hex(3)}"
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"


async def pg_drop(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
