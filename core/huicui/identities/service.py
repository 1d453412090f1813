"""Identity logic without HTTP: create, read, update, search, duplicate checks."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec

from huicui.audit import service as audit
from huicui.auth import Principal
from huicui.context import Context
from huicui.db import is_postgres
from huicui.errors import Conflict, InvalidInput, NotFound
from huicui.identities.schemas import Descendant, IdentityIn, IdentityOut, IdentityPatch
from huicui.identities.tables import Identity
from huicui.identities.validation import (
    ID_DOC_ZH,
    FieldProblem,
    email_problem,
    has_control_characters,
    id_doc_problem,
    phone_problem,
)
from huicui.memberships.tables import Membership
from huicui.timefmt import to_local_iso
from huicui.vault import last4, mask, normalize_identifier

_TEXT_FIELDS = (
    "display_name",
    "pinyin",
    "field",
    "achievements",
    "id_doc",
    "phone",
    "email",
    "liaison",
    "source",
)


def check_identity(data: IdentityIn | IdentityPatch) -> list[FieldProblem]:
    """Field problems beyond the shape (check digits, phones, blanks, control characters).

    The one place identity content is judged: the API, the import and the CLI call it.
    """
    problems: list[FieldProblem] = []

    def given(name: str) -> str:
        value = getattr(data, name)
        return "" if value is msgspec.UNSET or value is None else value

    for name in _TEXT_FIELDS:
        if has_control_characters(given(name)):
            problems.append(
                FieldProblem(
                    name,
                    "control_character",
                    "包含不可见的控制字符（如 \\0）",
                    "contains a control character (such as NUL)",
                )
            )
    if (id_doc := given("id_doc")) and (reason := id_doc_problem(id_doc)):
        problems.append(FieldProblem("id_doc", "bad_id_doc", ID_DOC_ZH.get(reason, reason), reason))
    if (phone := given("phone")) and (reason := phone_problem(phone)):
        problems.append(
            FieldProblem("phone", "bad_phone", "手机号码应为 7–15 位数字，可以 + 开头", reason)
        )
    if (email := given("email")) and (reason := email_problem(email)):
        problems.append(FieldProblem("email", "bad_email", "邮箱地址格式不正确", reason))
    if data.display_name is not msgspec.UNSET and not data.display_name.strip():
        problems.append(FieldProblem("display_name", "blank", "姓名不能为空", "name is blank"))
    for descendant in given_list(data):
        if not descendant.name.strip() or has_control_characters(descendant.name):
            problems.append(
                FieldProblem(
                    "descendants",
                    "bad_descendant",
                    "子女姓名不能为空或含控制字符",
                    "a descendant's name is blank or holds a control character",
                )
            )
            break
    return problems


def given_list(data: IdentityIn | IdentityPatch) -> list[Descendant]:
    value = data.descendants
    return [] if value is msgspec.UNSET else value


_LENGTH = re.compile(r"Expected `str` of length (<=|>=) (\d+)")
_FIELD_AT = re.compile(r"at `\$\.([a-z_]+)")
_MISSING = re.compile(r"missing required field `([a-z_]+)`")


def _shape_problem(message: str) -> FieldProblem:
    """A msgspec validation message as a :class:`FieldProblem` with a Chinese text."""
    found = _FIELD_AT.search(message) or _MISSING.search(message)
    name = found.group(1) if found else "?"
    if (length := _LENGTH.search(message)) and length.group(1) == "<=":
        return FieldProblem(
            name, "too_long", f"长度不能超过 {length.group(2)} 个字符", message.split(" - ")[0]
        )
    if length or _MISSING.search(message):
        return FieldProblem(name, "required", "不能为空", "is required")
    if "enum" in message:
        return FieldProblem(name, "bad_choice", "取值不在允许范围内", message.split(" - ")[0])
    return FieldProblem(name, "bad_value", "格式不正确", message.split(" - ")[0])


# Resolved once: msgspec.structs.fields re-reads the type annotations on every call, which
# was a third of a 100,000-row import.
_REQUIRED = frozenset(f.name for f in msgspec.structs.fields(IdentityIn) if f.required)


def parse_identity(values: dict[str, Any]) -> tuple[IdentityIn | None, list[FieldProblem]]:
    """Turn loose values (an import row) into :class:`IdentityIn`, collecting every problem.

    The shape is checked by msgspec (the same limits as the API); a failing field is
    reported and left out so the other fields are still judged; then
    :func:`check_identity` judges the content.
    """
    problems: list[FieldProblem] = []
    remaining = dict(values)
    required = _REQUIRED
    for _ in range(len(values) + len(required) + 1):
        try:
            data = msgspec.convert(remaining, IdentityIn)
        except msgspec.ValidationError as exc:
            problem = _shape_problem(str(exc))
            problems.append(problem)
            if problem.field in required:
                # A valid stand-in, so the remaining fields are still judged.
                remaining[problem.field] = "-"
            elif problem.field in remaining:
                del remaining[problem.field]
            else:
                return None, problems
            continue
        reported = {p.field for p in problems}
        problems.extend(p for p in check_identity(data) if p.field not in reported)
        return (None if problems else data), problems
    return None, problems


def _raise_problems(problems: list[FieldProblem]) -> None:
    if problems:
        raise InvalidInput(
            "身份信息有误：" + "；".join(f"{p.field}：{p.zh}" for p in problems),
            "Identity data is invalid: " + "; ".join(f"{p.field}: {p.en}" for p in problems),
            errors=[
                {"key": p.field, "code": p.code, "message": p.en, "message_zh": p.zh}
                for p in problems
            ],
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
    return IdentityOut(
        id=row["id"],
        display_name=row["display_name"],
        pinyin=row["pinyin"],
        field=row["field"],
        achievements=row["achievements"],
        residency=row["residency"],
        id_doc_masked=mask(row.get("id_doc_last4")),
        phone_masked=mask(row.get("phone_last4")),
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


def identity_conditions(
    ctx: Context,
    *,
    q: str | None = None,
    field: str | None = None,
    source: str | None = None,
    residency: str | None = None,
    status: str | None = None,
    id_doc: str | None = None,
) -> list[Any]:
    """Piccolo WHERE conditions for the search filters (shared by search and export)."""
    conditions = []

    def contains(column: Any, text: str) -> Any:
        # SQLite's LIKE already ignores ASCII case; Piccolo warns when asked for ILIKE there.
        pattern = f"%{text}%"
        return column.ilike(pattern) if is_postgres(Identity._meta.db) else column.like(pattern)

    if q:
        conditions.append(contains(Identity.display_name, q) | contains(Identity.pinyin, q))
    if field:
        conditions.append(contains(Identity.field, field))
    if source:
        conditions.append(contains(Identity.source, source))
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
    return conditions


async def search_identities(
    ctx: Context,
    *,
    limit: int = 50,
    offset: int = 0,
    **filters: Any,
) -> tuple[list[IdentityOut], int]:
    """Identities matching every given filter, newest first; returns (page, total).

    Filters: ``q`` (name or pinyin), ``field``, ``source``, ``residency``, ``status``
    (of any membership) and ``id_doc`` (exact, by keyed hash).
    """
    conditions = identity_conditions(ctx, **filters)
    query = Identity.select()
    count = Identity.count()
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(Identity.id, ascending=False).limit(limit).offset(offset)
    return [to_out(ctx, row) for row in rows], await count
