"""12. The browser verifier page (/verify/) in headless Chromium: camera frame to verdict,
and the JavaScript engine's decisions against JavaScript Ed25519 verifications.

The page's built files (``huicui_verifier/webapp/verify/``) are served from 127.0.0.1 by
a plain file server; the page is given a device state (the bench bundle, as enrollment
would store it) in its IndexedDB and its clock is set to the bench's ``NOW``. Chromium's
fake camera plays a Y4M of 1280×720 frames made like ``camera_frame.py``'s (a printed
card, scaled, rotated, blurred, noisy). Linux Chromium has no BarcodeDetector, so the
page reads with zxing-wasm, as a phone without one would.

- **latency**: with the repeat window off (``?repeat_window=0``) every camera frame is
  read, decided, committed to IndexedDB and shown; the page times each from the moment it
  took the frame to the next animation frame after the verdict was put on screen.
- **ratio**: in the same page, the engine's ``decide`` (no log) against
  ``crypto.subtle.verify`` of the same Sig_structure, interleaved in rounds.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchlib import (
    ISSUER_LABEL,
    KID,
    NOW_TS,
    Bench,
    NotMeasured,
    Outcome,
    make_bundle,
    median,
    percentile,
    seeded_key,
    typical_claims,
)

NAME = "webverify"
TITLE = "Browser verifier page: camera frame → verdict (headless Chromium); JS decide vs Ed25519"
TARGET_P99_MS = 150.0
WEBAPP = Path(__file__).resolve().parents[1] / "verifier" / "huicui_verifier" / "webapp"

# Decide against raw verify, `per` each, `rounds` times; the order alternates per round.
RATIO_SCRIPT = """(async () => {
  const e = await import('/engine.js');
  const hex = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
  const files = %(files)s;
  const b = await e.bundle.openBundle(hex(files.snapshot), hex(files.heartbeat),
                                      hex(files.profile), {pinnedKey: hex(files.pinned)});
  const text = %(text)s, now = %(now)d;
  const none = () => [];
  const first = await e.decide.decide(text, {bundle: b, now, historyLookup: none});
  if (!first.accepted) throw new Error('refused: ' + first.reason);
  const d = e.hb1.decode(text);
  const key = b.publicKeys.values().next().value.key;
  const message = e.cose.sigStructure(d.protected, d.payload);
  const rate = async (fn, n) => { const t = performance.now();
    for (let i = 0; i < n; i++) await fn(); return n / ((performance.now() - t) / 1000); };
  const decide = () => e.decide.decide(text, {bundle: b, now, historyLookup: none});
  const raw = () => crypto.subtle.verify('Ed25519', key, d.signature, message);
  const out = {ratios: [], decide: [], raw: [], backend: await e.cose.ed25519Backend()};
  for (let i = 0; i < %(rounds)d; i++) {
    let dr, rr;
    if (i %% 2 === 0) { dr = await rate(decide, %(per)d); rr = await rate(raw, %(per)d); }
    else { rr = await rate(raw, %(per)d); dr = await rate(decide, %(per)d); }
    out.ratios.push(dr / rr); out.decide.push(dr); out.raw.push(rr);
  }
  return out;
})()"""


def _chromium() -> str:
    path = os.environ.get("HUICUI_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if not path:
        raise NotMeasured("Chromium is not installed (apt-get install chromium)")
    return path


def _y4m(jpegs: list[bytes], path: Path, repeat: int) -> None:
    """A 4:2:0 Y4M (full-range, ``C420jpeg``) of the frames, each shown ``repeat`` times."""
    from PIL import Image

    with open(path, "wb") as f:
        for i, data in enumerate(jpegs):
            img = Image.open(io.BytesIO(data)).convert("YCbCr")
            w, h = img.width // 2 * 2, img.height // 2 * 2
            if i == 0:
                f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
            y, cb, cr = img.crop((0, 0, w, h)).split()
            planes = y.tobytes() + b"".join(
                p.resize((w // 2, h // 2), Image.BOX).tobytes() for p in (cb, cr))
            for _ in range(repeat):
                f.write(b"FRAME\n" + planes)


class _Files(SimpleHTTPRequestHandler):
    """The page under /verify/, the engine at /engine.js; nothing else (the API is absent:
    the page's sync fails quietly, as offline)."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".webmanifest": "application/manifest+json", ".js": "text/javascript"}

    def log_message(self, *args) -> None:
        pass


class _Page:
    """One Chromium page over the DevTools protocol."""

    def __init__(self, chromium: str, video: Path, workdir: Path) -> None:
        import websocket

        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             f"--user-data-dir={workdir / 'profile'}", "--use-fake-ui-for-media-stream",
             "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}",
             f"--remote-debugging-port={port}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    pages = [t for t in json.loads(r.read()) if t.get("type") == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError("Chromium's DevTools did not come up")
            time.sleep(0.2)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=120,
                                              suppress_origin=True)
        self._id = 0

    def send(self, method: str, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def run(self, expression: str):
        res = self.send("Runtime.evaluate", expression=expression, awaitPromise=True,
                        returnByValue=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait(self, expression: str, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.run(expression)
            except RuntimeError:
                value = None
            if value:
                return value
            time.sleep(0.2)
        raise RuntimeError(f"timed out waiting for {expression}")

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)


def run(bench: Bench) -> Outcome:
    from camera_frame import make_frame
    from huicui_verifier import cose, hb1

    chromium = _chromium()
    try:
        import websocket  # noqa: F401
    except ImportError as exc:
        raise NotMeasured("websocket-client is not installed (make install-test)") from exc
    if not (WEBAPP / "verify" / "app.js").exists():
        raise NotMeasured("the page is not built (make web)")

    out = Outcome(NAME, TITLE)
    text = hb1.encode(typical_claims(), seeded_key(ISSUER_LABEL), KID)
    (snapshot, heartbeat, profile), pinned = make_bundle()
    files = {"snapshot": snapshot.hex(), "heartbeat": heartbeat.hex(),
             "profile": profile.hex(), "pinned": pinned.hex()}
    rng = random.Random(20261130)
    samples = bench.size(300, 40)
    task = bench.task("verifier page in Chromium: frames → verdicts", samples + 1)

    with tempfile.TemporaryDirectory(prefix="huicui-webverify-") as tmp:
        work = Path(tmp)
        video = work / "cards.y4m"
        _y4m([make_frame(text, rng)[0] for _ in range(4)], video, repeat=3)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Files, directory=str(WEBAPP)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        page = _Page(chromium, video, work)
        try:
            page.send("Page.enable")
            # The page's clock is the bench's NOW (its bundle and card are made for it).
            page.send("Page.addScriptToEvaluateOnNewDocument", source=(
                "(() => { const real = Date.now.bind(Date), start = real();"
                f" Date.now = () => {NOW_TS * 1000} + (real() - start); }})()"))
            page.send("Page.navigate", url=f"{base}/verify/?repeat_window=0&sync_every=3600")
            page.wait("window.huicuiVerify && document.documentElement.dataset.ready", 60)
            state = {"server": base, "token": "hcd_bench", "deviceId": 1, "venue": 501,
                     "program": "BH", "checkedAt": NOW_TS, "expectedFingerprint": ""}
            page.run(
                "(() => { const hex = (h) => new Uint8Array(h.match(/../g).map("
                "(x) => parseInt(x, 16))); const f = " + json.dumps(files) + ";"
                " return huicuiVerify.log.saveState({...(" + json.dumps(state) + "),"
                " pinnedKey: hex(f.pinned), snapshot: hex(cose_payload(f.snapshot)),"
                " heartbeat: hex(f.heartbeat), profile: hex(f.profile)}); })()".replace(
                    "cose_payload(f.snapshot)",
                    json.dumps(cose.parse(snapshot).payload.hex())))
            page.send("Page.reload")
            page.wait("window.huicuiVerify && huicuiVerify.bundle", 60)
            task.advance()
            deadline = time.monotonic() + max(120, samples)
            got = 0
            while got < samples + 5 and time.monotonic() < deadline:
                time.sleep(0.5)
                got = page.run("huicuiVerify.latencies.length")
                task.update(min(got, samples) + 1)
            latencies = page.run("huicuiVerify.latencies.slice(5)")  # the first warm the JIT
            reader = page.run("document.documentElement.dataset.reader")
            verdicts = page.run("huicuiVerify.log.all().then(r => r.map(x => x.reason))")
            ratio = page.run(RATIO_SCRIPT % {"files": json.dumps(files), "text": json.dumps(text),
                                             "now": NOW_TS, "rounds": bench.size(12, 4),
                                             "per": bench.size(400, 100)})
        finally:
            page.close()
            server.shutdown()
    task.done()
    if len(latencies) < 10:
        raise RuntimeError(f"only {len(latencies)} frames decided; the page could not read")

    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    out.add("frame → verdict p50", round(p50, 1), "ms")
    out.add("frame → verdict p99", round(p99, 1), "ms", TARGET_P99_MS, "<=")
    out.add("frames decided", len(latencies), "", note=f"QR reader: {reader}")
    out.add("JS decide / JS Ed25519 verify (median of rounds)", round(median(ratio["ratios"]), 3))
    out.add("JS decisions per second (median)", round(median(ratio["decide"])), "/s")
    out.add("JS Ed25519 verifications per second (median)", round(median(ratio["raw"])), "/s",
            note=f"backend: {ratio['backend']}")
    out.details = {
        "latency_ms": {"p50": p50, "p90": percentile(latencies, 90), "p99": p99,
                       "max": max(latencies), "n": len(latencies)},
        "reader": reader,
        "verdicts": {r: verdicts.count(r) for r in set(verdicts)},
        "ratio_rounds": ratio,
    }
    out.notes.append(
        "Each frame is read by zxing-wasm (the page downscales to 800 px wide), decided, "
        "committed to IndexedDB with strict durability and shown; the verdicts after the "
        "first are limit refusals (one entry a day), which run every check of an accepted "
        "card. A phone with BarcodeDetector reads without the WebAssembly reader.")
    return out
