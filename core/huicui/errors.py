"""Errors as types with a machine-readable code and zh-CN/en messages, served as RFC 9457."""

from __future__ import annotations

import logging
import traceback
from functools import lru_cache
from importlib import metadata
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from huicui.field_errors import (
    FieldError,
    field_error,
    from_litestar,
    summary,
    unparsable_path_parameter,
)
from huicui.request_ids import HEADER as REQUEST_ID_HEADER
from huicui.request_ids import request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("huicui.errors")


class HuicuiError(Exception):
    """A refusal a caller can act on. Subclasses set ``status`` and ``code``."""

    status = 400
    code = "bad_request"

    def __init__(self, message_zh: str, message_en: str, **extra: Any) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        self.extra = extra


class NotFound(HuicuiError):
    status = 404
    code = "not_found"


class Conflict(HuicuiError):
    status = 409
    code = "conflict"


class InvalidInput(HuicuiError):
    status = 422
    code = "invalid_input"


class IllegalTransition(HuicuiError):
    status = 409
    code = "illegal_transition"


class FourEyesViolation(HuicuiError):
    status = 403
    code = "four_eyes"


class Forbidden(HuicuiError):
    status = 403
    code = "forbidden"


class BadRequest(HuicuiError):
    status = 400
    code = "bad_request"


class TooLarge(HuicuiError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(HuicuiError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(HuicuiError):
    """Answered with ``Retry-After``: ``retry_after`` seconds."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message_zh: str, message_en: str, *, retry_after: int) -> None:
        super().__init__(message_zh, message_en, retry_after=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


def problem(
    status: int, code: str, title_en: str, title_zh: str, detail: str = "", **extra: Any
) -> Response:
    """An RFC 9457 problem document; ``title`` in English, ``title_zh`` in Chinese."""
    body = {
        "type": f"urn:huicui:problem:{code}",
        "title": title_en,
        "title_zh": title_zh,
        "status": status,
        "code": code,
        "detail": detail or title_en,
        **extra,
    }
    return Response(content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


_HTTP_TITLES = {
    400: ("bad_request", "Bad request", "请求有误"),
    401: ("unauthorized", "Authentication required", "需要登录凭证"),
    403: ("forbidden", "Not allowed for this role", "当前角色无权执行此操作"),
    404: ("not_found", "Not found", "未找到"),
    405: ("method_not_allowed", "Method not allowed", "不支持该请求方法"),
    409: ("conflict", "Conflict", "冲突"),
    413: ("too_large", "Request body too large", "请求内容过大"),
    415: ("unsupported_media_type", "Unsupported media type", "不支持的内容类型"),
    422: ("invalid_input", "Invalid input", "输入无效"),
    429: ("too_many_requests", "Too many requests", "请求过于频繁"),
}


def _with_request_id(handler: Any) -> Any:
    """The handler's answer with ``X-Request-Id``: refusals raised by middleware are
    answered outside :class:`~huicui.request_ids.RequestIdMiddleware`."""

    def handle(request: Request, exc: Any) -> Response:
        response = handler(request, exc)
        response.headers[REQUEST_ID_HEADER] = request_id(request.scope)
        return response

    return handle


def _huicui_error_handler(_: Request, exc: HuicuiError) -> Response:
    response = problem(
        exc.status, exc.code, exc.message_en, exc.message_zh, exc.message_en, **exc.extra
    )
    response.headers.update(getattr(exc, "headers", {}))
    return response


def validation_problem(errors: list[FieldError]) -> Response:
    """400 ``validation_failed`` naming every refused field, in Chinese and English."""
    message_zh, message_en = summary(errors)
    return problem(
        400,
        "validation_failed",
        message_en,
        message_zh,
        message_en,
        errors=[msgspec.structs.asdict(error) for error in errors],
    )


def _validation_handler(_: Request, exc: ValidationException) -> Response:
    return validation_problem(from_litestar(str(exc.detail or ""), exc.extra))


def _http_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if isinstance(exc, NotFoundException) and isinstance(exc.__cause__, ValueError):
        # Litestar's router answers 404 when a typed path parameter does not parse
        # (/identities/abc); /identities/0 is a 400 from the Id type. One answer for both.
        found = unparsable_path_parameter(request.app.routes, request.scope.get("path", ""))
        if found is not None:
            return validation_problem([field_error(found[0], "path", "Expected `int`, got `str`")])
    code, title_en, title_zh = _HTTP_TITLES.get(status, ("error", "Error", "错误"))
    if status >= 500:
        return _server_error(request, exc)
    return problem(status, code, title_en, title_zh, str(exc.detail or title_en))


@lru_cache(maxsize=1)
def _application_packages() -> frozenset[str]:
    """Top-level packages whose frames lead to a cause: the core and installed plugins."""
    from huicui.plugins._names import ENTRY_POINT_GROUP

    plugins = {ep.module.split(".")[0] for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    return frozenset({"huicui", *plugins})


def application_frames(exc: BaseException) -> list[str]:
    """Where ``exc`` went through the application, one line a frame, and where it was raised.

    Library frames (Litestar, the database driver, asyncio) are left out except the last,
    which names the call that failed. Only module, line, function and source line are
    given: never local values or the message, which might quote personal data.
    """
    packages = _application_packages()
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", "?"))
        frames.append((module, tb))
        tb = tb.tb_next
    lines = []
    for index, (module, tb) in enumerate(frames):
        last = index == len(frames) - 1
        if module.split(".")[0] not in packages and not last:
            continue
        summary = traceback.extract_tb(tb, limit=1)[0]
        where = "raised in" if last else "at"
        lines.append(f"  {where} {module}:{summary.lineno} in {summary.name}: {summary.line}")
    return lines


def _server_error(request: Request, exc: Exception) -> Response:
    # The type, the route's template (never the path: it may hold a card token), the
    # request id and the application frames; never the message of an unexpected error
    # (a database driver's, say, might quote personal data).
    rid = request_id(request.scope)
    route = request.scope.get("path_template") or "(no route)"
    log.error(
        "unexpected %s in %s %s (request %s)\n%s",
        type(exc).__name__,
        request.method,
        route,
        rid,
        "\n".join(application_frames(exc)),
    )
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        f"Internal error, logged as request {rid}",
        f"服务器内部错误，已记录（请求编号 {rid}）",
        "Internal error; give staff the request id",
        request_id=rid,
    )


def _unexpected_handler(request: Request, exc: Exception) -> Response:
    return _server_error(request, exc)


EXCEPTION_HANDLERS = {
    exc_type: _with_request_id(handler)
    for exc_type, handler in (
        (HuicuiError, _huicui_error_handler),
        (ValidationException, _validation_handler),
        (NotAuthorizedException, _http_handler),
        (PermissionDeniedException, _http_handler),
        (HTTPException, _http_handler),
        (Exception, _unexpected_handler),
    )
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_MEDIA_TYPE",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "FourEyesViolation",
    "HuicuiError",
    "IllegalTransition",
    "InvalidInput",
    "MediaType",
    "NotFound",
    "TooLarge",
    "TooManyRequests",
    "UnsupportedMediaType",
    "problem",
    "validation_problem",
]
