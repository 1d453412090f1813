"""The simple case in one declaration: a benefit used at a venue, limited, paid per use.

Free entry, a free ride, a priority appointment, a discounted ticket: the holder shows
the card, the venue's device checks a limit offline, and the program pays the venue a
price per accepted use. :class:`PerUseBenefit` declares such a benefit, its
``[benefits.<slug>]`` settings and its settlement, and implements the two hooks, so a
plugin module is one declaration and two assignments::

    museum = PerUseBenefit(code=11, slug="museum", ...)
    huicui_benefits = museum.huicui_benefits
    huicui_settlement_lines = museum.huicui_settlement_lines

Anything else (eligibility rules, routes, settlement by rate) is written with the
hooks themselves; ``docs/plugins.md`` shows both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

import msgspec
from huicui_verifier.policy import BenefitInfo, Limit, Policy

from huicui.plugins.config import benefit_config
from huicui.plugins.hookspecs import hookimpl
from huicui.plugins.settlement import RedemptionFact, SettlementLine, accepted_by_venue
from huicui.wording import count_plural

Period = Literal["day", "week", "month", "year"]
Effect = Literal["free", "discount", "priority"]
MOST_COMPANIONS = 10
_SETTING = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


class Uses(msgspec.Struct, frozen=True, kw_only=True):
    """How often a holder may use the benefit, and what one use is called.

    At most ``default`` uses per calendar ``per`` (program time zone), counted for the
    benefit anywhere (``scope="benefit"``) or at each venue (``scope="venue"``). The
    program changes the number with the setting ``<noun_en>_per_<per>`` (e.g.
    ``rides_per_day``), from 1 to ``most``. A ``default`` of 0 means no limit unless
    the program sets one, and then 0 is accepted too.

    ``noun_en`` (plural) and ``noun_zh`` name the uses in settlement lines:
    ``2 rides × ¥65.00`` and ``客轮船票 2 次 × ¥65.00``.
    """

    per: Period
    default: int
    most: int
    noun_en: str
    noun_zh: str
    scope: Literal["benefit", "venue"] = "benefit"

    @property
    def setting(self) -> str:
        """The name of the setting that changes the limit, e.g. ``rides_per_day``."""
        return f"{self.noun_en}_per_{self.per}"


def _int_setting(least: int, most: int | None = None) -> Any:
    return Annotated[int, msgspec.Meta(ge=least, le=most)]


class PerUseBenefit:
    """A benefit used at a venue, limited per holder, and paid to the venue per use.

    :param code: the stable benefit code (1..62), never reused.
    :param slug: the benefit's name in settings (``[benefits.<slug>]``) and the API.
    :param name_zh: the benefit's name in Chinese, as cards and staff show it.
    :param name_en: the same in English.
    :param category: a free word grouping benefits (``transport``, ``culture`` …).
    :param venue_kinds: the kinds of venue that honor it (a new kind is fine: venues
        may use any kind an installed plugin names).
    :param uses: the limit and the name of one use (:class:`Uses`).
    :param message_zh: what the venue's staff see after an accepted check.
    :param message_en: the same in English.
    :param effect: ``free`` (default), ``discount`` or ``priority``.
    :param percent_off: for ``effect="discount"``: the default of the setting
        ``percent_off`` (1..100).
    :param companions: the default of the setting ``companions`` (0..10), how many
        may come along; ``None`` (default): no such setting, nobody comes along.
    :param price_setting: the setting that holds what the program pays the venue per
        accepted use, in fen (default 0; e.g. ``fare_fen``).
    :raises ValueError: the declaration contradicts itself (reported at start-up as
        the plugin's import failure).
    """

    def __init__(
        self,
        *,
        code: int,
        slug: str,
        name_zh: str,
        name_en: str,
        category: str,
        venue_kinds: Iterable[str],
        uses: Uses,
        message_zh: str,
        message_en: str,
        effect: Effect = "free",
        percent_off: int | None = None,
        companions: int | None = None,
        price_setting: str = "price_fen",
    ) -> None:
        self.code = code
        self.slug = slug
        self.name_zh = name_zh
        self.name_en = name_en
        self.category = category
        self.venue_kinds = tuple(venue_kinds)
        self.uses = uses
        self.message_zh = message_zh
        self.message_en = message_en
        self.effect = effect
        self.price_setting = price_setting
        fields: list[tuple[str, Any, int]] = [
            (uses.setting, _int_setting(0 if uses.default == 0 else 1, uses.most), uses.default)
        ]
        if companions is not None:
            fields.append(("companions", _int_setting(0, MOST_COMPANIONS), companions))
        if percent_off is not None:
            fields.append(("percent_off", _int_setting(1, 100), percent_off))
        fields.append((price_setting, _int_setting(0), 0))
        problems = self._problems(fields, effect, percent_off, companions)
        if problems:
            raise ValueError(f"PerUseBenefit {slug!r}: " + "; ".join(problems))
        self.settings_type: type[msgspec.Struct] = msgspec.defstruct(
            f"{slug.title().replace('_', '')}Settings",
            fields,
            kw_only=True,
            frozen=True,
            forbid_unknown_fields=True,
        )

    def _problems(
        self,
        fields: list[tuple[str, Any, int]],
        effect: str,
        percent_off: int | None,
        companions: int | None,
    ) -> list[str]:
        uses = self.uses
        found = []
        if effect not in ("free", "discount", "priority"):
            found.append(f"effect must be free, discount or priority, not {effect!r}")
        if (effect == "discount") != (percent_off is not None):
            found.append("percent_off is given exactly when effect is 'discount'")
        elif percent_off is not None and not 1 <= percent_off <= 100:
            found.append(f"percent_off {percent_off} is outside 1..100")
        if companions is not None and not 0 <= companions <= MOST_COMPANIONS:
            found.append(f"companions {companions} is outside 0..{MOST_COMPANIONS}")
        if uses.most < 1 or not 0 <= uses.default <= uses.most:
            found.append(f"uses: need 0 <= default ({uses.default}) <= most ({uses.most})")
        names = [name for name, _, _ in fields]
        for name in names:
            if not _SETTING.match(name):
                found.append(f"setting name {name!r} must be lower-case letters, digits or _")
        if len(set(names)) != len(names):
            found.append(f"two settings share a name: {', '.join(names)}")
        return found

    def settings(self, config: Mapping[str, Any]) -> Any:
        """This benefit's settings from ``settings.benefits``, defaults filled in.

        :raises BenefitConfigError: a setting is wrong; the message names it.
        """
        return benefit_config(config, self.slug, self.settings_type)

    def declare(self, settings: Any) -> BenefitInfo:
        """The benefit as the bundle carries it, under these settings."""
        uses = self.uses
        count = getattr(settings, uses.setting)
        return BenefitInfo(
            code=self.code,
            slug=self.slug,
            name_zh=self.name_zh,
            name_en=self.name_en,
            category=self.category,
            venue_kinds=self.venue_kinds,
            policy=Policy(
                effect=self.effect,
                percent_off=getattr(settings, "percent_off", None),
                limits=(Limit(count, uses.per, uses.scope),) if count else (),
                companions=getattr(settings, "companions", 0),
                message_zh=self.message_zh,
                message_en=self.message_en,
            ),
        )

    @hookimpl
    def huicui_benefits(self, config: dict[str, dict[str, Any]]) -> list[BenefitInfo]:
        """The ``huicui_benefits`` hook: this one benefit under the program's settings."""
        return [self.declare(self.settings(config))]

    @hookimpl
    def huicui_settlement_lines(
        self,
        partner_id: int,
        month: str,
        redemptions: list[RedemptionFact],
        config: dict[str, dict[str, Any]],
    ) -> list[SettlementLine]:
        """The ``huicui_settlement_lines`` hook: one line per venue, accepted uses × price."""
        price = getattr(self.settings(config), self.price_setting)
        each = f"¥{price / 100:.2f}"
        return [
            SettlementLine(
                venue_id=venue,
                benefit=self.code,
                count=count,
                amount_fen=count * price,
                note_zh=f"{self.uses.noun_zh} {count} 次 × {each}",
                note_en=f"{count_plural(count, self.uses.noun_en)} × {each}",
            )
            for venue, count in sorted(accepted_by_venue(redemptions, self.code).items())
        ]
