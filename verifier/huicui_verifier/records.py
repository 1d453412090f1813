"""The wire shapes of ``POST /api/v1/redemptions/sync`` (JSON, Bearer device token).

The server imports these same Structs, so a field changes in one place. Uploads are
idempotent by ``uuid``: a device that did not hear the answer sends the batch again, and
the server counts the repeats as ``known``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "BUNDLE_PATH",
    "MAX_BATCH",
    "SYNC_PATH",
    "RedemptionRecord",
    "SyncRequest",
    "SyncResponse",
]

MAX_BATCH = 500
SYNC_PATH = "/api/v1/redemptions/sync"
BUNDLE_PATH = "/api/v1/bundle"


class RedemptionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One decision a device made: who (cti), what (benefit), where, when, and the answer."""

    uuid: str
    cti: str  # 16 lower-case hex digits
    benefit: int
    venue: int
    at: int  # epoch seconds
    decision: Literal["accept", "refuse"]
    reason: str
    companions: int = 0
    bundle_version: int = 0


class SyncRequest(msgspec.Struct, frozen=True):
    """A batch of at most :data:`MAX_BATCH` records."""

    records: list[RedemptionRecord]


class SyncResponse(msgspec.Struct, frozen=True):
    """How many records arrived, how many were new, how many the server already had."""

    received: int
    new: int
    known: int
