"""HTTP route for the audit log (auditors and admins)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from huicui.audit import service as audit
from huicui.auth import roles
from huicui.context import Context
from huicui.http import Offset, PageOut, PageSize


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get("/", guards=[roles("auditor", "admin")], summary="Audit events, newest first")
    async def list(
        self,
        ctx: NamedDependency[Context],
        actor: Annotated[str | None, Parameter(max_length=100)] = None,
        action: Annotated[str | None, Parameter(max_length=64)] = None,
        target_type: Annotated[str | None, Parameter(max_length=32)] = None,
        target_id: Annotated[str | None, Parameter(max_length=64)] = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: PageSize = 50,
        offset: Offset = 0,
    ) -> PageOut:
        items, total = await audit.list_events(
            tz=ctx.tz,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        return PageOut(items=items, total=total, limit=limit, offset=offset)
