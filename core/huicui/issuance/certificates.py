"""Certificates: issue on approval, supersede on renewal, revoke with a reason.

The HB1 text is made by ``huicui_verifier.hb1.encode`` — one implementation of the
format serves the service and the verifier. The holder link token is stored only as
its SHA-256: the link is a bearer credential for the card page, so a database copy
must not yield working links. The plain token is handed out once, when a link is
(re)issued; a renewal moves the stored hash to the new certificate, so the holder's
bookmarked link keeps working and shows the current card.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from typing import Any

import msgspec
from huicui_verifier import hb1
from piccolo.columns.combination import And, Or
from piccolo.engine.finder import engine_finder

from huicui.audit import service as audit
from huicui.auth import Principal
from huicui.benefits.eligibility import member_benefits, stored_codes
from huicui.context import Context
from huicui.directories.service import get_directory_row
from huicui.directories.tables import Directory
from huicui.errors import Conflict, HuicuiError, InvalidInput, NotFound
from huicui.identities.tables import Identity
from huicui.issuance.activation_codes import activation_code
from huicui.issuance.cards import CardContent
from huicui.issuance.holder_page import HolderCard
from huicui.issuance.keys import certificate_signer
from huicui.issuance.schemas import CertificateBenefitOut, CertificateOut, HolderLinkOut, Issued
from huicui.issuance.tables import Certificate, SigningKey
from huicui.memberships.tables import Membership
from huicui.timefmt import to_local_iso
from huicui.vault import hash_token

_CTI_HEX = re.compile(r"^[0-9a-fA-F]{16}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
NO_DOCUMENT = "-"  # printed instead of the last four when no ID document is on file
STATUS_ZH = {"active": "有效", "revoked": "已撤销", "superseded": "已被新证书取代"}
ISSUING_ACTIONS = frozenset({"approve", "renew", "reinstate"})
REVOKING_ACTIONS = frozenset({"suspend", "revoke", "expire"})


def parse_cti(text: str) -> str:
    """A certificate id as given in a path (16 hex digits) → lower hex; else a 400 problem."""
    if not isinstance(text, str) or not _CTI_HEX.match(text):
        raise BadCertificateId(
            "证书编号应为 16 位十六进制字符",
            "certificate id must be 16 hex digits",
            parameter="id",
        )
    return text.lower()


def end_of_day(day: dt.date, tz: Any) -> int:
    """Epoch seconds of the midnight that ends ``day`` in ``tz`` (CWT ``exp`` is exclusive)."""
    return int(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).timestamp())


def holder_link(ctx: Context, token: str) -> str:
    """The full URL of a holder card page."""
    return f"{ctx.settings.server.base_url()}/cards/{token}"


def new_holder_token() -> str:
    """192 random bits, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


