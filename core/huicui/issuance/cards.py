"""What a holder shows: the QR code as PNG and SVG, and the printable A5 honor certificate.

Pure functions of the HB1 text and what is printed beside it; no database here.
The QR uses error correction M (docs/hb1.md sizes HB1 for a version-8 code at M) and
the standard quiet zone of four modules. The certificate embeds Noto Sans CJK (the
simplified-Chinese face of the collection shipped by ``noto-cjk-sans-otc``), so a
name prints correctly on a machine without Chinese fonts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import zxingcpp
from fpdf import FPDF
from PIL import Image, ImageOps

QUIET_ZONE = 4
DEFAULT_SCALE = 8
MIN_SCALE, MAX_SCALE = 4, 20  # a module below 4 px scans badly on phone cameras
QR_WIDTH_MM = 60  # on the A5 certificate: large enough for any phone camera at arm's length
A5_MM = (148.0, 210.0)
NOTO_SC_FACE = 2  # index of "Noto Sans CJK SC" in NotoSansCJK-Regular.ttc
# A certificate's HB1 text never changes, so neither does its picture: a small cache spares
# re-encoding when a holder's page or a registrar asks again (about 1 KB an entry).
_CACHED_IMAGES = 512


def _symbol(text: str) -> Image.Image:
    """The QR symbol as a mode-"1" image, one pixel a module, quiet zone included.

    zxing-cpp's writer (zint, in C) picks the smallest version at error correction M, the
    alphanumeric mode HB1 was designed for, and the best of the eight mask patterns by the
    ISO/IEC 18004 penalty score, in about a millisecond; qrcode needed twenty for the same.
    """
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = Image.fromarray(barcode.to_image(scale=1, add_quiet_zones=False))
    # Dark modules are 0, light 255: a threshold, not a dither, keeps them exact.
    bilevel = modules.convert("1", dither=Image.Dither.NONE)
    return ImageOps.expand(bilevel, border=QUIET_ZONE, fill=1)


@lru_cache(maxsize=_CACHED_IMAGES)
def _matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    image = _symbol(text)
    n = image.width
    # Mode "1" pixels read back as 0 or 255, one byte each.
    pixels = image.convert("L").tobytes()
    return tuple(tuple(pixels[y * n + x] == 0 for x in range(n)) for y in range(n))


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR modules of ``text`` (error correction M, alphanumeric), quiet zone included."""
    return [list(row) for row in _matrix(text)]


def qr_version(text: str) -> int:
    """The QR version (size) the text needs at error correction M."""
    return (len(_matrix(text)) - 2 * QUIET_ZONE - 17) // 4


def qr_png(text: str, scale: int = DEFAULT_SCALE) -> bytes:
    """A black-on-white PNG, ``scale`` pixels per module (4–20)."""
    return _png(text, max(MIN_SCALE, min(MAX_SCALE, scale)))


@lru_cache(maxsize=_CACHED_IMAGES)
def _png(text: str, scale: int) -> bytes:
    image = _symbol(text)
    image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    # Default zlib level: optimize=True made the file 10% smaller at three times the cost.
    image.save(out, format="PNG")
    return out.getvalue()


def qr_svg(text: str, *, size: str | None = None, title: str = "") -> str:
    """A standalone SVG (one path, module units), fit to inline in HTML.

    ``size`` sets width and height (e.g. ``"100%"``); without it the SVG is 8 px a module.
    """
    matrix = _matrix(text)
    n = len(matrix)
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    dimension = size or str(n * DEFAULT_SCALE)
    title_tag = f"<title>{_xml_escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{dimension}" '
        f'height="{dimension}" shape-rendering="crispEdges" role="img">{title_tag}'
        f'<rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(parts)}"/></svg>'
    )


def _xml_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@dataclass(frozen=True)
class CardContent:
    """What the printed certificate shows besides the QR code."""

    text: str  # HB1
    name: str
    program_zh: str
    program_en: str
    valid_from: str  # YYYY-MM-DD in the program's timezone
    valid_until: str
    benefits: Sequence[tuple[str, str]]  # (zh, en)
    certificate_id: str
    revoked: bool = False
    issuer_zh: str = ""  # the body whose seal goes on the certificate
    issuer_en: str = ""
    issued_on: str = ""  # YYYY-MM-DD in the program's timezone
    seal_area: bool = True
    activation_code: str = ""  # moves the card to a phone (docs/roster.md, "Phone cards")


_DIGITS = "〇一二三四五六七八九"


def chinese_date(iso: str) -> str:
    """``2026-11-30`` → ``二〇二六年十一月三十日``, as official documents date a seal."""
    year, month, day = (int(part) for part in iso.split("-"))

    def number(n: int) -> str:  # 1..31
        tens, ones = divmod(n, 10)
        return (("" if tens == 1 else _DIGITS[tens]) + "十" if tens else "") + (
            _DIGITS[ones] if ones else ""
        )

    return "".join(_DIGITS[int(d)] for d in str(year)) + f"年{number(month)}月{number(day)}日"


