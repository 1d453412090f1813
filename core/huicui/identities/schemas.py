"""Shapes of identities at the HTTP and import edges."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Residency = Literal["resident", "seasonal", "migrant"]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Long = Annotated[str, msgspec.Meta(max_length=4000)]


class Descendant(msgspec.Struct, forbid_unknown_fields=True):
    """A registered direct descendant (for school priority)."""

    name: Name
    relation: Literal["child", "grandchild"] = "child"
    birth_year: Annotated[int, msgspec.Meta(ge=1900, le=2100)] | None = None


class IdentityIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    display_name: Name
    pinyin: Short = ""
    field: Short = ""
    achievements: Long = ""
    residency: Residency = "resident"
    id_doc: Annotated[str, msgspec.Meta(max_length=40)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=30)] = ""
    email: Short = ""
    liaison: Short = ""
    source: Short = ""
    descendants: list[Descendant] = msgspec.field(default_factory=list)


class IdentityPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    display_name: Name | msgspec.UnsetType = msgspec.UNSET
    pinyin: Short | msgspec.UnsetType = msgspec.UNSET
    field: Short | msgspec.UnsetType = msgspec.UNSET
    achievements: Long | msgspec.UnsetType = msgspec.UNSET
    residency: Residency | msgspec.UnsetType = msgspec.UNSET
    id_doc: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType = msgspec.UNSET
    phone: Annotated[str, msgspec.Meta(max_length=30)] | msgspec.UnsetType = msgspec.UNSET
    email: Short | msgspec.UnsetType = msgspec.UNSET
    liaison: Short | msgspec.UnsetType = msgspec.UNSET
    source: Short | msgspec.UnsetType = msgspec.UNSET
    descendants: list[Descendant] | msgspec.UnsetType = msgspec.UNSET


class IdentityOut(msgspec.Struct):
    id: int
    display_name: str
    pinyin: str
    field: str
    achievements: str
    residency: str
    id_doc_masked: str
    phone_masked: str
    email: str
    liaison: str
    source: str
    descendant_count: int
    created_by: str
    created_at: str
    updated_at: str


class Page(msgspec.Struct):
    items: list
    total: int
    limit: int
    offset: int


class RevealIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=5, max_length=500)]


class RevealOut(msgspec.Struct):
    id: int
    id_doc: str
    phone: str


class LookupIn(msgspec.Struct, forbid_unknown_fields=True):
    id_doc: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class LookupOut(msgspec.Struct):
    registered: bool
    identity: IdentityOut | None = None


class RowProblem(msgspec.Struct):
    """One problem in one cell: the row as Excel numbers it and the column as headed."""

    row: int
    column: str
    field: str
    code: str
    zh: str
    en: str


class ImportReport(msgspec.Struct):
    """What an import found and did; the same shape for dry runs, refusals and writes."""

    file_name: str
    format: str
    encoding: str
    dry_run: bool
    skip_invalid: bool
    status: str  # "dry_run" | "rejected" | "written"
    message_zh: str
    message_en: str
    rows_total: int
    rows_valid: int
    rows_invalid: int
    created: int
    nominated: int
    skipped_rows: list[int]
    problems: list[RowProblem]
    problems_omitted: int = 0
    header_row: int = 1  # where the header was found (a title may stand above it)
    ignored_columns: list[str] = msgspec.field(default_factory=list)
    created_ids: list[int] = msgspec.field(default_factory=list)
    directory_id: int | None = None
