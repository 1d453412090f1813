"""Staff-processed applications, shared by benefits that work by application (school,
housing): a registrar files one for an active member, a reviewer decides it.

Each benefit keeps its own table (a subclass of :class:`ApplicationColumns` in its
own Piccolo app) and gets its own controller from :func:`application_controller`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from huicui.plugins.api import (
    ANY_STAFF,
    Conflict,
    Context,
    Forbidden,
    Id,
    IdField,
    IllegalTransition,
    NotFound,
    Offset,
    OptionalId,
    PageOut,
    PageSize,
    Principal,
    member_benefits,
    principal_of,
    record_event,
    roles,
    to_local_iso,
)
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

State = Literal["submitted", "approved", "rejected", "withdrawn"]
STATE_ZH = {
    "submitted": "待审核",
    "approved": "已批准",
    "rejected": "未批准",
    "withdrawn": "已撤回",
}
FILERS = roles("admin", "registrar")
DECIDERS = roles("admin", "reviewer")


class ApplicationColumns(Table):
    """Columns every application table has; ``note_enc`` is encrypted (personal data)."""

    membership_id = Integer(index=True)
    target = Varchar(length=200, default="")  # the school or housing project applied for
    note_enc = Text(default="")
    state = Varchar(length=16, default="submitted", index=True)
    submitted_by = Integer(default=0)  # staff token id: four eyes compare ids
    submitted_by_name = Varchar(length=100, default="")
    submitted_at = Timestamptz(default=TimestamptzNow())
    decided_by_name = Varchar(length=100, default="")
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(default="")


class ApplicationIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    membership_id: IdField
    target: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    # Free text for the processing office; stored encrypted, never logged or audited.
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class ApplicationOut(msgspec.Struct):
    id: int
    membership_id: int
    target: str
    note: str
    state: str
    state_zh: str
    submitted_by: str
    submitted_at: str
    decided_by: str
    decided_at: str | None
    decision_reason: str


class Applications:
    """The logic of one benefit's applications, without HTTP."""

    def __init__(self, table: type[ApplicationColumns], code: int, slug: str, name_zh: str):
        self.table = table
        self.code = code
        self.slug = slug
        self.name_zh = name_zh
        self.column = f"{slug}.application.note"

    def to_out(self, ctx: Context, row: dict[str, Any]) -> ApplicationOut:
        return ApplicationOut(
            id=row["id"],
            membership_id=row["membership_id"],
            target=row["target"],
            note=ctx.vault.decrypt(row["note_enc"] or None, self.column) or "",
            state=row["state"],
            state_zh=STATE_ZH.get(row["state"], row["state"]),
            submitted_by=row["submitted_by_name"],
            submitted_at=to_local_iso(row["submitted_at"], ctx.tz) or "",
            decided_by=row["decided_by_name"],
            decided_at=to_local_iso(row["decided_at"], ctx.tz),
            decision_reason=row["decision_reason"],
        )

    async def row(self, application_id: int) -> dict[str, Any]:
        found = await self.table.select().where(self.table.id == application_id).first()
        if found is None:
            raise NotFound("未找到该申请", f"Application {application_id} not found")
        return found

    async def submit(self, ctx: Context, actor: Principal, data: ApplicationIn) -> ApplicationOut:
        """File an application for an active member who holds this benefit."""
        if self.code not in await member_benefits(ctx, data.membership_id):
            raise Conflict(
                f"该成员不享有“{self.name_zh}”权益",
                f"Membership {data.membership_id} does not hold benefit {self.slug!r}",
                benefit=self.code,
            )
        t = self.table
        open_one = await t.exists().where(
            (t.membership_id == data.membership_id) & (t.state == "submitted")
        )
        if open_one:
            raise Conflict(
                "该成员已有待审核的申请", "This member already has an application waiting"
            )
        rows = await t.insert(
            t(
                membership_id=data.membership_id,
                target=data.target.strip(),
                note_enc=ctx.vault.encrypt(data.note or None, self.column) or "",
                submitted_by=actor.id,
                submitted_by_name=actor.label,
            )
        ).returning(t.id)
        new_id = rows[0]["id"]
        await record_event(
            actor,
            f"{self.slug}.application.submit",
            f"{self.slug}_application",
            new_id,
            data={"membership_id": data.membership_id},
        )
        return self.to_out(ctx, await self.row(new_id))

    async def decide(
        self, ctx: Context, actor: Principal, application_id: int, to: State, reason: str
    ) -> ApplicationOut:
        """Move a waiting application to ``approved``, ``rejected`` or ``withdrawn``."""
        current = await self.row(application_id)
        if current["state"] != "submitted":
            raise IllegalTransition(
                f"申请已是“{STATE_ZH[current['state']]}”，不能再处理",
                f"Application is {current['state']}; only a submitted one can be {to}",
                state=current["state"],
            )
        if to in ("approved", "rejected") and current["submitted_by"] == actor.id:
            raise Forbidden(
                "提交人不能审核自己提交的申请", "Whoever filed an application cannot decide it"
            )
        if to == "rejected" and not reason.strip():
            raise Conflict("不予批准时须填写理由", "A rejection needs a reason")
        t = self.table
        done = (
            await t.update(
                {
                    t.state: to,
                    t.decided_by_name: actor.label,
                    t.decided_at: dt.datetime.now(dt.UTC),
                    t.decision_reason: reason.strip(),
                }
            )
            .where((t.id == application_id) & (t.state == "submitted"))
            .returning(t.id)
        )
        if not done:  # someone else decided it in between
            raise IllegalTransition("申请已被他人处理", "Application was decided meanwhile")
        action = {"approved": "approve", "rejected": "reject", "withdrawn": "withdraw"}[to]
        await record_event(
            actor,
            f"{self.slug}.application.{action}",
            f"{self.slug}_application",
            application_id,
            reason=reason.strip(),
        )
        return self.to_out(ctx, await self.row(application_id))

    async def page(
        self, ctx: Context, state: str | None, membership_id: int | None, limit: int, offset: int
    ) -> PageOut:
        t = self.table
        query, count = t.select(), t.count()
        if state:
            query, count = query.where(t.state == state), count.where(t.state == state)
        if membership_id:
            cond = t.membership_id == membership_id
            query, count = query.where(cond), count.where(cond)
        rows = await query.order_by(t.id, ascending=False).limit(limit).offset(offset)
        return PageOut(
            items=[self.to_out(ctx, r) for r in rows], total=await count, limit=limit, offset=offset
        )


