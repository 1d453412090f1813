"""Routes of a library benefit: loans of a member, paged (a sketch without a table)."""

from huicui.plugins.api import (
    ANY_STAFF,
    Context,
    Offset,
    OptionalId,
    PageOut,
    PageSize,
    hookimpl,
)
from litestar import Controller, get
from litestar.di import NamedDependency


class LibraryController(Controller):
    path = "/api/v1/library/loans"

    @get("/", guards=[ANY_STAFF])
    async def list_loans(
        self,
        ctx: NamedDependency[Context],
        membership_id: OptionalId = None,  # typed: out of range is a 400, not a 500
        limit: PageSize = 50,
        offset: Offset = 0,
    ) -> PageOut:
        return PageOut(items=[], total=0, limit=limit, offset=offset)


@hookimpl
def huicui_route_handlers(ctx):
    return [LibraryController]
