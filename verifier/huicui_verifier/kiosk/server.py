"""The kiosk's local HTTP server: the page, its assets, and the decision endpoints.

Built on the standard library's ``http.server`` (``ThreadingHTTPServer``) rather than a
web framework on purpose: a venue tablet or counter PC installs as little as possible,
often with no network to fetch more, and this server answers one browser on the same
machine. Nothing here needs routing, templates or async I/O.

Endpoints: ``GET /`` (the page), ``GET /static/<asset>``, ``GET /api/status`` (the
bundle's age and state), ``POST /api/frame`` (a JPEG camera frame), ``POST /api/scan``
(``{"text": ...}`` from a keyboard-wedge scanner). Every answer is JSON with
``Cache-Control: no-store``, so a holder's name never sits in the browser's cache.
"""

from __future__ import annotations

import io
import ipaddress
import json
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from socket import AF_INET6
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from .. import hb2
from ..bundle import Bundle, BundleError
from ..clock import last_valid_day, local_text
from ..decide import Decision
from ..device import DeviceHome
from ..gate import check_and_record, resolve_benefit
from ..image import ImageError, read_qr
from ..reasons import REASONS
from .debounce import RecentCodes

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
REPEAT_WINDOW = 10.0  # seconds a code must be out of sight before it counts again
MAX_FRAME_BYTES = 3 * 1024 * 1024  # a 1280-wide JPEG from the page is 100-400 KB
MAX_FRAME_SIDE = 4096  # refuse decompression bombs before decoding any pixel
MAX_SCAN_BYTES = 4096  # an HB1 text is at most 1,025 characters

ERRORS: dict[str, tuple[str, str]] = {
    "bad_host": (
        "请求地址不符，已拒绝（请使用核验台显示的地址）",
        "Wrong Host header: open the address the kiosk printed",
    ),
    "bad_origin": ("来自其他网页的请求，已拒绝", "Request from another web page refused"),
    "not_found": ("没有这个地址", "No such address"),
    "method_not_allowed": ("不支持此请求方式", "Method not allowed"),
    "length_required": ("请求缺少长度", "Content-Length required"),
    "too_large": ("请求内容过大", "Request body too large"),
    "unsupported_media_type": ("内容类型不受支持", "Unsupported content type"),
    "bad_json": ("请求不是有效的 JSON", "Request body is not valid JSON"),
    "empty_text": ("没有收到二维码内容", "No code text received"),
    "unreadable_image": ("图像无法读取", "The image could not be read"),
    "image_too_large": ("图像尺寸过大", "Image dimensions too large"),
    "no_bundle": REASONS["no_bundle"],
    "bundle_error": (
        "本机核验数据无效，请重新同步或加载",
        "The held bundle no longer verifies: sync or load it again",
    ),
    "unknown_benefit": ("核验数据中没有指定的权益", "The chosen benefit is not in the bundle"),
    "bad_request": ("请求格式错误", "Malformed request"),
    "internal": ("核验台内部错误，请重试", "Kiosk internal error: try again"),
}

FAIL_MODES = {
    "open": ("过期后仍放行并提示", "when out of date: accept and warn"),
    "closed": ("过期后一律拒绝", "when out of date: refuse"),
}

STATIC = {
    "kiosk.js": "text/javascript; charset=utf-8",
    "kiosk.css": "text/css; charset=utf-8",
}

_ROUTES = frozenset(
    {"/", "/index.html", "/api/status", "/api/frame", "/api/scan"}
    | {f"/static/{n}" for n in STATIC}
)

# The page loads only its own assets and talks only to this server.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; media-src 'self' blob: mediastream:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class KioskError(Exception):
    """A request the kiosk answers with an error: HTTP ``status``, a ``code`` and zh/en text."""

    def __init__(self, status: int, code: str, detail: str = "") -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail

    def body(self) -> dict[str, Any]:
        """The JSON answer."""
        zh, en = ERRORS[self.code]
        out: dict[str, Any] = {"error": self.code, "message_zh": zh, "message_en": en}
        if self.detail:
            out["detail"] = self.detail
        return out


