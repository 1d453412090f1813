"""The kiosk page in real headless Chromium, with a fake camera showing a card.

Each test runs the real ``huicui-verify kiosk`` process and a real browser; the page
reads its camera, posts JPEG frames, and the DOM is read over the DevTools protocol.
"""

from __future__ import annotations

import time

import pytest
from conftest import card_image, log_rows, save_bundle, write_y4m

pytestmark = pytest.mark.browser

RESULT = """(() => {
  const r = document.getElementById('result');
  return {cls: r.className, text: r.innerText, reason: r.dataset.reason || '',
          seq: r.dataset.seq || '', hidden: r.hidden};
})()"""


def result_when(browser, cls: str, timeout: float = 30.0) -> dict:
    """The result element once its class list holds ``cls``."""
    return browser.wait_for(
        f"(() => {{ const r = {RESULT}; return r.cls.split(' ').includes('{cls}') && r; }})()",
        timeout=timeout,
        what=f"a result marked {cls}",
    )


def test_valid_card_is_accepted_once_despite_many_frames(
    tmp_path, home, live, gen, start_kiosk, start_browser
):
    cert = live.cert()
    video = write_y4m(card_image(cert), tmp_path / "card.y4m")
    kiosk = start_kiosk(home)
    browser = start_browser(kiosk.url, video)

    shown = result_when(browser, "accepted")
    text = shown["text"]
    assert "通过" in text and "Accepted" in text
    assert "李晓明" in text and "123X" in text
    assert "核对姓名与证件后四位" in text and "Check name and last four of ID" in text
    assert "免费" in text and "Free" in text  # what the holder gets
    assert text.index("通过") < text.index("Accepted")  # Chinese first

    # The card stays in front of the camera: frames keep coming, each a repeat.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        counters = kiosk.get("/api/status")["counters"]
        if counters["repeats"] >= 8:
            break
        time.sleep(0.3)
    assert counters["repeats"] >= 8, counters
    assert counters["decisions"] == 1
    assert log_rows(home, gen.CTI) == [("accept", "ok")]
    assert log_rows(home) == [("accept", "ok")]


def test_revoked_card_is_refused_with_the_reason(
    tmp_path, home, live, gen, start_kiosk, start_browser
):
    # The live bundle lists REVOKED_CTI among its revoked certificates.
    cert = live.cert(cti=gen.REVOKED_CTI)
    video = write_y4m(card_image(cert), tmp_path / "revoked.y4m")
    kiosk = start_kiosk(home)
    browser = start_browser(kiosk.url, video)

    shown = result_when(browser, "refused")
    assert shown["reason"] == "revoked"
    text = shown["text"]
    assert "拒绝" in text and "Refused" in text
    assert "撤销" in text and "revoked" in text.lower()
    assert "通过" not in text
    assert log_rows(home, gen.REVOKED_CTI) == [("refuse", "revoked")]