async def issue(
    ctx: Context, actor: Principal | str, membership_id: int, reason: str = ""
) -> Issued:
    """Issue a certificate for the membership's current term and supersede the old one.

    Claims: iss = program code, iat = now, exp = the end of the term's last day in the
    program's timezone, name = display name, the ID's last four, the benefits the
    holder is eligible for, and the directory number when it is not the default.
    The holder's link moves to the new certificate; a first certificate gets a new
    link, returned in :attr:`Issued.holder_link`.
    """
    membership = await Membership.select().where(Membership.id == membership_id).first()
    if membership is None:
        raise NotFound("未找到该入选记录", f"Membership {membership_id} not found")
    if membership["state"] != "active" or membership["term_end"] is None:
        raise Conflict(
            "只有有效的入选记录可以发证",
            f"membership {membership_id} is {membership['state']}; only active ones get a "
            "certificate",
        )
    identity = await Identity.select().where(Identity.id == membership["identity"]).first()
    directory = await get_directory_row(membership["directory"])
    benefits = await member_benefits(ctx, membership_id)
    now = int(dt.datetime.now(dt.UTC).timestamp())
    exp = end_of_day(membership["term_end"], ctx.tz)
    if exp <= now:
        raise Conflict("任期已结束，不能发证", "the term has already ended; renew first")
    private_key, kid = await certificate_signer(ctx)
    while True:
        cti = os.urandom(8)
        if not await Certificate.exists().where(Certificate.cti == cti.hex()):
            break
    claims = hb1.CertificateClaims(
        iss=ctx.settings.program.code,
        iat=now,
        exp=exp,
        cti=cti,
        name=identity["display_name"],
        id_last4=identity["id_doc_last4"] or NO_DOCUMENT,
        benefits=benefits,
        directory=directory["number"],
    )
    try:
        text = hb1.encode(claims, private_key, kid)
    except ValueError as exc:
        raise InvalidInput(
            "证书内容不符合 HB1 格式要求", f"certificate claims rejected: {exc}"
        ) from None

    at = dt.datetime.now(dt.UTC)
    plain_token: str | None = None
    async with engine_finder().transaction():
        previous = await Certificate.select(
            Certificate.id, Certificate.cti, Certificate.holder_token_hash
        ).where(And(Certificate.membership == membership_id, Certificate.status == "active"))
        # The latest certificate carrying a link passes it on (also after a suspension).
        carrier = (
            await Certificate.select(Certificate.id, Certificate.holder_token_hash)
            .where(
                And(
                    Certificate.membership == membership_id,
                    Certificate.holder_token_hash.is_not_null(),
                )
            )
            .order_by(Certificate.id, ascending=False)
            .first()
        )
        token_hash = carrier["holder_token_hash"] if carrier else None
        if carrier:
            await Certificate.update({Certificate.holder_token_hash: None}).where(
                Certificate.id == carrier["id"]
            )
        if token_hash is None:
            plain_token = new_holder_token()
            token_hash = hash_token(plain_token)
        for old in previous:
            await Certificate.update(
                {
                    Certificate.status: "superseded",
                    Certificate.revoked_at: at,
                    Certificate.revoke_reason: reason or "superseded",
                    Certificate.superseded_by: cti.hex(),
                }
            ).where(Certificate.id == old["id"])
        await Certificate.insert(
            Certificate(
                cti=cti.hex(),
                membership=membership_id,
                identity=membership["identity"],
                directory_number=directory["number"],
                kid=kid.hex(),
                iat=now,
                exp=exp,
                benefits=msgspec.json.encode(benefits).decode(),
                status="active",
                holder_token_hash=token_hash,
                hb1=text,
                created_at=at,
            )
        )
    await audit.record(
        actor,
        "certificate.issue",
        "certificate",
        cti.hex(),
        reason=reason,
        data={
            "membership_id": membership_id,
            "kid": kid.hex(),
            "benefits": benefits,
            "exp": exp,
            "supersedes": [old["cti"] for old in previous],
        },
    )
    return Issued(
        cti=cti.hex(), holder_link=holder_link(ctx, plain_token) if plain_token else None
    )


async def revoke(
    ctx: Context, actor: Principal | str, cti_hex: str, reason: str
) -> CertificateOut:
    """Revoke one certificate with a reason; the next bundle lists it.

    The membership stays as it is: revoking a certificate is about the card (lost,
    misprinted, key compromise), while suspending or revoking the membership is the
    decision about the person — that also revokes the certificate.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("撤销证书必须说明原因", "a reason is required to revoke a certificate")
    row = await get_row(cti_hex)
    if row["status"] != "active":
        raise Conflict(
            "该证书已不是有效状态",
            f"certificate {row['cti']} is already {row['status']}",
            current_status=row["status"],
        )
    await _revoke_row(actor, row["id"], row["cti"], row["membership"], reason)
    return await get_certificate(ctx, row["cti"])


async def _revoke_row(
    actor: Principal | str, certificate_id: int, cti: str, membership_id: int, reason: str
) -> None:
    """Mark one active certificate revoked and write its audit event."""
    await Certificate.update(
        {
            Certificate.status: "revoked",
            Certificate.revoked_at: dt.datetime.now(dt.UTC),
            Certificate.revoke_reason: reason,
        }
    ).where(And(Certificate.id == certificate_id, Certificate.status == "active"))
    await audit.record(
        actor,
        "certificate.revoke",
        "certificate",
        cti,
        reason=reason,
        data={"membership_id": membership_id},
    )


async def revoke_for_membership(
    ctx: Context, actor: Principal | str, membership_id: int, reason: str
) -> list[str]:
    """Revoke the membership's active certificate(s); returns their ids."""
    rows = await Certificate.select(Certificate.id, Certificate.cti).where(
        And(Certificate.membership == membership_id, Certificate.status == "active")
    )
    for row in rows:
        await _revoke_row(actor, row["id"], row["cti"], membership_id, reason)
    return [row["cti"] for row in rows]


