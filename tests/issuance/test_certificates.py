"""Certificates through HTTP: issued on approval, verifiable with the JWKS alone,
rendered as PNG/SVG/PDF, revoked, and followed through the membership's life."""

from __future__ import annotations

import datetime as dt
import io
import re
import zlib
from zoneinfo import ZoneInfo

import pytest
from huicui_test_support.certificates import jwks_by_kid, svg_to_image, unb64url
from huicui_test_support.members import active_member, certificate
from huicui_verifier import hb1

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEN = list(range(1, 11))


async def test_approval_issues_a_certificate_with_the_right_claims(client, tokens, settings):
    m = await active_member(client, tokens, "李晓明")
    assert m["certificate_id"] and re.fullmatch(r"[0-9a-f]{16}", m["certificate_id"])
    cert = await certificate(client, tokens, m["certificate_id"])
    assert cert["status"] == "active" and cert["text"].startswith("HB1:")
    assert cert["membership_id"] == m["id"] and cert["identity_id"] == m["identity_id"]

    decoded = hb1.decode(cert["text"])
    claims = decoded.claims
    assert claims.cti.hex() == m["certificate_id"]
    assert claims.iss == settings.program.code
    assert claims.name == "李晓明"
    assert claims.id_last4 == m["person"]["id_doc_plain"][-4:]
    assert claims.directory == 1
    # Validity is the membership term: from now to the end of term_end in Asia/Shanghai.
    term_end = dt.date.fromisoformat(m["term_end"])
    midnight = dt.datetime.combine(term_end + dt.timedelta(days=1), dt.time(0), SHANGHAI)
    assert claims.exp == int(midnight.timestamp())
    assert abs(claims.iat - dt.datetime.now(dt.UTC).timestamp()) < 120
    assert cert["valid_until"] == m["term_end"] and cert["valid_from"] == m["term_start"]
    # Benefits: what the default directory offers, minus school (no registered child).
    assert set(claims.benefits) == {b["code"] for b in cert["benefits"]}
    assert 7 not in claims.benefits
    assert {1, 2, 3}.issubset(claims.benefits)
    names = {b["code"]: b for b in cert["benefits"]}
    assert names[2]["slug"] == "ferry" and names[2]["name_zh"]

    # The signature verifies with the key the JWKS publishes under the certificate's kid.
    keys = await jwks_by_kid(client)
    assert decoded.kid.hex() == cert["kid"]
    jwk = keys[decoded.kid]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"
    assert jwk["huicui_state"] == "active"
    assert hb1.verify(decoded, unb64url(jwk["x"]))
    other = next(iter(k for k in keys if k != decoded.kid), None)
    assert other is None  # one certificate key so far


async def test_a_child_makes_school_eligible_and_the_directory_limits_benefits(client, tokens):
    m = await active_member(client, tokens, "王芳",
                       descendants=[{"name": "王小芳", "relation": "child", "birth_year": 2016}])
    claims = hb1.decode((await certificate(client, tokens, m["certificate_id"]))["text"]).claims
    assert 7 in claims.benefits

    r = await client.post("/api/v1/directories", headers=tokens.h("admin"), json={
        "slug": "weizhou", "name_zh": "涠洲岛名录", "name_en": "Weizhou roster",
        "term_days": 365, "benefits": [2, 5]})
    assert r.status_code == 201, r.text
    directory = r.json()
    m = await active_member(client, tokens, "赵强", directory_id=directory["id"])
    claims = hb1.decode((await certificate(client, tokens, m["certificate_id"]))["text"]).claims
    assert claims.benefits == (2, 5)
    assert claims.directory == directory["number"] != 1


async def test_a_partner_verifies_with_pycose_and_the_jwks_only(client, tokens):
    """As a partner's gate system would: a stock COSE library and the published JWKS."""
    from huicui_verifier import base45
    from pycose.headers import KID
    from pycose.keys import OKPKey
    from pycose.keys.curves import Ed25519
    from pycose.messages import Sign1Message

    m = await active_member(client, tokens)
    text = (await certificate(client, tokens, m["certificate_id"]))["text"]
    keys = await jwks_by_kid(client)

    raw = base45.decode(text[len("HB1:"):])
    message = Sign1Message.decode(raw)
    jwk = keys[message.phdr[KID]]
    message.key = OKPKey(crv=Ed25519, x=unb64url(jwk["x"]))
    assert message.verify_signature()
    # Tampering is caught by the same stock library.
    forged = Sign1Message.decode(raw)
    forged.payload = forged.payload[:-1] + bytes([forged.payload[-1] ^ 1])
    forged.key = message.key
    assert not forged.verify_signature()


