"""HTTP routes of issuance: certificates (text, QR, PDF, revoke, holder link), the holder
card page and the JWKS."""

from __future__ import annotations

import asyncio
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from huicui.auth import ANY_STAFF, principal_of, public, roles
from huicui.context import Context
from huicui.issuance import cards, certificates
from huicui.issuance.holder_page import HEADERS, render_card, render_not_found
from huicui.issuance.jwks import CACHE_CONTROL, jwks
from huicui.issuance.schemas import CertificateOut, HolderLinkOut, RevokeIn

REVIEWERS = roles("reviewer", "admin")
LINK_ISSUERS = roles("registrar", "reviewer", "admin")
CertId = Annotated[str, Parameter(max_length=64, description="certificate id: 16 hex digits")]
Scale = Annotated[int, Parameter(ge=cards.MIN_SCALE, le=cards.MAX_SCALE,
                                 description="pixels per module (4-20)")]


class CertificateController(Controller):
    path = "/api/v1/certificates"
    tags = ["certificates"]

    @get("/{cert_id:str}", guards=[ANY_STAFF], summary="One certificate: HB1 text, status")
    async def read(self, ctx: NamedDependency[Context], cert_id: CertId) -> CertificateOut:
        return await certificates.get_certificate(ctx, cert_id)

    @get("/{cert_id:str}/qr.png", guards=[ANY_STAFF], summary="The QR code as PNG",
         media_type="image/png")
    async def qr_png(self, cert_id: CertId, scale: Scale = cards.DEFAULT_SCALE) -> Response:
        row = await certificates.get_row(cert_id)
        return Response(cards.qr_png(row["hb1"], scale), media_type="image/png",
                        headers={"Cache-Control": "private, no-store"})

    @get("/{cert_id:str}/qr.svg", guards=[ANY_STAFF], summary="The QR code as SVG",
         media_type="image/svg+xml")
    async def qr_svg(self, cert_id: CertId) -> Response:
        row = await certificates.get_row(cert_id)
        return Response(cards.qr_svg(row["hb1"]), media_type="image/svg+xml",
                        headers={"Cache-Control": "private, no-store"})

    @get("/{cert_id:str}/card.pdf", guards=[ANY_STAFF],
         summary="The printable A5 honor certificate (荣誉证书)", media_type="application/pdf")
    async def card_pdf(self, ctx: NamedDependency[Context], cert_id: CertId) -> Response:
        row = await certificates.get_row(cert_id)
        content = await certificates.card_content(ctx, row)
        # Font subsetting takes a few hundred milliseconds: keep it off the event loop.
        pdf = await asyncio.to_thread(cards.certificate_pdf, content)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="certificate-{row["cti"]}.pdf"',
                "Cache-Control": "private, no-store",
            },
        )

    @post("/{cert_id:str}/revoke", guards=[REVIEWERS], status_code=200,
          summary="Revoke a certificate (reason required); the membership is unchanged")
    async def revoke(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        cert_id: CertId,
        data: JSONBody[RevokeIn],
    ) -> CertificateOut:
        return await certificates.revoke(ctx, principal_of(request), cert_id, data.reason)

    @post("/{cert_id:str}/holder-link", guards=[LINK_ISSUERS], status_code=200,
          summary="A new holder card link, shown once; the old link stops working")
    async def holder_link(
        self, ctx: NamedDependency[Context], request: Request, cert_id: CertId
    ) -> HolderLinkOut:
        return await certificates.reissue_holder_link(ctx, principal_of(request), cert_id)


@get("/.well-known/huicui/jwks.json", guards=[public], tags=["certificates"],
     summary="Public keys that verify HB1 certificates (JWK set)")
async def jwks_handler() -> Response:
    return Response(await jwks(), media_type="application/json",
                    headers={"Cache-Control": CACHE_CONTROL})


@get("/cards/{token:str}", guards=[public], tags=["certificates"], include_in_schema=False,
    )
async def holder_card_page(ctx: NamedDependency[Context], token: str) -> Response:
    """The holder's card page; an unknown or replaced link gets a friendly 404 page."""
    row = await certificates.row_for_token(token)
    if row is None:
        return Response(render_not_found(), status_code=404, media_type="text/html",
                        headers=HEADERS)
    card = await certificates.holder_card(ctx, row)
    return Response(render_card(card), media_type="text/html", headers=HEADERS)


ROUTE_HANDLERS = [CertificateController, jwks_handler, holder_card_page]
