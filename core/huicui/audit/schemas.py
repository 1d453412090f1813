"""The audit log's API shapes."""

from __future__ import annotations

from typing import Any

import msgspec


class AuditEventOut(msgspec.Struct):
    id: int
    at: str
    actor: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    reason: str
    data: dict[str, Any]
