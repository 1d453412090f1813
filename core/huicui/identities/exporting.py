"""Roster export as CSV or XLSX: masked to the last four characters unless revealed.

Headers are bilingual (``姓名/display_name``) so an exported file can be read by
people and imported again. Cells that a spreadsheet would run as a formula get a
leading apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from huicui.audit import service as audit
from huicui.auth import Principal
from huicui.context import Context
from huicui.errors import Forbidden, InvalidInput
from huicui.identities.columns import BY_FIELD, RESIDENCY_ZH
from huicui.identities.service import identity_conditions
from huicui.identities.tables import Identity
from huicui.timefmt import to_local_iso
from huicui.vault import mask

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit minus the header
PAGE = 1000
FIELDS = (
    "display_name",
    "pinyin",
    "id_doc",
    "phone",
    "field",
    "achievements",
    "residency",
    "source",
    "liaison",
    "email",
)


def header() -> list[str]:
    """``编号/id``, ``姓名/display_name``, … ``登记时间/created_at``."""
    return [
        "编号/id",
        *(f"{BY_FIELD[f].zh}/{BY_FIELD[f].en}" for f in FIELDS),
        "登记时间/created_at",
    ]


def safe_cell(text: str) -> str:
    """Neutralize text a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@`` …)."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


async def count_rows(ctx: Context, filters: dict[str, Any]) -> int:
    """How many identities the export will hold."""
    query = Identity.count()
    for condition in identity_conditions(ctx, **filters):
        query = query.where(condition)
    return await query


async def rows(ctx: Context, filters: dict[str, Any], reveal: bool) -> AsyncIterator[list[str]]:
    """Export rows, oldest first, paged by id so a large roster never sits in memory."""
    last_id = 0
    conditions = identity_conditions(ctx, **filters)
    while True:
        query = Identity.select().where(Identity.id > last_id)
        for condition in conditions:
            query = query.where(condition)
        page = await query.order_by(Identity.id).limit(PAGE)
        for row in page:
            yield _cells(ctx, row, reveal)
        if len(page) < PAGE:
            return
        last_id = page[-1]["id"]


def _personal(ctx: Context, row: dict[str, Any], name: str, reveal: bool) -> str:
    if reveal:
        return ctx.vault.decrypt(row[f"{name}_enc"], f"identity.{name}") or ""
    return mask(row[f"{name}_last4"])


def _cells(ctx: Context, row: dict[str, Any], reveal: bool) -> list[str]:
    values = {
        "id_doc": _personal(ctx, row, "id_doc", reveal),
        "phone": _personal(ctx, row, "phone", reveal),
        "residency": RESIDENCY_ZH.get(row["residency"], row["residency"]),
    }
    cells = [str(row["id"])]
    for name in FIELDS:
        cells.append(safe_cell(str(values.get(name, row.get(name)) or "")))
    cells.append(to_local_iso(row["created_at"], ctx.tz) or "")
    return cells


def _csv_line(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


async def csv_stream(ctx: Context, filters: dict[str, Any], reveal: bool) -> AsyncIterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel on Chinese Windows shows the characters right)."""
    yield b"\xef\xbb\xbf" + _csv_line(header())
    batch: list[bytes] = []
    async for cells in rows(ctx, filters, reveal):
        batch.append(_csv_line(cells))
        if len(batch) >= PAGE:
            yield b"".join(batch)
            batch = []
    if batch:
        yield b"".join(batch)


async def xlsx_bytes(ctx: Context, filters: dict[str, Any], reveal: bool) -> bytes:
    """One worksheet named 名录 with the header row frozen."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("名录")
    sheet.freeze_panes = "A2"
    sheet.append(header())
    async for cells in rows(ctx, filters, reveal):
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportPlan(msgspec.Struct):
    """What the HTTP layer or the CLI sends: a CSV stream or XLSX bytes."""

    media_type: str
    file_name: str
    rows: int
    body: Any  # bytes, or an async iterator of bytes for CSV


async def prepare(
    ctx: Context,
    actor: Principal,
    filters: dict[str, Any],
    fmt: str,
    reveal: bool = False,
    reason: str | None = None,
) -> ExportPlan:
    """Check who may see what, write the audit event, and build the export.

    Any staff role may export masked data; only an admin who asks with a reason sees
    document numbers and phones in full, and that is audited as ``identity.export``
    with ``reveal: true``.
    """
    if reveal and actor.role != "admin":
        raise Forbidden(
            "只有管理员可以导出未打码的个人信息",
            "Only an admin may export unmasked personal data",
        )
    if reveal and len((reason or "").strip()) < 5:
        raise InvalidInput(
            "导出未打码数据必须填写理由（至少 5 个字）",
            "An unmasked export needs a reason (at least 5 characters)",
            parameter="reason",
        )
    total = await count_rows(ctx, filters)
    if fmt == "xlsx" and total > XLSX_MAX_ROWS:
        raise InvalidInput(
            f"共 {total} 行，超过 Excel 上限，请改用 CSV 或缩小范围",
            f"{total} rows exceed Excel's sheet limit; use format=csv or narrow the filters",
        )
    await audit.record(
        actor,
        "identity.export",
        "identity",
        "*",
        reason=(reason or "").strip() if reveal else "",
        # Filter names only: a name searched for is not the auditor's business here.
        data={"format": fmt, "rows": total, "reveal": reveal, "filters": sorted(filters)},
    )
    stamp = dt.datetime.now(ctx.tz).strftime("%Y%m%d-%H%M")
    name = f"roster-{stamp}.{fmt}"
    if fmt == "xlsx":
        return ExportPlan(XLSX_MEDIA_TYPE, name, total, await xlsx_bytes(ctx, filters, reveal))
    return ExportPlan("text/csv; charset=utf-8", name, total, csv_stream(ctx, filters, reveal))