def _now() -> datetime:
    return datetime.now(UTC)


def decision_view(d: Decision, tz: str, *, seq: int) -> dict[str, Any]:
    """What the page shows of a decision: no certificate id, nothing personal but name and
    the ID document's last four characters."""
    return {
        "state": "decision",
        "seq": seq,
        "repeat": False,
        "accepted": d.accepted,
        "reason": d.reason,
        "message_zh": d.message_zh,
        "message_en": d.message_en,
        "reason_zh": REASONS[d.reason][0],
        "reason_en": REASONS[d.reason][1],
        "detail_zh": d.detail_zh,
        "detail_en": d.detail_en,
        "name": d.name,
        "id_last4": d.id_last4,
        "benefit_name_zh": d.benefit_name_zh,
        "benefit_name_en": d.benefit_name_en,
        "effect_zh": d.effect_zh,
        "effect_en": d.effect_en,
        "companions": d.companions if d.accepted else 0,
        "policy_message_zh": d.policy_message_zh,
        "policy_message_en": d.policy_message_en,
        "staff_check_zh": d.staff_check_zh,
        "staff_check_en": d.staff_check_en,
        "valid_until": last_valid_day(d.cert_exp, tz) if d.cert_exp is not None else None,
        # What was shown, so staff tell a live phone from a picture: "phone" with the
        # proof's age in seconds, or "static" (and whether to compare the ID document).
        "card": d.card,
        "proof_age": d.at - d.proof_at if d.proof_at is not None else None,
        "id_check": d.id_check,
        "warnings": [
            {"code": w.code, "message_zh": w.message_zh, "message_en": w.message_en}
            for w in d.warnings
        ],
    }


