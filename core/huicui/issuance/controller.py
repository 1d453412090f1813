"""HTTP routes of issuance: certificates (text, QR, PDF, revoke, holder link), the holder
card page, phone-card activation and the JWKS."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from huicui.auth import ANY_STAFF, principal_of, public, roles
from huicui.context import Context
from huicui.issuance import cards, certificates, phones
from huicui.issuance.holder_page import (
    ASSETS,
    HEADERS,
    ICON,
    asset,
    manifest,
    render_card,
    render_not_found,
)
from huicui.issuance.jwks import CACHE_CONTROL, jwks
from huicui.issuance.schemas import (
    ActivateIn,
    ActivationResetIn,
    ActivationStateOut,
    CertificateOut,
    HolderLinkOut,
    RevokeIn,
)

REVIEWERS = roles("reviewer", "admin")
LINK_ISSUERS = roles("registrar", "reviewer", "admin")
CertId = Annotated[str, Parameter(max_length=64, description="certificate id: 16 hex digits")]
Scale = Annotated[int, Parameter(ge=cards.MIN_SCALE, le=cards.MAX_SCALE,
                                 description="pixels per module (4-20)")]


KeyHash = Annotated[str, Parameter(min_length=16, max_length=16, pattern="^[0-9a-f]{16}$",
                                   description="sha256(phone key)[0..8], 16 hex digits")]
# The holder's answers carry the service clock, so the page can measure its offset.
TIME_HEADER = "Huicui-Time-Ms"


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

    @get("/{cert_id:str}/activations", guards=[LINK_ISSUERS],
         summary="Phone-card activations of this certificate: used, allowed, wrong codes")
    async def activations(
        self, ctx: NamedDependency[Context], cert_id: CertId
    ) -> ActivationStateOut:
        return await phones.activation_state(ctx, cert_id, with_code=False)

    @post("/{cert_id:str}/activation-code", guards=[LINK_ISSUERS], status_code=200,
          summary="Show the activation code to give a holder who proved who they are (audited)")
    async def activation_code(
        self, ctx: NamedDependency[Context], request: Request, cert_id: CertId
    ) -> ActivationStateOut:
        return await phones.reveal_code(ctx, principal_of(request), cert_id)

    @post("/{cert_id:str}/activations/reset", guards=[LINK_ISSUERS], status_code=200,
          summary="Reset phone-card activations and wrong codes, with a reason (audited)")
    async def reset_activations(
        self,
        ctx: NamedDependency[Context],
        request: Request,
        cert_id: CertId,
        data: JSONBody[ActivationResetIn],
    ) -> ActivationStateOut:
        return await phones.reset_activations(
            ctx, principal_of(request), cert_id, data.reason, new_code=data.new_code
        )

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
    card = dataclasses.replace(
        await certificates.holder_card(ctx, row), page_path=f"/cards/{token}"
    )
    headers = {**HEADERS, TIME_HEADER: str(phones.server_time_ms())}
    return Response(render_card(card), media_type="text/html", headers=headers)


_HOLDER_JSON = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# The live card's code: revalidated on every load, so a new build reaches phones at once.
_ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@get([f"/cards/{name}" for name in ASSETS], guards=[public], tags=["certificates"],
     include_in_schema=False)
async def holder_asset(request: Request) -> Response:
    """The live card's script and service worker (built from verifier/web/holder)."""
    name = request.url.path.rsplit("/", 1)[1]
    return Response(asset(name), media_type=ASSETS[name], headers=_ASSET_HEADERS)


@get("/cards/icon.svg", guards=[public], tags=["certificates"], include_in_schema=False)
async def holder_icon() -> Response:
    return Response(ICON, media_type="image/svg+xml", headers=_ASSET_HEADERS)


@get("/cards/{token:str}/manifest.webmanifest", guards=[public], tags=["certificates"],
     include_in_schema=False)
async def holder_manifest(ctx: NamedDependency[Context], token: str) -> Response:
    """What makes the card page installable; only for a link that names a card."""
    if await certificates.row_for_token(token) is None:
        return Response(render_not_found(), status_code=404, media_type="text/html",
                        headers=HEADERS)
    body = manifest(f"/cards/{token}", ctx.settings.program.name_zh)
    return Response(msgspec.json.encode(body), media_type="application/manifest+json",
                    headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@post("/cards/{token:str}/activate", guards=[public], tags=["certificates"], status_code=200,
      summary="Bind this card to the phone's public key (holder link and activation code)")
async def activate_phone(
    ctx: NamedDependency[Context], token: str, data: JSONBody[ActivateIn]
) -> Response:
    """The holder link authenticates; the activation code guards against a leaked link."""
    out = await phones.activate(ctx, token, data)
    headers = {**_HOLDER_JSON, TIME_HEADER: str(out.server_time_ms)}
    return Response(msgspec.json.encode(out), media_type="application/json", headers=headers)


@get("/cards/{token:str}/phone", guards=[public], tags=["certificates"],
     summary="The service clock, and whether this phone still holds the card")
async def phone_status(ctx: NamedDependency[Context], token: str, key_hash: KeyHash) -> Response:
    out = await phones.phone_status(ctx, token, key_hash)
    headers = {**_HOLDER_JSON, TIME_HEADER: str(out.server_time_ms)}
    return Response(msgspec.json.encode(out), media_type="application/json", headers=headers)


ROUTE_HANDLERS = [
    CertificateController,
    jwks_handler,
    holder_card_page,
    activate_phone,
    phone_status,
    holder_asset,
    holder_icon,
    holder_manifest,
]
