"""What every service function needs: settings, the data vault, the plugins and the
listeners of membership transitions. Built once per app by ``huicui.app.build_context``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from huicui.settings import Settings
from huicui.vault import DataVault

if TYPE_CHECKING:
    from huicui.auth import Principal
    from huicui.bundles.builder import BundleService
    from huicui.plugins.manager import BenefitPlugins
    from huicui.sync.outbox import OutboxWorker
    from huicui.venues.device_tokens import DeviceTokens

# ``await listener(ctx, actor, membership_row, action)`` after every membership transition,
# inside its transaction: a listener that raises rolls the transition back. Certificate
# issuance subscribes here (approve/renew/reinstate issue; suspend/revoke/expire revoke),
# so ``memberships`` needs no import of ``issuance``.
MembershipListener = Callable[
    ["Context", "Principal | str", dict[str, Any], str], Awaitable[None]
]


class Context:
    """Built once per app (or per command); passed to service functions (no globals).

    A plain class, not a dataclass or Struct: Litestar hands it to every handler that
    names ``ctx``, and msgspec then checks only ``isinstance`` instead of its fields.
    """

    __slots__ = (
        "bundle_service",
        "device_tokens",
        "membership_listeners",
        "outbox",
        "plugins",
        "settings",
        "vault",
    )

    def __init__(self, *, settings: Settings, vault: DataVault, plugins: BenefitPlugins) -> None:
        self.settings = settings
        self.vault = vault
        self.plugins = plugins
        self.membership_listeners: list[MembershipListener] = []
        # The app's bundle builder and its cache, made on first use (huicui.bundles.builder).
        self.bundle_service: BundleService | None = None
        # Device tokens in memory (huicui.venues.device_tokens), made by build_context.
        self.device_tokens: DeviceTokens | None = None
        # The outbox worker the app's lifespan runs in this process, if any: an upload
        # wakes it (huicui.sync.outbox).
        self.outbox: OutboxWorker | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.program.timezone)
