"""The holder's card page at ``/cards/{token}``: phone-sized HTML, nothing from elsewhere.

Only what the card itself carries is shown (name, validity, benefits, program); the
static QR code is inline SVG. A card that is no longer valid says so in red and shows no
QR. A valid card also offers the live phone card (docs/hb2.md): the script
``/cards/holder.js`` (built from ``verifier/web/holder``), its service worker and the
web app manifest, all served by this service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources

from huicui.issuance.cards import qr_svg

# Every page: no caching (the link is a credential), no referrer (it would leak the
# link to any site the holder follows), no indexing, nothing loaded from elsewhere.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "script-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}
# The live card's files, built into the verifier package (verifier/web/holder/build.mjs).
ASSETS = {
    "holder.js": "text/javascript; charset=utf-8",
    "holder-sw.js": "text/javascript; charset=utf-8",
}
ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96">'
    '<rect width="96" height="96" rx="16" fill="#b22222"/>'
    '<text x="48" y="64" font-size="48" text-anchor="middle" fill="#fff">荟</text></svg>'
)


def asset(name: str) -> bytes:
    """A built file of the live card (``holder.js`` or ``holder-sw.js``)."""
    folder = resources.files("huicui_verifier").joinpath("webapp", "holder")
    return folder.joinpath(name).read_bytes()


def manifest(token_path: str, program_zh: str) -> dict:
    """The web app manifest that makes a card page installable (one per card link)."""
    return {
        "name": f"{program_zh} 荣誉证书",
        "short_name": "荣誉证书",
        "start_url": token_path,
        "scope": "/cards/",
        "display": "standalone",
        "background_color": "#f6f1ea",
        "theme_color": "#b22222",
        "icons": [{"src": "/cards/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
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
.live{margin:1rem 0;text-align:center}
.live button{font-size:1.05rem;padding:.7rem 1rem;border-radius:.5rem;border:0;
background:#b22222;color:#fff;width:100%}
.live input{font-size:1.3rem;letter-spacing:.15em;text-align:center;width:100%;
padding:.5rem;margin:.5rem 0;text-transform:uppercase}
.live-title{font-weight:600;color:#0a7d32}
.dot{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;background:#0a7d32;
animation:pulse 1s ease-in-out infinite alternate}
@keyframes pulse{from{opacity:1}to{opacity:.15}}
.bar{height:.4rem;background:#e3e3e3;border-radius:.2rem;margin:.6rem auto;max-width:22rem}
.bar div{height:100%;background:#0a7d32;border-radius:.2rem;width:100%;
transition:width 1s linear}
#activate-error{color:#c00;font-size:.9rem}
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
    page_path: str = ""  # /cards/<token>: where the manifest and the page live


def _page(title: str, body: str, head: str = "") -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style>{head}</head>"
        f"<body><main>{body}</main></body></html>"
    )


# The live card's place on the page; holder.js fills it (hidden without JavaScript).
_LIVE = (
    '<section id="live" class="live" hidden>'
    '<div id="live-card" hidden>'
    '<p class="live-title"><span class="dot"></span> 动态证件 <span class="en">Live card</span></p>'
    '<div id="live-qr" class="qr"></div>'
    '<div class="bar"><div id="live-bar"></div></div>'
    '<p id="live-status"></p>'
    '<p class="note">二维码每 10 秒更新，截图无效。<br>'
    "The code changes every 10 seconds; a screenshot does not work.</p></div>"
    '<div id="activate" hidden>'
    '<button id="activate-open" type="button">在本机启用动态证件<br>'
    '<span class="en" style="color:#fff">Use this phone as my card</span></button>'
    '<form id="activate-form" hidden>'
    '<label for="activate-code">启用码（印在纸质证书上，也可向工作站索取）<br>'
    '<span class="en">Activation code (on the paper certificate, or ask the office)</span>'
    "</label>"
    '<input id="activate-code" name="code" autocomplete="off" autocapitalize="characters" '
    'spellcheck="false" maxlength="12" required>'
    '<button id="activate-submit" type="submit">启用 <span class="en" style="color:#fff">'
    "Activate</span></button></form>"
    '<p id="activate-error" role="alert"></p></div></section>'
)


def render_card(card: HolderCard) -> str:
    """The card page for one certificate."""
    benefits = "".join(
        f'<li>{escape(zh)} <span class="en">{escape(en)}</span></li>' for zh, en in card.benefits
    ) or "<li>—</li>"
    head = ""
    if card.invalid_zh:
        status = (
            f'<div class="invalid" role="alert">已失效 / No longer valid<br>'
            f'<small>{escape(card.invalid_zh)} · {escape(card.invalid_en)}</small></div>'
        )
        qr = ""
    else:
        status = ""
        static = qr_svg(card.text, size="100%", title="荣誉证书二维码 / certificate QR code")
        qr = f'<div id="static-card">{static.replace("<svg ", """<svg class="qr" """, 1)}</div>'
        qr += _LIVE
        head = (
            f'<link rel="manifest" href="{escape(card.page_path)}/manifest.webmanifest">'
            '<script src="/cards/holder.js" defer></script>'
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
    return _page(f"荣誉证书 · {card.name}", body, head)


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
