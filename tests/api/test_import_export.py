"""Roster import (CSV/XLSX, all-or-nothing, skip-invalid, dry run) and export."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from huicui.audit.tables import AuditEvent
from huicui.identities.tables import Identity
from huicui.memberships.tables import Membership

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IDS = ["11010519491231002X", "440524188001010014", "G12345678", "E98765432"]
HEADER_ZH = ["姓名", "拼音", "证件号码", "手机", "领域", "主要成就", "类别", "推荐单位", "联系人",
             "邮箱"]
HEADER_EN = ["display_name", "pinyin", "id_doc", "phone", "field", "achievements", "residency",
             "source", "liaison", "email"]


def _row(name, doc, residency="常住", phone="13800138000"):
    return [name, "", doc, phone, "海洋生物", "成就", residency, "银海区", "王主任", "a@b.cn"]


def csv_bytes(rows, header=HEADER_ZH, encoding="utf-8", bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, header=HEADER_ZH) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def upload(client, tokens, data, *, name="roster.csv", ctype="text/csv", who="registrar",
                 **params):
    params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    return await client.post("/api/v1/identities/import", params=params,
                             files={"file": (name, data, ctype)}, headers=tokens.h(who))


async def test_csv_import_writes_everyone(client, tokens):
    rows = [_row("李晓明", IDS[0], "候鸟"), _row("陈静", IDS[1], "流动"), _row("Anna", IDS[2])]
    r = await upload(client, tokens, csv_bytes(rows))
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["status"] == "written" and report["created"] == 3 and report["problems"] == []
    assert await Identity.count() == 3
    by_name = {row["display_name"]: row for row in await Identity.select()}
    assert by_name["李晓明"]["residency"] == "seasonal"
    assert by_name["陈静"]["residency"] == "migrant"
    assert by_name["Anna"]["id_doc_last4"] == "5678"
    events = await AuditEvent.select().where(AuditEvent.action == "identity.import")
    assert len(events) == 1
    assert "李晓明" not in str(events) and IDS[0] not in str(events)


@pytest.mark.parametrize("variant", ["utf8-bom", "gb18030", "english", "xlsx", "raw-csv",
                                     "raw-xlsx", "semicolon", "tab"])
async def test_formats_and_encodings(client, tokens, variant):
    rows = [_row("张伟", IDS[0]), _row("王芳", IDS[1], "seasonal")]
    if variant == "utf8-bom":
        r = await upload(client, tokens, csv_bytes(rows, bom=True))
    elif variant == "gb18030":
        r = await upload(client, tokens, csv_bytes(rows, encoding="gb18030"))
    elif variant == "english":
        r = await upload(client, tokens, csv_bytes(rows, header=HEADER_EN))
    elif variant == "xlsx":
        r = await upload(client, tokens, xlsx_bytes(rows), name="名录.xlsx", ctype=XLSX)
    elif variant == "raw-csv":
        r = await client.post("/api/v1/identities/import", content=csv_bytes(rows),
                              headers={**tokens.h("registrar"), "content-type": "text/csv"})
    elif variant == "raw-xlsx":
        r = await client.post("/api/v1/identities/import", content=xlsx_bytes(rows),
                              headers={**tokens.h("registrar"), "content-type": XLSX})
    else:
        sep = ";" if variant == "semicolon" else "\t"
        text = "\n".join(sep.join(line) for line in [HEADER_ZH, *rows])
        r = await upload(client, tokens, text.encode())
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 2
    names = sorted(row["display_name"] for row in await Identity.select(Identity.display_name))
    assert names == ["张伟", "王芳"]


async def test_one_bad_row_means_nothing_is_written(client, tokens):
    rows = [_row("甲", IDS[0]), _row("乙", "110105194912310021"), _row("丙", IDS[1]),
            _row("", IDS[2]), _row("丁", IDS[3], "游客"), _row("戊", IDS[0])]
    r = await upload(client, tokens, csv_bytes(rows))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "import_rejected" and "未导入任何数据" in body["title_zh"]
    report = body["report"]
    assert report["status"] == "rejected" and report["created"] == 0
    found = {(p["row"], p["column"], p["code"]) for p in report["problems"]}
    # Row 1 is the header, so the file's 2nd data row is row 3.
    assert found == {(3, "证件号码", "bad_id_doc"), (5, "姓名", "required"),
                     (6, "类别", "bad_choice"), (7, "证件号码", "duplicate_in_file")}
    dup = next(p for p in report["problems"] if p["code"] == "duplicate_in_file")
    assert "第 2 行" in dup["zh"] and "row 2" in dup["en"]
    assert await Identity.count() == 0
    assert await AuditEvent.count().where(AuditEvent.action == "identity.import") == 0


async def test_skip_invalid_writes_the_valid_rows_and_names_the_rest(client, tokens):
    rows = [_row("甲", IDS[0]), _row("乙", "12"), _row("丙", IDS[1])]
    r = await upload(client, tokens, csv_bytes(rows), skip_invalid=True)
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["created"] == 2 and report["skipped_rows"] == [3]
    assert [p["row"] for p in report["problems"]] == [3]
    assert sorted(row["display_name"] for row in await Identity.select()) == ["丙", "甲"]


async def test_dry_run_writes_nothing_and_reports_the_same(client, tokens):
    rows = [_row("甲", IDS[0]), _row("乙", "12")]
    r = await upload(client, tokens, csv_bytes(rows), dry_run=True)
    assert r.status_code == 200
    report = r.json()
    assert report["status"] == "dry_run" and report["rows_valid"] == 1
    assert [p["row"] for p in report["problems"]] == [3]
    assert await Identity.count() == 0


async def test_duplicates_against_the_database(client, tokens):
    r = await client.post("/api/v1/identities", headers=tokens.h("registrar"),
                          json={"display_name": "先到", "id_doc": IDS[0]})
    first = r.json()["id"]
    r = await upload(client, tokens, csv_bytes([_row("后到", IDS[0].lower())]), dry_run=True)
    (problem,) = r.json()["problems"]
    assert problem["code"] == "already_registered" and str(first) in problem["en"]


async def test_import_and_nominate(client, tokens):
    rows = [_row("甲", IDS[0]), _row("乙", IDS[1])]
    r = await upload(client, tokens, csv_bytes(rows), nominate=True, source_org="银海区人社局")
    assert r.status_code == 201, r.text
    assert r.json()["nominated"] == 2
    memberships = await Membership.select()
    assert {m["state"] for m in memberships} == {"nominated"}
    assert {m["source_org"] for m in memberships} == {"银海区人社局"}
    # Four eyes hold for imported nominations too.
    mid = memberships[0]["id"]
    r = await client.post(f"/api/v1/memberships/{mid}/approve", headers=tokens.h("admin"))
    assert r.status_code == 200  # the admin did not import; the registrar did
    r = await upload(client, tokens, csv_bytes([_row("丙", IDS[2])]), who="admin",
                     nominate=True, source_org="x")
    mid = (await Membership.select().where(Membership.identity == r.json()["created_ids"][0])
           )[0]["id"]
    r = await client.post(f"/api/v1/memberships/{mid}/approve", headers=tokens.h("admin"))
    assert r.status_code == 403 and r.json()["code"] == "four_eyes"


async def test_nominate_needs_source_org(client, tokens):
    r = await upload(client, tokens, csv_bytes([_row("甲", IDS[0])]), nominate=True)
    assert r.status_code == 422 and r.json()["parameter"] == "source_org"


@pytest.mark.parametrize(("data", "name", "ctype", "status", "code"), [
    (b"", "a.csv", "text/csv", 422, "import_empty"),
    (b"   \n\n", "a.csv", "text/csv", 422, "import_empty"),
    ("姓名,证件号码\n".encode(), "a.csv", "text/csv", 422, "import_empty"),
    (b"%PDF-1.4 hello", "a.pdf", "application/pdf", 415, "import_unknown_format"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls", "application/vnd.ms-excel", 415,
     "import_unknown_format"),
    (b"PK\x03\x04garbage", "bad.xlsx", XLSX, 422, "import_unreadable"),
    ("姓名,手机\n张三,138\n".encode(), "a.csv", "text/csv", 422, "import_missing_column"),
    ("姓名,display_name,证件号码\n张三,张三,G1234567\n".encode(), "a.csv", "text/csv", 422,
     "import_missing_column"),
    (b"\xff\xfe\x00\x00\x81\x30", "a.csv", "text/csv", 422, "import_unreadable"),
])
async def test_file_level_problems(client, tokens, data, name, ctype, status, code):
    r = await upload(client, tokens, data, name=name, ctype=ctype)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["title_zh"]


async def test_missing_column_is_named(client, tokens):
    r = await upload(client, tokens, "姓名,手机\n张三,138\n".encode())
    assert r.json()["missing"] == ["id_doc"] and "证件号码" in r.json()["title_zh"]


async def test_row_cap(client, tokens, settings):
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    small = settings.__class__(**{**{f: getattr(settings, f) for f in settings.__struct_fields__},
                                  "roster": settings.roster.__class__(import_max_rows=2)})
    async with AsyncTestClient(app=create_app(small)) as c:
        rows = [_row(f"人{i}", f"G{i:08d}") for i in range(10000000, 10000003)]
        r = await upload(c, tokens, csv_bytes(rows))
        assert r.status_code == 413 and r.json()["code"] == "import_too_large"
        r = await upload(c, tokens, csv_bytes(rows[:2]))
        assert r.status_code == 201


async def test_size_cap(client, tokens, settings):
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    small = settings.__class__(**{**{f: getattr(settings, f) for f in settings.__struct_fields__},
                                  "roster": settings.roster.__class__(import_max_bytes=2048)})
    async with AsyncTestClient(app=create_app(small)) as c:
        data = csv_bytes([_row(f"人{i}", f"G{i:08d}") for i in range(10000000, 10000100)])
        r = await upload(c, tokens, data)
        assert r.status_code == 413 and r.json()["code"] == "import_too_large"
        r = await c.post("/api/v1/identities/import", content=data,
                         headers={**tokens.h("registrar"), "content-type": "text/csv"})
        assert r.status_code == 413


async def test_xlsx_numbers_and_row_numbers(client, tokens):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])  # a blank first row: the header is on row 2
    ws.append(["姓名", "证件号码", "手机"])
    ws.append(["甲", "G12345678", 13800138000])  # a phone typed as a number
    ws.append([])
    ws.append(["乙", 110105194912310020, None])  # an ID Excel turned into a float
    out = io.BytesIO()
    wb.save(out)
    r = await upload(client, tokens, out.getvalue(), name="a.xlsx", ctype=XLSX, dry_run=True)
    report = r.json()
    assert report["rows_total"] == 2 and report["rows_valid"] == 1
    (problem,) = report["problems"]
    assert problem["row"] == 5 and problem["field"] == "id_doc"


async def test_import_guards(client, tokens):
    for who in ("reviewer", "auditor"):
        r = await upload(client, tokens, csv_bytes([_row("甲", IDS[0])]), who=who)
        assert r.status_code == 403


async def _seed(client, tokens):
    rows = [_row("李晓明", IDS[0], "候鸟"), _row("=HYPERLINK(\"x\")", IDS[1]),
            _row("陈静", IDS[2], "流动", phone="+8613900139000")]
    r = await upload(client, tokens, csv_bytes(rows))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("who", ["registrar", "reviewer", "admin", "auditor"])
async def test_masked_csv_export(client, tokens, who):
    await _seed(client, tokens)
    r = await client.get("/api/v1/identities/export", headers=tokens.h(who))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][1] == "姓名/display_name"
    assert len(rows) == 4
    for doc in IDS[:3]:
        assert doc not in r.text
    assert rows[1][3].endswith("002X") and set(rows[1][3][:-4]) == {"*"}
    assert rows[1][7] == "候鸟"
    assert rows[2][1].startswith("'=")  # a formula is neutralized
    assert "13800138000" not in r.text


async def test_export_filters_and_xlsx(client, tokens):
    await _seed(client, tokens)
    r = await client.get("/api/v1/identities/export", headers=tokens.h("auditor"),
                         params={"format": "xlsx", "residency": "migrant"})
    assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX)
    ws = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).active
    values = [list(row) for row in ws.iter_rows(values_only=True)]
    assert len(values) == 2 and values[1][1] == "陈静"
    assert values[1][4].endswith("9000") and "139001" not in str(values)


async def test_reveal_needs_admin_and_reason_and_is_audited(client, tokens):
    await _seed(client, tokens)
    r = await client.get("/api/v1/identities/export", headers=tokens.h("registrar"),
                         params={"reveal": "true", "reason": "需要核对全部证件"})
    assert r.status_code == 403
    r = await client.get("/api/v1/identities/export", headers=tokens.h("admin"),
                         params={"reveal": "true"})
    assert r.status_code == 422 and r.json()["parameter"] == "reason"
    r = await client.get("/api/v1/identities/export", headers=tokens.h("admin"),
                         params={"reveal": "true", "reason": "年度复核，需核对证件"})
    assert r.status_code == 200
    assert IDS[0] in r.text and "'+8613900139000" in r.text
    events = await AuditEvent.select().where(AuditEvent.action == "identity.export")
    revealed = [e for e in events if '"reveal":true' in e["data"].replace(" ", "")]
    assert len(revealed) == 1 and revealed[0]["reason"] == "年度复核，需核对证件"
    assert IDS[0] not in str(events)


async def test_export_then_import_round_trip(client, tokens):
    """A revealed export imports again (into an empty roster) unchanged."""
    await _seed(client, tokens)
    r = await client.get("/api/v1/identities/export", headers=tokens.h("admin"),
                         params={"reveal": "true", "reason": "迁移到新系统"})
    exported = r.content
    await Identity.delete(force=True)
    r = await upload(client, tokens, exported)
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["created"] == 3 and set(report["ignored_columns"]) == {
        "编号/id", "登记时间/created_at"}
    names = sorted(row["display_name"] for row in await Identity.select())
    assert names == sorted(["李晓明", "=HYPERLINK(\"x\")", "陈静"])


async def test_one_mask_in_the_api_the_csv_and_the_xlsx_export(client, tokens):
    """The same person's document number and phone read the same wherever they are masked."""
    from huicui.vault import mask

    await _seed(client, tokens)
    people = (await client.get("/api/v1/identities", headers=tokens.h("auditor"))).json()["items"]
    api = {p["display_name"]: (p["id_doc_masked"], p["phone_masked"]) for p in people}
    assert api["李晓明"] == (mask(IDS[0]), mask("13800138000")) == ("****002X", "****8000")
    r = await client.get("/api/v1/identities/export", headers=tokens.h("auditor"))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:]
    assert {row[1].lstrip("'"): (row[3], row[4]) for row in rows} == api
    r = await client.get("/api/v1/identities/export", headers=tokens.h("auditor"),
                         params={"format": "xlsx"})
    ws = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).active
    values = [list(row) for row in ws.iter_rows(values_only=True)][1:]
    assert {str(v[1]).lstrip("'"): (v[3], v[4]) for v in values} == api


