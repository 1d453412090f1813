"""Fixtures for the kiosk tests: a device home, card images and videos, the kiosk process,
and headless Chromium driven through the DevTools protocol.

Chromium is Debian's package (``apt-get install chromium``). Without it the browser tests
skip and say why, unless ``HUICUI_REQUIRE_BROWSER=1`` (CI), which makes that a failure.
"""

from __future__ import annotations

import io
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import segno
from huicui_test_support import vectors_kit
from PIL import Image, ImageDraw

kit = vectors_kit()

# The bus venue: benefit 3 (free, no limit, no opening hours), so a test at any hour of
# the real clock gets "accepted", and only the debounce keeps a held card to one record.
BUS_VENUE = kit.BUS_VENUE


class Live:
    """Bundles and certificates valid around the real clock (the kiosk reads the clock)."""

    def __init__(self) -> None:
        self.now = int(time.time())

    def bundle(self, **over):
        """Signed snapshot, heartbeat and profile (``BundleFiles``) valid around now."""
        fields = {"iat": self.now - kit.DAY, "exp": self.now + 6 * kit.DAY, "venue": BUS_VENUE}
        fields.update(over)
        return kit.make_files(**fields)

    def cert(self, **over) -> str:
        fields = {"iat": self.now - 30 * kit.DAY, "exp": self.now + 300 * kit.DAY}
        fields.update(over)
        return kit.make_cert(**fields)


@pytest.fixture
def gen():
    """The vector kit: keys, times, builders."""
    return kit


@pytest.fixture
def live() -> Live:
    return Live()


def save_bundle(home: Path, files, *, at: int | None = None) -> None:
    """Put bundle files into a device home as ``huicui-verify load`` would (pinning its key),
    as if loaded at ``at`` (default now): files whose heartbeat has since expired were
    loaded while it was valid."""
    from huicui_verifier.catchup import DirectorySource, catch_up, profile_name
    from huicui_verifier.device import DeviceHome

    at = int(time.time()) if at is None else at
    dev = DeviceHome(home)
    if dev.pinned_key is None:
        kit.install(home, files, now=at)
        return
    folder = files.write(Path(tempfile.mkdtemp(prefix="bundle-files-")))
    state = dev.state()
    caught = catch_up(
        DirectorySource(folder),
        held=dev.held(),
        pinned_key=dev.pinned_key,
        program=state.get("program"),
        venue=state.get("venue"),
        profile_file=profile_name(state["venue"]),
        now=kit.at(at),
    )
    dev.save(caught, loaded_at=at)


@pytest.fixture
def home(tmp_path: Path, live: Live) -> Path:
    """A device home holding a live bundle for the bus venue."""
    path = tmp_path / "verifier-home"
    path.mkdir()
    save_bundle(path, live.bundle())
    return path


def log_rows(home: Path, cti: bytes | None = None) -> list[tuple[str, str]]:
    """(decision, reason) rows of the device log, for one certificate id or all."""
    import sqlite3

    if not (home / "log.sqlite").exists():  # the kiosk opens the log at its first decision
        return []
    db = sqlite3.connect(home / "log.sqlite")
    try:
        if cti is None:
            return list(db.execute("SELECT decision, reason FROM decisions ORDER BY rowid"))
        return list(
            db.execute(
                "SELECT decision, reason FROM decisions WHERE cti = ? ORDER BY rowid", (cti.hex(),)
            )
        )
    finally:
        db.close()


# --- card images and the fake camera's video -------------------------------------------


