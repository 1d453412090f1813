"""The live phone card: binding a term's certificate to one phone (docs/hb2.md).

The holder's page sends the phone's Ed25519 public key with the **activation code** and
gets a **bound certificate**: the term certificate's claims (same cti, benefits and
expiry) plus the phone's key, signed by the current issuer key. One phone per card: a
new activation supersedes the previous phone, whose key hash the next bundle lists.

Defence against a leaked holder link: the link alone cannot move the card. Activation
also needs the activation code, printed on the paper certificate and given by the
office (``activation_codes``), wrong codes are counted and lock activation
after ``cards.wrong_code_limit``, and a superseded phone learns of it the next time it
is online (:func:`phone_status`) and can take the card back with the same code.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import time
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from huicui_verifier import hb1, hb2
from piccolo.columns.combination import And
from piccolo.engine.finder import engine_finder

from huicui.audit import service as audit
from huicui.auth import Principal
from huicui.context import Context
from huicui.errors import Conflict, HuicuiError, InvalidInput, NotFound
from huicui.issuance.activation_codes import activation_code, normalize_code
from huicui.issuance.certificates import get_row, invalid_reason, row_for_token
from huicui.issuance.keys import certificate_signer
from huicui.issuance.schemas import (
    ActivateIn,
    ActivationOut,
    ActivationStateOut,
    PhoneStatusOut,
)
from huicui.issuance.tables import Certificate, PhoneBinding

HOLDER = "holder"  # the audit actor of what a holder does on their card page


class ActivationLimit(HuicuiError):
    status = 409
    code = "activation_limit"


class WrongActivationCode(HuicuiError):
    status = 403
    code = "wrong_activation_code"


class ActivationLocked(HuicuiError):
    status = 423
    code = "activation_locked"


def server_time_ms() -> int:
    """The service's clock in epoch milliseconds, for the phone's offset."""
    return time.time_ns() // 1_000_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not isinstance(text, str) or len(text) > 100:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_public_key(text: str) -> bytes:
    """The phone's raw Ed25519 public key from base64url; a 422 problem when it is not one."""
    try:
        raw = _unb64(text)
        if len(raw) != hb2.DEVICE_KEY_LENGTH:
            raise ValueError("length")
        Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise InvalidInput(
            "手机公钥无效：应为 32 字节 Ed25519 公钥的 base64url 编码",
            "public_key must be the base64url of a 32-byte Ed25519 public key",
            field="public_key",
        ) from None
    return raw


def _key_hash(device_key: bytes) -> str:
    return hb2.device_key_hash(device_key).hex()


async def _active_binding(certificate_id: int) -> dict[str, Any] | None:
    return (
        await PhoneBinding.select()
        .where(And(PhoneBinding.certificate == certificate_id, PhoneBinding.status == "active"))
        .first()
    )


