"""Every kiosk verdict fits a 1024×768 tablet and a 360×640 phone without scrolling, and a
repeated scan is visibly marked (issue 13, new-user item 9), in real headless Chromium
with the CJK fonts a venue's tablet has.

Screenshots of each case are written to ``$HUICUI_KIOSK_SHOTS`` when it is set, so a
person can look at them (the test itself measures the layout)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import msgspec
import pytest
from conftest import BUS_VENUE, card_image, save_bundle, write_y4m
from huicui_verifier.policy import Policy

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (360, 640)]

# Where the verdict is, whether the page scrolled, and whether anything inside the panel
# is cut off (a child that reaches below the panel's inner bottom).
MEASURE = """(() => {
  if (document.fonts.status !== 'loaded') return null;  // measure with the real fonts
  const r = document.getElementById('result');
  const box = r.getBoundingClientRect();
  const inner = box.bottom - parseFloat(getComputedStyle(r).borderBottomWidth);
  const lowest = Math.max(...[...r.children].map((c) => c.getBoundingClientRect().bottom));
  return {cls: r.className, text: r.innerText, seq: r.dataset.seq || '',
          top: box.top, bottom: box.bottom, left: box.left, right: box.right,
          lowest: lowest, inner: inner, scrollY: window.scrollY,
          height: window.innerHeight, width: window.innerWidth,
          clipped: r.scrollHeight > r.clientHeight + 1};
})()"""


def _worst_case_bundle(live, gen):
    """The bus venue with the longest accepted screen: a discount, two companions, a policy
    message, and out-of-date data (fail open), so a warning shows too: a newer version
    than the home's, whose heartbeat ran out a day ago."""
    longest = Policy(
        effect="discount",
        percent_off=20,
        companions=2,
        message_zh="请出示身份证原件并在登记簿上签名",
        message_en="Show the original ID card and sign the register",
    )
    table = tuple(
        msgspec.structs.replace(b, policy=longest) if b.code == 3 else b
        for b in gen.benefit_table()
    )
    return live.bundle(
        benefits=table,
        version=8,
        iat=live.now - 9 * gen.DAY,
        exp=live.now - gen.DAY,
        venue=BUS_VENUE,
    )


def _submit(browser, text: str) -> None:
    browser.evaluate(
        f"(() => {{ document.getElementById('wedge').value = {json.dumps(text)};"
        " document.getElementById('wedge-form').requestSubmit(); })()"
    )


def _shot(browser, name: str) -> None:
    folder = os.environ.get("HUICUI_KIOSK_SHOTS")
    if folder:
        data = browser.send("Page.captureScreenshot", format="png")["data"]
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.png").write_bytes(base64.b64decode(data))


def _assert_fits(m: dict, what: str) -> None:
    assert m["scrollY"] == 0, (what, m)
    assert m["top"] >= 0 and m["left"] >= 0, (what, m)
    assert m["bottom"] <= m["height"] and m["right"] <= m["width"], (what, m)
    assert m["lowest"] <= m["inner"] + 1 and not m["clipped"], (what, m)


def test_every_verdict_fits_both_screens_and_a_repeat_is_marked(
    tmp_path, home, live, gen, start_kiosk, start_browser
):
    # Taken two days ago, while its heartbeat was still valid.
    save_bundle(home, _worst_case_bundle(live, gen), at=live.now - 2 * gen.DAY)
    kiosk = start_kiosk(home)
    browser = start_browser(kiosk.url, write_y4m(card_image(None), tmp_path / "blank.y4m"))
    browser.wait_for("document.getElementById('bundle').dataset.version", what="the status")
    name = "阿卜杜热合曼·买买提明"
    for width, height in SIZES:
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        cti = (0xF1700000 + width).to_bytes(8, "big")
        card = live.cert(cti=cti, name=name)
        damaged = card[:-7] + "GG"  # a Huicui code cut short: the longest refusal detail
        seen = browser.evaluate("document.getElementById('result').dataset.seq || ''")
        _submit(browser, card)
        m = browser.wait_for(
            f"(() => {{ const m = {MEASURE}; return m && m.seq && m.seq !== '{seen}' && m; }})()",
            what="the accepted verdict",
        )
        assert "accepted" in m["cls"].split() and name in m["text"], m
        assert "可携同行 2 人" in m["text"] and "请出示身份证原件" in m["text"], m
        assert "核验数据已过期" in m["text"], m  # the warning is on screen too
        assert "重复" not in m["text"]
        _shot(browser, f"accepted-{width}x{height}")
        _assert_fits(m, f"accepted at {width}x{height}")

        # The same card again: one redemption, and the screen says it is a repeat.
        _submit(browser, card)
        m = browser.wait_for(
            f"(() => {{ const m = {MEASURE}; return m && m.cls.includes('repeat') && m; }})()",
            what="the repeat marking",
        )
        assert "重复扫码，未再次计次" in m["text"] and "Repeat: not counted again" in m["text"]
        assert m["text"].index("重复扫码") < m["text"].index("通过")  # on top, first read
        _shot(browser, f"repeat-{width}x{height}")
        _assert_fits(m, f"repeat at {width}x{height}")
        assert kiosk.get("/api/status")["counters"]["repeats"] >= 1

        seen = m["seq"]
        _submit(browser, damaged)
        m = browser.wait_for(
            f"(() => {{ const m = {MEASURE}; return m && m.seq && m.seq !== '{seen}' && m; }})()",
            what="the refusal",
        )
        assert "refused" in m["cls"].split() and "已损坏" in m["text"], m
        _shot(browser, f"refused-{width}x{height}")
        _assert_fits(m, f"refused at {width}x{height}")
