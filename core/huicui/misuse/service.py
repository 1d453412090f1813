"""Staff review of misuse flags: list, look at the evidence, suspend the member or dismiss."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.columns.combination import And

from huicui.audit import service as audit
from huicui.auth import Principal
from huicui.context import Context
from huicui.errors import Conflict, InvalidInput, NotFound
from huicui.misuse.detect import IMPOSSIBLE_TRAVEL, OVER_LIMIT
from huicui.misuse.scan import json_value, membership_of
from huicui.misuse.schemas import FlagDetailOut, FlagOut, RecordOut
from huicui.misuse.tables import MisuseFlag
from huicui.sync.tables import Redemption
from huicui.timefmt import to_local_iso
from huicui.venues.tables import Device, Venue

KIND_ZH = {OVER_LIMIT: "跨设备超出使用次数", IMPOSSIBLE_TRAVEL: "异地使用间隔过短"}
KIND_EN = {OVER_LIMIT: "over limit across devices", IMPOSSIBLE_TRAVEL: "impossible travel"}
STATUS_ZH = {"open": "待处理", "dismissed": "已驳回", "actioned": "已处理（已暂停）"}
PERIOD_ZH = {"day": "每日", "week": "每周", "month": "每月", "year": "每年"}
PERIOD_EN = {"day": "per day", "week": "per week", "month": "per month", "year": "per year"}


def _benefit_names(ctx: Context, code: int | None) -> tuple[str, str]:
    info = ctx.plugins.benefit(code) if (ctx.plugins is not None and code is not None) else None
    if info is None:
        return ("", "") if code is None else (f"权益 {code}", f"benefit {code}")
    return info.name_zh, info.name_en


def summary(kind: str, details: dict[str, Any]) -> tuple[str, str]:
    """What a flag found, in Chinese and English, from its details."""
    if kind == OVER_LIMIT:
        per = details.get("per", "")
        where_zh = "（同一场所）" if details.get("scope") == "venue" else ""
        where_en = " at one venue" if details.get("scope") == "venue" else ""
        venues = len(details.get("venues", []))
        return (
            f"{PERIOD_ZH.get(per, per)}限 {details.get('limit')} 次{where_zh}，"
            f"实际通过 {details.get('count')} 次，涉及 {venues} 个场所",
            f"limit {details.get('limit')} {PERIOD_EN.get(per, per)}{where_en}; "
            f"accepted {details.get('count')} times at {venues} venue(s)",
        )
    if kind == IMPOSSIBLE_TRAVEL:
        km, minutes = details.get("distance_km"), details.get("minutes")
        speed = details.get("speed_kmh")
        speed_zh = f"，需时速 {speed} 公里" if speed is not None else "，同一时刻"
        speed_en = f", {speed} km/h needed" if speed is not None else ", at the same moment"
        return (
            f"相距 {km} 公里的两处场所，间隔 {minutes} 分钟{speed_zh}",
            f"two venues {km} km apart used {minutes} minutes apart{speed_en}",
        )
    return kind, kind


def to_out(ctx: Context, row: dict[str, Any]) -> FlagOut:
    details = json_value(row["details"]) or {}
    zh, en = _benefit_names(ctx, row["benefit"])
    summary_zh, summary_en = summary(row["kind"], details)
    return FlagOut(
        id=row["id"],
        kind=row["kind"],
        kind_zh=KIND_ZH.get(row["kind"], row["kind"]),
        certificate_id=row["certificate_id"],
        membership_id=row["membership_id"],
        benefit=row["benefit"],
        benefit_name_zh=zh,
        benefit_name_en=en,
        redemption_uuids=list(json_value(row["redemption_uuids"]) or []),
        details=details,
        summary_zh=summary_zh,
        summary_en=summary_en,
        status=row["status"],
        status_zh=STATUS_ZH.get(row["status"], row["status"]),
        created_at=to_local_iso(row["created_at"], ctx.tz) or "",
        handled_by=row["handled_by"],
        handled_at=to_local_iso(row["handled_at"], ctx.tz),
        note=row["note"],
    )


async def list_flags(
    ctx: Context,
    *,
    status: str | None = None,
    kind: str | None = None,
    membership_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[FlagOut], int]:
    """Flags newest first, filtered; returns (page, total)."""
    query = MisuseFlag.select()
    count = MisuseFlag.count()
    conditions = []
    if status:
        conditions.append(MisuseFlag.status == status)
    if kind:
        conditions.append(MisuseFlag.kind == kind)
    if membership_id:
        conditions.append(MisuseFlag.membership_id == membership_id)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(MisuseFlag.id, ascending=False).limit(limit).offset(offset)
    return [to_out(ctx, row) for row in rows], await count


async def _row(flag_id: int) -> dict[str, Any]:
    row = await MisuseFlag.select().where(MisuseFlag.id == flag_id).first()
    if row is None:
        raise NotFound("未找到该异常使用记录", f"Misuse flag {flag_id} not found")
    return row


async def records_of(ctx: Context, uuids: list[str]) -> list[RecordOut]:
    """The stored redemptions ``uuids`` name, oldest first, with venue and device names."""
    if not uuids:
        return []
    rows = (
        await Redemption.select(
            Redemption.uuid,
            Redemption.at,
            Redemption.benefit,
            Redemption.venue,
            Redemption.device,
            Redemption.decision,
            Redemption.reason,
        )
        .where(Redemption.uuid.is_in(uuids))
        .order_by(Redemption.at)
    )
    venue_ids = sorted({r["venue"] for r in rows})
    device_ids = sorted({r["device"] for r in rows})
    venues = {
        v["id"]: v
        for v in await Venue.select(Venue.id, Venue.name_zh, Venue.name_en).where(
            Venue.id.is_in(venue_ids or [0])
        )
    }
    devices = {
        d["id"]: d["name"]
        for d in await Device.select(Device.id, Device.name).where(
            Device.id.is_in(device_ids or [0])
        )
    }
    out = []
    for r in rows:
        venue = venues.get(r["venue"], {})
        out.append(
            RecordOut(
                uuid=r["uuid"],
                at=to_local_iso(r["at"], ctx.tz) or "",
                benefit=r["benefit"],
                benefit_name_zh=_benefit_names(ctx, r["benefit"])[0],
                venue_id=r["venue"],
                venue_name_zh=venue.get("name_zh", ""),
                venue_name_en=venue.get("name_en", ""),
                device_id=r["device"],
                device_name=devices.get(r["device"], ""),
                decision=r["decision"],
                reason=r["reason"],
            )
        )
    return out


async def get_flag(ctx: Context, flag_id: int) -> FlagDetailOut:
    """One flag and the redemption records behind it."""
    flag = to_out(ctx, await _row(flag_id))
    return FlagDetailOut(flag=flag, records=await records_of(ctx, flag.redemption_uuids))


def _reason(text: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise InvalidInput("处理异常使用必须说明原因", "a reason is required", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("原因不能超过 2000 字", "the reason is longer than 2000 characters",
                           field="reason")
    return reason


def _require_open(row: dict[str, Any]) -> None:
    if row["status"] != "open":
        raise Conflict(
            f"该记录已处理（{STATUS_ZH.get(row['status'], row['status'])}）",
            f"misuse flag {row['id']} is already {row['status']}",
            current_status=row["status"],
        )


async def _close(flag_id: int, status: str, actor: Principal, reason: str) -> None:
    now = dt.datetime.now(dt.UTC)
    done = (
        await MisuseFlag.update(
            {
                MisuseFlag.status: status,
                MisuseFlag.handled_by: actor.label[:100],
                MisuseFlag.handled_at: now,
                MisuseFlag.note: reason,
                MisuseFlag.updated_at: now,
            }
        )
        .where(And(MisuseFlag.id == flag_id, MisuseFlag.status == "open"))
        .returning(MisuseFlag.id)
    )
    if not done:
        raise Conflict("记录已被他人处理，请刷新", "the flag was handled meanwhile; reload")


async def suspend(ctx: Context, actor: Principal, flag_id: int, reason: str) -> FlagDetailOut:
    """Suspend the flagged member (their certificate is revoked) and mark the flag actioned."""
    from huicui.memberships.service import transition

    reason = _reason(reason)
    row = await _row(flag_id)
    _require_open(row)
    membership_id = row["membership_id"] or await membership_of(row["certificate_id"])
    if membership_id is None:
        raise Conflict(
            "该证书不属于任何已登记成员（可能是伪造或外来证书），无法暂停；请驳回并说明",
            "the certificate belongs to no known membership (forged or foreign?); "
            "dismiss the flag with a note instead",
        )
    # The membership's listeners revoke its certificate; the next bundle carries that.
    await transition(ctx, actor, membership_id, "suspend", f"misuse flag {flag_id}: {reason}")
    await _close(flag_id, "actioned", actor, reason)
    await audit.record(
        actor,
        "misuse.suspend",
        "misuse_flag",
        flag_id,
        reason=reason,
        data={"kind": row["kind"], "membership_id": membership_id},
    )
    return await get_flag(ctx, flag_id)


async def dismiss(ctx: Context, actor: Principal, flag_id: int, reason: str) -> FlagDetailOut:
    """Close a flag without action (e.g. two cards read at one counter); reason kept."""
    reason = _reason(reason)
    row = await _row(flag_id)
    _require_open(row)
    await _close(flag_id, "dismissed", actor, reason)
    await audit.record(
        actor,
        "misuse.dismiss",
        "misuse_flag",
        flag_id,
        reason=reason,
        data={"kind": row["kind"], "membership_id": row["membership_id"]},
    )
    return await get_flag(ctx, flag_id)