async def activate(ctx: Context, token: str, data: ActivateIn) -> ActivationOut:
    """Bind the card behind ``token`` to the phone with ``data.public_key``.

    Checks, in order: the link (404), the card is usable (409), the key (422), not locked
    by wrong codes (423), the code (403, counted), the allowance (409). Activating the
    phone that is already bound answers again without counting (a retried request).
    """
    row = await row_for_token(token)
    if row is None:
        raise NotFound("此链接无效或已更换", "this card link is not valid or was replaced")
    now = dt.datetime.now(dt.UTC)
    reason_zh, reason_en = await invalid_reason(row, now)
    if reason_zh:
        raise Conflict(f"证书不可用：{reason_zh}", f"the card cannot be used: {reason_en}")
    device_key = parse_public_key(data.public_key)
    settings = ctx.settings.cards
    if row["activation_failures"] >= settings.wrong_code_limit:
        raise ActivationLocked(
            "启用码错误次数过多，已锁定。请持身份证件到工作站办理。",
            "too many wrong activation codes: activation is locked; ask the office",
        )
    expected = activation_code(ctx, row["cti"], row["activation_code_generation"])
    if not hmac.compare_digest(normalize_code(data.code), expected):
        await Certificate.update(
            {Certificate.activation_failures: Certificate.activation_failures + 1}
        ).where(Certificate.id == row["id"])
        left = settings.wrong_code_limit - row["activation_failures"] - 1
        await audit.record(
            HOLDER,
            "card.activate_refused",
            "certificate",
            row["cti"],
            reason="wrong activation code",
            data={"attempts_left": left},
        )
        raise WrongActivationCode(
            f"启用码不正确，还可尝试 {left} 次。启用码印在纸质证书上，也可向工作站索取。",
            f"wrong activation code; {left} attempts left. It is printed on the paper "
            "certificate, or ask the office.",
            attempts_left=left,
        )
    current = await _active_binding(row["id"])
    if current is not None and current["device_key"] == device_key.hex():
        return _activation_out(ctx, row, current, [])
    if row["phone_activations"] >= settings.activations_per_term:
        raise ActivationLimit(
            f"本任期已在 {row['phone_activations']} 部手机上启用，已达上限。"
            "请到工作站说明情况，工作人员可重置。",
            f"this card was activated on {row['phone_activations']} phones this term, the "
            "limit; the office can reset it",
            activations_used=row["phone_activations"],
            activations_allowed=settings.activations_per_term,
        )

    claims = hb1.decode(row["hb1"]).claims
    iat = int(now.timestamp())
    if iat >= claims.exp:
        raise Conflict("证书已过期", "the certificate has expired")
    bound_claims = msgspec.structs.replace(claims, iat=iat)
    private_key, kid = await certificate_signer(ctx)
    bound = hb2.sign_bound(bound_claims, device_key, private_key, kid)
    superseded: list[str] = []
    async with engine_finder().transaction():
        old = await PhoneBinding.select(PhoneBinding.id, PhoneBinding.key_hash).where(
            And(PhoneBinding.certificate == row["id"], PhoneBinding.status == "active")
        )
        superseded = [r["key_hash"] for r in old]
        if old:
            await PhoneBinding.update(
                {PhoneBinding.status: "superseded", PhoneBinding.superseded_at: now}
            ).where(PhoneBinding.id.is_in([r["id"] for r in old]))
        await PhoneBinding.insert(
            PhoneBinding(
                certificate=row["id"],
                cti=row["cti"],
                device_key=device_key.hex(),
                key_hash=_key_hash(device_key),
                kid=kid.hex(),
                iat=iat,
                exp=claims.exp,
                bound=_b64(bound),
                status="active",
                created_at=now,
            )
        )
        await Certificate.update(
            {
                Certificate.phone_activations: Certificate.phone_activations + 1,
                Certificate.activation_failures: 0,
            }
        ).where(Certificate.id == row["id"])
    # The audit event is also what tells the bundle service that its content changed.
    await audit.record(
        HOLDER,
        "card.activate",
        "certificate",
        row["cti"],
        data={
            "key_hash": _key_hash(device_key),
            "supersedes": superseded,
            "activations": row["phone_activations"] + 1,
        },
    )
    fresh = await get_row(row["cti"])
    binding = await _active_binding(row["id"])
    assert binding is not None
    return _activation_out(ctx, fresh, binding, superseded)


def _activation_out(
    ctx: Context, row: dict[str, Any], binding: dict[str, Any], superseded: list[str]
) -> ActivationOut:
    return ActivationOut(
        cti=row["cti"],
        bound=binding["bound"],
        key_hash=binding["key_hash"],
        iat=binding["iat"],
        exp=binding["exp"],
        server_time_ms=server_time_ms(),
        activations_used=row["phone_activations"],
        activations_allowed=ctx.settings.cards.activations_per_term,
        superseded=superseded,
    )


