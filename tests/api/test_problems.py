"""Bad input of every kind gets an RFC 9457 problem document, never a 500."""

from __future__ import annotations

import json

import pytest

JSON = {"content-type": "application/json"}


def assert_problem(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:400])
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    for key in ("type", "title", "title_zh", "status", "detail", "code"):
        assert key in body, key
    assert body["status"] == status and body["type"].startswith("urn:huicui:problem:")
    if code:
        assert body["code"] == code, body
    return body


async def _identity(client, tokens) -> int:
    r = await client.post("/api/v1/identities", headers=tokens.h("registrar"),
                          json={"display_name": "林海", "id_doc": "11010519491231002X"})
    assert r.status_code == 201
    return r.json()["id"]


BODIES = [
    ("malformed JSON", b'{"display_name": ', 400, "bad_request"),
    ("keys not strings", b"{1: 2}", 400, "bad_request"),
    ("not UTF-8", b'{"display_name": "\xff\xfe"}', 400, "bad_request"),
    ("GB18030 text", '{"display_name": "张三"}'.encode("gb18030"), 400, "bad_request"),
    ("deeply nested", b"[" * 5000 + b"]" * 5000, 400, "bad_request"),
    ("nested 40 levels", b'{"display_name": "x", "descendants": ' + b"[" * 40 + b"]" * 40 + b"}",
     400, "bad_request"),
    ("wrong type", b'{"display_name": 5}', 400, "validation_failed"),
    ("null name", b'{"display_name": null}', 400, "validation_failed"),
    ("unknown field", b'{"display_name": "a", "is_admin": true}', 400, "validation_failed"),
    ("array body", b"[]", 400, "validation_failed"),
    ("empty body", b"", 400, "validation_failed"),
    ("huge string", json.dumps({"display_name": "a", "achievements": "长" * 100_000}).encode(),
     400, "validation_failed"),
    ("NUL in a string", b'{"display_name": "a\\u0000b"}', 422, "invalid_input"),
    ("NUL in a key", b'{"display_\\u0000name": "a"}', 422, "invalid_input"),
    ("NUL deep inside", b'{"display_name": "a", "descendants": [{"name": "x\\u0000"}]}',
     422, "invalid_input"),
    ("control character", b'{"display_name": "a\\u0007b"}', 422, "invalid_input"),
    ("residency not a choice", b'{"display_name": "a", "residency": "tourist"}', 400,
     "validation_failed"),
    ("bad check digit", b'{"display_name": "a", "id_doc": "110105194912310021"}', 422,
     "invalid_input"),
]


@pytest.mark.parametrize(("label", "body", "status", "code"), BODIES, ids=[b[0] for b in BODIES])
async def test_bad_bodies_on_create(client, tokens, label, body, status, code):
    r = await client.post("/api/v1/identities", content=body,
                          headers={**tokens.h("registrar"), **JSON})
    assert_problem(r, status, code)
    # Nothing was written.
    listing = await client.get("/api/v1/identities", headers=tokens.h("registrar"))
    assert listing.json()["total"] == 0


async def test_field_errors_name_the_field_in_both_languages(client, tokens):
    r = await client.post("/api/v1/identities", headers=tokens.h("registrar"), json={
        "display_name": "a", "id_doc": "110105194912310021", "phone": "12ab"})
    body = assert_problem(r, 422, "invalid_input")
    keys = {e["key"]: e for e in body["errors"]}
    assert set(keys) == {"id_doc", "phone"}
    assert "校验位" in keys["id_doc"]["message_zh"] and "check digit" in keys["id_doc"]["message"]
    assert "110105194912310021" not in r.text  # the refused number is not echoed


async def test_oversized_body_is_413(client, tokens):
    big = b'{"display_name": "' + b"a" * (6 * 1024 * 1024) + b'"}'
    r = await client.post("/api/v1/identities", content=big,
                          headers={**tokens.h("registrar"), **JSON})
    assert_problem(r, 413)


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data",
])
async def test_wrong_content_type_is_415(client, tokens, content_type):
    r = await client.post("/api/v1/identities", content=b'{"display_name": "a"}',
                          headers={**tokens.h("registrar"), "content-type": content_type})
    assert_problem(r, 415, "unsupported_media_type")


