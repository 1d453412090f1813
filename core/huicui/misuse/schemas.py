"""Misuse flags' API shapes."""

from __future__ import annotations

from typing import Any

import msgspec


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Why staff decided as they did; kept on the flag and in the audit log."""

    reason: str = msgspec.field(default="")


class FlagOut(msgspec.Struct):
    """A misuse flag as staff see it; ``summary_*`` says what was found in words."""

    id: int
    kind: str
    kind_zh: str
    certificate_id: str
    membership_id: int | None
    benefit: int | None
    benefit_name_zh: str
    benefit_name_en: str
    redemption_uuids: list[str]
    details: dict[str, Any]
    summary_zh: str
    summary_en: str
    status: str
    status_zh: str
    created_at: str
    handled_by: str
    handled_at: str | None
    note: str


class RecordOut(msgspec.Struct):
    """One redemption behind a flag: when (Asia/Shanghai), where, which device, decision."""

    uuid: str
    at: str
    benefit: int
    benefit_name_zh: str
    venue_id: int
    venue_name_zh: str
    venue_name_en: str
    device_id: int
    device_name: str
    decision: str
    reason: str


class FlagDetailOut(msgspec.Struct):
    flag: FlagOut
    records: list[RecordOut]
