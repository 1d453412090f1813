"""The installable verifier page (/verify/) in real headless Chromium, against the real
service (``huicui serve`` in a subprocess, as an operator runs it).

The phone enrolls by scanning the office's enrollment QR from a fake camera (a Y4M of
the code), then checks cards from the camera or a keyboard-wedge field, keeps its log in
IndexedDB, and syncs by itself. Linux Chromium has no BarcodeDetector, so every camera
read here goes through the page's WebAssembly reader (zxing-wasm), served by the service.
"""

from __future__ import annotations

import json
import os
import signal
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import card_image, write_y4m
from verify_kit import VERDICT, enroll_by_link, log_rows, pending, ready, run, type_code

pytestmark = pytest.mark.browser

# --- the tests -------------------------------------------------------------------------------


def test_enroll_by_scanning_the_code_then_accept_and_refuse_a_revoked_card(
        office, start_browser, tmp_path):
    rider, lost = office.member("李晓明"), office.member("陈海岛")
    venue_id = office.venue()
    enrollment = office.device(venue_id)
    profile = tmp_path / "phone-profile"
    profile.mkdir()

    # The office's QR in front of the phone's camera: the page reads it and enrolls.
    video = write_y4m(card_image(enrollment["enrollment"]["text"]), tmp_path / "enroll.y4m")
    browser = start_browser(office.url + "/verify/", video, profile=profile)
    shown = ready(browser)
    assert shown["reader"] == "zxing-wasm"  # the WebAssembly fallback did the reading
    assert browser.evaluate("document.getElementById('venue').innerText") == "北海国际客运港"
    state = run(browser, "huicuiVerify.log.state().then(s => ({venue: s.venue, "
                         "token: s.token.slice(0, 4), fp: s.expectedFingerprint}))")
    assert state == {"venue": venue_id, "token": "hcd_", "fp": enrollment["fingerprint"]}
    # Everything the page loaded came from the service.
    loaded = browser.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(u.startswith(office.url + "/") for u in loaded), loaded
    assert any(u.endswith("/verify/zxing_reader.wasm") for u in loaded), loaded
    browser.stop()

    # The code was single-use: the service refuses it now.
    secret = parse_qs(urlsplit(enrollment["enrollment"]["text"]).fragment)["enroll"][0]
    r = office.http.post("/api/v1/devices/enrollment", json={"secret": secret})
    assert r.status_code == 409 and r.json()["code"] == "enrollment_code_used"

    # The same phone, now with a member's card in front of the camera: one use, not many.
    video = write_y4m(card_image(rider["text"]), tmp_path / "card.y4m")
    browser = start_browser(office.url + "/verify/", video, profile=profile)
    ready(browser)
    verdict = browser.wait_for(
        f"(() => {{ const v = {VERDICT}; return v.cls.includes('accepted') && v; }})()",
        what="the card accepted")
    text = verdict["text"]
    assert "通过" in text and "Accepted" in text and text.index("通过") < text.index("Accepted")
    assert "李晓明" in text
    time.sleep(3)  # the card stays in view: frames keep coming
    rows = log_rows(browser)
    assert [(r["decision"], r["reason"]) for r in rows] == [("accept", "ok")]

    # The office revokes the other card; after a sync the phone refuses it.
    r = office.http.post(f"/api/v1/certificates/{lost['cti']}/revoke",
                         headers=office.staff["reviewer"], json={"reason": "证书遗失 / lost"})
    assert r.status_code == 200, r.text
    browser.wait_for("huicuiVerify.bundle && huicuiVerify.bundle.version > "
                     + shown["version"] + " || (huicuiVerify.syncNow(), false)",
                     timeout=30, what="the new bundle after the revocation")
    refused = type_code(browser, lost["text"])
    assert "refused" in refused["cls"] and refused["reason"] == "revoked"
    assert "拒绝" in refused["text"] and "撤销" in refused["text"]
    browser.wait_for("document.getElementById('pending').dataset.count === '0'"
                     " || (huicuiVerify.syncNow(), false)", timeout=30, what="uploads done")
    ups = office.redemptions()
    assert sorted((u["certificate_id"], u["decision"]) for u in ups) == sorted(
        [(rider["cti"], "accept"), (lost["cti"], "refuse")])


