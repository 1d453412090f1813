"""The holder's card page: an unguessable link, phone-sized, nothing beyond the card."""

from __future__ import annotations

import re

from huicui_test_support.certificates import svg_to_image
from huicui_test_support.members import active_member, certificate


async def _link(client, tokens, cti, who="registrar"):
    r = await client.post(f"/api/v1/certificates/{cti}/holder-link", headers=tokens.h(who))
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_card_page_shows_the_card_and_nothing_more(client, tokens, settings):
    import zxingcpp

    m = await active_member(client, tokens, "李晓明")
    cti = m["certificate_id"]
    cert = await certificate(client, tokens, cti)
    link = await _link(client, tokens, cti)
    assert link["link"] == settings.server.base_url() + "/cards/" + link["token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", link["token"])  # 192 random bits

    r = await client.get(f"/cards/{link['token']}")  # no credentials: the link is the key
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in r.headers["x-robots-tag"]
    assert "default-src 'none'" in r.headers["content-security-policy"]
    page = r.text
    assert '<meta name="viewport"' in page and 'lang="zh-CN"' in page
    assert "李晓明" in page and "荣誉证书" in page and settings.program.name_zh in page
    assert cert["valid_until"] in page and cert["valid_from"] in page
    for benefit in cert["benefits"]:
        assert benefit["name_zh"] in page and benefit["name_en"] in page
    assert "后四位" in page and "last four" in page
    # Nothing personal beyond the card, nothing loaded from elsewhere.
    person = m["person"]
    assert person["id_doc_plain"] not in page and person["id_doc_plain"][:14] not in page
    assert person["phone_plain"] not in page
    assert "海洋生物学" not in page and "银海区派出所" not in page
    assert not re.search(r"<img|url\(|(?<!xmlns=\")https?://", page)
    # The only things the page loads are the live card's script and manifest, from here.
    token_path = f"/cards/{link['token']}"
    assert re.findall(r'(?:src|href)="([^"]*)"', page) == [
        f"{token_path}/manifest.webmanifest",
        "/cards/holder.js",
    ]
    assert len(re.findall(r"<script|<link", page)) == 2
    csp = r.headers["content-security-policy"]
    for directive in ("script-src 'self'", "connect-src 'self'", "worker-src 'self'"):
        assert directive in csp
    # The inline QR is the certificate and scans.
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    found = zxingcpp.read_barcodes(svg_to_image(svg), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [res.text for res in found] == [cert["text"]]


async def test_a_new_link_kills_the_old_one(client, tokens):
    m = await active_member(client, tokens)
    cti = m["certificate_id"]
    first = (await _link(client, tokens, cti, "registrar"))["token"]
    second = (await _link(client, tokens, cti, "reviewer"))["token"]
    assert first != second
    old = await client.get(f"/cards/{first}")
    assert old.status_code == 404 and old.headers["content-type"].startswith("text/html")
    assert old.text.index("未找到") < old.text.index("Not found")
    assert old.headers["cache-control"] == "no-store"
    assert (await client.get(f"/cards/{second}")).status_code == 200
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": "certificate", "target_id": cti})
    actions = [e["action"] for e in r.json()["items"]]
    assert actions.count("certificate.holder_link") == 2
    assert first not in r.text and second not in r.text  # links never in the audit log


async def test_unknown_links_get_the_friendly_404(client):
    for token in ("A" * 32, "short", "x" * 300, "a.b", "%E6%9D%8E" * 8):
        r = await client.get(f"/cards/{token}")
        assert r.status_code == 404, token
        assert "未找到" in r.text and r.headers["content-type"].startswith("text/html")


async def test_a_revoked_card_says_so_in_red(client, tokens):
    m = await active_member(client, tokens)
    cti = m["certificate_id"]
    token = (await _link(client, tokens, cti))["token"]
    r = await client.post(f"/api/v1/certificates/{cti}/revoke", headers=tokens.h("reviewer"),
                          json={"reason": "证书遗失"})
    assert r.status_code == 200
    page = (await client.get(f"/cards/{token}")).text
    assert "已失效" in page and "No longer valid" in page and 'class="invalid"' in page
    assert "<svg" not in page  # no code to scan on a dead card
    assert "证书遗失" not in page  # staff's reason is not the holder page's business


async def test_a_revoked_card_lists_no_benefits_but_why_and_whom_to_ask(client, tokens, settings):
    m = await active_member(client, tokens)
    cti = m["certificate_id"]
    cert = (await client.get(f"/api/v1/certificates/{cti}", headers=tokens.h("auditor"))).json()
    token = (await _link(client, tokens, cti))["token"]
    live = (await client.get(f"/cards/{token}")).text
    assert all(b["name_zh"] in live for b in cert["benefits"]) and "可享权益" in live
    r = await client.post(f"/api/v1/certificates/{cti}/revoke", headers=tokens.h("reviewer"),
                          json={"reason": "证书遗失"})
    assert r.status_code == 200
    page = (await client.get(f"/cards/{token}")).text
    assert "证书已撤销" in page and "the certificate was revoked" in page  # why
    for benefit in cert["benefits"]:
        assert benefit["name_zh"] not in page and benefit["name_en"] not in page
    assert "可享权益" not in page and "Benefits" not in page
    assert "请联系" in page and settings.certificate.issuer_zh in page  # whom to ask
    assert settings.certificate.issuer_en in page
    assert "电话" not in page  # no phone configured, none made up


def test_the_contact_phone_is_shown_when_set_and_escaped():
    from huicui.issuance.holder_page import HolderCard, render_card

    card = HolderCard(text="HB1:X", name="李晓明", program_zh="荟萃北海", program_en="Huicui",
                      valid_from="2026-01-01", valid_until="2028-12-31",
                      benefits=[("景区免费游览", "Free entry")], invalid_zh="证书已过期",
                      invalid_en="the certificate has expired", contact_zh="人才办<b>",
                      contact_en="Talent Office", contact_phone="0779-1234567")
    page = render_card(card)
    assert "电话" in page and "0779-1234567" in page
    assert "人才办&lt;b&gt;" in page and "景区免费游览" not in page


async def test_the_live_cards_files_come_from_the_service(client, tokens, settings):
    m = await active_member(client, tokens)
    link = await _link(client, tokens, m["certificate_id"])
    page = (await client.get(f"/cards/{link['token']}")).text
    assert "在本机启用动态证件" in page and "Use this phone as my card" in page
    for name in ("holder.js", "holder-sw.js"):
        r = await client.get(f"/cards/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
        assert "Built from verifier/web/holder/" in r.text
        # Nothing is fetched from another origin: no absolute URLs in the code.
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", r.text), name
    assert (await client.get("/cards/other.js")).status_code == 404  # not a card link either
    r = await client.get("/cards/icon.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    r = await client.get(f"/cards/{link['token']}/manifest.webmanifest")
    assert r.status_code == 200 and r.headers["content-type"] == "application/manifest+json"
    body = r.json()
    assert body["start_url"] == f"/cards/{link['token']}" and body["scope"] == "/cards/"
    assert settings.program.name_zh in body["name"]
    assert (await client.get("/cards/" + "A" * 32 + "/manifest.webmanifest")).status_code == 404


async def test_a_card_that_is_no_longer_valid_offers_no_live_card(client, tokens):
    m = await active_member(client, tokens)
    cti = m["certificate_id"]
    link = await _link(client, tokens, cti)
    r = await client.post(f"/api/v1/certificates/{cti}/revoke", headers=tokens.h("reviewer"),
                          json={"reason": "证书遗失"})
    assert r.status_code == 200
    page = (await client.get(f"/cards/{link['token']}")).text
    assert "已失效" in page
    assert "<script" not in page and 'id="live"' not in page and "在本机启用" not in page
