"""Enrollment by QR: a one-time, short-lived code a phone exchanges for the device token."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs, urlsplit

from huicui_test_support.venues import bearer, device, venue


def _secret(enrollment: dict) -> str:
    return parse_qs(urlsplit(enrollment["enrollment"]["text"]).fragment)["enroll"][0]


async def test_enrollment_returns_a_code_that_works_once(client, tokens, app):
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    code = e["enrollment"]
    url = urlsplit(code["text"])
    assert url.path == "/verify/" and url.query == ""
    fragment = parse_qs(url.fragment)
    assert fragment["fp"] == [e["fingerprint"]]
    secret = fragment["enroll"][0]
    assert len(secret) >= 32
    assert code["qr_svg"].startswith("<svg") and "登记" in code["qr_svg"]
    assert base64.b64decode(code["qr_png"]).startswith(b"\x89PNG")
    assert code["expires_at"]

    from huicui.venues.tables import DeviceEnrollment

    stored = await DeviceEnrollment.select().first()
    assert secret not in str(stored)  # only its hash

    r = await client.post("/api/v1/devices/enrollment", json={"secret": secret})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["device_id"] == e["device"]["id"] and got["venue_id"] == v["id"]
    assert got["fingerprint"] == e["fingerprint"] and got["token"].startswith("hcd_")
    assert got["token"] != e["token"]

    # The new token works; the one shown at enrollment no longer does.
    r = await client.get("/api/v1/bundle", headers=bearer(got["token"]))
    assert r.status_code in (200, 304), r.text
    r = await client.get("/api/v1/bundle", headers=bearer(e["token"]))
    assert r.status_code == 401

    # Used once: a second exchange is refused, in both languages.
    r = await client.post("/api/v1/devices/enrollment", json={"secret": secret})
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "enrollment_code_used" and body["title_zh"] and body["title"]
    assert r.headers["content-type"].startswith("application/problem+json")

    r = await client.post("/api/v1/devices/enrollment", json={"secret": "nope"})
    assert r.status_code == 404 and r.json()["code"] == "enrollment_code_unknown"
    r = await client.post("/api/v1/devices/enrollment", json={"secret": ""})
    assert r.status_code == 400

    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": "device"})
    actions = [item["action"] for item in r.json()["items"]]
    assert "device.enroll_by_code" in actions and secret not in r.text


async def test_an_expired_code_is_refused(client, tokens):
    from huicui.venues.tables import DeviceEnrollment

    v = await venue(client, tokens)
    secret = _secret(await device(client, tokens, v["id"]))
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    await DeviceEnrollment.update({DeviceEnrollment.expires_at: past}).where(
        DeviceEnrollment.id > 0)
    r = await client.post("/api/v1/devices/enrollment", json={"secret": secret})
    assert r.status_code == 410
    assert r.json()["code"] == "enrollment_code_expired" and "过期" in r.json()["title_zh"]


async def test_expiry_follows_the_setting(client, tokens, app):
    from huicui.venues.tables import DeviceEnrollment

    app.state.ctx.settings.sync.enrollment_code_minutes = 5
    v = await venue(client, tokens)
    await device(client, tokens, v["id"])
    row = await DeviceEnrollment.select().first()
    left = row["expires_at"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=4) < left <= dt.timedelta(minutes=5)


async def test_a_new_code_for_a_device_and_a_disabled_device(client, tokens):
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    device_id = e["device"]["id"]
    r = await client.post(f"/api/v1/devices/{device_id}/enrollment-code",
                          headers=tokens.h("registrar"))
    assert r.status_code == 403
    r = await client.post(f"/api/v1/devices/{device_id}/enrollment-code",
                          headers=tokens.h("admin"))
    assert r.status_code == 201, r.text
    fresh = parse_qs(urlsplit(r.json()["text"]).fragment)["enroll"][0]

    r = await client.post(f"/api/v1/devices/{device_id}/disable", headers=tokens.h("admin"),
                          json={"reason": "手机丢失 lost phone"})
    assert r.status_code == 200
    r = await client.post("/api/v1/devices/enrollment", json={"secret": fresh})
    assert r.status_code == 403 and r.json()["code"] == "device_disabled"
    r = await client.post(f"/api/v1/devices/{device_id}/enrollment-code",
                          headers=tokens.h("admin"))
    assert r.status_code == 403 and r.json()["code"] == "device_disabled"


async def test_guessing_codes_is_limited_like_wrong_tokens(client, app, settings):
    import msgspec
    from huicui.auth.failures import FailedAuthLimiter

    app.state.auth_failures = FailedAuthLimiter(
        msgspec.structs.replace(settings.auth, max_failures=3))
    answers = [
        (await client.post("/api/v1/devices/enrollment", json={"secret": f"guess-{i}"}))
        for i in range(5)
    ]
    assert [r.status_code for r in answers] == [404, 404, 404, 429, 429]
    assert answers[-1].headers["retry-after"] and answers[-1].json()["title_zh"]
