"""The live phone card in a real browser: headless Chromium opens the holder page, makes
its key, activates, and shows a rotating QR that an enrolled huicui-verify decides.

The service runs under uvicorn with a bundle skew of 2 seconds, so a code is too old
32 seconds after it was signed and the test can wait for that.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_y4m
from huicui_test_support.live_server import serving
from huicui_test_support.members import active_member
from huicui_test_support.venues import BUS, device, partner, venue
from huicui_verifier import hb2
from PIL import Image

SKEW = 2


@pytest.fixture
def short_skew(monkeypatch):
    """Bundles with a 2-second skew (set before the app's settings are read)."""
    monkeypatch.setenv("HUICUI_BUNDLE_SKEW_SECONDS", str(SKEW))


def verify(home: Path, *args: str) -> tuple[int, dict | str]:
    proc = subprocess.run(
        [sys.executable, "-m", "huicui_verifier", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "--json" in args:
        return proc.returncode, json.loads(proc.stdout)
    return proc.returncode, proc.stdout + proc.stderr


def phone_page(start_browser, url: str, tmp_path: Path, name: str):
    """A phone: a browser with its own profile on the card page, sized like a phone."""
    blank = write_y4m(Image.new("RGB", (64, 48), (255, 255, 255)), tmp_path / f"{name}.y4m")
    b = start_browser(url, blank)
    b.send(
        "Emulation.setDeviceMetricsOverride",
        width=420,
        height=1000,
        deviceScaleFactor=2,
        mobile=True,
    )
    b.wait_for("document.readyState === 'complete'", what="the card page")
    return b


def activate(b, code: str) -> None:
    b.wait_for("!document.getElementById('activate').hidden", what="the activation button")
    b.evaluate(
        "document.getElementById('activate-open').click();"
        f"document.getElementById('activate-code').value = {json.dumps(code)};"
        "document.getElementById('activate-form').requestSubmit(); true"
    )


def reload(b) -> None:
    """Reload the page and wait for the new document: until then a command may still reach
    the old one, or land between the two ("Not attached to an active page")."""
    b.evaluate("window.__beforeReload = true; location.reload(); true")
    b.wait_for(
        "!window.__beforeReload && document.readyState === 'complete'", what="the reloaded page"
    )


def live_code(b, *, newer_than: int = 0) -> str:
    """The HB2 text of the QR on the phone's screen, read from a screenshot by zxing-cpp."""
    import zxingcpp

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        b.wait_for("!!document.querySelector('#live-qr svg')", what="the live QR code")
        shot = b.send("Page.captureScreenshot", format="png")
        image = Image.open(io.BytesIO(base64.b64decode(shot["data"])))
        texts = [r.text for r in zxingcpp.read_barcodes(image) if r.text.startswith("HB2:")]
        if texts and hb2.decode(texts[0]).proof.time > newer_than:
            return texts[0]
        time.sleep(1)
    raise AssertionError("no live code on the phone's screen")


async def _card_and_gate(client, tokens) -> dict:
    """A member's card (holder token, activation code) and an enrolled bus validator."""
    cti = (await active_member(client, tokens))["cti"]
    r = await client.post(f"/api/v1/certificates/{cti}/holder-link", headers=tokens.h("registrar"))
    token = r.json()["token"]
    r = await client.post(
        f"/api/v1/certificates/{cti}/activation-code", headers=tokens.h("registrar")
    )
    code = r.json()["code"]
    p = await partner(client, tokens, name_zh="北海公交")
    v = await venue(
        client,
        tokens,
        p["id"],
        kind="bus",
        name_zh="3路公交",
        benefits=[BUS],
        fail_mode="closed",
        static_cards="refuse",
    )
    return {
        "cti": cti,
        "token": token,
        "code": code,
        "device": await device(client, tokens, v["id"], "验票机"),
    }


async def test_a_phone_card_in_chromium_is_verified_offline(
    short_skew, settings, client, tokens, start_browser, tmp_path
):
    from huicui.app import create_app

    assert settings.bundle.skew_seconds == SKEW
    c = await _card_and_gate(client, tokens)
    gate = tmp_path / "gate"
    with serving(create_app(settings)) as base:
        code, out = verify(
            gate,
            "enroll",
            "--server",
            base,
            "--token",
            c["device"]["token"],
            "--fingerprint",
            c["device"]["fingerprint"],
        )
        assert code == 0, out
        page = f"{base}/cards/{c['token']}"

        # Phone A: activate, show the live code; the gate accepts it once.
        a = phone_page(start_browser, page, tmp_path, "phone-a")
        activate(a, c["code"].lower())  # typed as the holder might
        first = live_code(a)
        decoded = hb2.decode(first)
        assert decoded.bound.claims.cti.hex() == c["cti"]
        assert abs(decoded.proof.time - time.time()) < 15  # signed with a corrected clock
        code, d = verify(gate, "check", "--text", first, "--json")
        assert (code, d["accepted"], d["reason"]) == (0, True, "ok"), d
        code, d = verify(gate, "check", "--text", first, "--json")
        assert (code, d["reason"]) == (1, "replayed"), d
        # The page re-signs: a newer code from the same phone passes again.
        later = live_code(a, newer_than=decoded.proof.time)
        code, d = verify(gate, "check", "--text", later, "--json")
        assert (code, d["reason"]) == (0, "ok"), d
        # The static card is refused at this validator: only a live phone passes.
        r = await client.get(f"/api/v1/certificates/{c['cti']}", headers=tokens.h("auditor"))
        code, d = verify(gate, "check", "--text", r.json()["text"], "--json")
        assert (code, d["reason"]) == (1, "static_refused"), d

        # Phone B, another browser profile, takes the card over.
        b = phone_page(start_browser, page, tmp_path, "phone-b")
        activate(b, c["code"])
        from_b = live_code(b)
        assert hb2.decode(from_b).bound.device_key != decoded.bound.device_key
        # A code phone B shows but nobody scans (kept for the window check below).
        unseen = live_code(b, newer_than=hb2.decode(from_b).proof.time)
        from_a = live_code(a, newer_than=hb2.decode(later).proof.time)
        code, out = verify(gate, "sync")  # the next bundle names phone A as superseded
        assert code == 0, out
        code, d = verify(gate, "check", "--text", from_a, "--json")
        assert (code, d["reason"]) == (1, "phone_superseded"), d
        code, d = verify(gate, "check", "--text", from_b, "--json")
        assert (code, d["reason"]) == (0, "ok"), d
        # Phone A, online again, is told that the card moved.
        reload(a)
        a.wait_for(
            "document.getElementById('activate-error').innerText.includes('另一部手机')",
            what="phone A told that the card moved",
        )

    # The service is gone: phone B reopens the card from its own storage and still signs.
    reload(b)
    offline = live_code(b, newer_than=hb2.decode(unseen).proof.time)
    code, d = verify(gate, "check", "--text", offline, "--json")
    assert (code, d["reason"]) == (0, "ok"), d

    # A code from more than the window ago, never shown here before, is refused as too old
    # (a recording: no clock is named).
    age = time.time() - hb2.decode(unseen).proof.time
    time.sleep(max(0.0, hb2.PROOF_WINDOW + SKEW + 1 - age))
    code, d = verify(gate, "check", "--text", unseen, "--json")
    assert (code, d["reason"], d["clock"]) == (1, "proof_too_old", ""), d
