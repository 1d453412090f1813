"""The verifier page's files at /verify/: served from the verifier distribution, public,
with headers that allow nothing from outside the service."""

from __future__ import annotations

import json

import pytest


async def test_the_page_and_its_files_are_served_with_strict_headers(client):
    r = await client.get("/verify", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/verify/"
    r = await client.get("/verify/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="zh-CN"' in page and "https://" not in page and "http://" not in page
    policy = r.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy and "http" not in policy
    assert r.headers["permissions-policy"].startswith("camera=(self)")
    assert r.headers["x-content-type-options"] == "nosniff"

    types = {"app.js": "text/javascript", "sw.js": "text/javascript", "verify.css": "text/css",
             "manifest.webmanifest": "application/manifest+json", "icon.svg": "image/svg+xml",
             "icon-192.png": "image/png", "icon-512.png": "image/png",
             "zxing_reader.wasm": "application/wasm"}
    for name, media in types.items():
        r = await client.get(f"/verify/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(media), name
        again = await client.get(f"/verify/{name}", headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304, name
    manifest = json.loads((await client.get("/verify/manifest.webmanifest")).text)
    assert manifest["start_url"] == "./" and manifest["lang"] == "zh-CN"
    assert {i["src"] for i in manifest["icons"]} <= set(types)


@pytest.mark.parametrize("name", ["nope.js", "..%2Fengine.js", "%2Fetc%2Fpasswd", "log.js"])
async def test_other_names_are_404(client, name):
    r = await client.get(f"/verify/{name}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
