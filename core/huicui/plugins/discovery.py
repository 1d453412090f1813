"""Finding plugins through entry points, without building an app.

``piccolo_conf`` asks for plugin Piccolo apps here at import time, so
``huicui migrate`` migrates plugin tables too; the plugin manager uses the
same listing so both see exactly the same plugins.
"""

from __future__ import annotations

import importlib.metadata as md
import logging
from collections.abc import Collection, Iterable
from types import ModuleType

import pluggy

from huicui.plugins._names import ENTRY_POINT_GROUP, PROJECT

log = logging.getLogger("huicui.plugins")
NO_DISTRIBUTION = "(no distribution)"


def distribution_of(ep: md.EntryPoint) -> tuple[str, str]:
    """(distribution name, version) of an entry point; placeholders when it has none."""
    dist = getattr(ep, "dist", None)
    if dist is None:
        return NO_DISTRIBUTION, ""
    return dist.metadata["Name"] or NO_DISTRIBUTION, dist.version or ""


def distribution_of_module(module: object) -> tuple[str, str]:
    """(distribution, version) that installed ``module``'s top-level package, if any."""
    name = getattr(module, "__name__", "") or type(module).__module__
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        if ep.module == name:  # editable installs list no files, so ask the entry points
            return distribution_of(ep)
    top = name.split(".")[0]
    names = md.packages_distributions().get(top) or []
    if not names:
        return NO_DISTRIBUTION, ""
    try:
        return names[0], md.version(names[0])
    except md.PackageNotFoundError:
        return names[0], ""


def benefit_entry_points(
    blocked: Collection[str] = (),
    exclude_distributions: Collection[str] = (),
    extra: Iterable[md.EntryPoint] = (),
) -> list[md.EntryPoint]:
    """Entry points of group ``huicui.benefits``, minus blocked names and excluded dists."""
    found = [*md.entry_points(group=ENTRY_POINT_GROUP), *extra]
    excluded = {d.lower() for d in exclude_distributions}
    return sorted(
        (
            ep
            for ep in found
            if ep.name not in blocked and distribution_of(ep)[0].lower() not in excluded
        ),
        key=lambda ep: (distribution_of(ep)[0], ep.name),
    )


class _PluginManager(pluggy.PluginManager):
    """Treats every ``huicui_*`` function as a hook implementation, marked or not,
    so a misspelled hook name is caught by ``check_pending()`` instead of ignored."""

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(PROJECT + "_") and callable(getattr(plugin, name)):
            return {
                "wrapper": False,
                "hookwrapper": False,
                "optionalhook": False,
                "tryfirst": False,
                "trylast": False,
                "specname": None,
            }
        return opts


def new_plugin_manager() -> pluggy.PluginManager:
    """A fresh pluggy manager with Huicui's hook specifications (one per app)."""
    from huicui.plugins import hookspecs

    pm = _PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def plugin_piccolo_apps() -> list[str]:
    """Module paths of the Piccolo apps that installed benefit plugins declare.

    A plugin that fails to import is skipped here (the app's start-up report
    names it); blocked entry points are skipped as the app skips them.
    """
    from huicui.settings import load_settings

    pm = new_plugin_manager()
    for ep in benefit_entry_points(blocked=load_settings().plugins.blocked):
        try:
            module: ModuleType = ep.load()
            pm.register(module, name=ep.name)
        except Exception as exc:
            log.warning("plugin %s skipped for migrations: %s", ep.name, type(exc).__name__)
    apps: list[str] = []
    for result in reversed(pm.hook.huicui_piccolo_apps()):
        for path in result:
            if path not in apps:
                apps.append(path)
    return apps
