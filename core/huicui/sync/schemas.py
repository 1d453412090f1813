"""Synced redemptions' API shapes."""

from __future__ import annotations

import datetime as dt

import msgspec


class RedemptionOut(msgspec.Struct):
    """One decision a device made and uploaded, with where it was made."""

    uuid: str
    certificate_id: str
    membership_id: int | None
    benefit: int
    benefit_slug: str | None  # None for a code no installed plugin declares
    benefit_name_zh: str
    benefit_name_en: str
    decision: str
    reason: str
    companions: int
    at: str  # when the device decided, in the program's timezone
    received_at: str  # when the service stored it
    venue_id: int
    venue_name_zh: str
    venue_name_en: str
    partner_id: int
    device_id: int
    bundle_version: int


class RedemptionFilter(msgspec.Struct, kw_only=True, frozen=True):
    """Checked filters; every one given must match. ``until`` is exclusive."""

    certificate_id: str | None = None
    membership_id: int | None = None
    venue_id: int | None = None
    partner_id: int | None = None
    device_id: int | None = None
    benefit: int | None = None
    decision: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