async def phone_status(ctx: Context, token: str, key_hash: str) -> PhoneStatusOut:
    """The server's clock, and whether the phone with ``key_hash`` still holds the card."""
    row = await row_for_token(token)
    if row is None:
        raise NotFound("此链接无效或已更换", "this card link is not valid or was replaced")
    binding = await _active_binding(row["id"])
    if binding is not None and hmac.compare_digest(binding["key_hash"], str(key_hash).lower()):
        return PhoneStatusOut(
            server_time_ms=server_time_ms(),
            current=True,
            bound=binding["bound"],
            superseded_at=None,
        )
    mine = (
        await PhoneBinding.select(PhoneBinding.superseded_at)
        .where(And(PhoneBinding.certificate == row["id"], PhoneBinding.key_hash == key_hash))
        .first()
    )
    when = mine["superseded_at"] if mine else None
    return PhoneStatusOut(
        server_time_ms=server_time_ms(),
        current=False,
        bound=None,
        superseded_at=when.astimezone(ctx.tz).isoformat(timespec="seconds") if when else None,
    )


async def activation_state(ctx: Context, cti_hex: str, *, with_code: bool) -> ActivationStateOut:
    """A card's activation counters; ``with_code`` adds the current activation code."""
    row = await get_row(cti_hex)
    binding = await _active_binding(row["id"])
    settings = ctx.settings.cards
    return ActivationStateOut(
        id=row["cti"],
        activations_used=row["phone_activations"],
        activations_allowed=settings.activations_per_term,
        wrong_codes=row["activation_failures"],
        locked=row["activation_failures"] >= settings.wrong_code_limit,
        active_key_hash=binding["key_hash"] if binding else None,
        code=activation_code(ctx, row["cti"], row["activation_code_generation"])
        if with_code
        else None,
    )


async def reveal_code(ctx: Context, actor: Principal | str, cti_hex: str) -> ActivationStateOut:
    """The activation code for the office to give a holder who proved who they are (audited)."""
    out = await activation_state(ctx, cti_hex, with_code=True)
    await audit.record(actor, "card.activation_code_shown", "certificate", out.id)
    return out


async def reset_activations(
    ctx: Context, actor: Principal | str, cti_hex: str, reason: str, *, new_code: bool = False
) -> ActivationStateOut:
    """Give the holder a fresh allowance of activations and clear wrong-code attempts.

    ``new_code`` also replaces the activation code (the printed one stops working): for a
    code that leaked. A reason is required; the reset is audited.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("重置必须说明原因", "a reason is required to reset activations")
    row = await get_row(cti_hex)
    values: dict[Any, Any] = {Certificate.phone_activations: 0, Certificate.activation_failures: 0}
    if new_code:
        values[Certificate.activation_code_generation] = row["activation_code_generation"] + 1
    await Certificate.update(values).where(Certificate.id == row["id"])
    await audit.record(
        actor,
        "card.activations_reset",
        "certificate",
        row["cti"],
        reason=reason,
        data={
            "activations_before": row["phone_activations"],
            "wrong_codes_before": row["activation_failures"],
            "new_code": new_code,
        },
    )
    return await activation_state(ctx, row["cti"], with_code=new_code)


async def superseded_key_hashes(now: dt.datetime) -> list[bytes]:
    """8-byte key hashes of superseded phones whose certificate has not expired, sorted.

    A hash appears once even if the same phone was bound, superseded and bound again;
    a phone that holds the card again is not listed (its key is active once more).
    """
    now_ts = int(now.timestamp())
    rows = await PhoneBinding.select(PhoneBinding.key_hash, PhoneBinding.status).where(
        PhoneBinding.exp > now_ts
    )
    active = {r["key_hash"] for r in rows if r["status"] == "active"}
    superseded = {r["key_hash"] for r in rows if r["status"] == "superseded"} - active
    return [bytes.fromhex(h) for h in sorted(superseded)]