async def test_json_with_charset_parameter_is_fine(client, tokens):
    r = await client.post("/api/v1/identities", content='{"display_name": "李"}'.encode(),
                          headers={**tokens.h("registrar"),
                                   "content-type": "application/json; charset=utf-8"})
    assert r.status_code == 201


@pytest.mark.parametrize("bad_id", ["0", "-1", "2147483648", "99999999999999999999999", "1e3"])
@pytest.mark.parametrize("template", [
    "/api/v1/identities/{}", "/api/v1/memberships/{}", "/api/v1/directories/{}"])
async def test_bad_ids_in_paths(client, tokens, template, bad_id):
    r = await client.get(template.format(bad_id), headers=tokens.h("admin"))
    assert_problem(r, 400, "validation_failed")


@pytest.mark.parametrize(("path", "error", "zh"), [
    # Not a number at all: a 400 like /identities/0, no longer a 404.
    ("/api/v1/identities/abc", {"key": "identity_id", "source": "path",
                                "message": "Expected `int`, got `str`",
                                "message_zh": "应为整数，实际是文本"},
     "路径参数 identity_id：应为整数，实际是文本"),
    ("/api/v1/reports/settlement?month=2026-10", {
        "key": "partner", "source": "query",
        "message": "Missing required query parameter 'partner'", "message_zh": "缺少必填参数"},
     "查询参数 partner：缺少必填参数"),
])
async def test_a_refused_parameter_is_named_in_both_languages(client, tokens, path, error, zh):
    r = await client.get(path, headers=tokens.h("admin"))
    body = assert_problem(r, 400, "validation_failed")
    assert body["errors"] == [error] and zh in body["title_zh"]


async def test_missing_but_valid_id_is_404(client, tokens):
    r = await client.get("/api/v1/identities/2147483647", headers=tokens.h("admin"))
    body = assert_problem(r, 404, "not_found")
    assert body["title_zh"] == "未找到该人员"


@pytest.mark.parametrize("body", [
    {"identity_id": 2**31, "source_org": "x"},
    {"identity_id": 2**40, "source_org": "x"},
    {"identity_id": 0, "source_org": "x"},
    {"identity_id": 1, "directory_id": 2**33, "source_org": "x"},
    {"identity_id": 1.5, "source_org": "x"},
    {"identity_id": 1, "source_org": ""},
])
async def test_bad_ids_in_bodies(client, tokens, body):
    r = await client.post("/api/v1/memberships", json=body, headers=tokens.h("registrar"))
    assert_problem(r, 400, "validation_failed")


@pytest.mark.parametrize("query", [
    "limit=0", "limit=10000", "limit=-5", "offset=-1", "limit=abc", "offset=1.5",
    "offset=99999999999", "residency=tourist", "status=happy", "q=" + "x" * 65,
])
@pytest.mark.parametrize("path", ["/api/v1/identities", "/api/v1/memberships", "/api/v1/audit"])
async def test_bad_paging_and_query_values(client, tokens, path, query):
    if path != "/api/v1/identities" and query.split("=")[0] in ("residency", "status", "q"):
        query = {"/api/v1/memberships": "state=happy", "/api/v1/audit": "since=yesterday"}[path]
    r = await client.get(f"{path}?{query}", headers=tokens.h("admin"))
    assert_problem(r, 400, "validation_failed")


async def test_bad_due_within_is_422(client, tokens):
    r = await client.get("/api/v1/memberships?due_within=soon", headers=tokens.h("reviewer"))
    body = assert_problem(r, 422, "invalid_input")
    assert body["parameter"] == "due_within"


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "field=%00", "source=x%00"])
async def test_nul_in_query_is_refused(client, tokens, query):
    r = await client.get(f"/api/v1/identities?{query}", headers=tokens.h("admin"))
    body = assert_problem(r, 400, "bad_request")
    assert body["reason"] == "nul_character"


async def test_nul_refused_on_every_json_route(client, tokens):
    ident = await _identity(client, tokens)
    for method, path in (("PATCH", f"/api/v1/identities/{ident}"),
                         ("POST", "/api/v1/memberships"),
                         ("POST", "/api/v1/directories"),
                         ("POST", f"/api/v1/identities/{ident}/reveal")):
        r = await client.request(method, path, content=b'{"reason": "\\u0000\\u0000\\u0000xx"}',
                                 headers={**tokens.h("admin"), **JSON})
        assert_problem(r, 422, "invalid_input")


