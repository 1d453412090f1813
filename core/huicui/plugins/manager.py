"""One plugin manager per app, behind a typed face (the core never calls ``pm.hook``).

:meth:`BenefitPlugins.load` finds plugins through the ``huicui.benefits`` entry
points, loads each on its own (a broken plugin is reported by entry point and
distribution, and the rest run), checks every declared benefit, refuses clashing
codes or slugs, and keeps a :class:`PluginReport` for ``huicui plugins``,
``GET /api/v1/benefits/plugins`` and ``/health``.
"""

from __future__ import annotations

import importlib.metadata as md
import inspect
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pluggy

from huicui.context import Context
from huicui.plugins._names import MAX_CODE, MIN_CODE, VENUE_KIND_PATTERN
from huicui.plugins.api import (
    BenefitConfigError,
    BenefitInfo,
    HolderFacts,
    Policy,
    RedemptionFact,
    SettlementLine,
)
from huicui.plugins.discovery import (
    benefit_entry_points,
    distribution_of,
    distribution_of_module,
    new_plugin_manager,
)
from huicui.plugins.schemas import PluginFailure, PluginInfo, PluginReport, plugin_label
from huicui.settings import Settings, SettingsError

log = logging.getLogger("huicui.plugins")
SLUG = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
VENUE_KIND = re.compile(VENUE_KIND_PATTERN)


class PluginStartupError(SettingsError):
    """Start-up refused: clashing benefits, a bad override, or a failure under strict mode."""


def benefit_problems(info: object) -> list[str]:
    """Every reason a declared benefit cannot be served; empty when it is fine."""
    if not isinstance(info, BenefitInfo):
        return [f"declared {type(info).__name__}, not huicui.plugins.api.BenefitInfo"]
    found: list[str] = []
    if type(info.code) is not int or not MIN_CODE <= info.code <= MAX_CODE:
        found.append(
            f"benefit code {info.code!r} is outside {MIN_CODE}..{MAX_CODE}: certificates carry "
            "benefits as one integer bit field (bit n = code n) that must fit a signed "
            "64-bit integer"
        )
    if not isinstance(info.slug, str) or not SLUG.match(info.slug):
        found.append(
            f"benefit slug {info.slug!r} must be 2-32 characters: a lower-case letter, "
            "then lower-case letters, digits or _"
        )
    for field in ("name_zh", "name_en", "category"):
        value = getattr(info, field)
        if not isinstance(value, str) or not value.strip():
            found.append(f"benefit {info.slug!r}: {field} must be a non-empty string")
    kinds = info.venue_kinds
    if (
        not isinstance(kinds, tuple | list)
        or not kinds
        or not all(isinstance(k, str) and k for k in kinds)
    ):
        found.append(f"benefit {info.slug!r}: venue_kinds must list at least one venue kind")
    else:
        found.extend(
            f"benefit {info.slug!r}: venue kind {kind!r} must be 2-16 characters: a lower-case "
            "letter, then lower-case letters, digits or _"
            for kind in kinds
            if not VENUE_KIND.match(kind)
        )
    if not isinstance(info.policy, Policy):
        found.append(f"benefit {info.slug!r}: policy must be a huicui_verifier.policy.Policy")
    else:
        found.extend(f"benefit {info.slug!r}: policy: {p}" for p in info.policy.problems())
    return found


class _Loaded:
    """Book-keeping while loading: plugin object → where it came from."""

    def __init__(self) -> None:
        self.origin: dict[str, tuple[str, str, str]] = {}  # name → (dist, version, module)
        self.failed: list[PluginFailure] = []

    def label(self, name: str) -> str:
        dist, version, _ = self.origin.get(name, ("", "", ""))
        return plugin_label(name, dist, version)

    def fail(self, pm: pluggy.PluginManager, name: str, stage: str, reason: str) -> None:
        dist, version, _ = self.origin.pop(name, ("", "", ""))
        plugin = pm.get_plugin(name)
        if plugin is not None:
            pm.unregister(plugin, name=name)
        failure = PluginFailure(
            name=name, distribution=dist, version=version, stage=stage, reason=reason
        )
        log.error("plugin left out: %s: %s", failure.label, reason)
        self.failed.append(failure)


