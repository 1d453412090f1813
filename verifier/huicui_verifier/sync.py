"""Talking to the server when there is a network: enroll, upload the log, take a newer bundle.

Plain ``urllib`` so a venue device installs nothing more. Uploads are safe to repeat
(the server is idempotent by record uuid), so any failure before the server's answer
is met by sending the same batch again; records are marked uploaded only after an answer.

The server refuses a whole batch when one record in it is bad (422, naming each bad
record's index). The device then quarantines exactly those records — kept in the log
with the server's reason, never sent again — and uploads the rest, so one bad record
cannot stop a device from ever uploading again. A 413 makes the batches smaller. A
refusal the device cannot pin on particular records leaves everything pending.
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
from .records import (
    BUNDLE_PATH,
    MAX_BATCH,
    SYNC_PATH,
    RedemptionRecord,
    SyncRequest,
    SyncResponse,
)

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
    ``bad_response``, ``fingerprint_mismatch``, ``not_enrolled`` or ``pending_records``
    (or a bundle error code)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class PendingRecordsError(SyncError):
    """Enrolling at another venue was refused: ``count`` records made for the old venue
    could not be uploaded first (``why``), and ``discard_pending`` was not given."""

    def __init__(self, count: int, why: str) -> None:
        super().__init__(
            "pending_records",
            f"{count} records of the previous venue are not uploaded ({why}); sync first, "
            "or enroll with --discard-pending to set them aside in quarantine",
        )
        self.count = count
        self.why = why


@dataclass
class UploadResult:
    """What an upload achieved; ``remaining`` > 0 means try again later.

    ``quarantined`` counts records the server refused by name: they are set aside in
    the log with its reason and will not be sent again.
    """

    sent: int = 0
    new: int = 0
    known: int = 0
    batches: int = 0
    remaining: int = 0
    quarantined: int = 0
    error: str | None = None


@dataclass
class Enrollment:
    """An enrollment and what happened to records still pending for another venue."""

    bundle: Bundle
    foreign_pending: int = 0  # pending records made for another venue (or program)
    uploaded: int = 0  # of those, acknowledged by the old server before moving
    quarantined: int = 0  # of those, set aside (refused by the server, or given up)


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
    home: DeviceHome,
    server: str,
    token: str,
    *,
    expected_fingerprint: str | None,
    now: datetime,
    discard_pending: bool = False,
) -> Bundle:
    """Fetch the first bundle with ``token``, trust its key on first use and pin it.

    With ``expected_fingerprint`` (as the office showed it) a different key is refused
    and nothing is stored. Without it the caller must show ``bundle.fingerprint`` and
    ask the operator to compare. See :func:`enroll_device` for records still pending.
    """
    return enroll_device(
        home,
        server,
        token,
        expected_fingerprint=expected_fingerprint,
        now=now,
        discard_pending=discard_pending,
    ).bundle


def enroll_device(
    home: DeviceHome,
    server: str,
    token: str,
    *,
    expected_fingerprint: str | None,
    now: datetime,
    discard_pending: bool = False,
    attempts: int = 3,
    backoff: float = 0.5,
) -> Enrollment:
    """Enroll (or re-enroll) the device, first settling records made for another venue.

    Records still pending for a venue other than the new one can only be uploaded with
    the old token, so they are uploaded with it first. If some remain (no network, old
    token revoked, never enrolled online) enrollment is refused with
    :class:`PendingRecordsError` and nothing changes — unless ``discard_pending``, which
    moves them to quarantine (kept in the log, never deleted). Records for the new
    venue stay pending and go up with the new token.
    """
    data, etag = fetch_bundle(server, token)
    assert data is not None
    bundle = _trusted_on_first_use(data, expected_fingerprint, now)
    outcome = _settle_foreign_pending(
        home, bundle, now=now, discard=discard_pending, attempts=attempts, backoff=backoff
    )
    home.set_token(token)
    home.update_state(server=server)
    home.save_bundle(bundle, etag=etag, checked_at=int(now.timestamp()))
    return outcome


def enroll_from_file(
    home: DeviceHome,
    data: bytes,
    *,
    expected_fingerprint: str,
    now: datetime,
    discard_pending: bool = False,
) -> Enrollment:
    """Enroll (or re-enroll) a device from a bundle file, for devices that are never online.

    As :func:`enroll_device`, with the file instead of the server: the file's key is
    trusted only if its fingerprint is ``expected_fingerprint`` (as the office showed
    it), and records pending for another venue are uploaded with the old token if the
    device has one, else refused or quarantined. The file's venue becomes the venue the
    device is enrolled at; from then on ``load`` refuses any other venue's bundle.
    """
    bundle = _trusted_on_first_use(data, expected_fingerprint, now)
    outcome = _settle_foreign_pending(
        home, bundle, now=now, discard=discard_pending, attempts=3, backoff=0.5
    )
    home.save_bundle(bundle, loaded_at=int(now.timestamp()))
    return outcome


def _trusted_on_first_use(data: bytes, expected_fingerprint: str | None, now: datetime) -> Bundle:
    """The bundle in ``data`` verified against its own key, which must have the expected
    fingerprint when one is given (raises :class:`SyncError` ``fingerprint_mismatch``)."""
    bundle = load(data, pinned_key=None, held_version=None, now=now)
    if (
        expected_fingerprint is not None
        and normalize_fingerprint(expected_fingerprint) != bundle.fingerprint
    ):
        wanted = normalize_fingerprint(expected_fingerprint)
        raise SyncError(
            "fingerprint_mismatch",
            f"bundle key {bundle.fingerprint} differs from the expected {wanted}",
        )
    return bundle


def _settle_foreign_pending(
    home: DeviceHome,
    bundle: Bundle,
    *,
    now: datetime,
    discard: bool,
    attempts: int,
    backoff: float,
) -> Enrollment:
    new_venue: int | None = bundle.venue.id
    try:
        held = home.held_bundle(now)
    except BundleError:
        held = None
    if held is not None and held.payload.program != bundle.payload.program:
        new_venue = None  # another program: venue ids mean nothing there, all are foreign
    with home.open_log() as log:
        foreign = log.pending_count(except_venue=new_venue)
        if not foreign:
            return Enrollment(bundle=bundle)
        result = Enrollment(bundle=bundle, foreign_pending=foreign)
        old_server, old_token = home.server, home.token
        why = "the device was never enrolled online, so nothing can upload them"
        if old_server and old_token:
            try:
                up = upload(
                    log,
                    old_server,
                    old_token,
                    attempts=attempts,
                    backoff=backoff,
                    except_venue=new_venue,
                )
            except SyncError as exc:
                why = f"{exc.code}: {exc.detail}"
            else:
                result.uploaded, result.quarantined = up.sent, up.quarantined
                why = up.error or "not uploaded"
        left = log.pending_count(except_venue=new_venue)
        if left and not discard:
            raise PendingRecordsError(left, why)
        if left:
            reason = (
                f"重新登记到场所 {bundle.venue.id} 时放弃上传（--discard-pending）/ "
                f"given up with --discard-pending when enrolling at venue {bundle.venue.id}: "
                f"{why}"
            )
            result.quarantined += log.quarantine_pending(
                reason, int(now.timestamp()), except_venue=new_venue
            )
        return result


def upload(
    log: DecisionLog,
    server: str,
    token: str,
    *,
    batch_size: int = MAX_BATCH,
    attempts: int = 3,
    backoff: float = 0.5,
    timeout: float = 30,
    except_venue: int | None = None,
) -> UploadResult:
    """Upload every pending record in batches; mark each batch only after the server answers.

    A transient failure (dropped connection, timeout, 5xx) retries the same batch up to
    ``attempts`` times; after that the upload stops and the rest waits for next time.
    Records a 422 names are quarantined with the server's reason and the rest go on;
    a 413 halves the batch (or takes the server's ``max_batch``). Any other refusal
    stops the upload with ``error`` set and every record still pending.
    ``except_venue`` leaves that venue's records for another time.
    """
    size = max(1, min(batch_size, MAX_BATCH))
    result = UploadResult()
    while True:
        batch = log.pending(size, except_venue=except_venue)
        if not batch:
            break
        answered = _post_batch(server, token, batch, attempts, backoff, timeout, result)
        if answered is None:
            break
        status, resp = answered
        if status == 200:
            _take_answer(log, batch, resp, result)
            continue
        if status == 413:
            smaller = _smaller_batch(len(batch), resp)
            if smaller is not None:
                size = smaller
                continue
        elif status == 422:
            refused = refused_records(batch, resp)
            set_aside = log.quarantine(refused, int(time.time())) if refused else 0
            if set_aside:  # progress is certain: the next batch no longer holds them
                result.quarantined += set_aside
                continue
        result.error = f"server refused the batch ({status}): {_problem_text(resp)}"
        break
    result.remaining = log.pending_count(except_venue=except_venue)
    return result


def _post_batch(
    server: str,
    token: str,
    batch: list[RedemptionRecord],
    attempts: int,
    backoff: float,
    timeout: float,
    result: UploadResult,
) -> tuple[int, bytes] | None:
    """POST one batch, retrying transient failures; (status, body), or None if none got through."""
    body = msgspec.json.encode(SyncRequest(records=batch))
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
        return status, resp
    return None


def _take_answer(
    log: DecisionLog, batch: list[RedemptionRecord], resp: bytes, result: UploadResult
) -> None:
    try:
        answer = msgspec.json.decode(resp, type=SyncResponse)
    except msgspec.DecodeError as exc:
        raise SyncError("bad_response", f"sync answer is not a SyncResponse: {exc}") from None
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


class _RefusedRecord(msgspec.Struct):
    index: int
    uuid: str = ""
    problems: list[str] = []


class _Refusal(msgspec.Struct):
    """The part of the server's 422 problem document that names bad records."""

    records: list[_RefusedRecord] = []


def refused_records(batch: list[RedemptionRecord], problem: bytes) -> dict[str, str]:
    """uuid → reason for each record of ``batch`` that a 422 ``problem`` names.

    Empty unless every named record is really in the batch (index in range and, when
    given, the same uuid): a refusal that cannot be pinned on records quarantines none.
    """
    try:
        named = msgspec.json.decode(problem, type=_Refusal).records
    except msgspec.DecodeError:
        return {}
    reasons: dict[str, str] = {}
    for item in named:
        if not 0 <= item.index < len(batch):
            return {}
        record = batch[item.index]
        if item.uuid and item.uuid != record.uuid[: len(item.uuid)]:
            return {}
        said = "; ".join(item.problems) or "refused"
        reasons[record.uuid] = f"服务器拒收 / refused by the server: {said}"
    return reasons


class _TooLarge(msgspec.Struct):
    max_batch: int | None = None


def _smaller_batch(sent: int, problem: bytes) -> int | None:
    """The next batch size after a 413 for ``sent`` records; None when one was too many."""
    if sent <= 1:
        return None
    smaller = sent // 2
    try:
        limit = msgspec.json.decode(problem, type=_TooLarge).max_batch
    except msgspec.DecodeError:
        limit = None
    if limit is not None and 1 <= limit < smaller:
        smaller = limit
    return max(1, smaller)


def _problem_text(problem: bytes) -> str:
    try:
        doc = msgspec.json.decode(problem)
    except msgspec.DecodeError:
        return repr(problem[:200])
    if isinstance(doc, dict):
        return str(doc.get("detail") or doc.get("title") or doc.get("code") or "")[:300]
    return repr(problem[:200])


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
    checked_at = int(now.timestamp())
    if data is None:
        home.mark_checked(checked_at)
        return SyncResult(
            upload=uploaded, bundle_updated=False, bundle_version=state.get("bundle_version")
        )
    try:
        bundle = load(
            data,
            pinned_key=pinned,
            held_version=state.get("bundle_version"),
            enrolled_venue=home.enrolled_venue(now),
            now=now,
        )
    except BundleError as exc:
        raise SyncError(exc.code, exc.detail) from None
    home.save_bundle(bundle, etag=etag, checked_at=checked_at)
    return SyncResult(upload=uploaded, bundle_updated=True, bundle_version=bundle.version)


__all__ = [
    "Enrollment",
    "PendingRecordsError",
    "SyncError",
    "SyncResult",
    "UploadResult",
    "enroll",
    "enroll_device",
    "enroll_from_file",
    "fetch_bundle",
    "refused_records",
    "sync",
    "upload",
]
