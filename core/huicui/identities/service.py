"""Identity logic without HTTP: create, read, update, search, duplicate checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from huicui import audit
from huicui.auth import Principal
from huicui.context import Context
from huicui.errors import Conflict, InvalidInput, NotFound
from huicui.identities.schemas import Descendant, IdentityIn, IdentityOut, IdentityPatch
from huicui.identities.validation import id_doc_problem, phone_problem
from huicui.roster.tables import Identity, Membership
from huicui.timefmt import to_local_iso
from huicui.vault import last4, mask, normalize_identifier


def check_identity(data: IdentityIn | IdentityPatch) -> list[tuple[str, str]]:
    """Field problems as (field, reason); empty when the data is acceptable."""
    problems = []
    id_doc = data.id_doc if data.id_doc is not msgspec.UNSET else ""
    phone = data.phone if data.phone is not msgspec.UNSET else ""
    if id_doc and (reason := id_doc_problem(id_doc)):
        problems.append(("id_doc", reason))
    if phone and (reason := phone_problem(phone)):
        problems.append(("phone", reason))
    name = data.display_name if data.display_name is not msgspec.UNSET else "x"
    if not name.strip():
        problems.append(("display_name", "display name is blank"))
    return problems


def _raise_problems(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise InvalidInput(
            "身份信息有误：" + "；".join(f"{f}" for f, _ in problems),
            "Identity data is invalid: " + "; ".join(f"{f}: {r}" for f, r in problems),
            errors=[{"key": f, "message": r} for f, r in problems],
        )


def personal_columns(ctx: Context, id_doc: str, phone: str) -> dict[str, Any]:
    """Ciphertext, keyed hashes and last four for the personal-data columns."""
    id_norm = normalize_identifier(id_doc) if id_doc else ""
    phone_norm = normalize_identifier(phone) if phone else ""
    return {
        "id_doc_enc": ctx.vault.encrypt(id_norm, "identity.id_doc") or "",
        "id_doc_hash": ctx.vault.lookup_hash(id_norm, "id_doc"),
        "id_doc_last4": last4(id_norm),
        "phone_enc": ctx.vault.encrypt(phone_norm, "identity.phone") or "",
        "phone_hash": ctx.vault.lookup_hash(phone_norm, "phone"),
        "phone_last4": last4(phone_norm),
    }


def _descendants_columns(ctx: Context, descendants: list[Descendant]) -> dict[str, Any]:
    blob = msgspec.json.encode(descendants).decode() if descendants else ""
    return {
        "descendants_enc": ctx.vault.encrypt(blob, "identity.descendants") or "",
        "descendant_count": len(descendants),
    }


async def find_by_id_doc(ctx: Context, id_doc: str) -> int | None:
    """The identity id holding this document number, if any."""
    digest = ctx.vault.lookup_hash(id_doc, "id_doc")
    row = await Identity.select(Identity.id).where(Identity.id_doc_hash == digest).first()
    return row["id"] if row else None


def to_out(ctx: Context, row: dict[str, Any]) -> IdentityOut:
    """A row as the API shows it: personal data masked to the last four characters."""
    id_tail = row.get("id_doc_last4") or ""
    phone_tail = row.get("phone_last4") or ""
    return IdentityOut(
        id=row["id"],
        display_name=row["display_name"],
        pinyin=row["pinyin"],
        field=row["field"],
        achievements=row["achievements"],
        residency=row["residency"],
        id_doc_masked=(mask("0" * 14 + id_tail) or "") if id_tail else "",
        phone_masked=(mask("0" * 7 + phone_tail) or "") if phone_tail else "",
        email=row["email"],
        liaison=row["liaison"],
        source=row["source"],
        descendant_count=row["descendant_count"],
        created_by=row["created_by"],
        created_at=to_local_iso(row["created_at"], ctx.tz) or "",
        updated_at=to_local_iso(row["updated_at"], ctx.tz) or "",
    )


def row_values(ctx: Context, data: IdentityIn, created_by: str) -> dict[str, Any]:
    """Column values for a new identity (shared by the API and the import)."""
    return {
        "display_name": data.display_name.strip(),
        "pinyin": data.pinyin.strip(),
        "field": data.field.strip(),
        "achievements": data.achievements,
        "residency": data.residency,
        "email": data.email.strip(),
        "liaison": data.liaison.strip(),
        "source": data.source.strip(),
        "created_by": created_by,
        **personal_columns(ctx, data.id_doc, data.phone),
        **_descendants_columns(ctx, data.descendants),
    }


async def create_identity(ctx: Context, actor: Principal, data: IdentityIn) -> IdentityOut:
    """Record a person; refuses a second identity with the same document number."""
    _raise_problems(check_identity(data))
    if data.id_doc and (existing := await find_by_id_doc(ctx, data.id_doc)):
        raise Conflict(
            "该证件号码已登记",
            "An identity with this document number exists",
            existing_id=existing,
        )
    rows = await Identity.insert(Identity(**row_values(ctx, data, actor.label))).returning(
        Identity.id
    )
    identity_id = rows[0]["id"]
    await audit.record(actor, "identity.create", "identity", identity_id)
    return await get_identity(ctx, identity_id)


async def get_row(identity_id: int) -> dict[str, Any]:
    row = await Identity.select().where(Identity.id == identity_id).first()
    if row is None:
        raise NotFound("未找到该人员", f"Identity {identity_id} not found")
    return row


async def get_identity(ctx: Context, identity_id: int) -> IdentityOut:
    """One identity, masked."""
    return to_out(ctx, await get_row(identity_id))


async def update_identity(
    ctx: Context, actor: Principal, identity_id: int, patch: IdentityPatch
) -> IdentityOut:
    """Change the given fields; the audit event names the fields, never their values."""
    await get_row(identity_id)
    _raise_problems(check_identity(patch))
    values: dict[Any, Any] = {}
    changed = []
    for name in (
        "display_name",
        "pinyin",
        "field",
        "achievements",
        "residency",
        "email",
        "liaison",
        "source",
    ):
        value = getattr(patch, name)
        if value is not msgspec.UNSET:
            values[getattr(Identity, name)] = value.strip() if isinstance(value, str) else value
            changed.append(name)
    if patch.id_doc is not msgspec.UNSET:
        if patch.id_doc and (other := await find_by_id_doc(ctx, patch.id_doc)) not in (
            None,
            identity_id,
        ):
            raise Conflict(
                "该证件号码已登记", "Another identity has this document number", existing_id=other
            )
        cols = personal_columns(ctx, patch.id_doc, "")
        for key in ("id_doc_enc", "id_doc_hash", "id_doc_last4"):
            values[getattr(Identity, key)] = cols[key]
        changed.append("id_doc")
    if patch.phone is not msgspec.UNSET:
        cols = personal_columns(ctx, "", patch.phone)
        for key in ("phone_enc", "phone_hash", "phone_last4"):
            values[getattr(Identity, key)] = cols[key]
        changed.append("phone")
    if patch.descendants is not msgspec.UNSET:
        for key, value in _descendants_columns(ctx, patch.descendants).items():
            values[getattr(Identity, key)] = value
        changed.append("descendants")
    if values:
        values[Identity.updated_at] = dt.datetime.now(dt.UTC)
        await Identity.update(values).where(Identity.id == identity_id)
        await audit.record(
            actor, "identity.update", "identity", identity_id, data={"fields": changed}
        )
    return await get_identity(ctx, identity_id)


async def descendants_of(ctx: Context, identity_id: int) -> list[Descendant]:
    """Decrypted registered descendants (for eligibility checks on the server only)."""
    row = await get_row(identity_id)
    blob = ctx.vault.decrypt(row["descendants_enc"], "identity.descendants")
    return msgspec.json.decode(blob, type=list[Descendant]) if blob else []


async def reveal_personal(ctx: Context, identity_id: int) -> dict[str, str]:
    """Plain document number and phone, for an admin's explicit, audited request."""
    row = await get_row(identity_id)
    return {
        "id_doc": ctx.vault.decrypt(row["id_doc_enc"], "identity.id_doc") or "",
        "phone": ctx.vault.decrypt(row["phone_enc"], "identity.phone") or "",
    }


async def search_identities(
    ctx: Context,
    *,
    q: str | None = None,
    field: str | None = None,
    source: str | None = None,
    residency: str | None = None,
    status: str | None = None,
    id_doc: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[IdentityOut], int]:
    """Identities matching every given filter, newest first; returns (page, total)."""
    conditions = []
    if q:
        conditions.append(Identity.display_name.ilike(f"%{q}%") | Identity.pinyin.ilike(f"%{q}%"))
    if field:
        conditions.append(Identity.field.ilike(f"%{field}%"))
    if source:
        conditions.append(Identity.source.ilike(f"%{source}%"))
    if residency:
        conditions.append(Identity.residency == residency)
    if id_doc:
        conditions.append(Identity.id_doc_hash == ctx.vault.lookup_hash(id_doc, "id_doc"))
    if status:
        conditions.append(
            Identity.id.is_in(
                Membership.select(Membership.identity).where(Membership.state == status)
            )
        )
    query = Identity.select()
    count = Identity.count()
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(Identity.id, ascending=False).limit(limit).offset(offset)
    return [to_out(ctx, row) for row in rows], await count
