"""Bytes of an uploaded roster file → header and numbered rows of text cells.

CSV is read as UTF-8 (with or without BOM), falling back to GB18030 because
departments save from Excel on Chinese Windows; XLSX with openpyxl in read-only
mode. Row numbers are the ones a person sees in Excel. The header is the first row
that names every required column, searched among the first non-blank rows, because
government lists often carry a title (and a blank line) above it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import PurePath

import msgspec

from huicui.errors import InvalidInput, TooLarge, UnsupportedMediaType
from huicui.identities.columns import header_fields, is_header

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPES = ("text/csv", "application/csv", "text/plain", "text/tab-separated-values")
_NEUTRAL_TYPES = ("", "application/octet-stream", "binary/octet-stream")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
# How many non-blank rows may stand above the header (titles, notes, the issuing office).
HEADER_SEARCH_ROWS = 10


class ImportEmpty(InvalidInput):
    code = "import_empty"


class ImportUnreadable(InvalidInput):
    code = "import_unreadable"


class ImportUnknownFormat(UnsupportedMediaType):
    code = "import_unknown_format"


class ImportTooLarge(TooLarge):
    code = "import_too_large"


class Table(msgspec.Struct):
    """The header row and the rows below it as (row number, cells).

    ``title`` is the first row above or instead of the header that looks like a title
    (one filled cell, no column names): (row number, text), for the refusal when no row
    names the required columns.
    """

    format: str
    encoding: str
    header_row: int
    header: list[str]
    rows: list[tuple[int, list[str]]]
    title: tuple[int, str] | None = None
    # (row number, column index) of XLSX cells holding a formula but no computed value.
    formula_cells: frozenset[tuple[int, int]] = frozenset()


def detect_format(data: bytes, file_name: str, content_type: str) -> str:
    """``csv`` or ``xlsx`` from the bytes first, then the media type and file name."""
    suffix = PurePath(file_name or "").suffix.lower()
    media = (content_type or "").split(";")[0].strip().lower()
    if data.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise ImportUnknownFormat(
            "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV（UTF-8）",
            "Old Excel (.xls) files are not supported; save as .xlsx or CSV (UTF-8)",
        )
    if data.startswith(_ZIP_MAGIC):
        if media in (XLSX_MEDIA_TYPE, *_NEUTRAL_TYPES) or suffix == ".xlsx":
            return "xlsx"
    elif media in CSV_MEDIA_TYPES or suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    elif media in _NEUTRAL_TYPES and suffix in ("",) and _looks_like_text(data):
        return "csv"
    raise ImportUnknownFormat(
        "无法识别的文件格式：请上传 CSV 或 XLSX 文件",
        f"Unknown file format ({media or 'no media type'}, {suffix or 'no extension'}): "
        "upload CSV or XLSX",
        accepted=["text/csv", XLSX_MEDIA_TYPE],
    )


def _looks_like_text(data: bytes) -> bool:
    return b"\x00" not in data[:4096]


def decode_text(data: bytes) -> tuple[str, str]:
    """The text and the encoding used: UTF-8 (BOM optional), else GB18030."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise ImportUnreadable(
            "文件编码无法识别：请保存为 UTF-8 或 GB18030 编码的 CSV",
            "The file is neither UTF-8 nor GB18030 text; save the CSV as UTF-8",
        ) from None


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _too_many(max_rows: int) -> ImportTooLarge:
    return ImportTooLarge(
        f"文件行数超过上限 {max_rows} 行，请拆分后分批导入",
        f"The file has more than {max_rows} rows; split it and import in parts",
        max_rows=max_rows,
    )


def _title(candidates: list[tuple[int, list[str]]]) -> tuple[int, str] | None:
    for number, cells in candidates:
        filled = [cell.strip() for cell in cells if cell.strip()]
        if len(filled) == 1 and not header_fields(filled):
            return number, filled[0]
    return None


def _best_guess(candidates: list[tuple[int, list[str]]]) -> int:
    """No row names every required column: the one naming the most (the first on a tie)."""
    scores = [len(header_fields(cells)) for _, cells in candidates]
    return scores.index(max(scores))