async def on_membership_change(
    ctx: Context, actor: Principal | str, row: dict[str, Any], action: str
) -> None:
    """Membership listener: approval, renewal and reinstatement issue; the rest revoke."""
    if action in ISSUING_ACTIONS:
        await issue(ctx, actor, row["id"], reason=f"membership.{action}")
    elif action in REVOKING_ACTIONS:
        reason = row.get("state_reason") or f"membership.{action}"
        await revoke_for_membership(ctx, actor, row["id"], f"membership.{action}: {reason}")


async def get_row(cti_hex: str) -> dict[str, Any]:
    """The certificate row for ``cti_hex`` (validated), or :class:`NotFound`."""
    cti = parse_cti(cti_hex)
    row = await Certificate.select().where(Certificate.cti == cti).first()
    if row is None:
        raise NotFound("未找到该证书", f"certificate {cti} not found")
    return row


def benefit_out(ctx: Context, code: int) -> CertificateBenefitOut:
    """Code, slug and names of a benefit; an uninstalled code keeps its number."""
    info = None
    if ctx.plugins is not None:
        try:
            info = ctx.plugins.benefit(code)
        except (KeyError, LookupError):
            info = None
    if info is None:
        return CertificateBenefitOut(code=code, slug=f"benefit-{code}", name_zh=f"权益 {code}",
                                     name_en=f"Benefit {code}")
    return CertificateBenefitOut(code=code, slug=info.slug, name_zh=info.name_zh,
                                 name_en=info.name_en)


async def to_out(ctx: Context, row: dict[str, Any]) -> CertificateOut:
    key = await SigningKey.select(SigningKey.state).where(SigningKey.kid == row["kid"]).first()
    tz = ctx.tz
    valid_from, valid_until = _validity(ctx, row)
    return CertificateOut(
        id=row["cti"],
        text=row["hb1"],
        status=row["status"],
        status_zh=STATUS_ZH.get(row["status"], row["status"]),
        membership_id=row["membership"],
        identity_id=row["identity"],
        directory_number=row["directory_number"],
        kid=row["kid"],
        key_state=key["state"] if key else "unknown",
        issued_at=to_local_iso(dt.datetime.fromtimestamp(row["iat"], dt.UTC), tz) or "",
        valid_from=valid_from,
        valid_until=valid_until,
        iat=row["iat"],
        exp=row["exp"],
        benefits=[benefit_out(ctx, code) for code in stored_codes(row["benefits"]) or []],
        revoked_at=to_local_iso(row["revoked_at"], tz),
        revoke_reason=row["revoke_reason"],
        superseded_by=row["superseded_by"] or None,
    )


async def get_certificate(ctx: Context, cti_hex: str) -> CertificateOut:
    """One certificate by id (16 hex digits)."""
    return await to_out(ctx, await get_row(cti_hex))


async def reissue_holder_link(
    ctx: Context, actor: Principal | str, cti_hex: str
) -> HolderLinkOut:
    """A new holder link for the certificate; the old link stops working at once."""
    row = await get_row(cti_hex)
    token = new_holder_token()
    async with engine_finder().transaction():
        # The link belongs to the membership's latest card: take it off older ones too.
        await Certificate.update({Certificate.holder_token_hash: None}).where(
            Certificate.membership == row["membership"]
        )
        await Certificate.update({Certificate.holder_token_hash: hash_token(token)}).where(
            Certificate.id == row["id"]
        )
    await audit.record(
        actor, "certificate.holder_link", "certificate", row["cti"], reason="link reissued"
    )
    return HolderLinkOut(id=row["cti"], link=holder_link(ctx, token), token=token)


