"""Talking to the server when there is a network: enroll, upload the log, take a newer bundle.

Plain ``urllib`` so a venue device installs nothing more. Uploads are safe to repeat
(the server is idempotent by record uuid), so any failure before the server's answer
is met by sending the same batch again; records are marked uploaded only after an answer.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

import msgspec

from . import __version__
from .bundle import Bundle, BundleError, load, normalize_fingerprint
from .device import DeviceHome
from .log import DecisionLog
from .records import BUNDLE_PATH, MAX_BATCH, SYNC_PATH, SyncRequest, SyncResponse

USER_AGENT = f"huicui-verifier/{__version__}"
_TRANSIENT = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    OSError,
)


class SyncError(Exception):
    """Sync could not finish; ``code`` is ``unauthorized``, ``network``, ``server``,
    ``bad_response``, ``fingerprint_mismatch`` or ``not_enrolled`` (or a bundle error code)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class UploadResult:
    """What an upload achieved; ``remaining`` > 0 means try again later."""

    sent: int = 0
    new: int = 0
    known: int = 0
    batches: int = 0
    remaining: int = 0
    error: str | None = None


@dataclass
class SyncResult:
    """An upload and a bundle check together."""

    upload: UploadResult
    bundle_updated: bool
    bundle_version: int | None


def _url(server: str, path: str) -> str:
    return server.rstrip("/") + path


def _request(
    method: str,
    url: str,
    token: str,
    *,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 30,
) -> tuple[int, dict, bytes]:
    if not url.startswith(("https://", "http://")):
        raise SyncError("bad_server", f"server URL must start with https:// or http://: {url}")
    req = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - scheme checked above
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("User-Agent", USER_AGENT)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - scheme checked
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers.items()), exc.read()


def fetch_bundle(
    server: str, token: str, *, etag: str | None = None, timeout: float = 30
) -> tuple[bytes | None, str | None]:
    """GET the bundle; returns (bytes, etag), or (None, etag) when the server says 304."""
    headers = {"Accept": "application/cbor"}
    if etag:
        headers["If-None-Match"] = etag
    try:
        status, resp_headers, body = _request(
            "GET", _url(server, BUNDLE_PATH), token, headers=headers, timeout=timeout
        )
    except _TRANSIENT as exc:
        raise SyncError("network", f"cannot reach {server}: {exc}") from None
    lowered = {k.lower(): v for k, v in resp_headers.items()}
    if status == 304:
        return None, etag
    if status in (401, 403):
        raise SyncError("unauthorized", "the server refused the device token")
    if status != 200:
        raise SyncError("server", f"GET {BUNDLE_PATH} answered {status}")
    return body, lowered.get("etag")


def enroll(
    home: DeviceHome, server: str, token: str, *, expected_fingerprint: str | None, now: datetime
) -> Bundle:
    """Fetch the first bundle with ``token``, trust its key on first use and pin it.

    With ``expected_fingerprint`` (as the office showed it) a different key is refused
    and nothing is stored. Without it the caller must show ``bundle.fingerprint`` and
    ask the operator to compare.
    """
    data, etag = fetch_bundle(server, token)
    assert data is not None
    bundle = load(data, pinned_key=None, held_version=None, now=now)
    if (
        expected_fingerprint is not None
        and normalize_fingerprint(expected_fingerprint) != bundle.fingerprint
    ):
        wanted = normalize_fingerprint(expected_fingerprint)
        raise SyncError(
            "fingerprint_mismatch",
            f"server key {bundle.fingerprint} differs from the expected {wanted}",
        )
    home.set_token(token)
    home.update_state(server=server)
    home.save_bundle(bundle, etag=etag)
    return bundle


def upload(
    log: DecisionLog,
    server: str,
    token: str,
    *,
    batch_size: int = MAX_BATCH,
    attempts: int = 3,
    backoff: float = 0.5,
    timeout: float = 30,
) -> UploadResult:
    """Upload every pending record in batches; mark each batch only after the server answers.

    A transient failure (dropped connection, timeout, 5xx) retries the same batch up to
    ``attempts`` times; after that the upload stops and the rest waits for next time.
    """
    batch_size = max(1, min(batch_size, MAX_BATCH))
    result = UploadResult()
    while True:
        batch = log.pending(batch_size)
        if not batch:
            break
        body = msgspec.json.encode(SyncRequest(records=batch))
        answer: SyncResponse | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(backoff * 2 ** (attempt - 1))
            try:
                status, _, resp = _request(
                    "POST",
                    _url(server, SYNC_PATH),
                    token,
                    body=body,
                    headers={"Content-Type": "application/json"},
                    timeout=timeout,
                )
            except _TRANSIENT as exc:
                result.error = f"network: {exc}"
                continue
            if status in (401, 403):
                raise SyncError("unauthorized", "the server refused the device token")
            if status >= 500:
                result.error = f"server answered {status}"
                continue
            if status != 200:
                raise SyncError("server", f"POST {SYNC_PATH} answered {status}: {resp[:200]!r}")
            try:
                answer = msgspec.json.decode(resp, type=SyncResponse)
            except msgspec.DecodeError as exc:
                raise SyncError(
                    "bad_response", f"sync answer is not a SyncResponse: {exc}"
                ) from None
            break
        if answer is None:
            result.remaining = log.pending_count()
            return result
        if answer.received != len(batch):
            raise SyncError(
                "bad_response", f"server received {answer.received} of {len(batch)} records"
            )
        log.mark_uploaded(r.uuid for r in batch)
        result.error = None
        result.sent += len(batch)
        result.new += answer.new
        result.known += answer.known
        result.batches += 1
    result.remaining = log.pending_count()
    return result


def sync(
    home: DeviceHome,
    *,
    now: datetime,
    batch_size: int = MAX_BATCH,
    attempts: int = 3,
    backoff: float = 0.5,
) -> SyncResult:
    """Upload the log, then take a newer bundle if the server has one (ETag / 304)."""
    server, token, pinned = home.server, home.token, home.pinned_key
    if not (server and token and pinned):
        raise SyncError("not_enrolled", "this device is not enrolled: run huicui-verify enroll")
    with home.open_log() as log:
        uploaded = upload(
            log, server, token, batch_size=batch_size, attempts=attempts, backoff=backoff
        )
    state = home.state()
    data, etag = fetch_bundle(server, token, etag=state.get("etag"))
    if data is None:
        return SyncResult(
            upload=uploaded, bundle_updated=False, bundle_version=state.get("bundle_version")
        )
    try:
        bundle = load(data, pinned_key=pinned, held_version=state.get("bundle_version"), now=now)
    except BundleError as exc:
        raise SyncError(exc.code, exc.detail) from None
    home.save_bundle(bundle, etag=etag)
    return SyncResult(upload=uploaded, bundle_updated=True, bundle_version=bundle.version)


__all__ = ["SyncError", "SyncResult", "UploadResult", "enroll", "fetch_bundle", "sync", "upload"]