def test_the_ferry_limit_holds_across_a_page_reload(office, start_browser, tmp_path):
    rider = office.member("李晓明")
    enrollment = office.device(office.venue())
    browser = enroll_by_link(start_browser, office, tmp_path, enrollment)
    # The secret left the address bar once used.
    assert "enroll" not in browser.evaluate("location.href")
    answers = [type_code(browser, rider["text"]) for _ in range(3)]
    assert [a["reason"] for a in answers] == ["ok", "ok", "limit_reached"]
    assert "已达使用次数上限" in answers[2]["text"]

    # From here on the page's vibrations are noted (a headless browser has no motor).
    browser.send("Page.enable")
    browser.send("Page.addScriptToEvaluateOnNewDocument", source=(
        "window.buzzed = []; navigator.vibrate = (p) => { window.buzzed.push(p); return true; };"))
    browser.evaluate("window.beforeReload = true")
    browser.send("Page.reload", ignoreCache=True)
    browser.wait_for("!window.beforeReload", what="the reloaded page")
    ready(browser)
    again = type_code(browser, rider["text"])
    assert (again["reason"], "refused" in again["cls"]) == ("limit_reached", True)
    assert browser.evaluate("window.buzzed") == [[200, 100, 200]]  # a refusal buzzes twice
    rows = log_rows(browser)
    assert [r["reason"] for r in rows] == ["ok", "ok", "limit_reached", "limit_reached"]


def test_offline_after_install_the_page_loads_decides_and_uploads_later(
        office, start_browser, tmp_path):
    rider = office.member("李晓明")
    enrollment = office.device(office.venue())
    browser = enroll_by_link(start_browser, office, tmp_path, enrollment)
    browser.wait_for("navigator.serviceWorker.controller !== null"
                     " || (location.reload(), false)", timeout=30,
                     what="the service worker in control")
    # Installable: manifest, icons and a worker that serves the page, as Chromium judges it.
    browser.send("Page.enable")
    assert browser.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    browser.send("Network.enable")
    browser.send("Network.emulateNetworkConditions", offline=True, latency=0,
                 downloadThroughput=-1, uploadThroughput=-1)
    browser.evaluate("window.beforeReload = true")
    browser.send("Page.reload", ignoreCache=False)
    browser.wait_for("!window.beforeReload", what="the page reloaded offline")
    ready(browser)
    shown = type_code(browser, rider["text"])
    assert shown["reason"] == "ok"
    time.sleep(2)  # the page tries to sync after a decision: offline, nothing goes up
    assert pending(browser) == 1
    assert office.redemptions() == []

    browser.send("Network.emulateNetworkConditions", offline=False, latency=0,
                 downloadThroughput=-1, uploadThroughput=-1)
    # Back online, the page syncs by itself (its "online" event): nobody presses Sync.
    browser.wait_for("document.getElementById('pending').dataset.count === '0'", timeout=30,
                     what="the upload once back online")
    ups = office.redemptions()
    assert [(u["certificate_id"], u["decision"]) for u in ups] == [(rider["cti"], "accept")]


def test_every_verdict_shown_before_the_browser_is_killed_is_uploaded_once(
        office, start_browser, tmp_path):
    cards = [office.member(f"乘客{i}") for i in range(3)]
    enrollment = office.device(office.venue())
    profile = tmp_path / "phone-profile"
    profile.mkdir()
    browser = enroll_by_link(start_browser, office, tmp_path, enrollment, profile=profile)
    # Keep the uploads for after the crash: the service goes away for the burst.
    office.service.stop()
    texts = [c["text"] for c in cards] * 10
    browser.evaluate(
        "(() => { const texts = " + json.dumps(texts) + "; let i = 0;"
        " const next = () => { if (i >= texts.length) return;"
        "  const w = document.getElementById('wedge'); w.value = texts[i++];"
        "  document.getElementById('wedge-form').requestSubmit(); setTimeout(next, 15); };"
        " next(); })()")
    browser.wait_for("huicuiVerify.shown.length >= 8", timeout=30, what="a burst under way")
    shown = browser.evaluate("huicuiVerify.shown.slice()")
    os.killpg(browser.proc.pid, signal.SIGKILL)
    browser.stop()
    assert 8 <= len(shown) < len(texts) + 1

    office.service.start()
    video = write_y4m(card_image(None), tmp_path / "blank2.y4m")
    browser = start_browser(office.url + "/verify/", video, profile=profile)
    ready(browser)
    rows = log_rows(browser)
    assert set(shown) <= {r["uuid"] for r in rows}  # nothing shown was lost
    browser.wait_for("document.getElementById('pending').dataset.count === '0'"
                     " || (huicuiVerify.syncNow(), false)", timeout=60, what="the upload")
    run(browser, "huicuiVerify.syncNow()")  # a second sync sends nothing again
    ups = office.redemptions()
    uuids = [u["uuid"] for u in ups]
    assert len(uuids) == len(set(uuids)) == len(rows)
    assert set(shown) <= set(uuids)