TITLE = "2026年银海区高层次人才名录（第一批）"


def _titled_csv(rows, *, sep=",", encoding="gb18030", header=HEADER_ZH) -> bytes:
    # As Excel saves a sheet whose title spans the columns: the title, a blank line, the header.
    width = len(header)
    lines = [[TITLE] + [""] * (width - 1), [""] * width, header, *rows]
    return "\r\n".join(sep.join(line) for line in lines).encode(encoding)


@pytest.mark.parametrize("variant", ["gb18030", "utf8-semicolon", "xlsx-merged", "two-notes"])
async def test_a_title_above_the_header_is_skipped(client, tokens, variant):
    rows = [_row("张伟", IDS[0]), _row("王芳", "110105194912310021")]
    if variant == "gb18030":
        data, name, ctype = _titled_csv(rows), "名录.csv", "text/csv"
        header_row = 3
    elif variant == "utf8-semicolon":
        data, name, ctype = _titled_csv(rows, sep=";", encoding="utf-8"), "名录.csv", "text/csv"
        header_row = 3
    elif variant == "xlsx-merged":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append([TITLE])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER_ZH))
        ws.append([])
        ws.append(HEADER_ZH)
        for row in rows:
            ws.append(row)
        out = io.BytesIO()
        wb.save(out)
        data, name, ctype, header_row = out.getvalue(), "名录.xlsx", XLSX, 3
    else:  # a title, the issuing office and a date, then the header
        lines = [[TITLE], ["银海区人社局"], ["填报日期：2026-03-01"], HEADER_ZH, *rows]
        data = "\n".join(",".join(line) for line in lines).encode("gb18030")
        name, ctype, header_row = "名录.csv", "text/csv", 4
    r = await upload(client, tokens, data, name=name, ctype=ctype, dry_run=True)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["header_row"] == header_row and report["rows_total"] == 2
    # Rows keep the numbers Excel shows: the bad ID is on the second row under the header.
    assert [(p["row"], p["code"]) for p in report["problems"]] == [(header_row + 2, "bad_id_doc")]
    assert report["ignored_columns"] == []


