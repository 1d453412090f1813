"""The roster file's columns: Chinese or English headers mapped to identity fields."""

from __future__ import annotations

import unicodedata

import msgspec


class Column(msgspec.Struct, frozen=True):
    field: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("display_name", "姓名", "display_name", ("name", "名字"), required=True),
    Column("pinyin", "拼音", "pinyin"),
    Column("id_doc", "证件号码", "id_doc", ("身份证号", "身份证号码", "证件号"), required=True),
    Column("phone", "手机", "phone", ("手机号", "手机号码", "电话", "mobile")),
    Column("field", "领域", "field", ("专业领域",)),
    Column("achievements", "主要成就", "achievements", ("成就",)),
    Column("residency", "类别", "residency", ("人才类别",)),
    Column("source", "推荐单位", "source", ("来源",)),
    Column("liaison", "联系人", "liaison", ("专人联系",)),
    Column("email", "邮箱", "email", ("电子邮箱", "e-mail")),
)
BY_FIELD = {column.field: column for column in COLUMNS}
REQUIRED = tuple(column for column in COLUMNS if column.required)

RESIDENCY_IN = {
    "常住": "resident",
    "候鸟": "seasonal",
    "流动": "migrant",
    "resident": "resident",
    "seasonal": "seasonal",
    "migrant": "migrant",
}
RESIDENCY_ZH = {"resident": "常住", "seasonal": "候鸟", "migrant": "流动"}


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "*_-")


_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.zh, _column.en, _column.field, *_column.aliases):
        _LOOKUP[_key(_name)] = _column.field


def match_header(text: str) -> str | None:
    """The field a header names (``姓名``, ``display_name``, ``姓名/display_name``), or None."""
    if not text:
        return None
    if (found := _LOOKUP.get(_key(text))) is not None:
        return found
    # Bilingual headers as the export writes them: "姓名 / display_name", "姓名(name)".
    for sep in ("/", "（", "(", "|"):
        if sep in text:
            for part in text.replace("）", "").replace(")", "").split(sep):
                if (found := _LOOKUP.get(_key(part))) is not None:
                    return found
    return None


def header_fields(cells: list[str]) -> set[str]:
    """The fields a row's cells name when read as a header."""
    return {field for cell in cells if (field := match_header(cell.strip())) is not None}


def is_header(cells: list[str]) -> bool:
    """True if the row names every required column (a title or a data row does not)."""
    found = header_fields(cells)
    return all(column.field in found for column in REQUIRED)


def residency_value(text: str) -> str | None:
    """``常住``/``候鸟``/``流动`` or the English words → the stored value; None if unknown."""
    return RESIDENCY_IN.get(_key(text))
