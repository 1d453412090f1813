"""``GET /api/v1/reports/settlement``: a partner's monthly statement as JSON, CSV or PDF."""

from __future__ import annotations

import asyncio
from typing import Annotated

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from huicui.auth import roles
from huicui.context import Context
from huicui.http import MAX_ID
from huicui.reports.statement import settlement
from huicui.reports.statement_csv import statement_csv
from huicui.reports.statement_pdf import statement_pdf

SETTLERS = roles("admin", "auditor")
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


def chosen_format(fmt: str | None, accept: str) -> str:
    """``format=`` wins; otherwise an Accept of text/csv or application/pdf; else JSON."""
    if fmt:
        return fmt
    accept = accept.lower()
    if "text/csv" in accept:
        return "csv"
    if "application/pdf" in accept:
        return "pdf"
    return "json"


@get(
    "/api/v1/reports/settlement",
    guards=[SETTLERS],
    tags=["reports"],
    summary="A partner's monthly settlement statement (JSON, CSV or PDF)",
    description="Counts accepted redemptions per venue and benefit in the month (program "
    "time zone) and prices them with the benefit plugins' settlement lines. `format=csv` "
    "(UTF-8 with BOM, for Excel) or `format=pdf` (A4, with a daily-use chart); an Accept "
    "header of `text/csv` or `application/pdf` does the same.",
    media_type="application/json",
)
async def get_settlement(
    request: Request,
    ctx: NamedDependency[Context],
    partner: Annotated[int, Parameter(ge=1, le=MAX_ID, description="partner id")],
    month: Annotated[str, Parameter(max_length=16, description="YYYY-MM, e.g. 2026-10")],
    fmt: Annotated[
        str | None,
        Parameter(query="format", pattern="^(json|csv|pdf)$", description="json, csv or pdf"),
    ] = None,
) -> Response:
    statement = await settlement(ctx, partner, month)
    kind = chosen_format(fmt, request.headers.get("accept", ""))
    name = f"settlement-{statement.partner.id}-{statement.month}"
    headers = {"Cache-Control": "private, no-store"}
    if kind == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return Response(statement_csv(statement), media_type=MEDIA["csv"], headers=headers)
    if kind == "pdf":
        # Font subsetting takes a few hundred milliseconds: keep it off the event loop.
        body = await asyncio.to_thread(statement_pdf, statement)
        headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return Response(body, media_type=MEDIA["pdf"], headers=headers)
    return Response(statement, media_type=MEDIA["json"], headers=headers)
