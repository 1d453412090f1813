"""Directory logic without HTTP."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from huicui.audit import service as audit
from huicui.auth import Principal
from huicui.benefits.eligibility import installed_codes, offered_codes, stored_codes
from huicui.context import Context
from huicui.directories.schemas import DirectoryIn, DirectoryOut
from huicui.directories.tables import Directory
from huicui.errors import Conflict, InvalidInput, NotFound

DEFAULT_NUMBER = 1
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def to_out(ctx: Context, row: dict[str, Any]) -> DirectoryOut:
    configured = stored_codes(row["benefits"])
    return DirectoryOut(
        id=row["id"],
        number=row["number"],
        slug=row["slug"],
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        term_days=row["term_days"],
        benefits=configured,
        offered=offered_codes(ctx, configured),
    )


async def default_directory_id() -> int:
    row = await Directory.select(Directory.id).where(Directory.number == DEFAULT_NUMBER).first()
    if row is None:
        raise NotFound(
            "默认名录不存在（请先运行迁移）",
            "The default directory is missing (run the migrations)",
        )
    return row["id"]


async def get_directory_row(directory_id: int) -> dict[str, Any]:
    row = await Directory.select().where(Directory.id == directory_id).first()
    if row is None:
        raise NotFound("未找到该名录", f"Directory {directory_id} not found")
    return row


async def list_directories(ctx: Context) -> list[DirectoryOut]:
    rows = await Directory.select().order_by(Directory.number)
    return [to_out(ctx, row) for row in rows]


async def create_directory(ctx: Context, actor: Principal, data: DirectoryIn) -> DirectoryOut:
    """A new roster; it gets the next directory number (carried in certificates)."""
    if not _SLUG.match(data.slug):
        raise InvalidInput(
            "名录代号只能包含小写字母、数字和连字符",
            "slug may hold lower-case letters, digits and dashes",
        )
    if data.benefits is not None:
        unknown = sorted(set(data.benefits) - set(installed_codes(ctx)))
        if unknown:
            raise InvalidInput(
                "包含未安装的权益代码", f"Unknown benefit codes: {unknown}", unknown=unknown
            )
    if await Directory.exists().where(Directory.slug == data.slug):
        raise Conflict("名录代号已存在", f"Directory {data.slug!r} exists")
    top = (
        await Directory.select(Directory.number).order_by(Directory.number, ascending=False).first()
    )
    number = (top["number"] if top else 0) + 1
    rows = await Directory.insert(
        Directory(
            number=number,
            slug=data.slug,
            name_zh=data.name_zh,
            name_en=data.name_en,
            term_days=data.term_days,
            benefits=None
            if data.benefits is None
            else msgspec.json.encode(sorted(set(data.benefits))).decode(),
        )
    ).returning(Directory.id)
    await audit.record(
        actor, "directory.create", "directory", rows[0]["id"], data={"slug": data.slug}
    )
    return to_out(ctx, await get_directory_row(rows[0]["id"]))
