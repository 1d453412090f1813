"""HTTP routes for directories."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from huicui.auth import ADMIN, ANY_STAFF, principal_of
from huicui.context import Context
from huicui.directories import service
from huicui.directories.schemas import DirectoryIn, DirectoryOut
from huicui.http import Id


class DirectoryController(Controller):
    path = "/api/v1/directories"
    tags = ["directories"]

    @get("/", guards=[ANY_STAFF], summary="All directories (rosters)")
    async def list(self, ctx: NamedDependency[Context]) -> list[DirectoryOut]:
        return await service.list_directories(ctx)

    @post("/", guards=[ADMIN], summary="Create a directory")
    async def create(
        self, ctx: NamedDependency[Context], request: Request, data: JSONBody[DirectoryIn]
    ) -> DirectoryOut:
        return await service.create_directory(ctx, principal_of(request), data)

    @get("/{directory_id:int}", guards=[ANY_STAFF], summary="One directory")
    async def read(self, ctx: NamedDependency[Context], directory_id: Id) -> DirectoryOut:
        return service.to_out(ctx, await service.get_directory_row(directory_id))