async def test_odd_but_valid_text_is_kept(client, tokens):
    """Emoji, rare CJK (GB18030 extension) and RTL text are data, not attacks."""
    name = "𠀀𪚥😀أحمد"
    r = await client.post("/api/v1/identities", headers=tokens.h("registrar"),
                          json={"display_name": name, "achievements": "line1\nline2\ttab"})
    assert r.status_code == 201, r.text
    assert r.json()["display_name"] == name
    r = await client.get("/api/v1/identities", params={"q": "𪚥"}, headers=tokens.h("registrar"))
    assert r.json()["total"] == 1


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_unknown_method_is_405_problem(client, tokens, method):
    r = await client.request(method, "/api/v1/memberships", headers=tokens.h("admin"))
    assert_problem(r, 405, "method_not_allowed")


async def test_unknown_path_is_404_problem(client, tokens):
    r = await client.get("/api/v1/nothing-here", headers=tokens.h("admin"))
    assert_problem(r, 404, "not_found")


async def test_sql_like_text_is_just_text(client, tokens):
    await _identity(client, tokens)
    for q in ("'; DROP TABLE identity; --", "%", "_", "\\", "林%' OR '1'='1"):
        r = await client.get("/api/v1/identities", params={"q": q}, headers=tokens.h("admin"))
        assert r.status_code == 200, (q, r.text)
    r = await client.get("/api/v1/identities", headers=tokens.h("admin"))
    assert r.json()["total"] == 1


# What a client sends wrong, and what the refusal must say in Chinese (naming the field).
FIELD_CASES = [
    ("unknown field", {"display_name": "a", "is_admin": True},
     "is_admin", "body", "未知字段", "Object contains unknown field `is_admin`"),
    ("wrong type", {"display_name": 5}, "display_name", "body", "应为文本，实际是整数",
     "Expected `str`, got `int`"),
    ("too long", {"display_name": "长" * 33}, "display_name", "body", "长度不能超过 32 个字符",
     "Expected `str` of length <= 32"),
    ("empty name", {"display_name": ""}, "display_name", "body", "不能为空",
     "Expected `str` of length >= 1"),
    ("missing field", {"pinyin": "a"}, "display_name", "body", "缺少必填字段",
     "Object missing required field `display_name`"),
    ("bad choice", {"display_name": "a", "residency": "tourist"}, "residency", "body",
     "不在允许的范围内", "Invalid enum value 'tourist'"),
    ("nested", {"display_name": "a", "descendants": [{"name": "子", "birth_year": "x"}]},
     "descendants[0].birth_year", "body", "应为整数或 null，实际是文本", "Expected `int | null`"),
    ("not an object", [], "", "body", "应为 JSON 对象，实际是数组",
     "Expected `object`, got `array`"),
]


@pytest.mark.parametrize(("label", "body", "key", "source", "zh", "en"), FIELD_CASES,
                         ids=[c[0] for c in FIELD_CASES])
async def test_validation_errors_in_chinese_naming_the_field(client, tokens, label, body, key,
                                                             source, zh, en):
    r = await client.post("/api/v1/identities", json=body, headers=tokens.h("registrar"))
    problem = assert_problem(r, 400, "validation_failed")
    (error,) = problem["errors"]
    assert (error["key"], error["source"]) == (key, source)
    assert zh in error["message_zh"] and error["message"].startswith(en)
    assert problem["title_zh"].startswith("请求内容不符合要求：") and zh in problem["title_zh"]
    assert (key or "请求正文") in problem["title_zh"] and en in problem["title"]


@pytest.mark.parametrize(("query", "key", "zh"), [
    ("limit=0", "limit", "查询参数 limit：应为不小于 1 的整数"),
    ("limit=abc", "limit", "查询参数 limit：应为整数，实际是文本"),
    ("offset=-1", "offset", "查询参数 offset：应为不小于 0 的整数"),
])
async def test_query_errors_in_chinese_naming_the_parameter(client, tokens, query, key, zh):
    r = await client.get(f"/api/v1/identities?{query}", headers=tokens.h("auditor"))
    problem = assert_problem(r, 400, "validation_failed")
    assert [e["key"] for e in problem["errors"]] == [key] and zh in problem["title_zh"]

