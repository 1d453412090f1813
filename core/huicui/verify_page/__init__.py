"""The browser verifier at ``/verify/``: the installable page venue staff open on a phone.

Its files are built from ``verifier/web/`` into the verifier distribution
(``huicui_verifier/webapp/verify/``, committed) and only served here: the service adds
no code of its own to the page. Everything the page loads comes from these routes (its
script, the QR reader's WebAssembly, the icons), so the page works on a network without
internet; the Content-Security-Policy says so to the browser. The page then talks only to
this service's API: the enrollment exchange, the bundle files and the sync upload.
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

from litestar import Request, Response, Router, get
from litestar.response import Redirect

from huicui.auth import public
from huicui.errors import NotFound

PATH = "/verify"

# 'wasm-unsafe-eval' lets the page compile the QR reader's WebAssembly and nothing else;
# media-src blob:/mediastream: is the camera preview; worker-src 'self' the service worker.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; "
    "style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    # The service worker keeps the page offline; the HTTP cache must not hide a new build
    # from it, so every answer is revalidated (an unchanged file costs a 304).
    "Cache-Control": "no-cache",
}

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".wasm": "application/wasm",
}


def _folder() -> Path:
    # Located without importing the verifier package: only its built files are used.
    spec = importlib.util.find_spec("huicui_verifier")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("huicui-verifier is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "webapp" / "verify"


@lru_cache(maxsize=1)
def files() -> dict[str, tuple[bytes, str]]:
    """Every file of the page: name → (bytes, ETag). Read once; a new build needs a restart."""
    out = {}
    for path in sorted(_folder().iterdir()):
        if path.is_file() and path.suffix in MEDIA_TYPES:
            data = path.read_bytes()
            out[path.name] = (data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"')
    return out


def _serve(request: Request, name: str) -> Response:
    found = files().get(name)
    if found is None:
        raise NotFound("未找到该文件", f"no such file: {name[:40]}")
    data, etag = found
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers={**HEADERS, "ETag": etag})
    media_type = MEDIA_TYPES[Path(name).suffix]
    return Response(data, media_type=media_type, headers={**HEADERS, "ETag": etag})


@get("/", guards=[public], include_in_schema=False, sync_to_thread=False)
def index(request: Request) -> Response | Redirect:
    """The page; ``/verify`` goes to ``/verify/`` (relative links and the service
    worker's scope need the folder's address)."""
    # The router strips a trailing slash from the path; the raw one still has it.
    if not request.scope.get("raw_path", b"/").endswith(b"/"):
        return Redirect(PATH + "/", status_code=308)
    return _serve(request, "index.html")


@get("/{name:str}", guards=[public], include_in_schema=False, sync_to_thread=False)
def page_file(request: Request, name: str) -> Response:
    """One file of the page: script, service worker, styles, manifest, icons, WebAssembly."""
    return _serve(request, name)


def verify_router() -> Router:
    """The public router of the page's files."""
    return Router(PATH, route_handlers=[index, page_file], include_in_schema=False)
