"""Membership logic without HTTP: nominate, decide, list, the review cycle."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.columns.combination import And

from huicui.audit import service as audit
from huicui.auth import Principal
from huicui.context import Context
from huicui.directories.service import default_directory_id, get_directory_row
from huicui.errors import Conflict, FourEyesViolation, NotFound
from huicui.identities.service import get_row as get_identity_row
from huicui.identities.tables import Identity
from huicui.memberships.schemas import MembershipOut, NominationIn
from huicui.memberships.states import STATE_NAMES_ZH, check_renewal, next_state
from huicui.memberships.tables import Membership
from huicui.timefmt import to_local_iso, today


def to_out(ctx: Context, row: dict[str, Any]) -> MembershipOut:
    return MembershipOut(
        id=row["id"],
        identity_id=row["identity"],
        display_name=row.get("identity.display_name", ""),
        directory_id=row["directory"],
        state=row["state"],
        state_zh=STATE_NAMES_ZH.get(row["state"], row["state"]),
        source_org=row["source_org"],
        reason=row["reason"],
        nominated_by=row["nominated_by_name"],
        nominated_at=to_local_iso(row["nominated_at"], ctx.tz) or "",
        decided_at=to_local_iso(row["decided_at"], ctx.tz),
        term_no=row["term_no"],
        term_start=row["term_start"].isoformat() if row["term_start"] else None,
        term_end=row["term_end"].isoformat() if row["term_end"] else None,
        state_reason=row["state_reason"],
        certificate_id=row.get("certificate_id"),
    )


def _select():
    return Membership.select(Membership.all_columns(), Membership.identity.display_name)


async def get_row(membership_id: int) -> dict[str, Any]:
    row = await _select().where(Membership.id == membership_id).first()
    if row is None:
        raise NotFound("未找到该入选记录", f"Membership {membership_id} not found")
    return row


async def _with_certificates(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``certificate_id`` (the active certificate's cti) to membership rows."""
    from huicui.issuance.certificates import active_certificate_ids

    ids = await active_certificate_ids([row["id"] for row in rows])
    return [{**row, "certificate_id": ids.get(row["id"])} for row in rows]


async def get_membership(ctx: Context, membership_id: int) -> MembershipOut:
    (row,) = await _with_certificates([await get_row(membership_id)])
    return to_out(ctx, row)


async def nominate(ctx: Context, actor: Principal, data: NominationIn) -> MembershipOut:
    """Put an identity forward for a directory, naming the organization that found them."""
    await get_identity_row(data.identity_id)
    directory_id = data.directory_id or await default_directory_id()
    await get_directory_row(directory_id)
    existing = (
        await Membership.select(Membership.id, Membership.state)
        .where(And(Membership.identity == data.identity_id, Membership.directory == directory_id))
        .first()
    )
    if existing and existing["state"] not in ("rejected", "revoked"):
        raise Conflict(
            "此人已在该名录中（或正在审核）",
            f"Identity already has membership {existing['id']} ({existing['state']})",
            existing_id=existing["id"],
        )
    values = {
        Membership.state: "nominated",
        Membership.source_org: data.source_org.strip(),
        Membership.reason: data.reason,
        Membership.nominated_by: actor.id,
        Membership.nominated_by_name: actor.label,
        Membership.nominated_at: dt.datetime.now(dt.UTC),
        Membership.decided_by: None,
        Membership.decided_at: None,
        Membership.state_reason: "",
        Membership.updated_at: dt.datetime.now(dt.UTC),
    }
    if existing:
        # A rejected or revoked person may be put forward again: same row, new review.
        await Membership.update(values).where(Membership.id == existing["id"])
        membership_id = existing["id"]
    else:
        rows = await Membership.insert(
            Membership(
                **{column._meta.name: value for column, value in values.items()},
                identity=data.identity_id,
                directory=directory_id,
            )
        ).returning(Membership.id)
        membership_id = rows[0]["id"]
    await audit.record(
        actor,
        "membership.nominate",
        "membership",
        membership_id,
        reason=data.reason,
        data={
            "identity_id": data.identity_id,
            "directory_id": directory_id,
            "source_org": data.source_org,
        },
    )
    return await get_membership(ctx, membership_id)


