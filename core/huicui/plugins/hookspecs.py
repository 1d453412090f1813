"""The whole benefit plugin contract: one function per hook (pluggy project ``huicui``).

Every hook is documented, with this exact signature, in ``docs/plugins.md``;
``tests/plugins/test_meta.py`` keeps the two in step and proves each hook is tested.
Plugins mark their implementations with :data:`hookimpl` (re-exported by
``huicui.plugins.api``).
"""

from __future__ import annotations

from typing import Any

import pluggy
from huicui_verifier.policy import BenefitInfo

from huicui.benefits.eligibility import HolderFacts
from huicui.context import Context
from huicui.plugins._names import PROJECT
from huicui.plugins.settlement import RedemptionFact, SettlementLine

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def huicui_benefits(config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
    """Declare the benefits this plugin provides, with their policies as data.

    :param config: ``settings.benefits``, the program's overrides keyed by benefit slug;
        read yours with ``benefit_config(config, slug, YourConfig)``.
    """


@hookspec
def huicui_eligible(benefit: BenefitInfo, holder: HolderFacts) -> bool | None:
    """Whether ``holder`` may receive ``benefit`` on a new certificate; pure, no I/O.

    :param benefit: one benefit the member's directory offers (any plugin's).
    :param holder: facts about the active member.
    :return: ``None`` for no opinion, ``False`` to exclude; any ``False`` wins.
    """


@hookspec
def huicui_route_handlers(ctx: Context) -> list[Any]:
    """Extra Litestar controllers or handlers; each route must carry a ``huicui.auth`` guard.

    :param ctx: the app's context (settings, vault, plugins), built once per app.
    """


@hookspec
def huicui_piccolo_apps() -> list[str]:
    """Module paths of Piccolo apps (with their own migrations) this plugin adds."""


@hookspec
def huicui_settlement_lines(
    partner_id: int,
    month: str,
    redemptions: list[RedemptionFact],
    config: dict[str, dict[str, Any]],
) -> list[SettlementLine]:
    """What the program owes ``partner_id`` for this plugin's benefits in ``month``.

    :param partner_id: the partner being settled.
    :param month: ``YYYY-MM`` in the program's time zone.
    :param redemptions: the partner's synced redemptions of that month, all benefits.
    :param config: ``settings.benefits`` as in :func:`huicui_benefits`.
    """


@hookspec
def huicui_redemptions_synced(records: list[RedemptionFact]) -> None:
    """Told after a device's upload is stored; may be ``async def``.

    :param records: the newly stored redemptions of that upload (duplicates left out).
    """
