"""Errors as types with a machine-readable code and zh-CN/en messages, served as RFC 9457."""

from __future__ import annotations

import logging
import traceback
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


def _huicui_error_handler(_: Request, exc: HuicuiError) -> Response:
    return problem(
        exc.status, exc.code, exc.message_en, exc.message_zh, exc.message_en, **exc.extra
    )


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
        log.error("server error %s: %s", status, exc.detail)
    return problem(status, code, title_en, title_zh, str(exc.detail or title_en))


def _unexpected_handler(_: Request, exc: Exception) -> Response:
    # Log the type and where it happened, never the message: messages of unexpected
    # errors (a database driver's, say) might quote personal data.
    where = "".join(traceback.format_tb(exc.__traceback__)[-8:])
    log.error("unexpected %s\n%s", type(exc).__name__, where)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal error, it has been logged",
        "服务器内部错误，已记录",
        "Internal error",
    )


EXCEPTION_HANDLERS = {
    HuicuiError: _huicui_error_handler,
    ValidationException: _validation_handler,
    NotAuthorizedException: _http_handler,
    PermissionDeniedException: _http_handler,
    HTTPException: _http_handler,
    Exception: _unexpected_handler,
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
    "UnsupportedMediaType",
    "problem",
    "validation_problem",
]