class Kiosk:
    """The kiosk's logic without HTTP: status, decide a text, decide a camera frame.

    Decisions are serialised by one lock, so two frames of the same card arriving together
    still give one redemption; each is durable in the device log before it is returned.
    """

    def __init__(
        self,
        home: DeviceHome,
        *,
        benefit: str | int | None = None,
        repeat_window: float = REPEAT_WINDOW,
        clock: Callable[[], datetime] = _now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Serve decisions for ``home``; ``benefit`` (slug or code) as in ``huicui-verify check``.

        Raises ValueError when ``benefit`` names no benefit of the bundle held now.
        """
        self.home = home
        self.benefit = benefit
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._recent: RecentCodes[dict[str, Any]] = RecentCodes(repeat_window)
        self._cache_key: tuple | None = None
        self._cached: tuple[Bundle | None, str | None] = (None, None)
        self._seq = 0
        self.counters = {"frames": 0, "no_code": 0, "decisions": 0, "repeats": 0}
        bundle, _ = self.bundle()
        if bundle is not None:
            resolve_benefit(bundle, benefit)

    def bundle(self) -> tuple[Bundle | None, str | None]:
        """The held bundle and None, or None and a problem code (``bundle_error``).

        Re-read only when its files change, so a ``huicui-verify sync`` run beside the
        kiosk takes effect at the next scan without re-verifying the bundle every frame.
        """
        files = (
            self.home.snapshot_file,
            self.home.heartbeat_file,
            self.home.profile_file,
            self.home.path / "device.json",
        )
        key = tuple(_stat(p) for p in files)
        if key != self._cache_key:
            try:
                self._cached = (self.home.held_bundle(self._clock()), None)
            except BundleError as exc:
                self._cached = (None, f"bundle_error:{exc.code}")
            self._cache_key = key
        return self._cached

    def status(self) -> dict[str, Any]:
        """The bundle's state and age for the page's header."""
        bundle, problem = self.bundle()
        common = {"counters": dict(self.counters), "repeat_window": self._recent.window}
        if problem is not None:
            zh, en = ERRORS["bundle_error"]
            return {
                "state": "bundle_error",
                "code": problem.split(":", 1)[1],
                "message_zh": zh,
                "message_en": en,
                **common,
            }
        if bundle is None:
            zh, en = REASONS["no_bundle"]
            return {"state": "no_bundle", "message_zh": zh, "message_en": en, **common}
        now_ts = int(self._clock().timestamp())
        venue, names = bundle.venue, bundle.snapshot.program_name
        fail_zh, fail_en = FAIL_MODES[venue.fail_mode]
        benefit = self._benefit_info(bundle)
        state = self.home.state()
        # Freshness is when the device last heard from the service (or took a file), not
        # the bundle's age: a bundle is made for a freshness slot that starts before it is
        # fetched, so a device enrolled a minute ago would read "updated 26 h ago".
        checked, loaded = state.get("checked_at"), state.get("loaded_at")
        if checked is not None and (loaded is None or checked >= loaded):
            source, since = "service", checked
        elif loaded is not None:
            source, since = "file", loaded
        else:
            source, since = "unknown", None
        return {
            "state": "ready",
            "version": bundle.version,
            "issued_at": local_text(bundle.checked_at, bundle.tz),
            "age_seconds": max(0, now_ts - bundle.checked_at),  # the data's age, not freshness
            "checked_source": source,
            "checked_at": local_text(since, bundle.tz) if since is not None else None,
            "checked_age_seconds": max(0, now_ts - since) if since is not None else None,
            "expires_at": local_text(bundle.fresh_until, bundle.tz),
            "stale": bundle.is_stale(now_ts),
            "fail_mode": venue.fail_mode,
            "fail_mode_zh": fail_zh,
            "fail_mode_en": fail_en,
            "program_zh": names.zh,
            "program_en": names.en,
            "venue_zh": venue.name_zh,
            # A venue without its own English name is shown once, not twice.
            "venue_en": "" if venue.name_en == venue.name_zh else venue.name_en,
            "benefit": benefit,
            **common,
        }

    def _benefit_info(self, bundle: Bundle) -> dict[str, Any] | None:
        try:
            code = resolve_benefit(bundle, self.benefit)
        except ValueError:
            return None
        info = bundle.benefits.get(code) if code is not None else None
        if info is None:
            return None
        return {"code": info.code, "slug": info.slug, "zh": info.name_zh, "en": info.name_en}

    def _ready_bundle(self) -> Bundle:
        bundle, problem = self.bundle()
        if problem is not None:
            raise KioskError(409, "bundle_error", problem.split(":", 1)[1])
        if bundle is None:
            raise KioskError(409, "no_bundle")
        return bundle

    def scan_text(self, text: str) -> dict[str, Any]:
        """Decide ``text`` and record it, or repeat the answer of a code seen moments ago."""
        text = text.strip()
        if not text:
            raise KioskError(400, "empty_text")
        with self._lock:
            bundle = self._ready_bundle()
            try:
                benefit = resolve_benefit(bundle, self.benefit)
            except ValueError as exc:
                raise KioskError(409, "unknown_benefit", str(exc)) from None
            # The bundle version is part of the key: a sync that revokes this card must
            # not be hidden behind an answer remembered from the older bundle.
            key = (text, bundle.version, benefit)
            # A live phone card shows a new code every few seconds: while it stays in view
            # its accepted answer repeats for the card (the bound certificate), not only
            # for the exact text, so one visit is one redemption.
            card = live_card_key(text)
            card_key = (card, bundle.version, benefit) if card is not None else None
            mono = self._monotonic()
            previous = self._recent.seen(key, mono)
            if previous is None and card_key is not None:
                previous = self._recent.seen(card_key, mono)
            if previous is not None:
                self.counters["repeats"] += 1
                return {**previous, "repeat": True}
            with self.home.open_log() as log:
                decision = check_and_record(
                    text, bundle=bundle, log=log, benefit=benefit, now=self._clock()
                )
            self._seq += 1
            self.counters["decisions"] += 1
            view = decision_view(decision, bundle.tz, seq=self._seq)
            self._recent.remember(key, view, mono)
            if card_key is not None and decision.accepted:
                self._recent.remember(card_key, view, mono)
            return view

    def scan_frame(self, body: bytes) -> dict[str, Any]:
        """Read the QR code in a JPEG frame and decide it.

        Returns ``{"state": "no_code_found"}`` when the frame holds no readable code.
        """
        self._ready_bundle()  # no point decoding pixels on a device that cannot decide
        with self._lock:
            self.counters["frames"] += 1
        try:
            img = Image.open(io.BytesIO(body))
            if img.format not in ("JPEG", "PNG"):
                raise KioskError(400, "unreadable_image", f"{img.format} is not JPEG or PNG")
            if img.width > MAX_FRAME_SIDE or img.height > MAX_FRAME_SIDE:
                raise KioskError(400, "image_too_large", f"{img.width}x{img.height}")
            # Decode straight to grey: the QR needs no colour, and it halves the work.
            img.draft("L", img.size)
            img = img.convert("L")
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as exc:
            raise KioskError(400, "unreadable_image", type(exc).__name__) from None
        try:
            text = read_qr(img)
        except ImageError as exc:
            if exc.code != "no_code_found":
                raise KioskError(400, "unreadable_image", exc.code) from None
            with self._lock:
                self.counters["no_code"] += 1
            return {"state": "no_code_found"}
        return self.scan_text(text)


def live_card_key(text: str) -> bytes | None:
    """The bound certificate of an HB2 text (what stays the same as its code rotates)."""
    if not text.startswith(hb2.PREFIX):
        return None
    try:
        return hb2.decode(text).bound.raw
    except hb2.HB2Error:
        return None


def _stat(path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _asset(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """Host header values the kiosk answers: the bound address (and ``localhost`` on loopback).

    Anything else is refused, so a web page on a rebinding domain that resolves to
    127.0.0.1 cannot reach the kiosk from the browser.
    """
    shown = f"[{host}]" if ":" in host else host
    names = {f"{shown}:{port}".lower()}
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback:
        names |= {f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"}
    return frozenset(names)


class KioskServer(ThreadingHTTPServer):
    """The HTTP server; ``url`` is where the page is, ``kiosk`` does the work."""

    daemon_threads = True  # a browser's kept-alive connection must not block Ctrl-C

    def __init__(self, kiosk: Kiosk, host: str, port: int) -> None:
        """Bind ``host:port`` (port 0 picks a free one)."""
        if ":" in host:
            self.address_family = AF_INET6
        self.kiosk = kiosk
        super().__init__((host, port), _Handler)
        self.host = host
        self.port = self.server_address[1]
        self.allowed_hosts = allowed_hosts(host, self.port)
        self.allowed_origins = frozenset(f"http://{h}" for h in self.allowed_hosts)
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/"
        self.assets = {name: _asset(name) for name in (*STATIC, "index.html")}


def make_server(kiosk: Kiosk, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> KioskServer:
    """A kiosk server bound to ``host:port``; call ``serve_forever()`` on it.

    Raises ValueError for a wildcard address (0.0.0.0, ::): the Host check needs one
    address, and a kiosk open to the whole network would let anyone record redemptions.
    Raises OSError when the port is taken.
    """
    try:
        wildcard = not host or ipaddress.ip_address(host).is_unspecified
    except ValueError:  # a name such as localhost
        wildcard = False
    if wildcard:
        raise ValueError(f"refusing to listen on every address ({host!r}); give one address")
    return KioskServer(kiosk, host, port)


class _Handler(BaseHTTPRequestHandler):
    server: KioskServer
    server_version = "huicui-kiosk"
    sys_version = ""
    protocol_version = "HTTP/1.1"  # keep-alive: the page posts frames several times a second
    timeout = 15  # a stalled client must not hold a thread forever
    _body_read = False

    # --- answers ------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, *, page: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if page:
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("Permissions-Policy", "camera=(self), microphone=()")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _error(self, exc: KioskError) -> None:
        self._json(exc.status, exc.body())

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Frames arrive several times a second: log failures only, and never a body.
        if isinstance(code, int) and code >= 400:
            path = urlsplit(getattr(self, "path", "") or "").path
            if path not in _ROUTES:  # an unknown path may be anything a client typed
                path = "(other)"
            sys.stderr.write(f"kiosk: {code} {self.command or '-'} {path}\n")

    def log_message(self, format: str, *args: Any) -> None:
        # The stdlib would echo the request line, which may hold a scanned code.
        sys.stderr.write("kiosk: rejected a malformed request\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Requests the stdlib refuses before routing (bad request line, huge headers): JSON too."""
        self.close_connection = True
        self.log_request(code)
        zh, en = ERRORS["bad_request"]
        body = json.dumps({"error": "bad_request", "message_zh": zh, "message_en": en}).encode()
        self.send_response_only(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # --- checks -------------------------------------------------------------------

    def _check_host(self) -> None:
        host = (self.headers.get("Host") or "").strip().lower()
        if host not in self.server.allowed_hosts:
            raise KioskError(403, "bad_host")

    def _check_origin(self) -> None:
        # The Host check stops DNS rebinding; this stops another site's page in the same
        # browser from posting codes here (a plain form post needs no CORS pre-flight).
        origin = self.headers.get("Origin")
        if origin is not None and origin.lower() not in self.server.allowed_origins:
            raise KioskError(403, "bad_origin")
        if (self.headers.get("Sec-Fetch-Site") or "same-origin") not in ("same-origin", "none"):
            raise KioskError(403, "bad_origin")

    def _body(self, limit: int, content_types: tuple[str, ...]) -> bytes:
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.strip().isdigit():
            self.close_connection = True  # the body's end is unknown: drop the connection
            raise KioskError(411, "length_required")
        length = int(length_text)
        if length > limit:
            self.close_connection = True  # do not read megabytes only to throw them away
            raise KioskError(413, "too_large", f"at most {limit} bytes")
        body = self.rfile.read(length)
        self._body_read = True
        if ctype not in content_types:
            wanted = " or ".join(content_types)
            raise KioskError(415, "unsupported_media_type", f"expected {wanted}")
        return body

    # --- routes -------------------------------------------------------------------

    def _dispatch(self, route: Callable[[str], None]) -> None:
        self._body_read = False
        try:
            self._check_host()
            route(urlsplit(self.path).path)
        except KioskError as exc:
            if self.command == "POST" and not self._body_read:
                # Its unread body would be taken for the next request on this connection.
                self.close_connection = True
            self._error(exc)
        except Exception as exc:  # one bad request must never take the kiosk down
            sys.stderr.write(f"kiosk: internal error on {self.command}: {exc!r}\n")
            self.close_connection = True
            self._error(KioskError(500, "internal"))

    def do_GET(self) -> None:
        self._dispatch(self._get)

    def do_HEAD(self) -> None:
        self._dispatch(self._get)

    def do_POST(self) -> None:
        self._dispatch(self._post)

    def _not_allowed(self) -> None:
        self._dispatch(lambda _path: self._error(KioskError(405, "method_not_allowed")))

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _get(self, path: str) -> None:
        assets = self.server.assets
        if path in ("/", "/index.html"):
            self._send(200, assets["index.html"], "text/html; charset=utf-8", page=True)
        elif path.startswith("/static/") and path[len("/static/") :] in STATIC:
            name = path[len("/static/") :]
            self._send(200, assets[name], STATIC[name])
        elif path == "/api/status":
            self._json(200, self.server.kiosk.status())
        elif path in ("/api/frame", "/api/scan"):
            raise KioskError(405, "method_not_allowed")
        else:
            raise KioskError(404, "not_found")

    def _post(self, path: str) -> None:
        kiosk = self.server.kiosk
        if path == "/api/frame":
            self._check_origin()
            body = self._body(MAX_FRAME_BYTES, ("image/jpeg", "image/png"))
            self._json(200, kiosk.scan_frame(body))
        elif path == "/api/scan":
            self._check_origin()
            body = self._body(MAX_SCAN_BYTES, ("application/json",))
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise KioskError(400, "bad_json") from None
            if not isinstance(data, dict) or not isinstance(data.get("text"), str):
                raise KioskError(400, "bad_json", 'expected {"text": "HB1:..."}')
            self._json(200, kiosk.scan_text(data["text"]))
        elif path in ("/", "/api/status") or path.startswith("/static/"):
            raise KioskError(405, "method_not_allowed")
        else:
            raise KioskError(404, "not_found")