class BenefitPlugins:
    """The app's benefit plugins. Build with :meth:`load`; one instance per app."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        benefits: dict[int, BenefitInfo],
        report: PluginReport,
        settings: Settings,
    ) -> None:
        self._pm = pm
        self._benefits = dict(sorted(benefits.items()))
        self._slugs = {info.slug: info for info in self._benefits.values()}
        self._report = report
        self._settings = settings

    # -- building -------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        settings: Settings,
        *,
        entry_points: bool = True,
        extra: Sequence[object] = (),
        extra_entry_points: Sequence[md.EntryPoint] = (),
        exclude_distributions: Sequence[str] = (),
    ) -> BenefitPlugins:
        """Find, load and check the plugins.

        :param settings: ``plugins.strict`` / ``plugins.blocked`` and the ``benefits`` overrides.
        :param entry_points: ``False`` loads no installed plugin (tests choose their own).
        :param extra: plugin modules or objects to register directly (tests, embedding).
        :param extra_entry_points: entry points to load as if installed (tests).
        :param exclude_distributions: distributions whose entry points are ignored, as if
            uninstalled (e.g. ``["huicui-benefits"]``).
        :raises PluginStartupError: two plugins claim one code or slug, a
            ``[benefits.<slug>]`` override is bad, or anything failed under ``plugins.strict``.
        """
        pm = new_plugin_manager()
        state = _Loaded()
        blocked = settings.plugins.blocked
        eps = (
            benefit_entry_points(blocked, exclude_distributions, extra_entry_points)
            if entry_points
            else [ep for ep in extra_entry_points if ep.name not in blocked]
        )
        for ep in eps:
            dist, version = distribution_of(ep)
            if pm.get_plugin(ep.name) is not None or ep.name in state.origin:
                state.failed.append(
                    PluginFailure(
                        name=ep.name,
                        distribution=dist,
                        version=version,
                        stage="import",
                        reason="another plugin already uses this entry-point name",
                    )
                )
                continue
            state.origin[ep.name] = (dist, version, ep.value)
            try:
                plugin = ep.load()
            except BaseException as exc:  # a plugin's import may raise anything, even SystemExit
                if isinstance(exc, KeyboardInterrupt):
                    raise
                state.fail(pm, ep.name, "import", f"import failed: {type(exc).__name__}: {exc}")
                continue
            cls._register(pm, state, plugin, ep.name)
        for plugin in extra:
            base = getattr(plugin, "__name__", None) or type(plugin).__name__
            name, n = base, 2
            while name in state.origin or pm.get_plugin(name) is not None:
                name, n = f"{base}#{n}", n + 1
            dist, version = distribution_of_module(plugin)
            state.origin[name] = (dist, version, name)
            cls._register(pm, state, plugin, name)
        pm.check_pending()  # misspelled hooks were already reported plugin by plugin

        claimed, config_errors = cls._declare(pm, state, settings)
        clashes = cls._clashes(claimed, state)
        if clashes:
            raise PluginStartupError("; ".join(clashes))
        if config_errors:
            raise PluginStartupError("; ".join(config_errors))
        benefits = {info.code: info for _, info in claimed}
        owners = {info.code: name for name, info in claimed}
        slugs = {info.slug for info in benefits.values()}
        warnings = [
            f"benefits.{slug}: no installed benefit has this slug (setting ignored)"
            for slug in settings.benefits
            if slug not in slugs
        ]
        loaded = []
        for name, (dist, version, module) in state.origin.items():
            plugin = pm.get_plugin(name)
            hooks = sorted(c.name for c in pm.get_hookcallers(plugin) or [])
            codes = sorted(code for code, owner in owners.items() if owner == name)
            loaded.append(
                PluginInfo(
                    name=name,
                    distribution=dist,
                    version=version,
                    module=module,
                    hooks=hooks,
                    benefits=codes,
                )
            )
        report = PluginReport(loaded=loaded, failed=state.failed, warnings=warnings)
        if settings.plugins.strict and (report.failed or warnings):
            problems = [f"{f.label}: {f.reason}" for f in report.failed] + warnings
            raise PluginStartupError(
                "plugins.strict is on and start-up found problems: " + "; ".join(problems)
            )
        for warning in warnings:
            log.warning("%s", warning)
        return cls(pm, benefits, report, settings)

    @staticmethod
    def _register(pm: pluggy.PluginManager, state: _Loaded, plugin: object, name: str) -> None:
        try:
            pm.register(plugin, name=name)
        except Exception as exc:  # pluggy refuses hookimpls whose arguments the spec lacks
            state.origin.setdefault(name, ("", "", name))
            state.fail(pm, name, "register", f"{type(exc).__name__}: {exc}")
            return
        unknown = [c.name for c in pm.get_hookcallers(plugin) or [] if not c.has_spec()]
        if unknown:
            state.fail(
                pm,
                name,
                "register",
                f"implements unknown hook(s) {', '.join(sorted(unknown))} "
                "(misspelled? names starting with huicui_ are reserved for hooks)",
            )

    @staticmethod
    def _declare(
        pm: pluggy.PluginManager, state: _Loaded, settings: Settings
    ) -> tuple[list[tuple[str, BenefitInfo]], list[str]]:
        """Ask each plugin for its benefits on its own, so failures have a name.

        Returns (plugin name, benefit) pairs of the plugins still loaded, and the
        configuration errors found.
        """
        kwargs = {"config": settings.benefits}
        config_errors: list[str] = []
        claimed: list[tuple[str, BenefitInfo]] = []
        for impl in reversed(pm.hook.huicui_benefits.get_hookimpls()):
            name = impl.plugin_name
            try:
                declared = impl.function(**{k: kwargs[k] for k in impl.argnames})
            except BenefitConfigError as exc:
                config_errors.append(f"{exc} (read by {state.label(name)})")
                continue
            except Exception as exc:
                reason = f"huicui_benefits raised {type(exc).__name__}: {exc}"
                state.fail(pm, name, "declare", reason)
                continue
            if not isinstance(declared, list | tuple):
                state.fail(pm, name, "declare", "huicui_benefits must return a list of BenefitInfo")
                continue
            problems = [p for info in declared for p in benefit_problems(info)]
            if problems:
                state.fail(pm, name, "declare", "; ".join(problems))
                continue
            claimed.extend((name, info) for info in declared)
        return claimed, config_errors

    @staticmethod
    def _clashes(claimed: list[tuple[str, BenefitInfo]], state: _Loaded) -> list[str]:
        """One message per code or slug that two declarations share, naming both plugins."""
        messages: list[str] = []
        for key, what in (("code", "benefit code"), ("slug", "benefit slug")):
            first: dict[Any, str] = {}
            for name, info in claimed:
                value = getattr(info, key)
                if value not in first:
                    first[value] = name
                elif first[value] == name:
                    messages.append(f"{state.label(name)} declares {what} {value!r} twice")
                else:
                    messages.append(
                        f"{what} {value!r} is claimed by {state.label(first[value])} and by "
                        f"{state.label(name)}; uninstall one, or name one in plugins.blocked"
                    )
        return messages

    # -- what the core asks -----------------------------------------------------------------

    def benefits(self) -> list[BenefitInfo]:
        """Installed benefits, by code."""
        return list(self._benefits.values())

    def benefit_codes(self) -> list[int]:
        """Installed benefit codes, ascending."""
        return list(self._benefits)

    def benefit(self, code: int) -> BenefitInfo | None:
        """The benefit with ``code``, or ``None`` when no installed plugin declares it."""
        return self._benefits.get(code)

    def by_slug(self, slug: str) -> BenefitInfo | None:
        """The benefit called ``slug``, or ``None``."""
        return self._slugs.get(slug)

    def venue_kinds(self) -> list[str]:
        """The venue kinds the installed benefits are honored at, sorted (each once)."""
        return sorted({kind for info in self._benefits.values() for kind in info.venue_kinds})

    def plugin_of(self, code: int) -> PluginInfo | None:
        """The loaded plugin that declares benefit ``code``."""
        return next((p for p in self._report.loaded if code in p.benefits), None)

    def eligible_codes(self, holder: HolderFacts, offered: Iterable[int]) -> list[int]:
        """The offered, installed codes that no plugin excludes for ``holder``, ascending."""
        out = []
        for code in sorted(set(offered)):
            info = self._benefits.get(code)
            if info is None:
                continue
            votes = self._pm.hook.huicui_eligible(benefit=info, holder=holder)
            if all(vote is not False for vote in votes):
                out.append(code)
        return out

    def route_handlers(self, ctx: Context) -> list[Any]:
        """Controllers and handlers that plugins add to the app."""
        return [h for handlers in self._pm.hook.huicui_route_handlers(ctx=ctx) for h in handlers]

    def piccolo_apps(self) -> list[str]:
        """Piccolo app module paths that the loaded plugins add (first seen first)."""
        apps: list[str] = []
        for paths in reversed(self._pm.hook.huicui_piccolo_apps()):
            apps.extend(p for p in paths if p not in apps)
        return apps

    def settlement_lines(
        self, partner_id: int, month: str, redemptions: Sequence[RedemptionFact]
    ) -> list[SettlementLine]:
        """Every plugin's settlement lines for ``partner_id`` in ``month`` (``YYYY-MM``)."""
        results = self._pm.hook.huicui_settlement_lines(
            partner_id=partner_id,
            month=month,
            redemptions=list(redemptions),
            config=self._settings.benefits,
        )
        lines = [line for result in reversed(results) for line in result]
        bad = [line for line in lines if not isinstance(line, SettlementLine)]
        if bad:
            raise TypeError(f"huicui_settlement_lines returned {type(bad[0]).__name__}")
        return sorted(lines, key=lambda line: (line.benefit, line.venue_id))

    async def redemptions_synced(self, records: Sequence[RedemptionFact]) -> None:
        """Tell every plugin about stored redemptions; awaits ``async`` implementations.

        A plugin that raises is logged by name and the others are still told: the
        upload is already stored and must not fail because of a listener.
        """
        if not records:
            return
        batch = list(records)
        for name, tell in self.redemption_listeners():
            try:
                result = tell(batch)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("plugin %s failed in huicui_redemptions_synced", name)

    def redemption_listeners(self) -> list[tuple[str, Callable[[list[RedemptionFact]], Any]]]:
        """Every ``huicui_redemptions_synced`` implementation as (plugin name, call), in
        the order the hook would call them.

        The sync outbox (:mod:`huicui.sync.outbox`) tells each listener on its own, so
        one that raises is retried without the others being told twice. A call may
        return an awaitable (``async def`` implementations).
        """
        out: list[tuple[str, Callable[[list[RedemptionFact]], Any]]] = []
        for impl in reversed(self._pm.hook.huicui_redemptions_synced.get_hookimpls()):

            def tell(records: list[RedemptionFact], impl: Any = impl) -> Any:
                return impl.function(**{k: records for k in impl.argnames})

            out.append((impl.plugin_name, tell))
        return out

    def report(self) -> PluginReport:
        """What start-up loaded and left out (for ``huicui plugins`` and the admin view)."""
        return self._report

    def register_internal(self, plugin: object, name: str) -> None:
        """Register one of the core's own hook implementations (the same door plugins use).

        Core-internal implementations (e.g. misuse detection on ``huicui_redemptions_synced``)
        are not benefit plugins: they declare no benefit and are not listed in
        :meth:`report`. Registering a name again replaces the earlier object, so a manager
        shared by two apps calls the latest app's implementation once.

        :raises PluginStartupError: ``plugin`` implements a hook that has no specification.
        """
        earlier = self._pm.get_plugin(name)
        if earlier is not None:
            self._pm.unregister(earlier, name=name)
        self._pm.register(plugin, name=name)
        unknown = [c.name for c in self._pm.get_hookcallers(plugin) or [] if not c.has_spec()]
        if unknown:
            self._pm.unregister(plugin, name=name)
            raise PluginStartupError(
                f"core-internal plugin {name!r} implements unknown hook(s) "
                + ", ".join(sorted(unknown))
            )


__all__ = [
    "BenefitPlugins",
    "PluginFailure",
    "PluginInfo",
    "PluginReport",
    "PluginStartupError",
    "benefit_problems",
]
