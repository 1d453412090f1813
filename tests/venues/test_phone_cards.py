"""The live phone card on the service: activation, its defences, and the bundle's view."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from huicui_test_support.commands import huicui
from huicui_test_support.members import active_member
from huicui_test_support.venues import device, device_bundle, device_files, venue
from huicui_verifier import hb2
from huicui_verifier.decide import decide


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Phone:
    """A phone: its key pair, as the holder page makes one."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.public = self.key.public_key().public_bytes_raw()
        self.hash = hb2.device_key_hash(self.public).hex()
        self.bound: bytes | None = None

    def live_code(self, at: int) -> str:
        assert self.bound is not None
        return hb2.encode(self.bound, at, self.key)


async def card(client, tokens) -> dict:
    """An approved member's card: cti, holder token and activation code."""
    m = await active_member(client, tokens)
    cti = m["cti"]
    r = await client.post(f"/api/v1/certificates/{cti}/holder-link", headers=tokens.h("registrar"))
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    r = await client.post(
        f"/api/v1/certificates/{cti}/activation-code", headers=tokens.h("registrar")
    )
    assert r.status_code == 200, r.text
    return {"cti": cti, "token": token, "code": r.json()["code"], "membership": m}


async def activate(client, c: dict, phone: Phone, code: str | None = None):
    r = await client.post(
        f"/cards/{c['token']}/activate",
        json={"public_key": b64(phone.public), "code": code or c["code"]},
    )
    if r.status_code == 200:
        phone.bound = unb64url(r.json()["bound"])
    return r


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["title_zh"] and body["detail"]
    return body


