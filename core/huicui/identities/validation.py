"""Checks on identity documents and phones; pure functions, used by the API and the import."""

from __future__ import annotations

import re

from huicui.vault import normalize_identifier

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
_OTHER_DOC = re.compile(r"^[A-Z0-9]{5,30}$")
_PHONE = re.compile(r"^\+?\d{7,15}$")


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
