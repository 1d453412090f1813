"""Core's public plugin API: the only names a benefit plugin imports from ``huicui``.

Plugins mark hook implementations with :data:`hookimpl` and receive these
Structs; the policy types come from the verifier distribution, which evaluates
them offline at the venue. Plugins that add HTTP routes use the guards, errors,
audit and HTTP helpers re-exported here, so the core may reorganise its modules
without breaking a published plugin (``tests/plugins/test_api_surface.py`` pins
the exported names).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
import pluggy
from huicui_verifier.policy import (
    BenefitInfo,
    Hours,
    Limit,
    Policy,
    PolicyError,
    describe_effect,
    evaluate,
)

from huicui.audit.service import record as record_event
from huicui.auth import ADMIN, ANY_STAFF, STAFF_ROLES, Principal, principal_of, roles
from huicui.context import Context
from huicui.errors import (
    Conflict,
    Forbidden,
    HuicuiError,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from huicui.http import Id, PageOut, provide_ctx
from huicui.plugins._names import ENTRY_POINT_GROUP, MAX_CODE, MIN_CODE, PROJECT
from huicui.settings import SettingsError
from huicui.timefmt import to_local_iso, today

hookimpl = pluggy.HookimplMarker(PROJECT)


class HolderFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What an eligibility decision may know about a member (no personal data in clear)."""

    identity_id: int
    membership_id: int
    directory_number: int
    residency: str  # resident | seasonal | migrant
    field: str
    descendant_count: int
    term_start: dt.date
    term_end: dt.date


class RedemptionFact(msgspec.Struct, frozen=True, kw_only=True):
    """One synced redemption, as plugins are told about it."""

    uuid: str
    certificate_id: str  # cti, 16 hex characters
    benefit: int
    venue_id: int
    partner_id: int
    device_id: int
    at: dt.datetime
    accepted: bool
    reason: str
    companions: int = 0


class SettlementLine(msgspec.Struct, frozen=True, kw_only=True):
    """What the program owes a partner for one venue and benefit in a month."""

    venue_id: int
    benefit: int
    count: int
    amount_fen: int  # 1 yuan = 100 fen
    note_zh: str = ""
    note_en: str = ""


class BenefitConfigError(SettingsError):
    """A ``[benefits.<slug>]`` override is wrong; the message names the setting."""


T = TypeVar("T")
_AT = re.compile(r"\s*-\s*at `\$(?P<path>[^`]*)`$")


def benefit_config(config: Mapping[str, Any], slug: str, schema: type[T]) -> T:
    """This benefit's settings: ``config[slug]`` checked against ``schema``.

    ``schema`` is a msgspec Struct whose field defaults are the documented
    defaults (declare it with ``forbid_unknown_fields=True`` so a misspelled key
    is an error). Raises :class:`BenefitConfigError` naming the setting, e.g.
    ``benefits.ferry.rides_per_day: Expected `int`, got `str```.
    """
    raw = config.get(slug) or {}
    try:
        return msgspec.convert(raw, schema)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _AT.search(message)
        where = f"benefits.{slug}"
        if match:
            path = match.group("path")
            message = message[: match.start()]
            # msgspec spells paths like ``.partners[0].rate``; settings read ``benefits.x.…``.
            where += path if path.startswith((".", "[")) else f".{path}" if path else ""
        raise BenefitConfigError(f"{where}: {message}") from None


async def holder_facts(membership_id: int) -> HolderFacts:
    """The facts about an *active* member that eligibility and plugin routes may use.

    Raises :class:`NotFound` for an unknown membership and :class:`IllegalTransition`
    (``409``) when the membership is not active.
    """
    from huicui.memberships.tables import Membership

    row = (
        await Membership.select(
            Membership.id,
            Membership.state,
            Membership.term_start,
            Membership.term_end,
            Membership.identity.id.as_alias("identity_id"),
            Membership.identity.residency.as_alias("residency"),
            Membership.identity.field.as_alias("field"),
            Membership.identity.descendant_count.as_alias("descendant_count"),
            Membership.directory.number.as_alias("directory_number"),
        )
        .where(Membership.id == membership_id)
        .first()
    )
    if row is None:
        raise NotFound("未找到该入选记录", f"Membership {membership_id} not found")
    if row["state"] != "active":
        raise IllegalTransition(
            "该成员当前不在有效期内，不能享受权益",
            f"Membership {membership_id} is {row['state']}, not active",
            state=row["state"],
        )
    return HolderFacts(
        identity_id=row["identity_id"],
        membership_id=row["id"],
        directory_number=row["directory_number"],
        residency=row["residency"],
        field=row["field"],
        descendant_count=row["descendant_count"],
        term_start=row["term_start"],
        term_end=row["term_end"],
    )


async def member_benefits(ctx: Context, membership_id: int) -> list[int]:
    """Benefit codes an *active* member holds now: what their directory offers, among
    installed benefits, that no plugin's ``huicui_eligible`` excludes (what a new
    certificate would carry). Raises like :func:`holder_facts`.
    """
    from huicui.directories.service import get_directory_row, offered_codes
    from huicui.memberships.tables import Membership

    holder = await holder_facts(membership_id)
    row = await Membership.select(Membership.directory).where(Membership.id == membership_id)
    directory = await get_directory_row(row[0]["directory"])
    configured = directory["benefits"]
    if isinstance(configured, str):
        configured = msgspec.json.decode(configured) if configured else None
    return ctx.plugins.eligible_codes(holder, offered_codes(ctx, configured))


__all__ = [
    "ADMIN",
    "ANY_STAFF",
    "ENTRY_POINT_GROUP",
    "MAX_CODE",
    "MIN_CODE",
    "PROJECT",
    "STAFF_ROLES",
    "BenefitConfigError",
    "BenefitInfo",
    "Conflict",
    "Context",
    "Forbidden",
    "HolderFacts",
    "Hours",
    "HuicuiError",
    "Id",
    "IllegalTransition",
    "InvalidInput",
    "Limit",
    "NotFound",
    "PageOut",
    "Policy",
    "PolicyError",
    "Principal",
    "RedemptionFact",
    "SettlementLine",
    "benefit_config",
    "describe_effect",
    "evaluate",
    "holder_facts",
    "hookimpl",
    "member_benefits",
    "principal_of",
    "provide_ctx",
    "record_event",
    "roles",
    "to_local_iso",
    "today",
]
