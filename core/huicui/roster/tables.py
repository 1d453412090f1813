"""Piccolo tables of the roster. Personal data columns hold ciphertext only."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Directory(Table, tablename="directory"):
    """A named roster (名录) with a term length and the benefits it offers."""

    number = Integer(unique=True, index=True)  # 1 is the program's default directory
    slug = Varchar(length=64, unique=True)
    name_zh = Varchar(length=200)
    name_en = Varchar(length=200)
    term_days = Integer(default=1095)
    # Benefit codes offered; NULL means every installed benefit (the default).
    benefits = JSON(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Identity(Table, tablename="identity"):
    """One person. ``*_enc`` columns are AES-GCM ciphertext; ``*_hash`` keyed hashes."""

    display_name = Varchar(length=64, index=True)
    pinyin = Varchar(length=128, default="")
    field = Varchar(length=200, default="", index=True)
    achievements = Text(default="")
    residency = Varchar(length=16, default="resident")
    id_doc_enc = Text(default="")
    id_doc_hash = Varchar(length=64, null=True, default=None, index=True)
    id_doc_last4 = Varchar(length=4, default="")
    phone_enc = Text(default="")
    phone_hash = Varchar(length=64, null=True, default=None, index=True)
    phone_last4 = Varchar(length=4, default="")
    email = Varchar(length=200, default="")
    liaison = Varchar(length=100, default="")
    source = Varchar(length=200, default="", index=True)
    descendants_enc = Text(default="")  # JSON list of {name, relation, birth_year}, encrypted
    descendant_count = Integer(default=0)
    created_by = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Membership(Table, tablename="membership"):
    """Identity × directory, moving through the membership state machine."""

    identity = ForeignKey(references=Identity, index=True)
    directory = ForeignKey(references=Directory, index=True)
    state = Varchar(length=16, default="nominated", index=True)
    source_org = Varchar(length=200, default="")
    reason = Text(default="")
    nominated_by = Integer(default=0)  # staff token id: four eyes compare ids
    nominated_by_name = Varchar(length=100, default="")
    nominated_at = Timestamptz(default=TimestamptzNow())
    decided_by = Integer(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    term_no = Integer(default=0)
    term_start = Date(null=True, default=None)
    term_end = Date(null=True, default=None, index=True)
    state_reason = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())
