"""Shapes of memberships at the HTTP edge."""

from __future__ import annotations

from typing import Annotated

import msgspec

from huicui.http import IdField

Reason = Annotated[str, msgspec.Meta(max_length=2000)]


class NominationIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    identity_id: IdField
    # None: the default directory.
    directory_id: IdField | None = None
    source_org: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    reason: Reason = ""


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason = ""


class ReasonRequiredIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class MembershipOut(msgspec.Struct):
    id: int
    identity_id: int
    display_name: str
    directory_id: int
    state: str
    state_zh: str
    source_org: str
    reason: str
    nominated_by: str
    nominated_at: str
    decided_at: str | None
    term_no: int
    term_start: str | None
    term_end: str | None
    state_reason: str
    certificate_id: str | None = None