async def test_no_header_under_a_title_names_the_title_row(client, tokens):
    # The header row is misspelt: the title is the only thing the reader recognizes.
    lines = [[TITLE], [], ["名字?", "号码?"], ["张伟", IDS[0]]]
    data = "\n".join(",".join(line) for line in lines).encode("gb18030")
    r = await upload(client, tokens, data, name="名录.csv")
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "import_missing_column" and body["missing"] == ["display_name", "id_doc"]
    assert body["title_row"] == 1
    assert f"第 1 行“{TITLE}”看起来是标题" in body["title_zh"]
    assert "Row 1" in body["title"] and "looks like a title" in body["title"]
    assert await Identity.count() == 0


async def test_a_header_row_further_down_than_the_search_is_not_taken(client, tokens):
    lines = [[f"说明 {i}"] for i in range(10)] + [HEADER_ZH, _row("张伟", IDS[0])]
    data = "\n".join(",".join(line) for line in lines).encode()
    r = await upload(client, tokens, data, name="名录.csv")
    assert r.status_code == 422 and r.json()["code"] == "import_missing_column"


def _workbook(rows, header=("姓名", "证件号码", "手机")) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _with_cached_value(xlsx: bytes, cell: str, value: str) -> bytes:
    """Store ``value`` as the computed result of the formula in ``cell``, as Excel does."""
    import zipfile

    src, out = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index(f'<c r="{cell}">')
                end = text.index("</c>", start)
                formula = text[text.index("<f>", start):text.index("</f>", start) + 4]
                text = (text[:start] + f'<c r="{cell}" t="str">{formula}<v>{value}</v>'
                        + text[end:])
                data = text.encode()
            dst.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("variant", ["csv", "xlsx-number", "phone-csv"])