async def row_for_token(token: str) -> dict[str, Any] | None:
    """The certificate a holder link points to, or None for an unknown or old link."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    query = Certificate.select().where(Certificate.holder_token_hash == hash_token(token))
    return await query.first()


async def revoked_certificate_ids(now: dt.datetime) -> list[bytes]:
    """8-byte ids of revoked or superseded certificates still within validity, sorted.

    Expired ones are left out: verifiers refuse them as expired anyway.
    """
    now_ts = int(now.timestamp())
    # A bundle may carry millions of ids: one column as a flat list (no dict per row),
    # sorted as text (fixed-width lower-case hex sorts like the bytes) and decoded at once.
    ctis = await (
        Certificate.select(Certificate.cti)
        .where(
            And(
                Or(Certificate.status == "revoked", Certificate.status == "superseded"),
                Certificate.exp > now_ts,
            )
        )
        .output(as_list=True)
    )
    ctis.sort()
    raw = bytes.fromhex("".join(ctis))
    return [raw[i : i + 8] for i in range(0, len(raw), 8)]


async def revocation_changes(
    since: dt.datetime, expired_after: dt.datetime, now: dt.datetime
) -> tuple[list[bytes], list[bytes]]:
    """How the list of :func:`revoked_certificate_ids` moved since an earlier read.

    Returns (``added``, ``expired``), both sorted 8-byte ids: certificates revoked or
    superseded at or after ``since`` and still valid at ``now``, and revoked or
    superseded ones whose validity ended in (``expired_after``, ``now``]. A caller
    holding the list read at ``expired_after`` adds the ids it lacks and drops the ones
    it holds, and has the list a full read at ``now`` gives. Both reads are indexed
    (``revoked_at``, ``exp``), so they cost what changed, not the size of the list.
    """
    listed = Certificate.status.is_in(["revoked", "superseded"])
    now_ts, after_ts = int(now.timestamp()), int(expired_after.timestamp())
    added = await (
        Certificate.select(Certificate.cti)
        .where(Certificate.revoked_at >= since, listed, Certificate.exp > now_ts)
        .output(as_list=True)
    )
    expired = await (
        Certificate.select(Certificate.cti)
        .where(listed, Certificate.exp > after_ts, Certificate.exp <= now_ts)
        .output(as_list=True)
    )
    return (
        [bytes.fromhex(c) for c in sorted(added)],
        [bytes.fromhex(c) for c in sorted(expired)],
    )


async def certificate_for_cti(cti_hex: str) -> dict[str, Any] | None:
    """id, cti, membership id, identity id, status, benefits, iat, exp, kid — or None."""
    if not isinstance(cti_hex, str) or not _CTI_HEX.match(cti_hex):
        return None
    row = await Certificate.select().where(Certificate.cti == cti_hex.lower()).first()
    if row is None:
        return None
    return {
        "id": row["id"],
        "cti": row["cti"],
        "membership_id": row["membership"],
        "identity_id": row["identity"],
        "directory_number": row["directory_number"],
        "status": row["status"],
        "benefits": stored_codes(row["benefits"]) or [],
        "iat": row["iat"],
        "exp": row["exp"],
        "kid": row["kid"],
    }


async def active_certificate_ids(membership_ids: list[int]) -> dict[int, str]:
    """membership id → cti of its active certificate (for ``MembershipOut``)."""
    if not membership_ids:
        return {}
    rows = await Certificate.select(Certificate.membership, Certificate.cti).where(
        And(Certificate.membership.is_in(membership_ids), Certificate.status == "active")
    )
    return {row["membership"]: row["cti"] for row in rows}


async def memberships_signed_by(kid_hex: str) -> list[int]:
    """Active memberships whose active certificate ``kid_hex`` signed."""
    rows = await Certificate.select(Certificate.membership).where(
        And(Certificate.kid == kid_hex, Certificate.status == "active")
    )
    ids = sorted({row["membership"] for row in rows})
    if not ids:
        return []
    active = await Membership.select(Membership.id).where(
        And(Membership.id.is_in(ids), Membership.state == "active")
    )
    return sorted(row["id"] for row in active)


async def reissue_for_kid(ctx: Context, actor: Principal | str, kid_hex: str) -> list[str]:
    """New certificates for the active memberships whose certificate ``kid_hex`` signed.

    The old certificates are superseded (listed as revoked); holder links move along.
    """
    made = []
    for membership_id in await memberships_signed_by(kid_hex):
        issued = await issue(ctx, actor, membership_id, reason=f"reissue: key {kid_hex}")
        made.append(issued.cti)
    return made


class BadCertificateId(HuicuiError):
    status = 400
    code = "bad_certificate_id"


async def _program_names(ctx: Context, directory_number: int) -> tuple[str, str]:
    row = await Directory.select(Directory.name_zh, Directory.name_en).where(
        Directory.number == directory_number
    ).first()
    if row is None:
        return ctx.settings.program.name_zh, ctx.settings.program.name_en
    return row["name_zh"], row["name_en"]


def _validity(ctx: Context, row: dict[str, Any]) -> tuple[str, str]:
    start = dt.datetime.fromtimestamp(row["iat"], ctx.tz).date().isoformat()
    # exp is the exclusive end (midnight); the last valid day is the one before.
    end = dt.datetime.fromtimestamp(row["exp"] - 1, ctx.tz).date().isoformat()
    return start, end


def _issue_date(ctx: Context, row: dict[str, Any]) -> str:
    issued = row.get("created_at") or dt.datetime.fromtimestamp(row["iat"], dt.UTC)
    return issued.astimezone(ctx.tz).date().isoformat()


async def invalid_reason(row: dict[str, Any], now: dt.datetime) -> tuple[str, str]:
    """Why a certificate must not be used now (zh, en), or ``("", "")`` when it may."""
    if row["status"] == "revoked":
        return "证书已撤销", "the certificate was revoked"
    if row["status"] == "superseded":
        return "已由新证书取代", "replaced by a newer certificate"
    key = await SigningKey.select(SigningKey.state).where(SigningKey.kid == row["kid"]).first()
    if key is None or key["state"] == "compromised":
        return "签名密钥已停用，将为您补发新证书", "signing key withdrawn; a new card follows"
    if row["exp"] <= int(now.timestamp()):
        return "证书已过期", "the certificate has expired"
    return "", ""


async def card_content(ctx: Context, row: dict[str, Any]) -> CardContent:
    """What the printed certificate shows for ``row``."""
    claims = hb1.decode(row["hb1"]).claims
    program_zh, program_en = await _program_names(ctx, row["directory_number"])
    start, end = _validity(ctx, row)
    benefits = [benefit_out(ctx, code) for code in stored_codes(row["benefits"]) or []]
    reason_zh, _ = await invalid_reason(row, dt.datetime.now(dt.UTC))
    return CardContent(
        text=row["hb1"],
        name=claims.name,
        program_zh=program_zh,
        program_en=program_en,
        valid_from=start,
        valid_until=end,
        benefits=[(b.name_zh, b.name_en) for b in benefits],
        certificate_id=row["cti"],
        revoked=bool(reason_zh),
        issuer_zh=ctx.settings.certificate.issuer_zh,
        issuer_en=ctx.settings.certificate.issuer_en,
        issued_on=_issue_date(ctx, row),
        seal_area=ctx.settings.certificate.seal_area,
        activation_code=activation_code(ctx, row["cti"], row["activation_code_generation"]),
    )


async def holder_card(ctx: Context, row: dict[str, Any]) -> HolderCard:
    """What the holder page shows for ``row`` (never more than the card carries)."""
    card = await card_content(ctx, row)
    reason_zh, reason_en = await invalid_reason(row, dt.datetime.now(dt.UTC))
    contact_zh, contact_en = ctx.settings.certificate.contact()
    return HolderCard(
        text=card.text,
        name=card.name,
        program_zh=card.program_zh,
        program_en=card.program_en,
        valid_from=card.valid_from,
        valid_until=card.valid_until,
        benefits=card.benefits,
        invalid_zh=reason_zh,
        invalid_en=reason_en,
        contact_zh=contact_zh,
        contact_en=contact_en,
        contact_phone=ctx.settings.certificate.contact_phone,
    )
