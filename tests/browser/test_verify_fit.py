"""The verifier page's verdict fits a 360×640 phone and a 1024×768 tablet without
scrolling, accepted, refused and with out-of-date data, in real headless Chromium.

Screenshots of every case are saved (to ``$HUICUI_VERIFY_SHOTS`` when set, else the
test's temporary folder) so a person can look at them; the test measures the layout.
The phone here enrolls by typing the code by hand (the manual path of the enrollment).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import card_image, write_y4m
from verify_kit import ready, type_code

pytestmark = pytest.mark.browser

SIZES = {"phone": (360, 640, True), "tablet": (1024, 768, False)}

MEASURE = """(() => {
  const v = document.getElementById('verdict');
  const box = v.getBoundingClientRect();
  const w = document.getElementById('warning');
  const wb = w.getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, left: box.left, right: box.right,
          height: window.innerHeight, width: window.innerWidth, scrollY: window.scrollY,
          pageHeight: document.documentElement.scrollHeight,
          pageWidth: document.documentElement.scrollWidth,
          clipped: v.scrollHeight > v.clientHeight + 1,
          visible: !v.hidden && getComputedStyle(v).display !== 'none' && box.width > 0,
          warning: w.hidden ? null : {cls: w.className, text: w.innerText, bottom: wb.bottom}};
})()"""


def _size(browser, name: str) -> None:
    width, height, mobile = SIZES[name]
    browser.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                 deviceScaleFactor=1, mobile=mobile)


def _shot(browser, folder: Path, name: str) -> Path:
    data = browser.send("Page.captureScreenshot", format="png")["data"]
    path = folder / f"verify-{name}.png"
    path.write_bytes(base64.b64decode(data))
    return path


def _assert_fits(m: dict, what: str) -> None:
    assert m["scrollY"] == 0 and m["pageHeight"] <= m["height"], (what, m)
    assert m["pageWidth"] <= m["width"], (what, m)
    assert 0 <= m["top"] and m["bottom"] <= m["height"], (what, m)
    assert 0 <= m["left"] and m["right"] <= m["width"], (what, m)
    assert not m["clipped"] and m["visible"], (what, m)


def test_verdicts_fit_the_phone_and_the_tablet(office, start_browser, tmp_path):
    folder = Path(os.environ.get("HUICUI_VERIFY_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    rider = office.member("欧阳晓明")
    enrollment = office.device(office.venue(fail_mode="open"))
    text = enrollment["enrollment"]["text"]
    secret = parse_qs(urlsplit(text).fragment)["enroll"][0]

    video = write_y4m(card_image(None), tmp_path / "blank.y4m")
    browser = start_browser(office.url + "/verify/", video)
    browser.wait_for("document.documentElement.dataset.state === 'enroll'",
                     what="the enrollment form")
    _size(browser, "phone")
    _shot(browser, folder, "enroll-phone")
    browser.evaluate(
        "(() => { document.getElementById('enroll-code').value = '" + secret + "';"
        " document.getElementById('enroll-fp').value = '"
        + enrollment["fingerprint"].replace("-", "").lower() + "';"
        " document.getElementById('enroll-form').requestSubmit(); })()")
    ready(browser)

    shots = []
    for state, reason in (("accepted", "ok"), ("refused", "limit_reached")):
        for size in SIZES:
            _size(browser, size)
            shown = type_code(browser, rider["text"])
            assert shown["reason"] == reason or (state == "refused" and shown["reason"]), shown
            assert state in shown["cls"], shown
            # This member has no ID document on file (the card carries "-"): said in words.
            assert "未登记证件 no ID on file" in shown["text"], shown
            assert "证件后四位 -" not in shown["text"], shown
            m = browser.evaluate(MEASURE)
            shots.append(_shot(browser, folder, f"{state}-{size}"))
            _assert_fits(m, f"{state} on the {size}")

    # Eight days later (the data lives seven): out of date; this venue fails open.
    browser.send("Page.enable")
    browser.send("Page.addScriptToEvaluateOnNewDocument", source=(
        "(() => { const real = Date.now.bind(Date);"
        " Date.now = () => real() + 8 * 86400 * 1000; })()"))
    browser.send("Network.enable")
    browser.send("Network.emulateNetworkConditions", offline=True, latency=0,
                 downloadThroughput=-1, uploadThroughput=-1)  # no sync to rescue it
    browser.evaluate("window.beforeReload = true")
    browser.send("Page.reload", ignoreCache=False)
    browser.wait_for("!window.beforeReload && document.documentElement.dataset.state === 'stale'",
                     timeout=30,
                     what="the page with out-of-date data")
    for size in SIZES:
        _size(browser, size)
        shown = type_code(browser, rider["text"])
        assert "accepted" in shown["cls"] and "核验数据已过期" in shown["text"], shown
        m = browser.evaluate(MEASURE)
        shots.append(_shot(browser, folder, f"stale-{size}"))
        _assert_fits(m, f"stale on the {size}")
        warning = m["warning"]
        assert warning and "stale" in warning["cls"].split(), m
        assert "已过期" in warning["text"] and "out of date since" in warning["text"]
        assert "过期后仍放行并提示" in warning["text"]  # the venue's fail mode
        assert warning["bottom"] <= m["height"]
    assert all(p.stat().st_size > 5000 for p in shots)
