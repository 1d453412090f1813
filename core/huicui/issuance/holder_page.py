"""The holder's card page at ``/cards/{token}``: phone-sized HTML, no external assets.

Only what the card itself carries is shown (name, validity, benefits, program); the
QR code is inline SVG. A card that is no longer valid says so in red and shows no QR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from huicui.issuance.cards import qr_svg

# Every page: no caching (the link is a credential), no referrer (it would leak the
# link to any site the holder follows), no indexing, nothing loaded from elsewhere.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif;background:#f6f1ea;color:#222}
main{max-width:28rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:3px double #b22222;border-radius:.75rem;padding:1.25rem 1rem}
h1{margin:0;text-align:center;color:#b22222;font-size:1.6rem;letter-spacing:.3em}
.sub{text-align:center;color:#777;font-size:.8rem;margin:.15rem 0 1rem}
.name{text-align:center;font-size:2rem;font-weight:600;margin:.5rem 0}
.program{text-align:center;font-size:.95rem;margin:0 0 1rem}
.qr{display:block;width:100%;max-width:22rem;margin:0 auto;background:#fff}
.validity{text-align:center;font-size:1rem;margin:1rem 0}
.invalid{background:#fdecea;border:2px solid #c00;color:#c00;font-weight:700;
text-align:center;font-size:1.4rem;padding:.8rem;border-radius:.5rem;margin:1rem 0}
h2{font-size:1rem;margin:1rem 0 .4rem}
ul{margin:0;padding-left:1.2rem;line-height:1.6}
.en{color:#666;font-size:.85rem}
.note{color:#666;font-size:.8rem;margin-top:1rem;text-align:center}
"""


@dataclass(frozen=True)
class HolderCard:
    """What the holder page shows."""

    text: str
    name: str
    program_zh: str
    program_en: str
    valid_from: str
    valid_until: str
    benefits: Sequence[tuple[str, str]]
    invalid_zh: str = ""  # set when the card must not be used: why, in Chinese
    invalid_en: str = ""
    contact_zh: str = ""  # whom to ask when it is invalid (certificate.contact_*)
    contact_en: str = ""
    contact_phone: str = ""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def render_card(card: HolderCard) -> str:
    """The card page for one certificate."""
    benefits = "".join(
        f'<li>{escape(zh)} <span class="en">{escape(en)}</span></li>' for zh, en in card.benefits
    ) or "<li>—</li>"
    if card.invalid_zh:
        status = (
            f'<div class="invalid" role="alert">已失效 / No longer valid<br>'
            f'<small>{escape(card.invalid_zh)} · {escape(card.invalid_en)}</small></div>'
        )
        qr = ""
    else:
        status = ""
        qr = qr_svg(card.text, size="100%", title="荣誉证书二维码 / certificate QR code").replace(
            "<svg ", '<svg class="qr" ', 1
        )
    if card.invalid_zh:
        # A dead card grants nothing: instead of the benefits, whom to ask.
        details = _contact(card)
    else:
        details = (
            f"<h2>可享权益 <span class=\"en\">Benefits</span></h2><ul>{benefits}</ul>"
            '<p class="note">使用权益时，工作人员会核对您身份证件的后四位。<br>'
            "Staff will check the last four characters of your ID document.</p>"
        )
    body = (
        '<div class="card">'
        "<h1>荣誉证书</h1><p class=\"sub\">Certificate of Honor</p>"
        f'<p class="name">{escape(card.name)}</p>'
        f'<p class="program">{escape(card.program_zh)}<br>'
        f'<span class="en">{escape(card.program_en)}</span></p>'
        f"{status}{qr}"
        f'<p class="validity">有效期 {escape(card.valid_from)} 至 {escape(card.valid_until)}<br>'
        f'<span class="en">Valid {escape(card.valid_from)} to {escape(card.valid_until)}'
        "</span></p>"
        f"{details}</div>"
    )
    return _page(f"荣誉证书 · {card.name}", body)


def _contact(card: HolderCard) -> str:
    phone = (
        f'<br>电话 <span class="en">Phone</span> {escape(card.contact_phone)}'
        if card.contact_phone else ""
    )
    return (
        '<div class="contact"><h2>此卡不能再使用权益 <span class="en">This card grants no '
        "benefits</span></h2>"
        f"<p>如有疑问，请联系：{escape(card.contact_zh)}{phone}<br>"
        f'<span class="en">Questions? Please contact: {escape(card.contact_en)}</span></p></div>'
    )


def render_not_found() -> str:
    """A friendly page for an unknown or replaced link (zh-CN first)."""
    body = (
        '<div class="card"><h1>未找到</h1><p class="sub">Not found</p>'
        "<p>此链接无效或已更换。请联系您的联络人获取新的证书链接。</p>"
        '<p class="en">This link is not valid or has been replaced. '
        "Please ask your liaison for a new card link.</p></div>"
    )
    return _page("未找到 / Not found", body)
