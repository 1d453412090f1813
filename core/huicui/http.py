"""Small helpers shared by the controllers: dependencies, paging, ids."""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar import Request
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.params import Parameter
from litestar.types import ASGIApp, Receive, Scope, Send

from huicui.context import Context
from huicui.errors import BadRequest, InvalidInput, UnsupportedMediaType

# Ids are 32-bit signed integers in both databases (Piccolo's Serial).
MAX_ID = 2**31 - 1
# An id in a path or a required query parameter.
Id = Annotated[int, Parameter(ge=1, le=MAX_ID, description="numeric id")]
# An optional id filter in a query string.
OptionalId = Annotated[int | None, Parameter(ge=1, le=MAX_ID, description="numeric id")]
# An id inside a JSON body (msgspec checks it while decoding).
IdField = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
# Paging: how many rows (not to be confused with a benefit's usage limit in a policy).
PageSize = Annotated[int, Parameter(ge=1, le=500, description="page size (1-500)")]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="rows to skip")]


def provide_ctx(state: State) -> Context:
    """Litestar dependency: the app's :class:`Context`."""
    return state.ctx


class PageOut(msgspec.Struct):
    """A page of results: ``items``, the ``total`` matching, and the paging used."""

    items: list
    total: int
    limit: int
    offset: int


_DURATION = re.compile(r"^(\d{1,4})\s*([dwmy]?)$")
_UNIT_DAYS = {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}


def parse_days(text: str, name: str) -> int:
    """``30d`` / ``4w`` / ``3m`` / ``1y`` / ``30`` → days; anything else is a clear 422."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise InvalidInput(
            f"参数 {name} 格式应为 30d、4w、3m 或 1y",
            f"{name} must look like 30d, 4w, 3m or 1y",
            parameter=name,
        )
    return int(match.group(1)) * _UNIT_DAYS[match.group(2)]


# --- The edge: refuse malformed input before any handler or database sees it ----------

_JSON_TYPES = ("application/json",)
MAX_JSON_DEPTH = 32


def _json_media(content_type: str) -> bool:
    return content_type in _JSON_TYPES or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def _nul_or_too_deep(value: object, depth: int = 0) -> str | None:
    """``"nul"`` if a string or key holds U+0000, ``"depth"`` if nested too deep."""
    if depth > MAX_JSON_DEPTH:
        return "depth"
    if isinstance(value, str):
        return "nul" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return "nul"
            if found := _nul_or_too_deep(item, depth + 1):
                return found
    elif isinstance(value, list):
        for item in value:
            if found := _nul_or_too_deep(item, depth + 1):
                return found
    return None


def _expects_json_body(handler: object) -> bool:
    signature = getattr(handler, "parsed_fn_signature", None)
    data = signature.parameters.get("data") if signature is not None else None
    if data is None:
        return False
    media = getattr(getattr(data, "kwarg_definition", None), "media_type", None)
    return media in (None, "application/json") or str(media).endswith("json")


async def check_request(request: Any) -> None:
    """Refuse what would otherwise reach a handler malformed.

    NUL characters (PostgreSQL refuses them in text), JSON that is not UTF-8 or nested
    beyond reason, and a body of the wrong media type all become problem documents
    here, so no handler has to think about them and none can turn them into a 500.
    """
    raw_query = request.scope.get("query_string", b"")
    if b"%00" in raw_query or b"\x00" in raw_query:
        raise BadRequest(
            "查询参数不能包含空字符（\\0）",
            "Query parameters must not contain NUL characters",
            reason="nul_character",
        )
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    handler = request.scope.get("route_handler")
    if not _expects_json_body(handler):
        return
    content_type = request.content_type[0]
    length = request.headers.get("content-length")
    if not _json_media(content_type):
        if content_type or (length not in (None, "0")):
            raise UnsupportedMediaType(
                f"请求内容应为 application/json，而不是 {content_type or '（未指定）'}",
                f"The body must be application/json, not {content_type or '(none)'}",
                expected="application/json",
            )
        return
    body = await request.body()
    if not body:
        return
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            "请求内容不是有效的 UTF-8 编码",
            f"The body is not valid UTF-8 (byte {exc.start})",
            reason="not_utf8",
        ) from None
    try:
        value = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise BadRequest(
            "请求内容不是有效的 JSON", f"The body is not valid JSON: {exc}", reason="bad_json"
        ) from None
    found = _nul_or_too_deep(value)
    if found == "nul":
        raise InvalidInput(
            "文本中不能包含空字符（\\u0000）",
            "Text must not contain NUL characters (\\u0000)",
            reason="nul_character",
        )
    if found == "depth":
        raise BadRequest(
            f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层",
            f"JSON is nested deeper than {MAX_JSON_DEPTH} levels",
            reason="too_deep",
        )


class InputGuardMiddleware(ASGIMiddleware):
    """Runs :func:`check_request` for every HTTP request (registered in ``app.py``)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        await check_request(Request(scope, receive, send))
        await next_app(scope, receive, send)
