"""Validation errors from msgspec and Litestar, told in zh-CN and en, naming the field.

msgspec and Litestar phrase every refusal of a request's shape in English
(``Expected `int` >= 1``, ``Object contains unknown field `x```). The exception handler
turns each into a :class:`FieldError`: where it is (body, query, path, header), which
field, and the message in both languages. The English stays msgspec's own words, so
nothing is lost for a developer; the Chinese is written from a small table of the
message shapes msgspec and Litestar use (a shape not in the table still gets a Chinese
sentence naming the field, with the English beside it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

SOURCE_ZH = {
    "body": "正文字段",
    "query": "查询参数",
    "path": "路径参数",
    "header": "请求头",
    "cookie": "Cookie",
}
SOURCE_EN = {
    "body": "body field",
    "query": "query parameter",
    "path": "path parameter",
    "header": "header",
    "cookie": "cookie",
}
TYPE_ZH = {
    "int": "整数",
    "float": "数字",
    "decimal": "数字",
    "str": "文本",
    "bool": "true 或 false",
    "null": "null",
    "array": "数组",
    "object": "JSON 对象",
    "datetime": "日期时间",
    "date": "日期",
    "time": "时间",
    "uuid": "UUID",
    "bytes": "二进制数据",
    "duration": "时长",
}
_COMPARE_ZH = {">=": "不小于", ">": "大于", "<=": "不大于", "<": "小于"}
_LENGTH_ZH = {">=": "至少", ">": "应多于", "<=": "不能超过", "<": "应少于"}


class FieldError(msgspec.Struct):
    """One refused field: ``key`` (``descendants[0].name``), ``source`` and both messages."""

    key: str
    source: str
    message: str
    message_zh: str


def _types_zh(text: str) -> str:
    """``int | null`` → ``整数或 null``, with a space where Chinese meets Latin letters."""
    out = ""
    for part in (TYPE_ZH.get(p.strip(), p.strip()) for p in text.split("|")):
        joiner = "或" if out else ""
        if joiner and part[:1].isascii():
            joiner += " "
        out += joiner + part
    return f" {out}" if out[:1].isascii() else out


def _compare(match: re.Match) -> str:
    kind, op, bound = match.group(1), match.group(2), match.group(3)
    if kind in ("str", "bytes"):
        if (op, bound) == (">=", "1"):
            return "不能为空"
        return f"长度{_LENGTH_ZH[op]} {bound} 个字符"
    if kind == "array":
        return f"项数应{_COMPARE_ZH[op]} {bound}"
    if kind == "object":
        return f"键的个数应{_COMPARE_ZH[op]} {bound}"
    return f"应为{_COMPARE_ZH[op]} {bound} 的{_types_zh(kind)}"


# Litestar's words for a required query parameter or header that is absent.
_MISSING_PARAMETER = re.compile(r"^Missing required (\w+) parameter '([^']+)'")

# (pattern, Chinese) in order; the first that matches the English message is used.
_SHAPES: list[tuple[re.Pattern[str], Callable[[re.Match], str]]] = [
    (
        re.compile(r"^Expected `([^`]+)`, got `([^`]+)`$"),
        lambda m: f"应为{_types_zh(m.group(1))}，实际是{_types_zh(m.group(2))}",
    ),
    (re.compile(r"^Expected `(\w+)` (?:of length )?(>=|>|<=|<) (\S+)$"), _compare),
    (
        re.compile(r"^Expected `\w+` that's a multiple of (\S+)$"),
        lambda m: f"应为 {m.group(1)} 的倍数",
    ),
    (
        re.compile(r"^Expected `str` matching regex (.+)$"),
        lambda m: f"格式不符合要求（应匹配 {m.group(1)}）",
    ),
    (re.compile(r"^Object missing required field `([^`]+)`$"), lambda m: "缺少必填字段"),
    (
        re.compile(r"^Object contains unknown field `([^`]+)`$"),
        lambda m: "不是可接受的字段（未知字段），请检查拼写",
    ),
    (re.compile(r"^Invalid enum value (.+)$"), lambda m: f"取值 {m.group(1)} 不在允许的范围内"),
    (
        re.compile(r"^Invalid RFC3339 encoded (datetime|date|time)$"),
        lambda m: f"不是有效的{TYPE_ZH[m.group(1)]}（RFC 3339 格式，如 2026-11-01T08:00:00+08:00）",
    ),
    (
        re.compile(r"^Expected `datetime` with a timezone component$"),
        lambda m: "日期时间必须带时区（如 +08:00）",
    ),
    (re.compile(r"^Invalid UUID$"), lambda m: "不是有效的 UUID"),
    (_MISSING_PARAMETER, lambda m: "缺少必填参数"),
]
# Fields that a message names itself (the key is then the object holding them).
_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]+)`$")


def message_zh(message: str) -> str:
    """The Chinese for one msgspec/Litestar validation message (without the field)."""
    for pattern, render in _SHAPES:
        if match := pattern.match(message):
            return render(match)
    return f"不符合要求（{message}）"


def field_error(key: str | None, source: str | None, message: str) -> FieldError:
    """A :class:`FieldError` from Litestar's (key, source, message) of one refusal.

    Litestar reports an unknown or missing body field under the key ``data`` (the whole
    body) and the field's name in the message; the field becomes the key here.
    """
    key = key or ""
    if named := _NAMED_FIELD.match(message):
        parent = "" if key in ("", "data") else key
        key = f"{parent}.{named.group(1)}" if parent else named.group(1)
    elif missing := _MISSING_PARAMETER.match(message):
        source, key = missing.group(1), missing.group(2)
        message = f"Missing required {source} parameter '{key}'"  # without the echoed URL
    elif key == "data":
        key = ""  # the body as a whole (an array where an object belongs, say)
    return FieldError(
        key=key,
        source="body" if source is None else source,
        message=message,
        message_zh=message_zh(message),
    )


def from_litestar(detail: str, extra: Any) -> list[FieldError]:
    """The field errors of a Litestar ``ValidationException`` (its ``extra``, or ``detail``
    when Litestar put the one message there)."""
    items = [item for item in extra or [] if isinstance(item, dict)]
    if not items and detail:
        return [field_error(None, "", detail)]  # where, Litestar did not say
    return [
        field_error(item.get("key"), item.get("source"), str(item.get("message", "")))
        for item in items
    ]


def where(error: FieldError) -> tuple[str, str]:
    """``正文字段 display_name`` / ``body field display_name`` (or the body itself)."""
    if not error.key:
        return ("请求正文", "the body") if error.source == "body" else ("请求", "the request")
    return (
        f"{SOURCE_ZH.get(error.source, error.source)} {error.key}",
        f"{SOURCE_EN.get(error.source, error.source)} {error.key}",
    )


def summary(errors: Iterable[FieldError]) -> tuple[str, str]:
    """One sentence per language naming every refused field."""
    zh, en = [], []
    for error in errors:
        place_zh, place_en = where(error)
        zh.append(f"{place_zh}：{error.message_zh}")
        en.append(f"{place_en}: {error.message}")
    return (
        "请求内容不符合要求：" + "；".join(zh) if zh else "请求内容不符合要求",
        "The request is not valid: " + "; ".join(en) if en else "The request is not valid",
    )


def unparsable_path_parameter(routes: Iterable[Any], path: str) -> tuple[str, str] | None:
    """(name, value) of the typed path parameter in ``path`` that did not parse.

    Litestar answers 404 when ``/identities/abc`` does not fit ``{identity_id:int}``; the
    route is found again here so the refusal can be a 400 naming the parameter, like
    ``/identities/0``.
    """
    parts = [part for part in path.split("/") if part]
    for route in routes:
        components = getattr(route, "path_components", None)
        if components is None or len(components) != len(parts):
            continue
        bad: tuple[str, str] | None = None
        for component, part in zip(components, parts, strict=True):
            if isinstance(component, str):
                if component != part:
                    break
            elif component.parser is not None and bad is None:
                try:
                    component.parser(part)
                except ValueError:
                    bad = (component.name, part)
        else:
            if bad is not None:
                return bad
    return None
