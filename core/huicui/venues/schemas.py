"""Shapes of partners, venues and devices at the HTTP edge."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from huicui.http import IdField
from huicui.plugins._names import VENUE_KIND_PATTERN

# Any well-formed kind here; which kinds are allowed depends on the installed plugins
# (``huicui.venues.kinds``).
VenueKind = Annotated[str, msgspec.Meta(pattern=VENUE_KIND_PATTERN)]
FailMode = Literal["open", "closed"]
# What a static card (printed certificate, plain QR image) gets at a venue (docs/hb2.md).
StaticCards = Literal["accept", "check_id", "refuse"]
# Every kind defaults to check_id: a venue's kind does not say whether anyone is there to
# compare an ID document, so "refuse" (only a live phone card) is set per venue, for
# unattended bus validators and turnstiles.
DEFAULT_STATIC_CARDS: StaticCards = "check_id"
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Phone = Annotated[str, msgspec.Meta(max_length=30)]
Lat = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Lon = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Codes = Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=10_000)]], msgspec.Meta(max_length=64)]
DeviceName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


class PartnerIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name_zh: Name
    name_en: Short = ""
    contact_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    contact_phone: Phone = ""
    settlement_ref: Short = ""


class PartnerPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name_zh: Name | Unset = UNSET
    name_en: Short | Unset = UNSET
    contact_name: Annotated[str, msgspec.Meta(max_length=100)] | Unset = UNSET
    contact_phone: Phone | Unset = UNSET
    settlement_ref: Short | Unset = UNSET


class PartnerOut(msgspec.Struct):
    id: int
    name_zh: str
    name_en: str
    contact_name: str
    contact_phone_masked: str
    settlement_ref: str
    venue_count: int
    created_at: str
    updated_at: str


class VenueIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    partner_id: IdField
    name_zh: Name
    name_en: Short = ""
    kind: VenueKind
    address: Annotated[str, msgspec.Meta(max_length=300)] = ""
    lat: Lat | None = None
    lon: Lon | None = None
    benefits: Codes = msgspec.field(default_factory=list)
    fail_mode: FailMode = "closed"
    static_cards: StaticCards | None = None  # None: DEFAULT_STATIC_CARDS


class VenuePatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The partner of a venue does not change: settlements follow it."""

    name_zh: Name | Unset = UNSET
    name_en: Short | Unset = UNSET
    kind: VenueKind | Unset = UNSET
    address: Annotated[str, msgspec.Meta(max_length=300)] | Unset = UNSET
    lat: Lat | Unset | None = UNSET
    lon: Lon | Unset | None = UNSET
    benefits: Codes | Unset = UNSET
    fail_mode: FailMode | Unset = UNSET
    static_cards: StaticCards | Unset = UNSET


class VenueOut(msgspec.Struct):
    id: int
    partner_id: int
    name_zh: str
    name_en: str
    kind: str
    address: str
    lat: float | None
    lon: float | None
    benefits: list[int]
    fail_mode: str
    static_cards: str
    created_at: str
    updated_at: str


class DeviceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    venue_id: IdField
    name: DeviceName


class DevicePatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A device stays at its venue (its log names that venue); enroll a new one to move."""

    name: DeviceName | Unset = UNSET


class DeviceOut(msgspec.Struct):
    id: int
    venue_id: int
    name: str
    token_prefix: str
    enabled: bool
    last_seen_at: str | None
    last_sync_at: str | None
    bundle_version: int | None
    created_at: str


class EnrollmentCodeOut(msgspec.Struct):
    """A one-time enrollment code for the browser verifier (``/verify/``).

    ``text`` is what the QR holds: the page's address with the one-time secret and the
    bundle-key fingerprint after ``#`` (never sent to a server by a browser). The phone
    exchanges the secret once, before ``expires_at``, for the device token.
    """

    text: str
    expires_at: str
    qr_svg: str
    qr_png: str  # base64 of the PNG


class EnrollmentOut(msgspec.Struct):
    """Returned once when a device is created: the token is never shown again."""

    device: DeviceOut
    token: str
    fingerprint: str
    command: str
    enrollment: EnrollmentCodeOut | None = None
    note_zh: str = "令牌只显示这一次；请在设备上运行 command 中的命令，并核对指纹。"
    note_en: str = (
        "The token is shown only this once; run `command` on the device and compare "
        "the fingerprint."
    )


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class EnrollmentExchangeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The one-time secret of an enrollment code, as the phone read it."""

    secret: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class EnrolledOut(msgspec.Struct):
    """What a phone needs to start: its token (a new one: any earlier token stops working)."""

    device_id: int
    venue_id: int
    token: str
    fingerprint: str