def test_keyboard_wedge_field_decides_and_bundle_age_is_visible(
    tmp_path, home, live, gen, start_kiosk, start_browser
):
    video = write_y4m(card_image(None), tmp_path / "blank.y4m")  # a camera that sees no code
    kiosk = start_kiosk(home)
    browser = start_browser(kiosk.url, video)

    # When the device took its data (here: from a file, just now) is on screen, in both
    # languages; the bundle's own age (a day) is not what staff need to read.
    bar = browser.wait_for(
        """(() => { const b = document.getElementById('bundle');
            const r = b.getBoundingClientRect(); const s = getComputedStyle(b);
            return b.dataset.version && {text: b.innerText, cls: b.className,
              visible: r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
                       && s.display !== 'none'}; })()""",
        what="the bundle status",
    )
    assert bar["visible"]
    assert "版本 v7" in bar["text"] and "version 7" in bar["text"]
    assert "从文件加载于 刚刚" in bar["text"] and "loaded from a file just now" in bar["text"]
    assert "24 小时" not in bar["text"] and "24 h" not in bar["text"]
    assert "过期后仍放行并提示" in bar["text"]  # the venue's fail mode
    assert "fresh" in bar["cls"].split()

    # The scanner field has the focus without anyone touching the page.
    browser.wait_for("document.activeElement && document.activeElement.id === 'wedge'")
    cert = live.cert()
    browser.send("Input.insertText", text=cert)
    for kind in ("keyDown", "keyUp"):
        browser.send(
            "Input.dispatchKeyEvent",
            type=kind,
            key="Enter",
            code="Enter",
            windowsVirtualKeyCode=13,
            nativeVirtualKeyCode=13,
            **({"text": "\r"} if kind == "keyDown" else {}),
        )
    shown = result_when(browser, "accepted")
    assert "李晓明" in shown["text"] and "123X" in shown["text"]
    assert browser.evaluate("document.getElementById('wedge').value") == ""
    assert log_rows(home, gen.CTI) == [("accept", "ok")]

    # Focus lost (a tap elsewhere): the scanner's first keystroke still lands in the field.
    browser.evaluate("document.getElementById('wedge').blur()")
    assert browser.evaluate("document.activeElement.id") != "wedge"
    for kind in ("keyDown", "keyUp"):
        browser.send(
            "Input.dispatchKeyEvent",
            type=kind,
            key="H",
            code="KeyH",
            windowsVirtualKeyCode=72,
            **({"text": "H"} if kind == "keyDown" else {}),
        )
    browser.wait_for("document.getElementById('wedge').value === 'H'", timeout=5)
    browser.evaluate("document.getElementById('wedge').value = ''")

    # Garbage from a scanner gives a refusal that says so, not a broken page.
    first_seq = shown["seq"]
    browser.evaluate(
        "(() => { const w = document.getElementById('wedge'); w.value = 'hello <b>x</b>';"
        " document.getElementById('wedge-form').requestSubmit(); })()"
    )
    shown = browser.wait_for(
        f"(() => {{ const r = {RESULT}; return r.seq !== '{first_seq}' && r; }})()",
        what="a second decision",
    )
    assert "refused" in shown["cls"] and shown["reason"] == "malformed"
    assert "无法识别的证书二维码" in shown["text"] and "<b>" not in shown["text"]
    assert "这不是荟萃证书" in shown["text"] and "Not a Huicui card" in shown["text"]

    # After about five seconds the page asks for the next code.
    result_when(browser, "idle", timeout=10)
    idle = browser.evaluate(RESULT)
    assert "请出示二维码" in idle["text"] and "Show your QR code" in idle["text"]

    # Phone size: nothing wider than the screen, the prompt still on it.
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        width=390,
        height=844,
        deviceScaleFactor=2,
        mobile=True,
    )
    widths = browser.evaluate(
        "({page: document.documentElement.scrollWidth,"
        " result: document.getElementById('result').getBoundingClientRect().width,"
        " field: document.getElementById('wedge').getBoundingClientRect().right})"
    )
    assert widths["page"] <= 390 and widths["field"] <= 390, widths
    assert widths["result"] > 300, widths

    # A stale bundle (synced in by another process) turns the bar to its warning state.
    save_bundle(
        home,
        live.bundle(version=8, iat=live.now - 10 * gen.DAY, exp=live.now - 3 * gen.DAY),
        at=live.now - 5 * gen.DAY,
    )
    browser.send("Page.reload", ignoreCache=True)
    bar = browser.wait_for(
        """(() => { const b = document.getElementById('bundle');
            return b.dataset.version === '8' && {text: b.innerText, cls: b.className}; })()""",
        what="the stale bundle's status",
    )
    assert "stale" in bar["cls"].split()
    assert "已过期（" in bar["text"] and "out of date since" in bar["text"]


def test_page_without_a_bundle_says_not_enrolled(tmp_path, start_kiosk, start_browser):
    empty = tmp_path / "empty-home"
    empty.mkdir()
    video = write_y4m(card_image(None), tmp_path / "blank.y4m")
    kiosk = start_kiosk(empty)
    browser = start_browser(kiosk.url, video)
    state = browser.wait_for(
        """(() => { const n = document.getElementById('not-enrolled');
            return document.documentElement.dataset.state === 'no_bundle' && !n.hidden
              && {text: n.innerText, bar: document.getElementById('bundle').innerText,
                  resultHidden: document.getElementById('result').hidden}; })()""",
        what="the not-enrolled state",
    )
    assert "本设备尚未登记" in state["text"] and "not enrolled" in state["text"]
    assert "huicui-verify enroll" in state["text"]
    assert "本设备尚未加载核验数据" in state["bar"]
    assert state["resultHidden"]
