"""What the issuance tests read back: the JWKS and QR codes drawn from SVG."""

from __future__ import annotations

import base64
import re


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
