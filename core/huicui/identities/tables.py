"""The identities' table. Personal data columns hold ciphertext only.

Its migrations are in the ``roster`` Piccolo app (docs/architecture.md, "Domains and
the tables they own").
"""

from __future__ import annotations

from piccolo.columns import (
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


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
