"""What every service function needs: settings, the data vault and the plugins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from huicui.settings import Settings
from huicui.vault import DataVault


@dataclass
class Context:
    """Built once per app; passed to service functions (no globals)."""

    settings: Settings
    vault: DataVault
    plugins: Any = None  # huicui.plugins.manager.BenefitPlugins once plugins are loaded
    # Called after every membership transition as ``await f(ctx, actor, row, action)``;
    # certificate issuance and revocation subscribe here.
    membership_listeners: list[Any] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.program.timezone)
