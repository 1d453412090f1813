"""The Litestar application, built per call (no module-global app or plugin manager).

This module is the one place the service is wired: the context (settings, vault,
plugins, membership listeners), the token resolvers, the route list, error handlers,
middleware and OpenAPI. ``docs/architecture.md`` draws the request path through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ControllerRouterHandler

from huicui import __version__
from huicui.api_docs import LocalSwaggerUI, docs_router
from huicui.audit.controller import AuditController
from huicui.auth import DEVICE_PREFIX, STAFF_PREFIX, Resolvers, public, resolve_staff
from huicui.auth.failures import FailedAuthLimiter
from huicui.benefits.controller import BenefitController
from huicui.bundles.controller import BUNDLE_ROUTES
from huicui.bundles.poll import NoChangePoll
from huicui.context import Context
from huicui.db import connection_pool
from huicui.directories.controller import DirectoryController
from huicui.errors import EXCEPTION_HANDLERS
from huicui.http import InputGuardMiddleware, provide_ctx
from huicui.identities.controller import IdentityController
from huicui.issuance.certificates import on_membership_change
from huicui.issuance.controller import ROUTE_HANDLERS as ISSUANCE_ROUTES
from huicui.memberships.controller import MembershipController
from huicui.misuse.controller import MisuseController
from huicui.misuse.scan import MisuseDetector
from huicui.plugins.manager import BenefitPlugins
from huicui.reports.controller import get_settlement
from huicui.request_ids import RequestIdMiddleware
from huicui.settings import Settings, load_settings
from huicui.sync.controller import list_synced_redemptions, sync_redemptions
from huicui.sync.outbox import OutboxWorker
from huicui.vault import DataVault, load_data_key
from huicui.venues.controller import DeviceController, PartnerController, VenueController
from huicui.venues.device_tokens import DeviceTokens
from huicui.venues.devices import device_principal
from huicui.verify_page import verify_router

log = logging.getLogger("huicui")

# Libraries whose debug records carry SQL parameters (personal data).
QUIET_LOGGERS = ("aiosqlite", "asyncpg", "piccolo", "sqlite3")


def default_resolvers(ctx: Context) -> Resolvers:
    """Bearer token prefix → who it names: staff, and devices from the app's memory.

    Tests may pass others to ``create_app``.
    """
    return {STAFF_PREFIX: resolve_staff, DEVICE_PREFIX: functools.partial(device_principal, ctx)}


@get("/health", guards=[public], tags=["meta"], summary="Liveness and database check")
async def health(ctx: NamedDependency[Context]) -> dict[str, object]:
    from huicui.directories.tables import Directory

    await Directory.count()
    # Counts only: which plugin failed and why is for staff (GET /api/v1/benefits/plugins).
    report = ctx.plugins.report()
    return {
        "status": "ok",
        "version": __version__,
        "program": ctx.settings.program.code,
        "plugins": {"loaded": len(report.loaded), "failed": len(report.failed)},
    }


# Every core route, in one list. Plugins add theirs through the ``huicui_routes`` hook.
ROUTES: list[ControllerRouterHandler] = [
    health,
    IdentityController,
    MembershipController,
    DirectoryController,
    AuditController,
    BenefitController,
    PartnerController,
    VenueController,
    DeviceController,
    *BUNDLE_ROUTES,
    sync_redemptions,
    list_synced_redemptions,
    *ISSUANCE_ROUTES,
    MisuseController,
    get_settlement,
    verify_router(),
]


def build_context(settings: Settings, plugins: BenefitPlugins | None = None) -> Context:
    """Everything the services need, from settings (secrets are read here).

    The app, every ``huicui`` command and the tests build their context here, so a
    command behaves as the service does. ``plugins`` may be a ready manager (tests pass
    one with chosen plugins); otherwise the installed ones are loaded.
    """
    ctx = Context(
        settings=settings,
        vault=DataVault(load_data_key(settings.secrets)),
        plugins=plugins if plugins is not None else BenefitPlugins.load(settings),
    )
    ctx.device_tokens = DeviceTokens(settings.sync.device_check_seconds)
    ctx.membership_listeners.append(on_membership_change)
    # Misuse detection is the core's own implementation of the plugins' sync hook.
    ctx.plugins.register_internal(MisuseDetector(ctx), "huicui.misuse")
    return ctx


@asynccontextmanager
async def _background(ctx: Context) -> AsyncIterator[None]:
    """The app's own background work: the sync outbox (docs/sync.md), unless
    ``sync.outbox_in_process`` is off, and batched writes of devices' last-seen times."""
    assert ctx.device_tokens is not None
    worker = None
    if ctx.settings.sync.outbox_in_process:
        worker = ctx.outbox = OutboxWorker(ctx)
        worker.start()
    flusher = asyncio.get_running_loop().create_task(
        ctx.device_tokens.run_flusher(ctx.settings.sync.seen_flush_seconds)
    )
    try:
        yield
    finally:
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        if worker is not None:
            ctx.outbox = None
            await worker.stop()
        await ctx.device_tokens.flush_seen()


