"""The Litestar application, built per call (no module-global app or plugin manager)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from huicui import __version__
from huicui.audit_controller import AuditController
from huicui.auth import public
from huicui.context import Context
from huicui.db import connection_pool
from huicui.directories.controller import DirectoryController
from huicui.errors import EXCEPTION_HANDLERS
from huicui.http import InputGuardMiddleware
from huicui.identities.controller import IdentityController
from huicui.memberships.controller import MembershipController
from huicui.settings import Settings, load_settings
from huicui.vault import DataVault, load_data_key

log = logging.getLogger("huicui")


@get("/health", guards=[public], tags=["meta"], summary="Liveness and database check")
async def health(state: State) -> dict[str, object]:
    from huicui.roster.tables import Directory

    await Directory.count()
    ctx: Context = state.ctx
    out: dict[str, object] = {
        "status": "ok",
        "version": __version__,
        "program": ctx.settings.program.code,
    }
    if ctx.plugins is not None:
        # Counts only: which plugin failed and why is for staff (GET /api/v1/benefits/plugins).
        report = ctx.plugins.report()
        out["plugins"] = {"loaded": len(report.loaded), "failed": len(report.failed)}
    return out


def build_context(settings: Settings) -> Context:
    """Everything the services need, from settings (secrets are read here)."""
    return Context(settings=settings, vault=DataVault(load_data_key(settings.secrets)))


# Route handlers and start-up steps that other core modules contribute. Each
# feature module appends itself in ``huicui.features``; keeps this file short.
def core_route_handlers() -> list:
    from huicui.features import route_handlers

    return [
        health,
        IdentityController,
        MembershipController,
        DirectoryController,
        AuditController,
        *route_handlers(),
    ]


def create_app(settings: Settings | None = None, *, plugins: object | None = None) -> Litestar:
    """Build the service. ``plugins`` may be a ready plugin manager (tests pass one)."""
    settings = settings or load_settings()
    ctx = build_context(settings)
    from huicui.features import setup_context

    setup_context(ctx, plugins)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        from piccolo.engine.finder import engine_finder

        async with connection_pool(engine_finder(), settings.database.pool_size):
            from huicui.issuance.keys import ensure_keys_at_startup

            await ensure_keys_at_startup(ctx)
            yield

    extra_handlers = ctx.plugins.route_handlers(ctx) if ctx.plugins is not None else []
    return Litestar(
        route_handlers=[*core_route_handlers(), *extra_handlers],
        state=State({"ctx": ctx}),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        request_max_body_size=settings.server.max_body_bytes,
        # Refuses NUL characters, non-UTF-8 or too deep JSON, wrong media types (400/415/422).
        middleware=[InputGuardMiddleware()],
        openapi_config=OpenAPIConfig(
            title="Huicui 荟萃 API",
            version=__version__,
            description="Roster, certificates (HB1), verifier bundles and sync. "
            "Authenticate with `Authorization: Bearer <token>`.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"bearer": []}],
        ),
        logging_config=LoggingConfig(
            root={"level": settings.server.log_level.upper(), "handlers": ["queue_listener"]},
            # Refusals (4xx) are answers, not incidents; unexpected errors are logged by
            # huicui.errors without their message (it might quote personal data).
            log_exceptions="debug",
        ),
        debug=False,
    )


def app_factory() -> Litestar:
    """Entry for ``uvicorn --factory huicui.app:app_factory``."""
    return create_app()


__all__ = ["AppConfig", "app_factory", "create_app"]