async def test_activation_binds_the_terms_certificate_to_the_phone(client, tokens):
    c = await card(client, tokens)
    phone = Phone()
    before = int(dt.datetime.now(dt.UTC).timestamp())
    r = await activate(client, c, phone)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert abs(int(r.headers["huicui-time-ms"]) // 1000 - before) < 60
    assert body["cti"] == c["cti"] and body["key_hash"] == phone.hash
    assert body["activations_used"] == 1 and body["activations_allowed"] == 3

    bound = hb2.read_bound(phone.bound)
    r = await client.get(f"/api/v1/certificates/{c['cti']}", headers=tokens.h("auditor"))
    term = r.json()
    # Same id, benefits and end of validity as the term certificate; the phone's key added.
    assert bound.claims.cti.hex() == c["cti"] and bound.claims.exp == term["exp"]
    assert list(bound.claims.benefits) == [b["code"] for b in term["benefits"]]
    assert bound.device_key == phone.public and bound.claims.iat >= before
    r = await client.get("/.well-known/huicui/jwks.json")
    jwk = {unb64url(k["kid"]): k for k in r.json()["keys"]}[bound.kid]
    assert hb2.verify_issuer(bound, unb64url(jwk["x"]))
    decoded = hb2.decode(phone.live_code(before))
    assert hb2.verify_device(decoded)

    r = await client.get(
        "/api/v1/audit", headers=tokens.h("auditor"), params={"action": "card.activate"}
    )
    events = [e for e in r.json()["items"] if e["target_id"] == c["cti"]]
    assert events and events[0]["actor"] == "holder"
    person = c["membership"]["person"]
    assert person["id_doc_plain"] not in r.text and person["phone_plain"] not in r.text


async def test_a_leaked_link_without_the_code_cannot_move_the_card(client, tokens, settings):
    c = await card(client, tokens)
    thief = Phone()
    r = await activate(client, c, thief, code="AAAA-AAAA")
    body = problem(r, 403, "wrong_activation_code")
    assert "启用码" in body["title_zh"] and body["attempts_left"] == 9
    for _ in range(settings.cards.wrong_code_limit - 1):
        r = await activate(client, c, thief, code="AAAA-AAAA")
    # Locked now: even the right code waits for the office.
    problem(await activate(client, c, Phone()), 423, "activation_locked")
    r = await client.get(
        f"/api/v1/certificates/{c['cti']}/activations", headers=tokens.h("registrar")
    )
    assert r.json()["locked"] is True and r.json()["code"] is None

    r = await client.post(
        f"/api/v1/certificates/{c['cti']}/activations/reset",
        headers=tokens.h("registrar"),
        json={"reason": "持证人到站核验身份"},
    )
    assert r.status_code == 200 and r.json()["locked"] is False
    # The code as typed from paper: lower case, no dash, O for 0 and I for 1 all work.
    typed = c["code"].lower().replace("-", " ").replace("0", "o").replace("1", "i")
    assert (await activate(client, c, Phone(), code=typed)).status_code == 200


async def test_one_phone_per_card_and_the_bundle_names_the_old_one(client, tokens, app):
    c = await card(client, tokens)
    first, second = Phone(), Phone()
    assert (await activate(client, c, first)).status_code == 200
    again = await activate(client, c, first)  # a retried request: same answer, not counted
    assert again.status_code == 200 and again.json()["activations_used"] == 1
    r = await activate(client, c, second)
    assert r.status_code == 200 and r.json()["superseded"] == [first.hash]

    # The old phone, online, learns it no longer holds the card; the new one does.
    r = await client.get(f"/cards/{c['token']}/phone", params={"key_hash": first.hash})
    assert r.status_code == 200 and r.json()["current"] is False
    assert r.json()["superseded_at"] and "huicui-time-ms" in r.headers
    r = await client.get(f"/cards/{c['token']}/phone", params={"key_hash": second.hash})
    assert r.json()["current"] is True and unb64url(r.json()["bound"]) == second.bound

    # A gate with the next bundle refuses the old phone, takes the new one and the paper card.
    v = await venue(client, tokens, kind="ferry", benefits=[2])
    e = await device(client, tokens, v["id"])
    now = dt.datetime.now(dt.UTC)
    bundle = await device_bundle(client, e["token"])
    assert hb2.device_key_hash(first.public) in bundle.superseded
    assert hb2.device_key_hash(second.public) not in bundle.superseded
    assert bundle.venue.static_card == "check_id"  # the default of every kind
    files = await device_files(client, e["token"])
    assert all(b"\xe6\x9d\x8e" not in f for f in files.values())  # no holder name (李)

    def at_gate(text: str):
        return decide(text, bundle=bundle, benefit=None, now=now, history_lookup=lambda c, b: [])

    ts = int(now.timestamp())
    assert at_gate(first.live_code(ts)).reason == "phone_superseded"
    assert at_gate(second.live_code(ts)).reason == "ok"
    r = await client.get(f"/api/v1/certificates/{c['cti']}", headers=tokens.h("auditor"))
    paper = at_gate(r.json()["text"])
    assert paper.accepted and paper.id_check

    # Taking the card back with the code: the first phone holds it again, and is not listed.
    assert (await activate(client, c, first)).status_code == 200
    bundle = await device_bundle(client, e["token"])
    assert hb2.device_key_hash(first.public) not in bundle.superseded
    assert hb2.device_key_hash(second.public) in bundle.superseded


async def test_activations_per_term_are_limited_and_staff_reset_them(client, tokens, settings):
    c = await card(client, tokens)
    for _ in range(settings.cards.activations_per_term):
        assert (await activate(client, c, Phone())).status_code == 200
    body = problem(await activate(client, c, Phone()), 409, "activation_limit")
    assert "工作站" in body["title_zh"] and body["activations_used"] == 3

    url = f"/api/v1/certificates/{c['cti']}/activations/reset"
    assert (await client.post(url, json={"reason": "x"})).status_code == 401
    assert (
        await client.post(url, json={"reason": "x"}, headers=tokens.h("auditor"))
    ).status_code == 403
    assert (await client.post(url, json={"reason": ""}, headers=tokens.h("admin"))).status_code in (
        400,
        422,
    )
    r = await client.post(
        url,
        json={"reason": "手机丢失三次，已核验身份", "new_code": True},
        headers=tokens.h("admin"),
    )
    assert r.status_code == 200 and r.json()["activations_used"] == 0
    new_code = r.json()["code"]
    assert new_code and new_code != c["code"]
    problem(await activate(client, c, Phone()), 403, "wrong_activation_code")  # old code dead
    assert (await activate(client, c, Phone(), code=new_code)).status_code == 200

    r = await client.get(
        "/api/v1/audit", headers=tokens.h("auditor"), params={"action": "card.activations_reset"}
    )
    resets = [e for e in r.json()["items"] if e["target_id"] == c["cti"]]
    assert resets and resets[0]["reason"] == "手机丢失三次，已核验身份"


async def test_activation_refuses_bad_input_with_named_problems(client, tokens):
    c = await card(client, tokens)
    problem(
        await client.post(
            "/cards/" + "A" * 32 + "/activate",
            json={"public_key": b64(Phone().public), "code": c["code"]},
        ),
        404,
        "not_found",
    )
    for key in ("", "AAAA", b64(b"\x01" * 31), "!!not base64!!"):
        r = await client.post(
            f"/cards/{c['token']}/activate", json={"public_key": key, "code": c["code"]}
        )
        problem(r, 422, "invalid_input")
    r = await client.post(f"/cards/{c['token']}/activate", json={"code": c["code"]})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    r = await client.get(f"/cards/{c['token']}/phone", params={"key_hash": "zz"})
    assert r.status_code == 400

    r = await client.post(
        f"/api/v1/certificates/{c['cti']}/revoke",
        headers=tokens.h("reviewer"),
        json={"reason": "证书遗失"},
    )
    assert r.status_code == 200
    problem(await activate(client, c, Phone()), 409, "conflict")


@pytest.mark.parametrize("action", ["activations", "activation-code"])
async def test_activation_routes_admit_office_roles_only(client, tokens, action):
    c = await card(client, tokens)
    method = "GET" if action == "activations" else "POST"
    url = f"/api/v1/certificates/{c['cti']}/{action}"
    assert (await client.request(method, url)).status_code == 401
    for role in ("admin", "registrar", "reviewer", "auditor"):
        r = await client.request(method, url, headers=tokens.h(role))
        assert r.status_code == (403 if role == "auditor" else 200), role


async def test_the_printed_certificate_carries_the_activation_code(client, tokens):
    c = await card(client, tokens)
    r = await client.get(f"/api/v1/certificates/{c['cti']}/card.pdf", headers=tokens.h("registrar"))
    assert r.status_code == 200
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(r.content)
        f.flush()
        text = subprocess.run(
            ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout
    assert c["code"] in text and "启用码" in text


async def test_office_commands_show_the_code_and_reset_activations(client, tokens):
    c = await card(client, tokens)
    assert (await activate(client, c, Phone())).status_code == 200
    code, out, err = await huicui("certificates", "activation-code", c["cti"])
    assert code == 0, err
    assert f'"code": "{c["code"]}"' in out and '"activations_used": 1' in out
    code, _, err = await huicui("certificates", "reset-activations", c["cti"])
    assert code == 2 and "--reason" in err  # a reason is required
    code, out, err = await huicui(
        "certificates", "reset-activations", c["cti"], "--reason", "换了两部手机", "--new-code"
    )
    assert code == 0, err
    assert '"activations_used": 0' in out and c["code"] not in out
    code, out, err = await huicui("certificates", "activations", c["cti"])
    assert code == 0 and '"code": null' in out
    code, _, err = await huicui("certificates", "activations", "not-a-cti")
    assert code != 0 and "16" in err
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_id": c["cti"]})
    actions = {e["action"] for e in r.json()["items"]}
    assert {"card.activate", "card.activation_code_shown", "card.activations_reset"} <= actions
