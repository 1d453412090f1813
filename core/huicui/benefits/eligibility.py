"""Which benefits a member holds: one service for issuance and for plugin routes.

A member holds what their directory offers, among the installed benefits, that no
plugin's ``huicui_eligible`` excludes. Issuance puts exactly these codes on a new
certificate; plugin routes (bookings, applications) check them before acting. The
plugin API re-exports :class:`HolderFacts`, :func:`holder_facts` and
:func:`member_benefits`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from huicui.context import Context
from huicui.errors import IllegalTransition, NotFound
from huicui.memberships.tables import Membership


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


def stored_codes(value: Any) -> list[int] | None:
    """Benefit codes as a JSON column reads back: text on SQLite, a list on PostgreSQL.

    ``None`` (SQL NULL) stays ``None``: a directory without a list offers every
    installed benefit.
    """
    if isinstance(value, str):
        value = msgspec.json.decode(value) if value else None
    return None if value is None else [int(code) for code in value]


def installed_codes(ctx: Context) -> list[int]:
    """Codes of the installed benefits, ascending (none before plugins are loaded)."""
    return ctx.plugins.benefit_codes() if ctx.plugins is not None else []


def offered_codes(ctx: Context, configured: list[int] | None) -> list[int]:
    """Benefit codes a directory offers now: its list (or all) among installed plugins."""
    installed = installed_codes(ctx)
    if configured is None:
        return installed
    return [code for code in configured if code in installed]


async def _active_member(membership_id: int) -> tuple[HolderFacts, list[int] | None]:
    row = (
        await Membership.select(
            Membership.id.as_alias("membership_id"),
            Membership.state,
            Membership.term_start,
            Membership.term_end,
            Membership.identity.id.as_alias("identity_id"),
            Membership.identity.residency.as_alias("residency"),
            Membership.identity.field.as_alias("field"),
            Membership.identity.descendant_count.as_alias("descendant_count"),
            Membership.directory.number.as_alias("directory_number"),
            Membership.directory.benefits.as_alias("directory_benefits"),
        )
        .where(Membership.id == membership_id)
        .first()
    )
    if row is None:
        raise NotFound("未找到该入选记录", f"Membership {membership_id} not found")
    state = row.pop("state")
    if state != "active":
        raise IllegalTransition(
            "该成员当前不在有效期内，不能享受权益",
            f"Membership {membership_id} is {state}, not active",
            state=state,
        )
    configured = stored_codes(row.pop("directory_benefits"))
    return HolderFacts(**row), configured


async def holder_facts(membership_id: int) -> HolderFacts:
    """The facts about an *active* member that eligibility and plugin routes may use.

    Raises :class:`~huicui.errors.NotFound` for an unknown membership and
    :class:`~huicui.errors.IllegalTransition` (``409``) when it is not active.
    """
    facts, _ = await _active_member(membership_id)
    return facts


async def member_benefits(ctx: Context, membership_id: int) -> list[int]:
    """Benefit codes an *active* member holds now, ascending: what their directory
    offers, among installed benefits, that no plugin's ``huicui_eligible`` excludes
    (what a new certificate carries). Raises like :func:`holder_facts`.
    """
    facts, configured = await _active_member(membership_id)
    offered = offered_codes(ctx, configured)
    if not offered:
        return []
    return ctx.plugins.eligible_codes(facts, offered)
