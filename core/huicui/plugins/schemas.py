"""What staff read about the loaded plugins (``huicui plugins``,
``GET /api/v1/benefits/plugins``, ``/health``)."""

from __future__ import annotations

import msgspec


def plugin_label(name: str, distribution: str, version: str) -> str:
    """How staff see a plugin named: its entry point and the distribution it came from."""
    dist = f"{distribution} {version}".strip()
    return f"entry point {name!r} ({dist})"


class PluginInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A loaded plugin: where it came from, the hooks it implements, its benefit codes."""

    name: str  # entry-point name (or module name for plugins registered directly)
    distribution: str
    version: str
    module: str
    hooks: list[str]
    benefits: list[int]


class PluginFailure(msgspec.Struct, frozen=True, kw_only=True):
    """A plugin left out at start-up, and why."""

    name: str
    distribution: str
    version: str
    stage: str  # import | register | declare
    reason: str

    @property
    def label(self) -> str:
        return plugin_label(self.name, self.distribution, self.version)


class PluginReport(msgspec.Struct, frozen=True, kw_only=True):
    """What start-up loaded, what it left out, and settings that matched nothing."""

    loaded: list[PluginInfo]
    failed: list[PluginFailure]
    warnings: list[str]
