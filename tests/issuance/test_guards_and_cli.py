"""Who may call each issuance route, and the ``huicui keys`` / ``certificates`` commands."""

from __future__ import annotations

import pytest
from huicui_test_support.commands import huicui
from huicui_test_support.members import active_member, certificate

STAFF = ("admin", "registrar", "reviewer", "auditor")
# (method, path suffix, roles allowed, body)
ROUTES = [
    ("GET", "", STAFF, None),
    ("GET", "/qr.png", STAFF, None),
    ("GET", "/qr.svg", STAFF, None),
    ("GET", "/card.pdf", STAFF, None),
    ("POST", "/revoke", ("reviewer", "admin"), {"reason": "guard test"}),
    ("POST", "/holder-link", ("registrar", "reviewer", "admin"), None),
]


@pytest.mark.parametrize(("method", "suffix", "allowed", "body"), ROUTES)
async def test_certificate_routes_admit_exactly_their_roles(client, tokens, method, suffix,
                                                            allowed, body):
    m = await active_member(client, tokens)
    url = f"/api/v1/certificates/{m['certificate_id']}{suffix}"
    r = await client.request(method, url, json=body)
    assert r.status_code == 401
    for role in STAFF:
        r = await client.request(method, url, json=body, headers=tokens.h(role))
        if role in allowed:
            assert r.status_code == 200, (role, r.text[:200])
            if suffix == "/revoke":
                break  # revoked now; a second revoke would be a 409
        else:
            assert r.status_code == 403, role


async def test_jwks_and_card_pages_are_public(client):
    assert (await client.get("/.well-known/huicui/jwks.json")).status_code == 200
    assert (await client.get("/cards/" + "A" * 32)).status_code == 404  # public, just unknown


async def test_keys_cli_rotate_compromise_and_reissue(client, tokens):
    m = await active_member(client, tokens, "钱七")
    cti = m["certificate_id"]
    kid = (await certificate(client, tokens, cti))["kid"]

    code, out, _ = await huicui("keys", "list")
    assert code == 0 and kid in out and "active" in out and "bundle" in out

    code, out, _ = await huicui("keys", "compromise", kid)
    assert code == 2  # --reason is required
    code, out, err = await huicui("keys", "compromise", "zz", "--reason", "x")
    assert code == 1 and "8" in err
    code, out, err = await huicui("keys", "compromise", kid, "--reason", "备份盘丢失")
    assert code == 0, err
    assert "1 " in err and f"huicui certificates reissue --kid {kid}" in err

    code, out, err = await huicui("certificates", "reissue", "--kid", kid)
    assert code == 0, err
    assert "re-issued: 1" in out
    r = await client.get(f"/api/v1/memberships/{m['id']}", headers=tokens.h("auditor"))
    fresh = r.json()["certificate_id"]
    assert fresh != cti and (await certificate(client, tokens, fresh))["kid"] != kid

    code, out, _ = await huicui("keys", "rotate")
    assert code == 0 and "new certificate-signing key" in out
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": "signing_key", "target_id": kid})
    events = r.json()["items"]
    assert events[0]["action"] == "key.compromise" and events[0]["reason"] == "备份盘丢失"
    assert events[0]["actor"].startswith("cli:")


async def test_certificates_cli_show_link_pdf_revoke(client, tokens, tmp_path):
    m = await active_member(client, tokens)
    cti = m["certificate_id"]
    code, out, _ = await huicui("certificates", "show", cti)
    assert code == 0 and '"status": "active"' in out and "HB1:" in out
    code, out, _ = await huicui("certificates", "link", cti)
    token = out.strip().splitlines()[-1].rsplit("/", 1)[-1]
    assert code == 0 and (await client.get(f"/cards/{token}")).status_code == 200
    target = tmp_path / "card.pdf"
    code, out, _ = await huicui("certificates", "pdf", cti, "-o", str(target))
    assert code == 0 and target.read_bytes().startswith(b"%PDF-")
    code, out, _ = await huicui("certificates", "revoke", cti, "--reason", "lost")
    assert code == 0
    assert (await certificate(client, tokens, cti))["status"] == "revoked"
    code, _, err = await huicui("certificates", "show", "nothex")
    assert code == 1 and "16" in err