def _collect(
    numbered: Iterator[tuple[int, list[str]]], fmt: str, encoding: str, max_rows: int
) -> Table:
    candidates: list[tuple[int, list[str]]] = []  # non-blank rows while the header is sought
    header_at: int | None = None
    rows: list[tuple[int, list[str]]] = []

    def add(row: tuple[int, list[str]]) -> None:
        if len(rows) >= max_rows:
            raise _too_many(max_rows)
        rows.append(row)

    for number, cells in numbered:
        if _blank(cells):
            continue
        if header_at is not None:
            add((number, cells))
            continue
        candidates.append((number, cells))
        if is_header(cells):
            header_at = len(candidates) - 1
        elif len(candidates) == HEADER_SEARCH_ROWS:
            header_at = _best_guess(candidates)
            for row in candidates[header_at + 1 :]:
                add(row)
    if header_at is None and candidates:
        header_at = _best_guess(candidates)
        for row in candidates[header_at + 1 :]:
            add(row)
    if header_at is None or not rows:
        raise ImportEmpty(
            "文件为空：需要一行表头和至少一行数据",
            "The file is empty: it needs a header row and at least one data row",
        )
    number, cells = candidates[header_at]
    found = is_header(cells)
    return Table(
        format=fmt,
        encoding=encoding,
        header_row=number,
        header=[c.strip() for c in cells],
        rows=rows,
        title=None if found else _title(candidates),
    )


def read_csv(data: bytes, max_rows: int) -> Table:
    """Rows of a CSV file (comma, semicolon or tab separated)."""
    text, encoding = decode_text(data)
    # Judged on the first lines, not the first one alone: that may be a title.
    head = text[:16384].splitlines()[: HEADER_SEARCH_ROWS + 2]
    delimiter = max((",", "\t", ";"), key=lambda sep: sum(line.count(sep) for line in head))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except csv.Error as exc:
            raise ImportUnreadable(
                f"CSV 第 {number + 1} 行格式有误（可能是引号不配对或单元格过长）",
                f"CSV row {number + 1} is malformed: {exc}",
                row=number + 1,
            ) from None

    return _collect(numbered(), "csv", encoding, max_rows)


def _excel_scientific(value: float) -> str:
    """A number as Excel shows it in scientific notation: ``4.50502E+17``."""
    mantissa, exponent = f"{value:.14E}".split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{int(exponent):+03d}"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Excel keeps 15 significant digits of a number: an 18-digit ID typed into a
        # number cell has lost its tail. Shown as Excel shows it, the import can say so.
        if abs(value) >= 1e15:
            return _excel_scientific(value)
        # Integral floats print without ".0".
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _has_formulas(data: bytes) -> bool:
    """True if any worksheet of the workbook holds a formula (``<f>`` element)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as member:
                tail = b""
                while chunk := member.read(1 << 20):
                    text = tail + chunk
                    if re.search(rb"<(?:\w+:)?f[ >/]", text):
                        return True
                    tail = text[-16:]
    return False


def read_xlsx(data: bytes, max_rows: int) -> Table:
    """Rows of the first worksheet of an XLSX workbook.

    Cells hold the values Excel computed and stored. A formula cell without a stored
    value (a workbook written by a program, never opened in Excel) would read as empty,
    so when the file has formulas a second pass notes those cells for the report.
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = (
            openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            if _has_formulas(data)
            else None
        )
    except Exception:  # zip, XML and openpyxl errors alike mean: not a readable workbook
        raise ImportUnreadable(
            "无法读取该 XLSX 文件（文件可能已损坏），请用 Excel 重新保存",
            "The XLSX file cannot be read (damaged?); save it again from Excel",
        ) from None
    unvalued: set[tuple[int, int]] = set()
    try:
        sheet = workbook.worksheets[0]
        formula_rows = (
            formulas.worksheets[0].iter_rows(min_row=1, values_only=True) if formulas else None
        )

        def numbered() -> Iterator[tuple[int, list[str]]]:
            for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1):
                written = next(formula_rows, ()) if formula_rows is not None else ()
                for index, (value, source) in enumerate(zip(values, written, strict=False)):
                    if value is None and isinstance(source, str) and source.startswith("="):
                        unvalued.add((number, index))
                yield number, [_cell_text(v) for v in values]

        table = _collect(numbered(), "xlsx", "xlsx", max_rows)
    finally:
        workbook.close()
        if formulas is not None:
            formulas.close()
    table.formula_cells = frozenset(unvalued)
    return table


def read_table(data: bytes, file_name: str, content_type: str, max_rows: int) -> Table:
    """Header and rows of a CSV or XLSX file; problem documents for anything else."""
    if not data.strip():
        raise ImportEmpty("文件为空", "The file is empty")
    fmt = detect_format(data, file_name, content_type)
    return read_xlsx(data, max_rows) if fmt == "xlsx" else read_csv(data, max_rows)
