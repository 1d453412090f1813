"""Wiring of optional core features (plugins, certificates, devices, …).

Each feature registers its controllers and context set-up here so ``app.py``
stays a short, readable list.
"""

from __future__ import annotations

from typing import Any

from huicui.context import Context


def route_handlers() -> list[Any]:
    """Controllers of the features beyond the roster."""
    return []


def setup_context(ctx: Context, plugins: Any | None) -> None:
    """Attach the plugin manager and feature listeners to the context."""
    ctx.plugins = plugins
