"""Wiring of optional core features (plugins, certificates, devices, …).

Each feature registers its controllers and context set-up here so ``app.py``
stays a short, readable list.
"""

from __future__ import annotations

from typing import Any

from huicui.context import Context


def route_handlers() -> list[Any]:
    """Controllers of the features beyond the roster."""
    from huicui.benefits_controller import BenefitController
    from huicui.bundles.controller import get_bundle
    from huicui.issuance.controller import ROUTE_HANDLERS as ISSUANCE_ROUTES
    from huicui.misuse.controller import MisuseController
    from huicui.reports.controller import get_settlement
    from huicui.sync.controller import list_synced_redemptions, sync_redemptions
    from huicui.venues.controller import DeviceController, PartnerController, VenueController

    return [
        BenefitController,
        PartnerController,
        VenueController,
        DeviceController,
        get_bundle,
        sync_redemptions,
        list_synced_redemptions,
        *ISSUANCE_ROUTES,
        MisuseController,
        get_settlement,
    ]


def setup_context(ctx: Context, plugins: Any | None) -> None:
    """Attach the plugin manager and feature listeners to the context."""
    if plugins is None:
        # One manager per app; tests pass one built with chosen plugins only.
        from huicui.plugins.manager import BenefitPlugins

        plugins = BenefitPlugins.load(ctx.settings)
    ctx.plugins = plugins
    from huicui.issuance.certificates import on_membership_change

    # Approval, renewal and reinstatement issue a certificate; the rest revoke it.
    ctx.membership_listeners.append(on_membership_change)
    _register_device_tokens()
    _register_misuse_detector(ctx)


def _register_device_tokens() -> None:
    """Let ``hcd_`` bearer tokens resolve to enrolled, enabled devices."""
    from huicui.auth import DEVICE_PREFIX, RESOLVERS
    from huicui.venues.devices import resolve_device

    RESOLVERS[DEVICE_PREFIX] = resolve_device


def _register_misuse_detector(ctx: Context) -> None:
    """Check every synced batch for misuse: the core uses the plugins' own hook."""
    register = getattr(ctx.plugins, "register_internal", None)
    if register is None:  # a stand-in manager without the method (some tests)
        return
    from huicui.misuse.scan import MisuseDetector

    register(MisuseDetector(ctx), "huicui.misuse")
