"""Shared steps of the issuance tests: people, approvals, the JWKS."""

from __future__ import annotations

import base64
import itertools
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_serial = itertools.count(100)


def resident_id(serial: int | None = None) -> str:
    """A valid 18-character resident ID (GB 11643 check digit), different each call."""
    body = f"11010519491231{(serial if serial is not None else next(_serial)) % 1000:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


async def identity(client, tokens, name="李晓明", **extra) -> dict:
    body = {"display_name": name, "id_doc": resident_id(), "phone": "13800138000",
            "field": "海洋生物学", "residency": "seasonal", "source": "银海区派出所", **extra}
    r = await client.post("/api/v1/identities", json=body, headers=tokens.h("registrar"))
    assert r.status_code == 201, r.text
    return {**r.json(), "id_doc_plain": body["id_doc"], "phone_plain": body["phone"]}


async def approved(client, tokens, name="李晓明", directory_id=None, **extra) -> dict:
    """Record, nominate and approve a person; returns the membership (with certificate_id)."""
    person = await identity(client, tokens, name, **extra)
    body = {"identity_id": person["id"], "source_org": "银海区派出所"}
    if directory_id:
        body["directory_id"] = directory_id
    r = await client.post("/api/v1/memberships", headers=tokens.h("registrar"), json=body)
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/v1/memberships/{r.json()['id']}/approve",
                          headers=tokens.h("reviewer"), json={"reason": "材料齐全"})
    assert r.status_code == 200, r.text
    return {**r.json(), "person": person}


async def certificate(client, tokens, cti: str) -> dict:
    r = await client.get(f"/api/v1/certificates/{cti}", headers=tokens.h("auditor"))
    assert r.status_code == 200, r.text
    return r.json()


async def jwks_by_kid(client) -> dict[bytes, dict]:
    r = await client.get("/.well-known/huicui/jwks.json")
    assert r.status_code == 200
    return {unb64url(k["kid"]): k for k in r.json()["keys"]}


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def svg_to_image(svg: str, scale: int = 6):
    """Draw a QR SVG's path (``M x y h w v1 h-w z`` runs) so zxing-cpp can read it."""
    from PIL import Image, ImageDraw

    modules = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (modules * scale, modules * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r' d="([^"]+)"', svg).group(1)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path):
        x, y, w = int(x), int(y), int(w)
        draw.rectangle([x * scale, y * scale, (x + w) * scale - 1, (y + 1) * scale - 1], fill=0)
    return image