def create_app(
    settings: Settings | None = None,
    *,
    plugins: BenefitPlugins | None = None,
    resolvers: Resolvers | None = None,
) -> Litestar:
    """Build the service. ``plugins`` may be a ready plugin manager (tests pass one);
    ``resolvers`` map bearer-token prefixes to who they name (default: staff, device)."""
    settings = settings or load_settings()
    ctx = build_context(settings, plugins)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        from piccolo.engine.finder import engine_finder

        if warning := settings.server.base_url_warning():
            log.warning("%s", warning)
        async with connection_pool(engine_finder(), settings.database.pool_size):
            from huicui.issuance.keys import ensure_keys_at_startup

            await ensure_keys_at_startup(ctx)
            async with _background(ctx):
                yield

    app = Litestar(
        route_handlers=[*ROUTES, *ctx.plugins.route_handlers(ctx)],
        # Every handler that needs the context names a ``ctx`` parameter; this is the
        # only way handlers get it.
        dependencies={"ctx": Provide(provide_ctx, sync_to_thread=False)},
        state=State({
            "ctx": ctx,
            "resolvers": dict(resolvers or default_resolvers(ctx)),
            "auth_failures": FailedAuthLimiter(settings.auth),
        }),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        request_max_body_size=settings.server.max_body_bytes,
        # Request ids first, so every answer (a refusal of the guard too) carries one; the
        # guard refuses NUL characters, non-UTF-8 or too deep JSON, wrong media types
        # (400/415/422).
        middleware=[RequestIdMiddleware(), InputGuardMiddleware()],
        openapi_config=OpenAPIConfig(
            title="Huicui 荟萃 API",
            version=__version__,
            description="Roster, certificates (HB1), verifier bundles and sync. "
            "Authenticate with `Authorization: Bearer <token>`.",
            path="/schema",
            # Served from the service itself: no CDN (the page works without internet).
            render_plugins=[LocalSwaggerUI()],
            openapi_router=docs_router("/schema"),
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"bearer": []}],
        ),
        logging_config=LoggingConfig(
            root={"level": settings.server.log_level.upper(), "handlers": ["queue_listener"]},
            # Database drivers log statements and their parameters at debug level (a
            # search for an ID number, say): never below INFO, whatever server.log_level.
            loggers={name: {"level": "INFO"} for name in QUIET_LOGGERS},
            # Refusals (4xx) are answers, not incidents; unexpected errors are logged by
            # huicui.errors without their message (it might quote personal data).
            log_exceptions="debug",
        ),
        debug=False,
    )
    if resolvers is None:
        # The no-change bundle poll is answered in front of routing, from the same
        # memories the device resolver and the bundle service keep (huicui.bundles.poll);
        # with other resolvers (tests) every request takes the full path.
        app.asgi_handler = NoChangePoll(app.asgi_handler, ctx)
    return app


def app_factory() -> Litestar:
    """Entry for ``uvicorn --factory huicui.app:app_factory``."""
    return create_app()


__all__ = ["ROUTES", "app_factory", "build_context", "create_app", "default_resolvers"]
