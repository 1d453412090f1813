"""Validate a roster file row by row and write it all-or-nothing (or skip invalid rows).

Policy: by default an import is all-or-nothing — one row with a problem and nothing
is written; the report lists every problem. With ``skip_invalid`` the valid rows are
written in one transaction and the report names each skipped row and why. A dry run
writes nothing and returns the same report. Validation is
:func:`huicui.identities.service.parse_identity`, the same code as the API's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import msgspec
from piccolo.engine.finder import engine_finder

from huicui.audit import service as audit
from huicui.auth import Principal
from huicui.context import Context
from huicui.db.bulk import insert_rows
from huicui.directories.service import default_directory_id, get_directory_row
from huicui.errors import InvalidInput
from huicui.identities.columns import BY_FIELD, REQUIRED, match_header, residency_value
from huicui.identities.reading import HEADER_SEARCH_ROWS, Table, read_table
from huicui.identities.schemas import IdentityIn, ImportReport, RowProblem
from huicui.identities.service import parse_identity, row_values
from huicui.identities.tables import Identity
from huicui.memberships.tables import Membership
from huicui.wording import count_en

CHUNK = 500
MAX_LISTED_PROBLEMS = 10_000
Progress = Callable[[str, int, int], None]


class ImportMissingColumn(InvalidInput):
    code = "import_missing_column"


class ImportRejected(InvalidInput):
    """Rows had problems and ``skip_invalid`` was not given: nothing was written."""

    code = "import_rejected"


class _Row(msgspec.Struct):
    number: int
    data: IdentityIn | None
    problems: list[RowProblem]
    id_hash: str | None = None


def map_header(
    header: list[str], title: tuple[int, str] | None = None
) -> tuple[dict[int, str], list[str]]:
    """Column index → field, and the headers that were ignored; refuses gaps and repeats.

    ``title`` (row number, text) is a row that looked like a title: a refusal for missing
    columns names it, since the header was then not found below it either.
    """
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for index, text in enumerate(header):
        field = match_header(text)
        if field is None:
            if text:
                ignored.append(text)
            continue
        if field in seen:
            raise ImportMissingColumn(
                f"表头“{seen[field]}”和“{text}”表示同一列，请只保留一个",
                f"Headers {seen[field]!r} and {text!r} name the same column; keep one",
                column=text,
            )
        seen[field] = text
        mapping[index] = field
    missing = [column for column in REQUIRED if column.field not in seen]
    if missing:
        hint_zh = hint_en = ""
        extra: dict[str, Any] = {}
        if title is not None:
            row, text = title
            shown = text if len(text) <= 40 else text[:39] + "…"
            hint_zh = (
                f"。第 {row} 行“{shown}”看起来是标题；在前 {HEADER_SEARCH_ROWS} 个非空行中"
                "没有找到同时含有这些列名的表头行"
            )
            hint_en = (
                f". Row {row} ({shown!r}) looks like a title; no row among the first "
                f"{HEADER_SEARCH_ROWS} non-blank rows names these columns"
            )
            extra["title_row"] = row
        raise ImportMissingColumn(
            "缺少必需的列：" + "、".join(c.zh for c in missing) + hint_zh,
            "Missing required column(s): "
            + ", ".join(f"{c.zh}/{c.en}" for c in missing)
            + hint_en,
            missing=[c.field for c in missing],
            **extra,
        )
    return mapping, ignored


# How Excel shows a long number it has stored as a number: 4.50502E+17.
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[Ee][+-]?\d+$")
_DIGIT_FIELDS = ("id_doc", "phone")


def _cell_problem(field: str, text: str, formula: bool) -> tuple[str, str, str] | None:
    """(code, zh, en) for what is wrong with the cell as it was typed, before the field
    itself is judged; a hint that says how to fix the file where one is known."""
    name = BY_FIELD[field].zh
    if formula:
        return (
            "formula_without_value",
            f"{name}单元格是公式，但文件中没有保存计算结果：请用 Excel 打开并保存后再导入，"
            "或把该列复制后“选择性粘贴 → 数值”",
            "the cell holds a formula without a stored value: open and save the file in "
            "Excel, or copy the column and paste it as values, then import again",
        )
    if field in _DIGIT_FIELDS and _SCIENTIFIC.match(text):
        return (
            "number_lost_digits",
            f"{name}被 Excel 存成了数字（科学计数法，如 4.50502E+17），末尾几位已丢失："
            "请先把该列设置为文本格式（设置单元格格式 → 文本），重新填入号码后再导入",
            "Excel stored the number as a number (scientific notation such as 4.50502E+17) "
            "and its last digits are lost: format the column as text (Format Cells → Text), "
            "enter the numbers again and import again",
        )
    if field == "residency" and text and residency_value(text) is None:
        return (
            "bad_choice",
            "类别应为 常住、候鸟 或 流动",
            "residency must be 常住/候鸟/流动 or resident/seasonal/migrant",
        )
    return None


def _check_row(
    number: int,
    cells: list[str],
    mapping: dict[int, str],
    header: list[str],
    formulas: frozenset[tuple[int, int]] = frozenset(),
) -> _Row:
    values: dict[str, Any] = {}
    problems: list[RowProblem] = []
    for index, field in mapping.items():
        text = cells[index].strip() if index < len(cells) else ""
        if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
            text = text[1:]  # the export's guard against spreadsheet formulas
        if found := _cell_problem(field, text, (number, index) in formulas):
            problems.append(RowProblem(number, header[index], field, *found))
            continue
        if field == "residency" and text:
            text = residency_value(text) or text
        if text:
            values[field] = text
    reported = {p.field for p in problems}
    if "id_doc" not in values and "id_doc" not in reported:
        column = header[next(i for i, f in mapping.items() if f == "id_doc")]
        problems.append(
            RowProblem(
                number,
                column,
                "id_doc",
                "required",
                "证件号码不能为空",
                "document number is required in an import",
            )
        )
    data, field_problems = parse_identity(values)
    columns = {field: header[index] for index, field in mapping.items()}
    problems.extend(
        RowProblem(
            number,
            columns.get(p.field, BY_FIELD[p.field].zh if p.field in BY_FIELD else p.field),
            p.field,
            p.code,
            p.zh,
            p.en,
        )
        for p in field_problems
        if p.field not in reported
    )
    return _Row(number=number, data=None if problems else data, problems=problems)


async def _existing_hashes(hashes: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(hashes), CHUNK):
        chunk = hashes[start : start + CHUNK]
        rows = await Identity.select(Identity.id, Identity.id_doc_hash).where(
            Identity.id_doc_hash.is_in(chunk)
        )
        found.update({row["id_doc_hash"]: row["id"] for row in rows})
    return found


async def _nomination_target(nominate: bool, source_org: str | None, directory_id: int | None):
    if not nominate:
        return None
    if not source_org or not source_org.strip() or len(source_org) > 200:
        raise InvalidInput(
            "同时推荐时必须填写推荐单位（source_org，1–200 字）",
            "nominate needs source_org (the organization putting them forward, 1-200 chars)",
            parameter="source_org",
        )
    target = directory_id or await default_directory_id()
    await get_directory_row(target)
    return target


async def import_roster(
    ctx: Context,
    actor: Principal,
    data: bytes,
    *,
    file_name: str = "",
    content_type: str = "",
    dry_run: bool = False,
    skip_invalid: bool = False,
    nominate: bool = False,
    source_org: str | None = None,
    directory_id: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row of a roster file and, unless refused or a dry run, write it.

    File-level problems (empty, unknown format, missing column, too many rows) raise
    problem-document errors. Row problems go into the report; the report's ``status``
    says whether anything was written.
    """

    def tick(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    target = await _nomination_target(nominate, source_org, directory_id)
    table: Table = read_table(data, file_name, content_type, ctx.settings.roster.import_max_rows)
    mapping, ignored = map_header(table.header, table.title)
    total = len(table.rows)
    checked: list[_Row] = []
    first_seen: dict[str, int] = {}
    id_column = table.header[next(i for i, f in mapping.items() if f == "id_doc")]
    for done, (number, cells) in enumerate(table.rows, 1):
        row = _check_row(number, cells, mapping, table.header, table.formula_cells)
        if row.data is not None:
            row.id_hash = ctx.vault.lookup_hash(row.data.id_doc, "id_doc")
            if row.id_hash in first_seen:
                row.problems.append(
                    RowProblem(
                        number,
                        id_column,
                        "id_doc",
                        "duplicate_in_file",
                        f"与第 {first_seen[row.id_hash]} 行的证件号码重复",
                        f"same document number as row {first_seen[row.id_hash]}",
                    )
                )
                row.data = None
            else:
                first_seen[row.id_hash] = number
        checked.append(row)
        if done % 1000 == 0 or done == total:
            tick("check", done, total)
    existing = await _existing_hashes(list(first_seen))
    for row in checked:
        if row.data is not None and row.id_hash in existing:
            row.problems.append(
                RowProblem(
                    row.number,
                    id_column,
                    "id_doc",
                    "already_registered",
                    f"该证件号码已登记（人员编号 {existing[row.id_hash]}）",
                    f"document number already registered (identity {existing[row.id_hash]})",
                )
            )
            row.data = None

    valid = [row for row in checked if row.data is not None]
    invalid = [row for row in checked if row.data is None]
    problems = [p for row in invalid for p in row.problems]
    report = ImportReport(
        file_name=file_name,
        format=table.format,
        encoding=table.encoding,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        status="dry_run",
        message_zh="",
        message_en="",
        rows_total=total,
        rows_valid=len(valid),
        rows_invalid=len(invalid),
        created=0,
        nominated=0,
        skipped_rows=[],
        problems=problems[:MAX_LISTED_PROBLEMS],
        problems_omitted=max(0, len(problems) - MAX_LISTED_PROBLEMS),
        header_row=table.header_row,
        ignored_columns=ignored,
        directory_id=target,
    )
    if dry_run:
        report.message_zh = (
            f"试运行：{len(valid)} 行可导入，{len(invalid)} 行有问题；未写入任何数据"
        )
        report.message_en = (
            f"Dry run: {len(valid)} rows could be imported, {len(invalid)} have problems; "
            "nothing was written"
        )
        return report
    if invalid and not skip_invalid:
        report.status = "rejected"
        report.message_zh = (
            f"{len(invalid)} 行有问题，未导入任何数据（全部成功或全部不导入）。"
            "请修正后重新导入，或使用 skip_invalid 只导入有效行"
        )
        report.message_en = (
            f"{count_en(len(invalid), 'row has', 'rows have')} problems, so nothing was "
            "imported (all-or-nothing). "
            "Fix them and import again, or use skip_invalid to import only the valid rows"
        )
        return report

    created_ids = await _write(ctx, actor, valid, target, source_org, file_name, tick)
    report.status = "written"
    report.created = len(created_ids)
    report.created_ids = created_ids
    report.nominated = len(created_ids) if target else 0
    report.skipped_rows = [row.number for row in invalid]
    report.message_zh = f"已导入 {len(created_ids)} 人" + (
        f"，跳过 {len(invalid)} 行有问题的数据" if invalid else ""
    )
    report.message_en = f"Imported {count_en(len(created_ids), 'person', 'people')}" + (
        f"; skipped {count_en(len(invalid), 'row')} with problems" if invalid else ""
    )
    await audit.record(
        actor,
        "identity.import",
        "import",
        file_name[:64] or "-",
        data={
            "file_name": file_name,
            "format": table.format,
            "rows": total,
            "created": len(created_ids),
            "skipped": len(invalid),
            "nominated": report.nominated,
            "directory_id": target,
        },
    )
    return report


async def _write(
    ctx: Context,
    actor: Principal,
    rows: list[_Row],
    directory_id: int | None,
    source_org: str | None,
    file_name: str,
    tick: Progress,
) -> list[int]:
    """Insert identities (and nominations) in one transaction; returns the new ids."""
    engine = engine_finder()
    assert engine is not None
    created: list[int] = []
    now = dt.datetime.now(dt.UTC)
    async with engine.transaction():
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            inserted = await insert_rows(
                Identity,
                [row_values(ctx, row.data, actor.label) for row in chunk if row.data],
                returning="id",
            )
            ids = sorted(item["id"] for item in inserted)
            created.extend(ids)
            if directory_id is not None:
                nomination = {
                    "directory": directory_id,
                    "state": "nominated",
                    "source_org": (source_org or "").strip(),
                    "reason": f"导入 / import: {file_name}"[:2000],
                    "nominated_by": actor.id,
                    "nominated_by_name": actor.label,
                    "nominated_at": now,
                    "updated_at": now,
                }
                await insert_rows(
                    Membership, [{**nomination, "identity": identity_id} for identity_id in ids]
                )
            tick("write", start + len(chunk), len(rows))
    return created