def card_image(text: str | None, *, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like frame: a white card on a dark desk, its QR (with margin) slightly scaled
    by a non-integer factor and the card a little rotated, as a real camera sees it."""
    w, h = size
    frame = Image.new("RGB", size, (70, 78, 88))
    card = Image.new("RGB", (int(w * 0.72), int(h * 0.8)), (250, 250, 246))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, card.width, int(card.height * 0.12)), fill=(178, 34, 34))
    draw.text((12, 8), "HUICUI BEIHAI  honor certificate", fill=(255, 255, 255))
    draw.text((12, card.height - 22), "Li Xiaoming  ***123X", fill=(40, 40, 40))
    if text is not None:
        buf = io.BytesIO()
        segno.make(text, error="m").save(buf, kind="png", scale=1, border=4)
        qr = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
        side = int(card.height * 0.72)  # ~5.5 px per module for a version-8 code
        qr = qr.resize((side, side), Image.BILINEAR)
        card.paste(qr, ((card.width - side) // 2, int(card.height * 0.15)))
    card = card.rotate(2.5, resample=Image.BICUBIC, expand=True, fillcolor=(70, 78, 88))
    frame.paste(card, ((w - card.width) // 2 + 6, (h - card.height) // 2 - 4))
    return frame


def jpeg(img: Image.Image, quality: int = 85) -> bytes:
    """The image as JPEG bytes, as the page's canvas sends them."""
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def write_y4m(img: Image.Image, path: Path, frames: int = 5) -> Path:
    """A Y4M video (YUV 4:2:0, ``C420jpeg``) of ``frames`` identical frames of ``img``.

    Full-range YCbCr (JPEG's, which is what Pillow converts to) with each chroma plane
    averaged over 2×2 blocks.
    """
    img = img.convert("RGB")
    w, h = img.width // 2 * 2, img.height // 2 * 2
    img = img.crop((0, 0, w, h))
    y, cb, cr = img.convert("YCbCr").split()
    cb = cb.resize((w // 2, h // 2), Image.BOX)
    cr = cr.resize((w // 2, h // 2), Image.BOX)
    frame = b"FRAME\n" + y.tobytes() + cb.tobytes() + cr.tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F5:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(frame)
    return path


# --- processes ---------------------------------------------------------------------------


def stop_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """End a process started with ``start_new_session=True`` and everything it spawned."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # Children (Chromium's renderers, zygote) may outlive their parent: end the group.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` is still running (zombies aside)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


class KioskProcess:
    """``huicui-verify kiosk --port 0`` as a real process."""

    def __init__(self, home: Path, *extra: str) -> None:
        self.home = home
        self.stderr_path = home.parent / "kiosk.stderr"
        self._stderr = open(self.stderr_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "huicui_verifier", "--home", str(home)),
                *("kiosk", "--port", "0", *extra),
            ],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.url = self._read_url(timeout=20)
        self.hostport = self.url.split("//", 1)[1].rstrip("/")

    def _read_url(self, timeout: float) -> str:
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        line = b""
        try:
            while time.monotonic() < deadline and not line.endswith(b"\n"):
                if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                    break
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
        finally:
            sel.close()
        found = re.search(rb"http://[^\s]+", line)
        if not found:
            self.stop()
            raise AssertionError(
                f"kiosk did not start: {line!r} {self.stderr_path.read_text(errors='replace')}"
            )
        return found.group().decode()

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url.rstrip("/") + path, timeout=5) as res:
            return json.loads(res.read())

    def stop(self) -> None:
        stop_group(self.proc)
        self._stderr.close()
        assert not group_alive(self.proc.pid), "kiosk process group left running"


@pytest.fixture
def start_kiosk():
    """Start kiosk processes; all are stopped (whole process group) at teardown."""
    started: list[KioskProcess] = []

    def start(home: Path, *extra: str) -> KioskProcess:
        k = KioskProcess(home, *extra)
        started.append(k)
        return k

    yield start
    for k in started:
        k.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_chromium() -> str | None:
    """The Chromium binary: ``$HUICUI_CHROMIUM``, else ``chromium`` on PATH."""
    env = os.environ.get("HUICUI_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        reason = (
            "Chromium is not installed (apt-get install chromium, or set HUICUI_CHROMIUM); "
            "the kiosk page tests need a real browser"
        )
        if os.environ.get("HUICUI_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and HUICUI_REQUIRE_BROWSER=1 makes that a failure")
        pytest.skip(reason)
    return path


class Browser:
    """Headless Chromium with a fake camera showing ``video``, driven over DevTools."""

    def __init__(
        self,
        chromium: str,
        url: str,
        video: Path,
        workdir: Path,
        extra: tuple[str, ...] = (),
        profile: Path | None = None,
    ) -> None:
        import websocket  # websocket-client

        # A given profile outlives the browser (a restart keeps its storage); else a new one.
        self.keep_profile = profile is not None
        self.profile = profile or Path(tempfile.mkdtemp(prefix="chromium-", dir=workdir))
        self.port = free_port()
        self.log_path = workdir / "chromium.log"
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={self.profile}",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
                f"--remote-debugging-port={self.port}",
                *extra,
                url,
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._id = 0
        try:
            ws_url = self._page_socket(url, timeout=30)
            # Chromium refuses DevTools sockets that carry an Origin it was not told to allow.
            self.ws = websocket.create_connection(ws_url, timeout=15, suppress_origin=True)
        except BaseException:
            self.stop()
            raise

    def _page_socket(self, url: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/json/list", timeout=2
                ) as res:
                    targets = json.loads(res.read())
                for t in targets:
                    if t.get("type") == "page" and t.get("url", "").startswith(url):
                        return t["webSocketDebuggerUrl"]
                last = targets
            except OSError as exc:
                last = exc
            time.sleep(0.2)
        log = self.log_path.read_text(errors="replace")[-2000:]
        raise AssertionError(f"Chromium's DevTools did not come up: {last!r}\n{log}")

    def send(self, method: str, **params) -> dict:
        """One DevTools command; events that arrive meanwhile are skipped."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
        raise AssertionError(f"{method}: no answer")

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page."""
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in res:
            raise AssertionError(f"page script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0, what: str = ""):
        """Poll ``expression`` until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        problem = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except AssertionError as exc:  # the page may still be loading
                problem = exc
            else:
                if value:
                    return value
            time.sleep(0.25)
        page = self.evaluate("document.body ? document.body.innerText : ''")
        raise AssertionError(
            f"timed out waiting for {what or expression}; page shows:\n{page}\n{problem or ''}"
        )

    def stop(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        stop_group(self.proc)
        self._log.close()
        # A killed renderer or storage process may still be finishing a disk write (the
        # holder page's IndexedDB asks for strict durability): give the group a moment.
        deadline = time.monotonic() + 10
        while group_alive(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not group_alive(self.proc.pid), "Chromium process group left running"
        if not self.keep_profile:
            shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def start_browser(chromium_path, tmp_path):
    """Start headless Chromium on a URL with a fake camera video (and ``extra`` switches);
    stopped at teardown."""
    started: list[Browser] = []

    def start(url: str, video: Path, *extra: str, profile: Path | None = None) -> Browser:
        b = Browser(chromium_path, url, video, tmp_path, extra, profile)
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()


@pytest.fixture
def office(db, tmp_path):
    """The real service (``huicui serve``) and the office's API calls, for the /verify/ page."""
    from verify_kit import start_office

    yield from start_office(tmp_path)