async def test_png_decodes_to_the_exact_text_and_svg_is_a_qr(client, tokens):
    import zxingcpp
    from PIL import Image

    m = await active_member(client, tokens)
    cti = m["certificate_id"]
    text = (await certificate(client, tokens, cti))["text"]
    r = await client.get(f"/api/v1/certificates/{cti}/qr.png", headers=tokens.h("registrar"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(r.content))
    results = zxingcpp.read_barcodes(image)
    assert [res.text for res in results] == [text]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    # Quiet zone of 4 modules and at least 4 px a module.
    from huicui.issuance.cards import qr_matrix

    modules = len(qr_matrix(text))
    assert image.width == image.height and image.width // modules >= 4
    assert image.width % modules == 0

    r = await client.get(f"/api/v1/certificates/{cti}/qr.svg", headers=tokens.h("reviewer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    import xml.etree.ElementTree as ET

    svg = ET.fromstring(r.text)
    assert svg.get("viewBox") == f"0 0 {modules} {modules}"
    png = svg_to_image(r.text)
    assert [res.text for res in zxingcpp.read_barcodes(png)] == [text]

    r = await client.get(f"/api/v1/certificates/{cti}/qr.png?scale=2",
                         headers=tokens.h("registrar"))
    assert r.status_code == 400  # below 4 px a module is refused, not silently served


async def test_three_chinese_characters_and_ten_benefits_fit_a_version_8_qr(client, tokens):
    import segno

    r = await client.post("/api/v1/directories", headers=tokens.h("admin"), json={
        "slug": "all-ten", "name_zh": "十项权益", "name_en": "All ten", "benefits": TEN})
    assert r.status_code == 201, r.text
    m = await active_member(client, tokens, "欧阳娜", directory_id=r.json()["id"],
                       descendants=[{"name": "欧阳小娜", "relation": "child"}])
    text = (await certificate(client, tokens, m["certificate_id"]))["text"]
    assert list(hb1.decode(text).claims.benefits) == TEN
    assert len(text) <= 211
    assert segno.make(text, error="m", micro=False).version <= 8
    from huicui.issuance.cards import qr_version

    assert qr_version(text) <= 8


async def test_the_printed_certificate_is_a5_with_a_large_qr_and_the_name(client, tokens):
    m = await active_member(client, tokens, "李晓明")
    cti = m["certificate_id"]
    r = await client.get(f"/api/v1/certificates/{cti}/card.pdf", headers=tokens.h("auditor"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = r.content
    assert pdf.startswith(b"%PDF-")
    assert b"/MediaBox [0 0 419.53 595.28]" in pdf  # A5: 148 x 210 mm
    streams = _streams(pdf)
    # The QR image is drawn at least 35 mm wide: "w 0 0 h x y cm /I.. Do" in points.
    placed = [float(w) for w, h in re.findall(
        rb"q ([\d.]+) 0 0 ([\d.]+) [\d.]+ [\d.]+ cm /I\w+ Do", b"\n".join(streams))]
    assert placed and max(placed) >= 35 / 25.4 * 72
    # The embedded font's ToUnicode map covers the name's characters (glyphs are there).
    cmap = b"\n".join(s for s in streams if b"beginbfchar" in s or b"beginbfrange" in s)
    for ch in "李晓明荣誉证书":
        assert f"<{ord(ch):04X}>".encode() in cmap, ch
    # An embedded subset (tag "ABCDEF+") of the simplified-Chinese face, not a reference.
    assert re.search(rb"/FontName /[A-Z]{6}\+NotoSansCJKSC", pdf)
    assert b"/FontFile3" in pdf or b"/FontFile2" in pdf


async def test_the_printed_certificate_renders_and_its_qr_scans(client, tokens, tmp_path):
    """Strongest check: rasterize the PDF page and read the QR back (needs poppler-utils)."""
    import shutil
    import subprocess

    from huicui_test_support import require_tool

    require_tool("pdftoppm", "poppler-utils", "HUICUI_REQUIRE_POPPLER")
    import zxingcpp
    from PIL import Image

    m = await active_member(client, tokens, "欧阳娜")
    cti = m["certificate_id"]
    text = (await certificate(client, tokens, cti))["text"]
    r = await client.get(f"/api/v1/certificates/{cti}/card.pdf", headers=tokens.h("auditor"))
    (tmp_path / "card.pdf").write_bytes(r.content)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "card.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    page = Image.open(tmp_path / "page.png")
    assert abs(page.width / page.height - 148 / 210) < 0.01
    assert [res.text for res in zxingcpp.read_barcodes(page)] == [text]
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", str(tmp_path / "card.pdf"), "-"], check=True,
                             capture_output=True, timeout=60).stdout.decode()
        assert "欧阳娜" in out and "荣誉证书" in out


def _streams(pdf: bytes) -> list[bytes]:
    out = []
    for match in re.finditer(rb"stream\r?\n", pdf):
        start = match.end()
        end = pdf.find(b"endstream", start)
        chunk = pdf[start:end]
        try:
            out.append(zlib.decompress(chunk))
        except zlib.error:
            out.append(chunk)
    return out


async def test_revoking_needs_a_reason_and_the_right_role(client, tokens):
    from huicui.issuance.certificates import revoked_certificate_ids

    m = await active_member(client, tokens)
    cti = m["certificate_id"]
    url = f"/api/v1/certificates/{cti}/revoke"
    r = await client.post(url, headers=tokens.h("reviewer"), json={"reason": ""})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem")
    r = await client.post(url, headers=tokens.h("reviewer"), json={})
    assert r.status_code == 400
    for who in ("registrar", "auditor"):
        r = await client.post(url, headers=tokens.h(who), json={"reason": "lost"})
        assert r.status_code == 403, who
    assert (await certificate(client, tokens, cti))["status"] == "active"

    r = await client.post(url, headers=tokens.h("reviewer"), json={"reason": "证书遗失 lost"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "revoked" and body["revoke_reason"] == "证书遗失 lost"
    assert body["revoked_at"].endswith("+08:00")
    assert bytes.fromhex(cti) in await revoked_certificate_ids(dt.datetime.now(dt.UTC))
    # Revoking twice is a clear conflict; the membership itself stays active.
    r = await client.post(url, headers=tokens.h("admin"), json={"reason": "again"})
    assert r.status_code == 409
    r = await client.get(f"/api/v1/memberships/{m['id']}", headers=tokens.h("reviewer"))
    assert r.json()["state"] == "active" and r.json()["certificate_id"] is None
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": "certificate", "target_id": cti})
    events = r.json()["items"]
    assert events[0]["action"] == "certificate.revoke" and "test-reviewer" in events[0]["actor"]
    assert events[0]["reason"] == "证书遗失 lost"
    assert any(e["action"] == "certificate.issue" for e in events)


@pytest.mark.parametrize("suffix", ["", "/qr.png", "/qr.svg", "/card.pdf"])
async def test_unknown_and_malformed_ids_are_problems(client, tokens, suffix):
    r = await client.get(f"/api/v1/certificates/00000000000000ff{suffix}",
                         headers=tokens.h("auditor"))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_found" and r.json()["title_zh"]
    for bad in ("xyz", "00000000000000fg", "0" * 17, "%20" * 3):
        r = await client.get(f"/api/v1/certificates/{bad}{suffix}", headers=tokens.h("auditor"))
        assert r.status_code == 400, (bad, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "bad_certificate_id"


async def test_suspend_reinstate_renew_and_revoke_follow_the_membership(client, tokens):
    from huicui.issuance.certificates import revoked_certificate_ids

    m = await active_member(client, tokens)
    first = m["certificate_id"]
    r = await client.post(f"/api/v1/certificates/{first}/holder-link",
                          headers=tokens.h("registrar"))
    link_path = "/cards/" + r.json()["token"]

    r = await client.post(f"/api/v1/memberships/{m['id']}/suspend", headers=tokens.h("reviewer"),
                          json={"reason": "调查中"})
    assert r.status_code == 200 and r.json()["certificate_id"] is None
    cert = await certificate(client, tokens, first)
    assert cert["status"] == "revoked" and "调查中" in cert["revoke_reason"]
    page = await client.get(link_path)
    assert "已失效" in page.text and "<svg" not in page.text

    r = await client.post(f"/api/v1/memberships/{m['id']}/reinstate",
                          headers=tokens.h("reviewer"), json={"reason": "查无问题"})
    second = r.json()["certificate_id"]
    assert second and second != first
    page = await client.get(link_path)  # the holder's link follows to the new card
    assert page.status_code == 200 and "已失效" not in page.text and "<svg" in page.text

    # Renewal opens in the review window before the term ends: bring the end near.
    from huicui.memberships.tables import Membership

    await Membership.update({Membership.term_end: dt.date.today() + dt.timedelta(days=20)}).where(
        Membership.id == m["id"])
    r = await client.post(f"/api/v1/memberships/{m['id']}/renew", headers=tokens.h("reviewer2"))
    assert r.status_code == 200, r.text
    third = r.json()["certificate_id"]
    assert third not in (first, second)
    old = await certificate(client, tokens, second)
    assert old["status"] == "superseded" and old["superseded_by"] == third
    revoked = await revoked_certificate_ids(dt.datetime.now(dt.UTC))
    assert bytes.fromhex(first) in revoked and bytes.fromhex(second) in revoked
    assert bytes.fromhex(third) not in revoked and revoked == sorted(revoked)

    r = await client.post(f"/api/v1/memberships/{m['id']}/revoke", headers=tokens.h("reviewer"),
                          json={"reason": "不再符合条件"})
    assert (await certificate(client, tokens, third))["status"] == "revoked"
    assert bytes.fromhex(third) in await revoked_certificate_ids(dt.datetime.now(dt.UTC))


async def test_expired_revocations_leave_the_list_and_lookup_by_cti(client, tokens):
    from huicui.issuance.certificates import certificate_for_cti, revoked_certificate_ids

    m = await active_member(client, tokens)
    cti = m["certificate_id"]
    await client.post(f"/api/v1/certificates/{cti}/revoke", headers=tokens.h("admin"),
                      json={"reason": "test"})
    cert = await certificate(client, tokens, cti)
    after_expiry = dt.datetime.fromtimestamp(cert["exp"] + 1, dt.UTC)
    assert await revoked_certificate_ids(after_expiry) == []
    found = await certificate_for_cti(cti.upper())
    assert found["membership_id"] == m["id"] and found["identity_id"] == m["identity_id"]
    assert found["status"] == "revoked" and found["exp"] == cert["exp"]
    assert found["benefits"] == [b["code"] for b in cert["benefits"]]
    assert await certificate_for_cti("00000000000000ff") is None
    assert await certificate_for_cti("not-hex") is None


async def test_rotation_keeps_old_certificates_verifiable(client, tokens, settings):
    from huicui.app import build_context
    from huicui.issuance import keys

    before = await active_member(client, tokens, "张三")
    old = hb1.decode((await certificate(client, tokens, before["certificate_id"]))["text"])
    new_kid = await keys.rotate(build_context(settings), "test")
    after = await active_member(client, tokens, "李四")
    new = hb1.decode((await certificate(client, tokens, after["certificate_id"]))["text"])
    assert new.kid.hex() == new_kid != old.kid.hex()

    jwks = await jwks_by_kid(client)
    assert jwks[old.kid]["huicui_state"] == "retired"
    assert "exp" in jwks[old.kid] and "exp" not in jwks[new.kid]
    assert jwks[old.kid]["nbf"] <= old.claims.iat <= jwks[old.kid]["exp"]
    assert hb1.verify(old, unb64url(jwks[old.kid]["x"]))
    assert hb1.verify(new, unb64url(jwks[new.kid]["x"]))
    assert not hb1.verify(old, unb64url(jwks[new.kid]["x"]))
    assert (await certificate(client, tokens, before["certificate_id"]))["status"] == "active"
    r = await client.get("/.well-known/huicui/jwks.json")
    assert "public" in r.headers["cache-control"]


async def test_compromise_hides_the_key_and_reissue_replaces_its_certificates(
    client, tokens, settings
):
    from huicui.app import build_context
    from huicui.issuance import certificates, keys

    ctx = build_context(settings)
    m = await active_member(client, tokens)
    cti = m["certificate_id"]
    kid = (await certificate(client, tokens, cti))["kid"]
    link = (await client.post(f"/api/v1/certificates/{cti}/holder-link",
                              headers=tokens.h("reviewer"))).json()["token"]
    assert await keys.compromise(ctx, "test", kid, "备份泄露") == 1

    states = {k.kid.hex(): k.state for k in await keys.issuer_keys()}
    assert states[kid] == "compromised"  # the bundle names it, so devices refuse it
    assert bytes.fromhex(kid) not in await jwks_by_kid(client)  # partners cannot verify it
    cert = await certificate(client, tokens, cti)
    assert cert["key_state"] == "compromised"
    assert "已失效" in (await client.get(f"/cards/{link}")).text

    made = await certificates.reissue_for_kid(ctx, "test", kid)
    assert len(made) == 1
    fresh = await certificate(client, tokens, made[0])
    assert fresh["kid"] != kid and fresh["status"] == "active"
    assert (await certificate(client, tokens, cti))["status"] == "superseded"
    assert bytes.fromhex(cti) in await certificates.revoked_certificate_ids(
        dt.datetime.now(dt.UTC))
    page = await client.get(f"/cards/{link}")
    assert "已失效" not in page.text and "<svg" in page.text
    assert await certificates.reissue_for_kid(ctx, "test", kid) == []
