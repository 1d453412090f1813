"""The append-only audit log: every change is an event (actor, action, target, time, reason)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from huicui.audit.schemas import AuditEventOut
from huicui.audit.tables import AuditEvent
from huicui.auth import Principal
from huicui.timefmt import to_local_iso


async def record(
    actor: Principal | str,
    action: str,
    target_type: str,
    target_id: Any,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event. ``data`` must never hold personal data in plain text."""
    if isinstance(actor, Principal):
        name, role = actor.label, actor.role
    else:
        name, role = actor, "system"
    await AuditEvent.insert(
        AuditEvent(
            actor=name[:100],
            actor_role=role,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            reason=reason or "",
            data=msgspec.json.encode(data or {}).decode(),
        )
    )


async def list_events(
    *,
    tz: Any,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEventOut], int]:
    """Events newest first, filtered; returns (page, total)."""
    query = AuditEvent.select()
    count = AuditEvent.count()
    conditions = []
    if actor:
        conditions.append(AuditEvent.actor.like(f"%{actor}%"))
    if action:
        conditions.append(AuditEvent.action == action)
    if target_type:
        conditions.append(AuditEvent.target_type == target_type)
    if target_id:
        conditions.append(AuditEvent.target_id == target_id)
    if since:
        conditions.append(AuditEvent.at >= since)
    if until:
        conditions.append(AuditEvent.at < until)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(AuditEvent.id, ascending=False).limit(limit).offset(offset)
    total = await count
    out = []
    for row in rows:
        data = row["data"]
        if isinstance(data, str):
            data = msgspec.json.decode(data or "{}")
        out.append(
            AuditEventOut(
                id=row["id"],
                at=to_local_iso(row["at"], tz),
                actor=row["actor"],
                actor_role=row["actor_role"],
                action=row["action"],
                target_type=row["target_type"],
                target_id=row["target_id"],
                reason=row["reason"],
                data=data,
            )
        )
    return out, total
