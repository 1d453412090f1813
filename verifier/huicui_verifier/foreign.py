"""What a scanned text that is not a Huicui certificate most likely is.

Staff at a gate scan whatever a visitor holds up: a payment code, a web link, another
country's health certificate. "Not a valid certificate code" is true but leaves them
guessing; "not a Huicui card (a payment code)" tells them what to ask for. The rules are
few and written down in ``docs/verifier.md`` so the JavaScript verifier says the same.
"""

from __future__ import annotations

import re

__all__ = ["KINDS", "recognise"]

KINDS = ("empty", "eu_dcc", "payment_code", "url", "other_format", "not_huicui", "damaged")
"""Every kind of unreadable input, each with a sentence in the ``inputs`` table of
``reasons.json``; ``damaged`` is a Huicui code that does not read."""

# Payment apps' own schemes and hosts (WeChat Pay, Alipay, UnionPay QuickPass).
_PAYMENT_URL = re.compile(
    r"^(wxp://|alipays?://|upwallet://"
    r"|https?://(qr\.alipay\.com|wx\.tenpay\.com|payapp\.weixin\.qq\.com|qr\.95516\.com)/)",
    re.IGNORECASE,
)
# A customer's payment code (付款码) is 16 to 24 digits: WeChat 18 starting 10-15,
# Alipay 16-24 starting 25-30, UnionPay 19 starting 62.
_PAYMENT_DIGITS = re.compile(r"^[0-9]{16,24}$")
_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|www\.)", re.IGNORECASE)
_HUICUI_PREFIX = re.compile(r"^HB[0-9]+:")


def recognise(text: str) -> str:
    """The kind of ``text``, a scanned code that is not an HB1 certificate.

    In this order: ``empty``; ``eu_dcc`` (starts ``HC1:``, an EU digital COVID
    certificate); ``payment_code`` (a payment app's link, or 16-24 digits);
    ``url`` (a scheme such as ``https://``, or ``www.``); ``other_format`` (a Huicui
    prefix ``HB<n>:`` other than ``HB1:``); else ``not_huicui``.
    """
    if not text:
        return "empty"
    if text.startswith("HC1:"):
        return "eu_dcc"
    if _PAYMENT_URL.match(text) or _PAYMENT_DIGITS.match(text):
        return "payment_code"
    if _URL.match(text):
        return "url"
    if _HUICUI_PREFIX.match(text) and not text.startswith("HB1:"):
        return "other_format"
    return "not_huicui"
