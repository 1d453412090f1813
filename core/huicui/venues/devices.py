"""Devices: enrollment (a token shown once), enable/disable, rename, and the ``hcd_`` token
resolver (kept in memory by :mod:`huicui.venues.device_tokens`)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import shlex
from typing import Any

import msgspec
from huicui_verifier.bundle import fingerprint

from huicui.audit import service as audit
from huicui.auth import DEVICE_PREFIX, Principal
from huicui.context import Context
from huicui.db import one_connection
from huicui.errors import HuicuiError, NotFound
from huicui.timefmt import to_local_iso
from huicui.vault import hash_token, new_token
from huicui.venues.device_tokens import bump_generation
from huicui.venues.schemas import (
    DeviceIn,
    DeviceOut,
    DevicePatch,
    EnrolledOut,
    EnrollmentCodeOut,
    EnrollmentOut,
)
from huicui.venues.service import venue_row
from huicui.venues.tables import Device, DeviceEnrollment

# Where the browser verifier is served; an enrollment code is a link into it.
VERIFY_PATH = "/verify/"


class EnrollmentCodeUnknown(HuicuiError):
    status = 404
    code = "enrollment_code_unknown"


class EnrollmentCodeUsed(HuicuiError):
    status = 409
    code = "enrollment_code_used"


class EnrollmentCodeExpired(HuicuiError):
    status = 410
    code = "enrollment_code_expired"


class DeviceDisabled(HuicuiError):
    status = 403
    code = "device_disabled"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _device_out(ctx: Context, row: dict) -> DeviceOut:
    return DeviceOut(
        id=row["id"],
        venue_id=row["venue"],
        name=row["name"],
        token_prefix=row["prefix"],
        enabled=row["enabled"],
        last_seen_at=to_local_iso(row["last_seen_at"], ctx.tz),
        last_sync_at=to_local_iso(row["last_sync_at"], ctx.tz),
        bundle_version=row["bundle_version"],
        created_at=to_local_iso(row["created_at"], ctx.tz) or "",
    )


async def _device_row(device_id: int) -> dict:
    row = await Device.select().where(Device.id == device_id).first()
    if row is None:
        raise NotFound(
            f"没有编号为 {device_id} 的设备", f"no device {device_id}", device_id=device_id
        )
    return row


async def get_device(ctx: Context, device_id: int) -> DeviceOut:
    """One device (never its token)."""
    return _device_out(ctx, await _device_row(device_id))


async def list_devices(
    ctx: Context, *, venue_id: int | None, enabled: bool | None, limit: int, offset: int
) -> tuple[list[DeviceOut], int]:
    """Devices by id, optionally of one venue or only enabled/disabled ones."""
    query, count = Device.select(), Device.count()
    if venue_id is not None:
        query, count = query.where(Device.venue == venue_id), count.where(Device.venue == venue_id)
    if enabled is not None:
        query, count = (
            query.where(Device.enabled == enabled),
            count.where(Device.enabled == enabled),
        )
    rows = await query.order_by(Device.id).limit(limit).offset(offset)
    return [_device_out(ctx, r) for r in rows], await count


async def bundle_key_fingerprint(ctx: Context) -> str:
    """The fingerprint a device pins at enrollment (of the bundle signing key)."""
    from huicui.issuance.keys import bundle_signer

    _, public_key = await bundle_signer(ctx)
    return fingerprint(public_key)


def enroll_command(server: str, token: str, fp: str) -> str:
    """The exact command to type on the device."""
    return "huicui-verify enroll " + " ".join(
        f"{flag} {shlex.quote(value)}"
        for flag, value in (("--server", server), ("--token", token), ("--fingerprint", fp))
    )


async def enroll_device(ctx: Context, actor: Principal, data: DeviceIn) -> EnrollmentOut:
    """Create a device at a venue; returns its token once, the fingerprint and the command."""
    await venue_row(data.venue_id)
    fp = await bundle_key_fingerprint(ctx)
    token = new_token(DEVICE_PREFIX)
    rows = await Device.insert(
        Device(
            venue=data.venue_id,
            name=data.name.strip(),
            token_hash=hash_token(token),
            prefix=token[:8],
            enabled=True,
        )
    ).returning(Device.id)
    device_id = rows[0]["id"]
    await audit.record(
        actor,
        "device.enroll",
        "device",
        device_id,
        data={"venue_id": data.venue_id, "name": data.name.strip()},
    )
    server = ctx.settings.server.base_url()
    return EnrollmentOut(
        device=await get_device(ctx, device_id),
        token=token,
        fingerprint=fp,
        command=enroll_command(server, token, fp),
        enrollment=await _new_enrollment_code(ctx, device_id, fp),
    )


def enrollment_text(server: str, secret: str, fp: str) -> str:
    """What an enrollment QR holds: the verifier page with the secret and fingerprint.

    After ``#``, so a browser never sends them to a server (nor to its logs); a phone's
    ordinary camera app opens the page from it, and the page's own scanner reads it too.
    """
    return f"{server.rstrip('/')}{VERIFY_PATH}#enroll={secret}&fp={fp}"


async def _new_enrollment_code(ctx: Context, device_id: int, fp: str) -> EnrollmentCodeOut:
    # 24 random bytes: unguessable, and short enough for a QR a phone reads at arm's length.
    secret = secrets.token_urlsafe(24)
    minutes = ctx.settings.sync.enrollment_code_minutes
    expires = _now() + dt.timedelta(minutes=minutes)
    await DeviceEnrollment.insert(
        DeviceEnrollment(device=device_id, secret_hash=hash_token(secret), expires_at=expires)
    )
    text = enrollment_text(ctx.settings.server.base_url(), secret, fp)
    from huicui.issuance.cards import qr_png, qr_svg

    return EnrollmentCodeOut(
        text=text,
        expires_at=to_local_iso(expires, ctx.tz) or "",
        qr_svg=qr_svg(text, title="荟萃核验设备登记 / Huicui verifier enrollment"),
        qr_png=base64.b64encode(qr_png(text)).decode("ascii"),
    )


async def new_enrollment_code(ctx: Context, actor: Principal, device_id: int) -> EnrollmentCodeOut:
    """A fresh one-time enrollment code for an existing device (a new or reset phone).

    Exchanging it gives the phone a new token: the device's earlier token stops working.
    """
    row = await _device_row(device_id)
    if not row["enabled"]:
        raise DeviceDisabled(
            "设备已停用，请先启用", f"device {device_id} is disabled: enable it first",
            device_id=device_id,
        )
    out = await _new_enrollment_code(ctx, device_id, await bundle_key_fingerprint(ctx))
    await audit.record(actor, "device.enrollment_code", "device", device_id,
                       data={"venue_id": row["venue"]})
    return out


async def exchange_enrollment_code(ctx: Context, secret: str) -> EnrolledOut:
    """Trade a one-time enrollment secret for the device's token, exactly once.

    The code is marked used by the same conditional update that checks it is unused and
    unexpired, so of two phones racing with one code only one gets a token. The device's
    token is replaced: whoever held the earlier one (the CLI command) is refused from now.
    """
    now = _now()
    digest = hash_token(secret)
    async with one_connection(write=True):
        used = await DeviceEnrollment.update({DeviceEnrollment.used_at: now}).where(
            (DeviceEnrollment.secret_hash == digest)
            & DeviceEnrollment.used_at.is_null()
            & (DeviceEnrollment.expires_at > now)
        ).returning(DeviceEnrollment.device)
        if not used:
            row = await DeviceEnrollment.select().where(
                DeviceEnrollment.secret_hash == digest
            ).first()
            if row is None:
                raise EnrollmentCodeUnknown(
                    "登记码无效，请在办公室重新生成", "unknown enrollment code: make a new one"
                )
            if row["used_at"] is not None:
                raise EnrollmentCodeUsed(
                    "登记码已被使用过，每个登记码只能用一次，请重新生成",
                    "this enrollment code was already used; each works once: make a new one",
                )
            raise EnrollmentCodeExpired(
                "登记码已过期，请在办公室重新生成",
                "this enrollment code has expired: make a new one",
            )
        device_id = used[0]["device"]
        device = await _device_row(device_id)
        if not device["enabled"]:
            raise DeviceDisabled(
                "设备已停用", f"device {device_id} is disabled", device_id=device_id
            )
        token = new_token(DEVICE_PREFIX)
        await Device.update(
            {Device.token_hash: hash_token(token), Device.prefix: token[:8], Device.updated_at: now}
        ).where(Device.id == device_id)
        await bump_generation()  # other processes drop the earlier token
    _forget(ctx, device_id)
    await audit.record(f"device:{device_id}", "device.enroll_by_code", "device", device_id,
                       data={"venue_id": device["venue"]})
    return EnrolledOut(
        device_id=device_id,
        venue_id=device["venue"],
        token=token,
        fingerprint=await bundle_key_fingerprint(ctx),
    )


async def update_device(
    ctx: Context, actor: Principal, device_id: int, data: DevicePatch
) -> DeviceOut:
    """Rename a device."""
    await _device_row(device_id)
    if data.name is not msgspec.UNSET:
        async with one_connection(write=True):
            await Device.update(
                {Device.name: data.name.strip(), Device.updated_at: _now()}
            ).where(Device.id == device_id)
            await bump_generation()  # principals carry the name
        _forget(ctx, device_id)
        await audit.record(
            actor, "device.update", "device", device_id, data={"name": data.name.strip()}
        )
    return await get_device(ctx, device_id)


async def set_enabled(
    ctx: Context, actor: Principal, device_id: int, enabled: bool, reason: str = ""
) -> DeviceOut:
    """Enable or disable a device.

    This process refuses a disabled device's token from the next request; other
    processes within ``sync.device_check_seconds`` (:mod:`huicui.venues.device_tokens`).
    """
    row = await _device_row(device_id)
    if row["enabled"] != enabled:
        async with one_connection(write=True):
            await Device.update({Device.enabled: enabled, Device.updated_at: _now()}).where(
                Device.id == device_id
            )
            await bump_generation()
        _forget(ctx, device_id)
        await audit.record(
            actor,
            "device.enable" if enabled else "device.disable",
            "device",
            device_id,
            reason=reason,
            data={"venue_id": row["venue"]},
        )
    return await get_device(ctx, device_id)


def _forget(ctx: Context, device_id: int) -> None:
    if ctx.device_tokens is not None:
        ctx.device_tokens.forget_device(device_id)


async def device_principal(ctx: Context, token: str) -> Principal | None:
    """The enabled device a ``hcd_`` token names, from memory when this process knows it.

    The resolver ``huicui.app`` registers for device tokens, and what the bundle poll
    path may call: no database query while the token is known and fresh
    (:class:`huicui.venues.device_tokens.DeviceTokens`).
    """
    assert ctx.device_tokens is not None  # build_context makes it
    return await ctx.device_tokens.resolve(token)


async def note_bundle_delivered(device_id: int, version: int, known: dict[int, Any]) -> None:
    """Remember the bundle version a device received; writes only when it changes.

    ``known`` is the caller's in-memory map of device id → last recorded version.
    """
    if known.get(device_id) == version:
        return
    await Device.update({Device.bundle_version: version}).where(Device.id == device_id)
    known[device_id] = version