def application_controller(logic: Applications, path: str, tag: str) -> type[Controller]:
    """A thin controller for ``logic`` at ``path`` (e.g. ``/api/v1/school/applications``)."""

    class ApplicationController(Controller):
        tags = [tag]

        @post("/", guards=[FILERS], summary=f"File a {logic.slug} application for a member")
        async def submit(
            self, ctx: NamedDependency[Context], request: Request, data: JSONBody[ApplicationIn]
        ) -> ApplicationOut:
            return await logic.submit(ctx, principal_of(request), data)

        @get("/", guards=[ANY_STAFF], summary=f"{logic.slug} applications, newest first")
        async def list_applications(
            self,
            ctx: NamedDependency[Context],
            in_state: Annotated[State | None, Parameter(query="state")] = None,
            membership_id: OptionalId = None,
            limit: PageSize = 50,
            offset: Offset = 0,
        ) -> PageOut:
            return await logic.page(ctx, in_state, membership_id, limit, offset)

        @get("/{application_id:int}", guards=[ANY_STAFF], summary="One application")
        async def read(self, ctx: NamedDependency[Context], application_id: Id) -> ApplicationOut:
            return logic.to_out(ctx, await logic.row(application_id))

        @post("/{application_id:int}/approve", guards=[DECIDERS], summary="Approve")
        async def approve(
            self,
            ctx: NamedDependency[Context],
            request: Request,
            application_id: Id,
            data: JSONBody[DecisionIn] | None = None,
        ) -> ApplicationOut:
            reason = data.reason if data else ""
            return await logic.decide(
                ctx, principal_of(request), application_id, "approved", reason
            )

        @post("/{application_id:int}/reject", guards=[DECIDERS], summary="Reject, with a reason")
        async def reject(
            self,
            ctx: NamedDependency[Context],
            request: Request,
            application_id: Id,
            data: JSONBody[DecisionIn],
        ) -> ApplicationOut:
            return await logic.decide(
                ctx, principal_of(request), application_id, "rejected", data.reason
            )

        @post("/{application_id:int}/withdraw", guards=[FILERS], summary="Withdraw")
        async def withdraw(
            self,
            ctx: NamedDependency[Context],
            request: Request,
            application_id: Id,
            data: JSONBody[DecisionIn] | None = None,
        ) -> ApplicationOut:
            reason = data.reason if data else ""
            return await logic.decide(
                ctx, principal_of(request), application_id, "withdrawn", reason
            )

    ApplicationController.path = path
    ApplicationController.__name__ = f"{logic.slug.title()}ApplicationController"
    return ApplicationController


__all__ = ["ApplicationColumns", "Applications", "application_controller"]