async def transition(
    ctx: Context, actor: Principal, membership_id: int, action: str, reason: str = ""
) -> MembershipOut:
    """Apply ``action`` (approve, reject, suspend, reinstate, revoke, renew, expire).

    Approval and renewal start a term of the directory's length from today in the
    program's timezone. Whoever nominated cannot approve (four eyes).
    """
    row = await get_row(membership_id)
    target = next_state(row["state"], action)
    if action == "renew":
        check_renewal(
            row["state"], row["term_end"], today(ctx.tz), ctx.settings.roster.renewal_window_days
        )
    if action == "approve" and actor.kind == "staff" and actor.id == row["nominated_by"]:
        raise FourEyesViolation(
            "推荐人不能审批自己推荐的人员（四眼原则）",
            "The token that nominated this person cannot approve it (four eyes)",
        )
    now = dt.datetime.now(dt.UTC)
    values: dict[Any, Any] = {
        Membership.state: target,
        Membership.updated_at: now,
        Membership.state_reason: reason,
    }
    if action in ("approve", "reject"):
        values[Membership.decided_by] = actor.id
        values[Membership.decided_at] = now
    if action in ("approve", "renew"):
        directory = await get_directory_row(row["directory"])
        start = today(ctx.tz)
        values[Membership.term_start] = start
        values[Membership.term_end] = start + dt.timedelta(days=directory["term_days"] - 1)
        values[Membership.term_no] = row["term_no"] + 1
    # One transaction from the state change to the listeners' work (certificate
    # issuance or revocation): an approval never stands without its certificate.
    async with Membership._meta.db.transaction():
        # The state and the term number as read: a concurrent second decision, or a second
        # renewal (active → active, so the state alone cannot tell), updates nothing.
        updated = (
            await Membership.update(values)
            .where(
                And(
                    And(Membership.id == membership_id, Membership.state == row["state"]),
                    Membership.term_no == row["term_no"],
                )
            )
            .returning(Membership.id)
        )
        if not updated:
            raise Conflict(
                "记录已被他人更改，请刷新后重试",
                "The membership changed meanwhile; reload and retry",
            )
        await audit.record(
            actor,
            f"membership.{action}",
            "membership",
            membership_id,
            reason=reason,
            data={"from": row["state"], "to": target},
        )
        fresh = await get_row(membership_id)
        for listener in ctx.membership_listeners:
            await listener(ctx, actor, fresh, action)
    return await get_membership(ctx, membership_id)


async def list_memberships(
    ctx: Context,
    *,
    state: str | None = None,
    directory_id: int | None = None,
    identity_id: int | None = None,
    due_within_days: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[MembershipOut], int]:
    """Memberships by filter. ``due_within_days`` lists active terms ending that soon
    (the roster's periodic review), soonest first."""
    conditions = []
    if state:
        conditions.append(Membership.state == state)
    if directory_id:
        conditions.append(Membership.directory == directory_id)
    if identity_id:
        conditions.append(Membership.identity == identity_id)
    query = _select()
    count = Membership.count()
    if due_within_days is not None:
        horizon = today(ctx.tz) + dt.timedelta(days=due_within_days)
        conditions.append(Membership.state == "active")
        conditions.append(Membership.term_end <= horizon)
        query = query.order_by(Membership.term_end)
    else:
        query = query.order_by(Membership.id, ascending=False)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.limit(limit).offset(offset)
    return [to_out(ctx, row) for row in await _with_certificates(rows)], await count


async def expire_lapsed(ctx: Context, actor: Principal | str = "system:review") -> list[int]:
    """Move active memberships whose term ended before today to ``expired``."""
    rows = await Membership.select(Membership.id).where(
        And(Membership.state == "active", Membership.term_end < today(ctx.tz))
    )
    expired = []
    for row in rows:
        principal = (
            actor
            if isinstance(actor, Principal)
            else Principal(kind="system", id=0, name=actor, role="system")
        )
        await transition(ctx, principal, row["id"], "expire", "term ended")
        expired.append(row["id"])
    return expired


__all__ = [
    "Identity",
    "expire_lapsed",
    "get_membership",
    "list_memberships",
    "nominate",
    "transition",
]
