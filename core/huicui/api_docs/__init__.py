"""The API reference at ``/schema``: Swagger UI, served by the service itself.

Swagger UI's files come from the ``swagger-ui-py`` wheel (Swagger UI 5, Apache-2.0, its
licence served beside them at ``/schema/assets/LICENSE``); the page and its start script
are ours. Chosen over a page of our own because staff use its "Try it out" console with
their bearer token and it reads OpenAPI 3.1, which Litestar writes; only the static files
of the wheel are used (none of its framework glue). Nothing is loaded from elsewhere, so
the page works on a network without internet, and its headers say so to the browser.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.datastructures import ResponseHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin

from huicui.auth import public
from huicui.errors import NotFound

# The same rules as the holder card page, widened only as far as Swagger UI needs:
# its own script and stylesheet, inline style attributes, data: images, and calls to
# this service (the schema, and "Try it out").
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}

# name → (media type, where it comes from)
ASSETS = {
    "swagger-ui-bundle.js": ("text/javascript", "swagger_ui"),
    "swagger-ui.css": ("text/css", "swagger_ui"),
    "LICENSE": ("text/plain; charset=utf-8", "swagger_ui"),
    "start.js": ("text/javascript", "huicui"),
}


def _swagger_static() -> Path:
    # Located without importing the package (its import pulls in its framework glue).
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@lru_cache(maxsize=len(ASSETS))
def asset(name: str) -> bytes:
    """The bytes of one asset; :class:`NotFound` for any other name."""
    if name not in ASSETS:
        raise NotFound("未找到该文件", f"no such asset: {name[:40]}")
    folder = Path(__file__).parent if ASSETS[name][1] == "huicui" else _swagger_static()
    return (folder / name).read_bytes()


@get("/assets/{name:str}", guards=[public], include_in_schema=False, sync_to_thread=False)
def get_asset(name: str) -> Response:
    """Swagger UI's files and the start script."""
    return Response(asset(name), media_type=ASSETS.get(name, ("",))[0],
                    headers={"Cache-Control": "public, max-age=86400"})


class LocalSwaggerUI(OpenAPIRenderPlugin):
    """Litestar render plugin: Swagger UI from ``/schema/assets`` (at ``/`` and ``/swagger``)."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"])

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        base = request.app.openapi_config.path.rstrip("/")
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        return (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title>"
            f'<link rel="stylesheet" href="{base}/assets/swagger-ui.css"></head><body>'
            f'<div id="swagger-ui" data-openapi="{escape(self.get_openapi_json_route(request))}">'
            "</div>"
            f'<noscript>接口文档需要 JavaScript；JSON 见 / needs JavaScript; the JSON is at '
            f'<a href="{base}/openapi.json">{base}/openapi.json</a></noscript>'
            f'<script src="{base}/assets/swagger-ui-bundle.js"></script>'
            f'<script src="{base}/assets/start.js"></script></body></html>'
        ).encode()

    def receive_router(self, router: Router) -> None:
        router.register(get_asset)


def docs_router(path: str) -> Router:
    """The router ``/schema`` is served on: public, with the headers above on every answer."""
    return Router(
        path,
        route_handlers=[],
        include_in_schema=False,
        guards=[public],
        response_headers=[ResponseHeader(name=k, value=v) for k, v in HEADERS.items()],
    )
