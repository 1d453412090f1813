"""Piccolo tables of partners, venues, devices, synced redemptions and bundle releases."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Partner(Table, tablename="partner"):
    """An operator of venues (a ferry company, a scenic-spot authority, a hospital)."""

    name_zh = Varchar(length=200, index=True)
    name_en = Varchar(length=200, default="")
    contact_name = Varchar(length=100, default="")
    contact_phone_enc = Text(
        default=""
    )  # AES-GCM ciphertext (vault), column "partner.contact_phone"
    contact_phone_last4 = Varchar(length=4, default="")
    settlement_ref = Varchar(length=200, default="")  # the partner's account reference for payouts
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Venue(Table, tablename="venue"):
    """A place where benefits are honored; its profile travels in every bundle for it."""

    partner = ForeignKey(references=Partner, index=True)
    name_zh = Varchar(length=200, index=True)
    name_en = Varchar(length=200, default="")
    kind = Varchar(length=16, index=True)
    address = Varchar(length=300, default="")
    lat = DoublePrecision(null=True, default=None)
    lon = DoublePrecision(null=True, default=None)
    benefits = JSON(default="[]")  # benefit codes honored here
    fail_mode = Varchar(length=8, default="closed")  # open | closed, when the bundle is stale
    static_cards = Varchar(length=8, default="check_id")  # accept | check_id | refuse (HB2)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Device(Table, tablename="device"):
    """An enrolled verifier; only the SHA-256 of its bearer token is stored."""

    venue = ForeignKey(references=Venue, index=True)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True, index=True)
    prefix = Varchar(length=12, default="")
    enabled = Boolean(default=True)
    last_seen_at = Timestamptz(null=True, default=None)
    last_sync_at = Timestamptz(null=True, default=None)
    bundle_version = Integer(null=True, default=None)  # last bundle version delivered
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class DeviceGeneration(Table, tablename="device_generation"):
    """One row (id 1) whose ``value`` grows with every change to a device's standing.

    Disabling, enabling or renaming a device bumps it in the same transaction; each
    service process keeps device tokens in memory and reads this row at most once per
    ``sync.device_check_seconds`` to learn that its copy is stale
    (:mod:`huicui.venues.device_tokens`).
    """

    value = Integer(default=0)


class DeviceEnrollment(Table, tablename="device_enrollment"):
    """A one-time enrollment code: a phone scans it and exchanges it for the device token.

    Only the SHA-256 of the secret is stored. ``used_at`` is set by the exchange in the same
    statement that checks it is still unset, so two phones cannot both use one code.
    """

    device = ForeignKey(references=Device, index=True)
    secret_hash = Varchar(length=64, unique=True, index=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
