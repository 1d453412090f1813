"""Checks on identity documents and phones; pure functions, used by the API and the import."""

from __future__ import annotations

import re

import msgspec

from huicui.vault import normalize_identifier


class FieldProblem(msgspec.Struct, frozen=True):
    """One problem with one field: a stable code and the message in zh-CN and en."""

    field: str
    code: str
    zh: str
    en: str

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
_OTHER_DOC = re.compile(r"^[A-Z0-9]{5,30}$")
_PHONE = re.compile(r"^\+?\d{7,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# C0 controls other than tab, newline and carriage return; PostgreSQL refuses NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

ID_DOC_ZH = {
    "resident ID must be 17 digits and a digit or X": "居民身份证号应为 17 位数字加一位数字或 X",
    "resident ID check digit is wrong": "居民身份证号校验位错误",
    "document number must be 5-30 letters or digits": "证件号码应为 5–30 位字母或数字",
}


def id_doc_problem(value: str) -> str | None:
    """``None`` if acceptable, else a short English reason.

    An 18-character mainland resident ID must carry a valid check digit (GB 11643);
    other documents (passports, HK/Macau/Taiwan permits) must be 5–30 letters or digits.
    """
    text = normalize_identifier(value)
    if len(text) == 18 and text[:17].isdigit():
        if not _RESIDENT_ID.match(text):
            return "resident ID must be 17 digits and a digit or X"
        total = sum(int(d) * w for d, w in zip(text[:17], _WEIGHTS, strict=True))
        if _CHECK[total % 11] != text[17]:
            return "resident ID check digit is wrong"
        return None
    if not _OTHER_DOC.match(text):
        return "document number must be 5-30 letters or digits"
    return None


def phone_problem(value: str) -> str | None:
    """``None`` if the phone looks like a phone number (7–15 digits, optional +)."""
    text = normalize_identifier(value).replace("(", "").replace(")", "")
    if not _PHONE.match(text):
        return "phone must be 7-15 digits, optionally starting with +"
    return None


def email_problem(value: str) -> str | None:
    """``None`` if the text looks like an e-mail address."""
    return None if _EMAIL.match(value.strip()) else "e-mail address is not valid"


def has_control_characters(value: str) -> bool:
    """True if ``value`` holds NUL or another control character a form never produces."""
    return bool(_CONTROL.search(value))