async def test_an_id_excel_turned_into_a_number_says_so_and_how_to_fix_it(client, tokens,
                                                                        variant):
    if variant == "csv":  # Excel saves a CSV as it shows the cells
        data = "姓名,证件号码\n甲,4.50502E+17\n乙,G12345678\n".encode("gb18030")
        name, ctype, field = "a.csv", "text/csv", "id_doc"
    elif variant == "xlsx-number":
        data = _workbook([["甲", 4.50502e17, None], ["乙", "G12345678", None]])
        name, ctype, field = "a.xlsx", XLSX, "id_doc"
    else:
        data = "姓名,证件号码,手机\n甲,G87654321,1.38001E+10\n乙,G12345678,\n".encode()
        name, ctype, field = "a.csv", "text/csv", "phone"
    r = await upload(client, tokens, data, name=name, ctype=ctype, dry_run=True)
    report = r.json()
    assert report["rows_valid"] == 1
    (problem,) = report["problems"]  # one problem, not also "required" or a check digit
    assert (problem["row"], problem["field"], problem["code"]) == (2, field, "number_lost_digits")
    assert "4.50502E+17" in problem["zh"] and "文本格式" in problem["zh"]
    assert "format the column as text" in problem["en"]


async def test_a_real_but_wrong_id_still_gets_the_check_digit_message(client, tokens):
    data = "姓名,证件号码\n甲,110105194912310021\n".encode()
    r = await upload(client, tokens, data, dry_run=True)
    (problem,) = r.json()["problems"]
    assert problem["code"] == "bad_id_doc"


async def test_formula_cells_read_their_stored_value_or_say_they_have_none(client, tokens):
    data = _workbook([["甲", '="G1234"&"5678"', None], ["乙", '="G8765"&"4321"', None],
                      ['=UPPER("bing")', "G11112222", None]])
    data = _with_cached_value(data, "B2", "G12345678")  # saved by Excel: the value is kept
    r = await upload(client, tokens, data, name="a.xlsx", ctype=XLSX, dry_run=True)
    report = r.json()
    assert report["rows_valid"] == 1
    found = {(p["row"], p["column"], p["code"]) for p in report["problems"]}
    assert found == {(3, "证件号码", "formula_without_value"), (4, "姓名", "formula_without_value")}
    problem = next(p for p in report["problems"] if p["row"] == 3)
    assert "公式" in problem["zh"] and "formula" in problem["en"]
    assert "不能为空" not in str(report["problems"])
    r = await upload(client, tokens, data, name="a.xlsx", ctype=XLSX, skip_invalid=True)
    assert r.status_code == 201 and r.json()["created"] == 1
    (row,) = await Identity.select(Identity.display_name, Identity.id_doc_last4)
    assert row == {"display_name": "甲", "id_doc_last4": "5678"}