def fit_text(pdf: FPDF, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis until it fits ``width`` in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def font_path() -> str:
    """The Noto Sans CJK collection file (use face ``NOTO_SC_FACE`` for simplified Chinese)."""
    from noto_cjk_sans_otc import FONT_PATH

    return str(FONT_PATH)


def certificate_pdf(card: CardContent) -> bytes:
    """The A5 portrait honor certificate (荣誉证书) with a 60 mm QR code."""
    pdf = FPDF(orientation="P", unit="mm", format=A5_MM)
    pdf.set_title(f"荣誉证书 Honor certificate {card.certificate_id}")
    pdf.set_creator("Huicui")
    pdf.set_auto_page_break(False)
    pdf.add_font("NotoSC", fname=font_path(), collection_font_number=NOTO_SC_FACE)
    pdf.add_page()
    width = A5_MM[0]

    # Border: a double rule in the program's red.
    pdf.set_draw_color(178, 34, 34)
    pdf.set_line_width(1.2)
    pdf.rect(6, 6, width - 12, A5_MM[1] - 12)
    pdf.set_line_width(0.3)
    pdf.rect(8.5, 8.5, width - 17, A5_MM[1] - 17)

    pdf.set_text_color(178, 34, 34)
    pdf.set_font("NotoSC", size=28)
    pdf.set_xy(10, 13)
    pdf.cell(width - 20, 12, "荣誉证书", align="C")
    pdf.set_font("NotoSC", size=10)
    pdf.set_xy(10, 26)
    pdf.cell(width - 20, 5, "Certificate of Honor", align="C")

    pdf.set_text_color(0, 0, 0)
    pdf.set_font("NotoSC", size=22)
    pdf.set_xy(10, 33)
    pdf.cell(width - 20, 11, card.name, align="C")
    pdf.set_font("NotoSC", size=10)
    pdf.set_xy(14, 45)
    pdf.multi_cell(
        width - 28,
        5,
        f"入选“{card.program_zh}”人才名录，特发此证。\n"
        f"Member of the {card.program_en} talent roster.",
        align="C",
    )

    qr_y = 57.0
    qr_x = (width - QR_WIDTH_MM) / 2
    pdf.image(io.BytesIO(qr_png(card.text, scale=10)), x=qr_x, y=qr_y, w=QR_WIDTH_MM,
              h=QR_WIDTH_MM)

    y = qr_y + QR_WIDTH_MM + 1.5
    pdf.set_font("NotoSC", size=10)
    pdf.set_xy(10, y)
    validity = f"有效期 Valid {card.valid_from} — {card.valid_until}"
    if card.revoked:  # on the same line, so the foot keeps its room
        pdf.set_text_color(200, 0, 0)
        validity = f"已失效 No longer valid · {validity}"
    pdf.cell(width - 20, 5, validity, align="C")
    pdf.set_text_color(0, 0, 0)
    y += 5.5

    pdf.set_font("NotoSC", size=9)
    pdf.set_xy(14, y)
    pdf.cell(width - 28, 5, "可享权益 Benefits", align="L")
    y += 5.5
    pdf.set_font("NotoSC", size=7.5)
    line_width = width - 28
    for index, (zh, en) in enumerate(card.benefits):
        pdf.set_xy(14, y + index * 3.9)
        pdf.cell(line_width, 3.9, fit_text(pdf, f"{index + 1}. {zh}  {en}", line_width), align="L")
    if not card.benefits:
        pdf.set_xy(14, y)
        pdf.cell(line_width, 3.9, "—", align="L")

    _issuer_block(pdf, card, top=A5_MM[1] - 41)
    return bytes(pdf.output())


def _issuer_block(pdf: FPDF, card: CardContent, top: float) -> None:
    """Issuer and issue date over the seal area at the foot; the ID-check note and number.

    As on official documents, the issuer's name and the date sit where the seal is
    stamped over them; the marked circle only shows the printer or clerk where.
    """
    width = A5_MM[0]
    seal_r, seal_cx, seal_cy = 14.0, width - 33.0, top + 10.0
    right = width - 18.0
    column = right - 14
    pdf.set_text_color(0, 0, 0)
    if card.issuer_zh:
        pdf.set_font("NotoSC", size=10)
        pdf.set_xy(14, top)
        pdf.cell(column, 5, fit_text(pdf, card.issuer_zh, column), align="R")
        pdf.set_font("NotoSC", size=6.5)
        pdf.set_text_color(90, 90, 90)
        pdf.set_xy(14, top + 5.5)
        pdf.cell(column, 3.4, fit_text(pdf, card.issuer_en, column), align="R")
    if card.issued_on:
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("NotoSC", size=9)
        pdf.set_xy(14, top + 10)
        pdf.cell(column, 4.5, chinese_date(card.issued_on), align="R")
        pdf.set_font("NotoSC", size=6.5)
        pdf.set_text_color(90, 90, 90)
        pdf.set_xy(14, top + 14.8)
        pdf.cell(column, 3.4, f"签发日期 Issued {card.issued_on}", align="R")
    if card.seal_area:
        pdf.set_draw_color(200, 120, 120)
        pdf.set_line_width(0.3)
        pdf.set_dash_pattern(dash=1.2, gap=1.2)
        pdf.circle(x=seal_cx, y=seal_cy, radius=seal_r, style="D")
        pdf.set_dash_pattern()
        pdf.set_text_color(200, 120, 120)
        pdf.set_font("NotoSC", size=6)
        pdf.set_xy(seal_cx - seal_r, top + 19)
        pdf.cell(2 * seal_r, 3, "（盖章）Seal", align="C")

    pdf.set_font("NotoSC", size=6)
    pdf.set_text_color(90, 90, 90)
    pdf.set_xy(10, A5_MM[1] - 15)
    pdf.multi_cell(
        width - 20,
        2.9,
        "出示本证时，工作人员将核对身份证件后四位。"
        "Staff will check the last four characters of your ID document.\n"
        f"证书编号 Certificate {card.certificate_id}"
        + (
            f"    手机证件启用码 Phone activation code {card.activation_code}"
            if card.activation_code
            else ""
        ),
        align="C",
    )
