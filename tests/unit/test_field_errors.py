"""Validation messages of msgspec and Litestar in Chinese, and which field they name."""

from __future__ import annotations

import msgspec
import pytest
from huicui.field_errors import field_error, from_litestar, message_zh, summary
from huicui.identities.schemas import IdentityIn


def _msgspec_message(value: object) -> str:
    """What msgspec itself says when ``value`` is converted to an identity."""
    with pytest.raises(msgspec.ValidationError) as info:
        msgspec.convert(value, IdentityIn)
    return str(info.value).split(" - ")[0]


@pytest.mark.parametrize(("value", "zh"), [
    ({"display_name": 5}, "应为文本，实际是整数"),
    ({"display_name": "长" * 33}, "长度不能超过 32 个字符"),
    ({"display_name": ""}, "不能为空"),
    ({"display_name": "a", "residency": "x"}, "取值 'x' 不在允许的范围内"),
    ({"display_name": "a", "nope": 1}, "不是可接受的字段（未知字段），请检查拼写"),
    ({}, "缺少必填字段"),
    ({"display_name": "a", "descendants": [{"name": "b", "birth_year": 1800}]},
     "应为不小于 1900 的整数"),
    ({"display_name": "a", "descendants": {}}, "应为数组，实际是 JSON 对象"),
])
def test_msgspec_messages_in_chinese(value, zh):
    # The English comes from msgspec itself, so a change in its wording fails here.
    assert message_zh(_msgspec_message(value)) == zh


def test_an_unknown_shape_still_gets_chinese_and_keeps_the_english():
    assert message_zh("Something new") == "不符合要求（Something new）"


def test_the_field_an_error_names():
    unknown = field_error("data", "body", "Object contains unknown field `is_admin`")
    assert (unknown.key, unknown.source) == ("is_admin", "body")
    nested = field_error("descendants[0]", "body", "Object missing required field `name`")
    assert nested.key == "descendants[0].name"
    whole = field_error("data", "body", "Expected `object`, got `array`")
    assert whole.key == ""
    assert summary([whole])[0] == "请求内容不符合要求：请求正文：应为 JSON 对象，实际是数组"
    (missing,) = from_litestar(
        "Missing required header parameter 'x-token' for path /api/v1/x?q=secret", None)
    assert (missing.key, missing.source) == ("x-token", "header")
    assert missing.message_zh == "缺少必填参数"
    assert "secret" not in missing.message  # the URL with its query is not echoed


def test_summary_names_every_field_in_both_languages():
    errors = from_litestar("Validation failed", [
        {"key": "limit", "source": "query", "message": "Expected `int` >= 1"},
        {"key": "display_name", "source": "body", "message": "Expected `str`, got `int`"}])
    zh, en = summary(errors)
    assert zh == ("请求内容不符合要求：查询参数 limit：应为不小于 1 的整数；"
                  "正文字段 display_name：应为文本，实际是整数")
    assert en == ("The request is not valid: query parameter limit: Expected `int` >= 1; "
                  "body field display_name: Expected `str`, got `int`")
