"""Identity validation: one code path for the API and the import."""

from __future__ import annotations

import pytest
from huicui.identities.schemas import IdentityIn, IdentityPatch
from huicui.identities.service import check_identity, parse_identity
from huicui.identities.validation import id_doc_problem, phone_problem


@pytest.mark.parametrize("doc", [
    "11010519491231002X", "11010519491231002x", "440524188001010014",
    "G12345678", "E98765432", "H1234567", "１１０１０５１９４９１２３１００２Ｘ",
])
def test_good_documents(doc):
    assert id_doc_problem(doc) is None


@pytest.mark.parametrize(("doc", "reason"), [
    ("110105194912310021", "check digit"),
    ("1234", "5-30"),
    ("中文证件号码", "5-30"),
    ("A" * 31, "5-30"),
])
def test_bad_documents(doc, reason):
    assert reason in id_doc_problem(doc)


@pytest.mark.parametrize(("phone", "ok"), [
    ("13800138000", True), ("+86 138-0013-8000", True), ("(0779)3036000", True),
    ("12345", False), ("abc", False), ("+" + "1" * 16, False),
])
def test_phones(phone, ok):
    assert (phone_problem(phone) is None) is ok


def test_check_identity_reports_in_both_languages():
    problems = check_identity(IdentityIn(display_name=" ", id_doc="110105194912310021",
                                         phone="1", email="nope"))
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"display_name", "id_doc", "phone", "email"}
    assert by_field["id_doc"].zh == "居民身份证号校验位错误"
    assert all(p.zh and p.en and p.code for p in problems)


def test_control_characters_are_refused_everywhere():
    problems = check_identity(IdentityIn(display_name="a\x00", liaison="b\x07"))
    assert {(p.field, p.code) for p in problems} == {
        ("display_name", "control_character"), ("liaison", "control_character")}
    assert check_identity(IdentityIn(display_name="a", achievements="x\ny\tz")) == []


def test_patch_checks_only_what_is_given():
    assert check_identity(IdentityPatch(field="x")) == []
    assert [p.field for p in check_identity(IdentityPatch(phone="1"))] == ["phone"]


def test_parse_identity_collects_every_problem():
    data, problems = parse_identity({"display_name": "", "id_doc": "123", "phone": "x" * 40,
                                     "residency": "tourist", "email": "a"})
    assert data is None
    fields = [p.field for p in problems]
    assert sorted(fields) == ["display_name", "email", "id_doc", "phone", "residency"]
    assert len(fields) == len(set(fields))
    too_long = next(p for p in problems if p.field == "phone")
    assert too_long.code == "too_long" and "30" in too_long.zh


def test_parse_identity_accepts_a_good_row():
    data, problems = parse_identity({"display_name": "张三", "id_doc": "G12345678",
                                     "residency": "seasonal"})
    assert problems == [] and data.residency == "seasonal"


def test_parse_identity_matches_the_api_limits():
    data, problems = parse_identity({"display_name": "名" * 33, "id_doc": "G12345678"})
    assert data is None and problems[0].field == "display_name"
    data, _ = parse_identity({"display_name": "名" * 32, "id_doc": "G12345678"})
    assert data is not None
